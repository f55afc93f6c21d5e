"""A backend that is not behind Keygate's API Gateway checks a key its client presented.

POST /v1/verify with this backend's own key (scope keys:verify), Python 3 standard library only.

    KEYGATE_API_KEY=<backend key> KEYGATE_PRESENTED_KEY=<client key> python3 examples/callers/python/verify.py

Environment: KEYGATE_URL (default http://127.0.0.1:3000), KEYGATE_API_KEY (the backend's key),
KEYGATE_PRESENTED_KEY (the key to check), KEYGATE_REQUIRED_SCOPES (space-separated, default
"echo:read"), KEYGATE_SOURCE_IP (the client's address; needed if the key has allowedIps).
Exit status: 0 the key is valid, 1 it is not or the call failed, 2 missing configuration.
"""
import json
import os
import sys
import urllib.error
import urllib.request

BASE_URL = os.environ.get("KEYGATE_URL", "http://127.0.0.1:3000").rstrip("/")


def verify(backend_key, presented_key, scopes, source_ip=None):
    """Keygate's decision on a presented key: a dict with valid, code, keyId, ownerId, scopes, rateLimit."""
    body = {"key": presented_key, "scopes": scopes}
    if source_ip:
        body["sourceIp"] = source_ip
    request = urllib.request.Request(
        BASE_URL + "/v1/verify",
        data=json.dumps(body).encode(),
        headers={"Authorization": "Bearer " + backend_key, "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as res:
        return json.loads(res.read())


def main():
    backend_key = os.environ.get("KEYGATE_API_KEY", "")
    presented_key = os.environ.get("KEYGATE_PRESENTED_KEY", "")
    if not backend_key or not presented_key:
        print("KEYGATE_API_KEY and KEYGATE_PRESENTED_KEY must be set", file=sys.stderr)
        return 2
    scopes = os.environ.get("KEYGATE_REQUIRED_SCOPES", "echo:read").split()
    try:
        answer = verify(backend_key, presented_key, scopes, os.environ.get("KEYGATE_SOURCE_IP"))
    except urllib.error.HTTPError as err:
        # The call itself failed: this backend's key was refused (401/403/429) or Keygate is
        # unavailable (503). Fail closed: do not admit the client's request.
        try:
            problem = json.loads(err.read())
        except ValueError:
            problem = {}
        print(f"verify call failed: HTTP {err.code} {problem.get('code', 'unknown')}: {problem.get('detail', err.reason)}", file=sys.stderr)
        return 1
    except OSError as err:
        print(f"verify call failed: {getattr(err, 'reason', err)}", file=sys.stderr)
        return 1
    print(json.dumps(answer, indent=2))
    # The answer is 200 for every outcome; "valid" and "code" say whether to admit the request.
    if answer.get("valid") is True:
        return 0
    print(f"valid: false ({answer.get('code')})", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
