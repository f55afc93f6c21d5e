#!/usr/bin/env bash
# A backend that is not behind Keygate's API Gateway checks a key its client presented:
# POST /v1/verify, with this backend's own key (scope keys:verify).
#   KEYGATE_API_KEY=<backend key> KEYGATE_PRESENTED_KEY=<client key> bash examples/callers/verify.sh
# Environment: KEYGATE_URL (default http://127.0.0.1:3000), KEYGATE_API_KEY (the backend's key),
# KEYGATE_PRESENTED_KEY (the key to check), KEYGATE_REQUIRED_SCOPES (space-separated, default
# "echo:read"), KEYGATE_SOURCE_IP (the client's address; needed if the key has allowedIps).
# Exit status: 0 the key is valid, 1 it is not or the call failed, 2 missing configuration.
set -euo pipefail

url="${KEYGATE_URL:-http://127.0.0.1:3000}"
if [[ -z "${KEYGATE_API_KEY:-}" || -z "${KEYGATE_PRESENTED_KEY:-}" ]]; then
  echo "KEYGATE_API_KEY and KEYGATE_PRESENTED_KEY must be set" >&2
  exit 2
fi
presented="$KEYGATE_PRESENTED_KEY"
# A Keygate key is letters, digits and underscores; anything else cannot be valid, and keeping it
# out spares this script from escaping arbitrary text into JSON.
if [[ ! "$presented" =~ ^[A-Za-z0-9_]{1,256}$ ]]; then
  echo "valid: false (NOT_FOUND: not a key)" >&2
  exit 1
fi

scopes=""
for s in ${KEYGATE_REQUIRED_SCOPES-echo:read}; do
  [[ "$s" =~ ^[a-z][a-z0-9_.:*-]*$ ]] || { echo "bad scope name: $s" >&2; exit 2; }
  scopes="${scopes:+$scopes,}\"$s\""
done
body="{\"key\":\"$presented\",\"scopes\":[$scopes]"
if [[ -n "${KEYGATE_SOURCE_IP:-}" ]]; then
  [[ "$KEYGATE_SOURCE_IP" =~ ^[0-9A-Fa-f.:]+$ ]] || { echo "bad KEYGATE_SOURCE_IP" >&2; exit 2; }
  body="$body,\"sourceIp\":\"$KEYGATE_SOURCE_IP\""
fi
body="$body}"

# Both keys go through file descriptors and stdin (bash builtins), never curl's command line.
answer="$(printf '%s' "$body" | curl -sS --max-time 10 --fail-with-body \
  -H @<(printf 'Authorization: Bearer %s\nContent-Type: application/json\n' "$KEYGATE_API_KEY") \
  --data-binary @- "${url%/}/v1/verify")" || {
  status=$?
  # --fail-with-body: an HTTP error (exit 22) still prints the problem body.
  code="$(sed -n 's/.*"code":"\([^"]*\)".*/\1/p' <<<"$answer")"
  detail="$(sed -n 's/.*"detail":"\(\([^"\\]\|\\.\)*\)".*/\1/p' <<<"$answer")"
  echo "verify call failed (curl exit $status) ${code:-}: ${detail:-}" >&2
  exit 1
}

echo "$answer"
# The answer is 200 for every outcome; "valid" and "code" say whether to admit the request.
if [[ "$answer" == *'"valid":true'* ]]; then
  exit 0
fi
echo "valid: false ($(sed -n 's/.*"code":"\([^"]*\)".*/\1/p' <<<"$answer"))" >&2
exit 1
