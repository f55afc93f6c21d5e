#!/usr/bin/env bash
# Calls GET /v1/echo with a Keygate key, using bash and curl only.
#   KEYGATE_API_KEY=kg_live_… bash examples/callers/curl.sh
# Environment: KEYGATE_URL (default http://127.0.0.1:3000), KEYGATE_API_KEY (required),
# KEYGATE_MAX_RETRIES (default 3), KEYGATE_MAX_RETRY_WAIT (seconds, default 5).
# Exit status: 0 success, 1 the call failed, 2 missing configuration.
set -euo pipefail

url="${KEYGATE_URL:-http://127.0.0.1:3000}"
max_retries="${KEYGATE_MAX_RETRIES:-3}"
max_wait="${KEYGATE_MAX_RETRY_WAIT:-5}"
if [[ -z "${KEYGATE_API_KEY:-}" ]]; then
  echo "KEYGATE_API_KEY is not set" >&2
  exit 2
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# One string member of a flat JSON body ("code", "detail", "retryAfter"); empty if absent.
json_member() {
  sed -n 's/.*"'"$1"'":"\(\([^"\\]\|\\.\)*\)".*/\1/p' "$2" | head -n 1
}

attempt=0
while true; do
  # The header is read from a file descriptor (printf is a bash builtin), so the key never
  # appears in curl's command line, where other users of the machine could see it with ps.
  status="$(curl -sS --max-time 10 -o "$tmp/body" -D "$tmp/headers" -w '%{http_code}' \
    -H @<(printf 'Authorization: Bearer %s\n' "$KEYGATE_API_KEY") \
    "${url%/}/v1/echo")" || { echo "request failed (curl exit $?)" >&2; exit 1; }

  if [[ "$status" == 2?? ]]; then
    cat "$tmp/body"; echo
    grep -i '^x-ratelimit-' "$tmp/headers" | tr -d '\r' || true
    exit 0
  fi

  code="$(json_member code "$tmp/body")"
  echo "HTTP $status ${code:-unknown}: $(json_member detail "$tmp/body")" >&2
  # A 403 from the gateway says why in "reason" (insufficient_scope, ip_not_allowed).
  reason="$(json_member reason "$tmp/body")"
  [[ -n "$reason" ]] && echo "reason: $reason" >&2

  # Only 429 and 503 are worth retrying: the same request can succeed later. 401/403 cannot.
  [[ "$status" == 429 || "$status" == 503 ]] || exit 1
  # The Retry-After header if the deployment sends one, else the body's "retryAfter", else 1.
  # (Only a number of seconds; an HTTP-date or anything else falls through to the next source.)
  wait="$(grep -i '^retry-after:' "$tmp/headers" | tr -d '\r' | sed -n 's/^[^:]*: *\([0-9]\{1,9\}\) *$/\1/p' || true)"
  [[ -n "$wait" ]] || wait="$(json_member retryAfter "$tmp/body" | sed -n 's/^\([0-9]\{1,9\}\)$/\1/p')"
  [[ -n "$wait" && "$wait" -gt 0 ]] || wait=1

  if (( attempt >= max_retries )); then
    echo "giving up after $((attempt + 1)) attempts" >&2
    exit 1
  fi
  if (( wait > max_wait )); then
    # Retrying sooner would be refused again (and a refused call still costs the service a write).
    echo "Retry-After is $wait s, more than KEYGATE_MAX_RETRY_WAIT ($max_wait s): not retrying" >&2
    exit 1
  fi
  attempt=$((attempt + 1))
  echo "retrying in $wait s (retry $attempt of $max_retries)" >&2
  sleep "$wait"
done
