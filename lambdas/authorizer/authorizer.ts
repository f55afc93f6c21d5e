/**
 * The REQUEST authorizer. Hot path: no middleware, no KMS, at most one DynamoDB read on a
 * cache miss. The decision comes from core/verifier + core/decision; this file only maps
 * the outcome onto API Gateway's contract:
 *   VALID                                  → Allow, context {keyId, ownerId, scopes, ...}
 *   MISSING/MALFORMED/NOT_FOUND/REVOKED/EXPIRED → throw 'Unauthorized' → 401 gateway response
 *   INSUFFICIENT_SCOPE/IP_NOT_ALLOWED      → Deny, context {code, detail} → 403 gateway response
 *   RATE_LIMITED/QUOTA_EXCEEDED            → Allow with a usage key in no plan → INVALID_API_KEY → 429
 *                                            (Deny, so 403, when no usage plan is configured: fail closed)
 *   store unreachable                      → throw (not 'Unauthorized') → 503 gateway response
 */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { FLUSH_BOUND_MS } from '../../core/background';
import type { KeygateConfig } from '../../core/config';
import { denialDetail, type VerificationOutcome } from '../../core/decision';
import { allowContext } from '../../core/authorizer-context';
import { DECISION_CONTEXT_KEY } from '../../core/usage-record';
import { PROBLEM_CODE_FOR } from '../../core/limits';
import { rateLimitContext } from '../../core/rate-limit-headers';
import { DECISION_OUTCOMES, type DecisionOutcome, type MetricsBuffer, noMetrics } from '../../core/metrics';
import { type Clock, type Logger, systemClock } from '../../core/ports';
import { type AuthorizationRule, type RouteTable } from '../../core/routes';
import { extractKey, type KeyVerifier } from '../../core/verifier';

export interface AuthorizerDeps {
  readonly verifier: KeyVerifier;
  readonly config: Pick<KeygateConfig, 'allowQueryKey'>;
  readonly logger: Logger;
  /** Built-in and operator routes: the scopes and cost of each (core/operator-routes.ts `authorizationTable`). */
  readonly routes: RouteTable<AuthorizationRule>;
  /** The usage plan's API key returned for admitted requests; absent = no usage plan. */
  readonly admittedUsageKey?: string;
  readonly clock?: Clock;
  /**
   * Decisions by outcome (and, through the verifier, cache and store metrics), written once per
   * invocation by `flush()` after the policy is computed. Absent = not recorded.
   */
  readonly metrics?: MetricsBuffer;
}

/** Returned for rate-limited requests: a usage key that belongs to no usage plan. */
export const OVER_LIMIT_USAGE_KEY = 'keygate-over-limit-no-usage-plan';

/** The exact message API Gateway turns into a 401. */
export const UNAUTHORIZED = 'Unauthorized';

export type AuthorizerHandler = (event: APIGatewayRequestAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;

function policy(
  principalId: string,
  effect: 'Allow' | 'Deny',
  resource: string,
  context: Record<string, string | number>,
  usageIdentifierKey?: string,
): APIGatewayAuthorizerResult {
  return {
    principalId,
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }] },
    context,
    ...(usageIdentifierKey ? { usageIdentifierKey } : {}),
  };
}


const LIMIT_DETAIL: Record<string, string> = {
  rate_limited: 'The key’s rate limit is exhausted for this window.',
  daily_quota_exceeded: 'The key’s daily quota is used up (UTC day).',
  monthly_quota_exceeded: 'The key’s monthly quota is used up (UTC month).',
};

export function createAuthorizer(deps: AuthorizerDeps): AuthorizerHandler {
  const decide = decider(deps);
  // Side effects (lastUsedAt, quota warnings) run beside the decision; the container is frozen
  // once the handler returns, so wait for them, briefly, first.
  // The check keeps the common case (nothing pending) free of an extra await on the hot path.
  // Metrics are written after the side effects' wait (so a quota warning's publish is counted in
  // the same invocation) and synchronously: one stdout line, no await of their own.
  const metrics = deps.metrics;
  return async (event) => {
    try {
      return await decide(event);
    } finally {
      if (deps.verifier.hasPendingWork) await deps.verifier.flush(FLUSH_BOUND_MS);
      metrics?.flush();
    }
  };
}

