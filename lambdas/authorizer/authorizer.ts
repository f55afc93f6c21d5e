/**
 * The REQUEST authorizer. Hot path: no middleware, no KMS, at most one DynamoDB read on a
 * cache miss. The decision comes from core/verifier + core/decision; this file only maps
 * the outcome onto API Gateway's contract:
 *   VALID                                  → Allow, context {keyId, ownerId, scopes, ...}
 *   MISSING/MALFORMED/NOT_FOUND/REVOKED/EXPIRED → throw 'Unauthorized' → 401 gateway response
 *   INSUFFICIENT_SCOPE/IP_NOT_ALLOWED      → Deny, context {code, detail} → 403 gateway response
 *   store unreachable                      → throw (not 'Unauthorized') → 503 gateway response
 */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import type { KeygateConfig } from '../../core/config';
import { denialDetail, type VerificationOutcome } from '../../core/decision';
import type { Logger } from '../../core/ports';
import { routeFor } from '../../core/routes';
import { extractKey, type KeyVerifier } from '../../core/verifier';

export interface AuthorizerDeps {
  readonly verifier: KeyVerifier;
  readonly config: Pick<KeygateConfig, 'allowQueryKey'>;
  readonly logger: Logger;
}

/** The exact message API Gateway turns into a 401. */
export const UNAUTHORIZED = 'Unauthorized';

export type AuthorizerHandler = (event: APIGatewayRequestAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;

function policy(principalId: string, effect: 'Allow' | 'Deny', resource: string, context: Record<string, string>): APIGatewayAuthorizerResult {
  return {
    principalId,
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }] },
    context,
  };
}

export function createAuthorizer(deps: AuthorizerDeps): AuthorizerHandler {
  return async (event) => {
    const route = routeFor(event.httpMethod, event.resource);
    if (!route) {
      // Fail closed: a route the definition does not know requires nothing we can check.
      deps.logger.log('warn', 'authorizer called for an unknown route', { method: event.httpMethod, resource: event.resource });
      return policy('unknown', 'Deny', event.methodArn, { code: 'unknown_route', detail: 'This route is not configured for keys.' });
    }
    let outcome: VerificationOutcome;
    try {
      outcome = await deps.verifier.verify({
        key: extractKey({ headers: event.headers, query: event.queryStringParameters }, deps.config.allowQueryKey),
        requiredScopes: route.scopes,
        sourceIp: event.requestContext?.identity?.sourceIp,
      });
    } catch (err) {
      deps.logger.log('error', 'key verification failed', { error: err, operation: route.operation });
      throw new Error('KeyStoreUnavailable', { cause: err });
    }
    const keyId = 'keyId' in outcome ? outcome.keyId : outcome.code === 'VALID' ? outcome.key.keyId : undefined;
    deps.logger.log(outcome.code === 'VALID' ? 'debug' : 'info', 'authorization decision', {
      outcome: outcome.code,
      operation: route.operation,
      ...(keyId ? { keyId } : {}),
    });
    switch (outcome.code) {
      case 'VALID': {
        const k = outcome.key;
        // Context values must be flat strings, numbers or booleans: lists travel space-separated.
        return policy(k.keyId, 'Allow', event.methodArn, {
          keyId: k.keyId,
          ownerId: k.ownerId,
          scopes: k.scopes.join(' '),
          environment: k.environment,
          expiresAt: k.expiresAt ?? '',
        });
      }
      case 'INSUFFICIENT_SCOPE':
      case 'IP_NOT_ALLOWED':
        return policy(outcome.keyId, 'Deny', event.methodArn, denialDetail(outcome));
      default:
        throw new Error(UNAUTHORIZED);
    }
  };
}
