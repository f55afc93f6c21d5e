"""Calls GET /v1/echo with a Keygate key, using only Python 3's standard library.

    KEYGATE_API_KEY=kg_live_… python3 examples/callers/python/call.py

Environment: KEYGATE_URL (default http://127.0.0.1:3000), KEYGATE_API_KEY (required),
KEYGATE_MAX_RETRIES (default 3), KEYGATE_MAX_RETRY_WAIT (seconds, default 5).
Exit status: 0 success, 1 the call failed, 2 missing configuration.
"""
import json
import os
import re
import sys
import time
import urllib.error
import urllib.request

BASE_URL = os.environ.get("KEYGATE_URL", "http://127.0.0.1:3000").rstrip("/")
API_KEY = os.environ.get("KEYGATE_API_KEY", "")
MAX_RETRIES = int(os.environ.get("KEYGATE_MAX_RETRIES", "3"))
MAX_WAIT = int(os.environ.get("KEYGATE_MAX_RETRY_WAIT", "5"))


def read_problem(err):
    """The problem+json body of an error answer, or None if it has none."""
    if not (err.headers.get("Content-Type") or "").startswith(("application/problem+json", "application/json")):
        return None
    try:
        return json.loads(err.read())
    except ValueError:
        return None


def retry_after_seconds(err, problem):
    """The Retry-After header if the deployment sends one, else the body's retryAfter (a string), else 1."""
    for value in (err.headers.get("Retry-After"), (problem or {}).get("retryAfter")):
        if value is not None and re.fullmatch(r"[0-9]{1,9}", str(value).strip()) and int(value) > 0:
            return int(value)
    return 1


def main():
    if not API_KEY:
        print("KEYGATE_API_KEY is not set", file=sys.stderr)
        return 2
    request = urllib.request.Request(BASE_URL + "/v1/echo", headers={"Authorization": "Bearer " + API_KEY})
    attempt = 0
    while True:
        try:
            with urllib.request.urlopen(request, timeout=10) as res:
                print(json.dumps(json.loads(res.read()), indent=2))
                for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"):
                    if res.headers.get(name) is not None:
                        print(f"{name}: {res.headers.get(name)}")
                return 0
        except urllib.error.HTTPError as err:
            problem = read_problem(err) or {}
            print(f"HTTP {err.code} {problem.get('code', 'unknown')}: {problem.get('detail', err.reason)}", file=sys.stderr)
            # A 403 from the gateway says why in `reason` (insufficient_scope, ip_not_allowed).
            if problem.get("reason"):
                print(f"reason: {problem['reason']}", file=sys.stderr)
            # Only 429 and 503 are worth retrying: the same request can succeed later. 401/403 cannot.
            if err.code not in (429, 503):
                return 1
            wait = retry_after_seconds(err, problem)
        except OSError as err:  # URLError (refused, DNS, TLS) and timeouts
            print(f"request failed: {getattr(err, 'reason', err)}", file=sys.stderr)
            return 1
        if attempt >= MAX_RETRIES:
            print(f"giving up after {attempt + 1} attempts", file=sys.stderr)
            return 1
        if wait > MAX_WAIT:
            # Retrying sooner would be refused again (and a refused call still costs the service a write).
            print(f"Retry-After is {wait} s, more than KEYGATE_MAX_RETRY_WAIT ({MAX_WAIT} s): not retrying", file=sys.stderr)
            return 1
        attempt += 1
        print(f"retrying in {wait} s (retry {attempt} of {MAX_RETRIES})", file=sys.stderr)
        time.sleep(wait)


if __name__ == "__main__":
    sys.exit(main())