const DECISION_DIMS = Object.fromEntries(
  DECISION_OUTCOMES.map((o) => [o, { Service: 'authorizer', Outcome: o }]),
) as Record<DecisionOutcome, { readonly Service: 'authorizer'; readonly Outcome: DecisionOutcome }>;

function decider(deps: AuthorizerDeps): AuthorizerHandler {
  const clock = deps.clock ?? systemClock;
  const metrics = deps.metrics ?? noMetrics;
  return async (event) => {
    const route = deps.routes.find(event.httpMethod, event.resource);
    if (!route) {
      metrics.count('Decisions', DECISION_DIMS.UNKNOWN_ROUTE);
      // Fail closed: a route the definition does not know requires nothing we can check.
      deps.logger.log('warn', 'authorizer called for an unknown route', { method: event.httpMethod, resource: event.resource });
      return policy('unknown', 'Deny', event.methodArn, {
        code: 'unknown_route',
        detail: 'This route is not configured for keys.',
        [DECISION_CONTEXT_KEY]: 'UNKNOWN_ROUTE',
      });
    }
    let outcome: VerificationOutcome;
    try {
      outcome = await deps.verifier.verify({
        key: extractKey({ headers: event.headers, query: event.queryStringParameters }, deps.config.allowQueryKey),
        requiredScopes: route.scopes,
        sourceIp: event.requestContext?.identity?.sourceIp,
        cost: route.cost,
      });
    } catch (err) {
      metrics.count('Decisions', DECISION_DIMS.UNAVAILABLE);
      deps.logger.log('error', 'key verification failed', { error: err, route: `${route.method} ${route.path}` });
      throw new Error('KeyStoreUnavailable', { cause: err });
    }
    metrics.count('Decisions', DECISION_DIMS[outcome.code]);
    const keyId = 'keyId' in outcome ? outcome.keyId : outcome.code === 'VALID' ? outcome.key.keyId : undefined;
    deps.logger.log(outcome.code === 'VALID' ? 'debug' : 'info', 'authorization decision', {
      outcome: outcome.code,
      route: `${route.method} ${route.path}`,
      ...(keyId ? { keyId } : {}),
    });
    switch (outcome.code) {
      case 'VALID': {
        // Context values must be flat strings, numbers or booleans (core/authorizer-context.ts).
        return policy(outcome.key.keyId, 'Allow', event.methodArn, allowContext(outcome.key, outcome.limits, clock.now()), deps.admittedUsageKey);
      }
      case 'RATE_LIMITED':
      case 'QUOTA_EXCEEDED': {
        const code = PROBLEM_CODE_FOR[outcome.limits.blocking ?? 'rate'];
        const context = {
          code,
          detail: LIMIT_DETAIL[code]!,
          keyId: outcome.keyId,
          [DECISION_CONTEXT_KEY]: outcome.code,
          // The route's cost decides which limits refused it (Retry-After waits for all of them).
          ...rateLimitContext(outcome.limits, clock.now(), route.cost),
        };
        // Without a usage plan there is no 429 channel: refuse with a Deny (403) rather than admit.
        return deps.admittedUsageKey
          ? policy(outcome.keyId, 'Allow', event.methodArn, context, OVER_LIMIT_USAGE_KEY)
          : policy(outcome.keyId, 'Deny', event.methodArn, context);
      }
      case 'INSUFFICIENT_SCOPE':
      case 'IP_NOT_ALLOWED':
        return policy(outcome.keyId, 'Deny', event.methodArn, { ...denialDetail(outcome), keyId: outcome.keyId, [DECISION_CONTEXT_KEY]: outcome.code });
      default:
        throw new Error(UNAUTHORIZED);
    }
  };
}
