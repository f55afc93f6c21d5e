/**
 * `@keygate/client`: a typed client for the Keygate API. Runs wherever `fetch` does (Node 20+,
 * browsers, Deno, Bun, workers); no dependencies.
 */
export { KeygateClient } from './client.js';
export {
  KeygateConnectionError,
  KeygateProblemError,
  KeygateQueryRunningError,
  displayEndpoint,
  parseProblem,
  PROBLEM_CONTENT_TYPE,
  type KeygateProblemInit,
} from './errors.js';
export { paginate, type Page } from './pagination.js';
export { DEFAULT_MAX_WAIT_MS, nextPollUrl, pollDelayMs } from './poll.js';
export { IDEMPOTENT_METHODS, ROUTES, routePath } from './routes.js';
export { CLIENT_VERSION, DEFAULTS, parseRetryAfter, RETRY_STATUSES } from './transport.js';
export type * from './types.js';
