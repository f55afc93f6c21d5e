/* global AbortSignal */
// Calls GET /v1/echo with a Keygate key, using Node's built-in fetch (Node 20+, no dependencies).
//   KEYGATE_API_KEY=kg_live_… node examples/callers/fetch.mjs
// Environment: KEYGATE_URL (default http://127.0.0.1:3000), KEYGATE_API_KEY (required),
// KEYGATE_MAX_RETRIES (default 3), KEYGATE_MAX_RETRY_WAIT (seconds, default 5).
// Exit status: 0 success, 1 the call failed, 2 missing configuration.

const baseUrl = (process.env.KEYGATE_URL || 'http://127.0.0.1:3000').replace(/\/+$/, '');
const apiKey = process.env.KEYGATE_API_KEY;
const maxRetries = Number(process.env.KEYGATE_MAX_RETRIES ?? 3);
const maxWait = Number(process.env.KEYGATE_MAX_RETRY_WAIT ?? 5);

if (!apiKey) {
  console.error('KEYGATE_API_KEY is not set');
  process.exit(2);
}

// Seconds to wait before a retry: the Retry-After header if the deployment sends one, else the
// problem body's retryAfter (Keygate's own 429 carries it there, as a string), else 1.
function retryAfterSeconds(res, problem) {
  const fromHeader = Number(res.headers.get('retry-after'));
  if (Number.isInteger(fromHeader) && fromHeader > 0) return fromHeader;
  const fromBody = Number(problem?.retryAfter);
  if (Number.isInteger(fromBody) && fromBody > 0) return fromBody;
  return 1;
}

async function readProblem(res) {
  const type = res.headers.get('content-type') ?? '';
  if (!/^application\/(problem\+)?json/.test(type)) return null;
  try {
    return await res.json();
  } catch {
    return null;
  }
}

for (let attempt = 0; ; attempt++) {
  let res;
  try {
    res = await fetch(`${baseUrl}/v1/echo`, {
      headers: { Authorization: `Bearer ${apiKey}` },
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    console.error(`request failed: ${err.cause?.message ?? err.message}`);
    process.exit(1);
  }

  if (res.ok) {
    console.log(JSON.stringify(await res.json(), null, 2));
    for (const name of ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset']) {
      const value = res.headers.get(name);
      if (value !== null) console.log(`${name}: ${value}`);
    }
    process.exit(0);
  }

  const problem = await readProblem(res);
  const code = problem?.code ?? 'unknown';
  console.error(`HTTP ${res.status} ${code}: ${problem?.detail ?? res.statusText}`);
  // A 403 from the gateway says why in `reason` (insufficient_scope, ip_not_allowed).
  if (problem?.reason) console.error(`reason: ${problem.reason}`);

  // Only 429 and 503 are worth retrying: the same request can succeed later. 401/403 cannot.
  if (res.status !== 429 && res.status !== 503) process.exit(1);
  const wait = retryAfterSeconds(res, problem);
  if (attempt >= maxRetries) {
    console.error(`giving up after ${attempt + 1} attempts`);
    process.exit(1);
  }
  if (wait > maxWait) {
    // Retrying sooner would be refused again (and a refused call still costs the service a write).
    console.error(`Retry-After is ${wait} s, more than KEYGATE_MAX_RETRY_WAIT (${maxWait} s): not retrying`);
    process.exit(1);
  }
  console.error(`retrying in ${wait} s (retry ${attempt + 1} of ${maxRetries})`);
  await new Promise((resolve) => setTimeout(resolve, wait * 1000));
}
