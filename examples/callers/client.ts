// Calls GET /v1/echo with a Keygate key through the typed client, @keygate/client (packages/client).
//   KEYGATE_API_KEY=kg_live_… npx tsx examples/callers/client.ts
// Environment: KEYGATE_URL (default http://127.0.0.1:3000), KEYGATE_API_KEY (required),
// KEYGATE_MAX_RETRIES (default 3), KEYGATE_MAX_RETRY_WAIT (seconds, default 5).
// Exit status: 0 success, 1 the call failed, 2 missing configuration.

// In your own project: import { … } from '@keygate/client';
import { KeygateClient, KeygateConnectionError, KeygateProblemError } from '../../packages/client/src/index.js';

const endpoint = process.env.KEYGATE_URL || 'http://127.0.0.1:3000';
const apiKey = process.env.KEYGATE_API_KEY;
const maxRetries = Number(process.env.KEYGATE_MAX_RETRIES ?? 3);
const maxWait = Number(process.env.KEYGATE_MAX_RETRY_WAIT ?? 5);

if (!apiKey) {
  console.error('KEYGATE_API_KEY is not set');
  process.exit(2);
}

// The client returns bodies only; a fetch wrapper keeps the rate-limit headers of the last answer.
let rateLimitHeaders: [string, string][] = [];
const client = new KeygateClient({
  endpoint,
  apiKey,
  // The retries are this script's: the client waits for a Retry-After *header*, and Keygate's own
  // 429 carries its wait in the problem body (`retryAfter`) unless the deployment maps it to a header.
  maxRetries: 0,
  timeoutMs: 10_000,
  fetch: async (input, init) => {
    const res = await fetch(input, init);
    rateLimitHeaders = ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'].flatMap((name): [string, string][] => {
      const value = res.headers.get(name);
      return value === null ? [] : [[name, value]];
    });
    return res;
  },
});

/** Seconds to wait: the Retry-After header if there was one, else the problem body's retryAfter (a string), else 1. */
function retryAfterSeconds(err: KeygateProblemError): number {
  const fromBody = Number(err.problem?.retryAfter);
  return err.retryAfterSeconds ?? (Number.isInteger(fromBody) && fromBody > 0 ? fromBody : 1);
}

for (let attempt = 0; ; attempt++) {
  try {
    const echo = await client.echo();
    console.log(JSON.stringify(echo, null, 2));
    for (const [name, value] of rateLimitHeaders) console.log(`${name}: ${value}`);
    process.exit(0);
  } catch (err) {
    if (err instanceof KeygateConnectionError) {
      console.error(`request failed: ${err.message}`);
      process.exit(1);
    }
    if (!(err instanceof KeygateProblemError)) throw err;
    console.error(`HTTP ${err.status} ${err.code}: ${err.detail}`);
    // A 403 from the gateway says why in `reason` (insufficient_scope, ip_not_allowed).
    if (typeof err.problem?.reason === 'string') console.error(`reason: ${err.problem.reason}`);

    // Only 429 and 503 are worth retrying: the same request can succeed later. 401/403 cannot.
    if (err.status !== 429 && err.status !== 503) process.exit(1);
    const wait = retryAfterSeconds(err);
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
}
