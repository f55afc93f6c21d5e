/**
 * A Lambda container is frozen as soon as its handler returns, so side effects still pending
 * then may never run. The authorizer and the keys handler wait for them (bounded) first.
 */
import { authorizationTable } from '../../core/operator-routes';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { BackgroundWork } from '../../core/background';
import { generateKey } from '../../core/key-format';
import { limitResult, type LimitPlan, windowsAt } from '../../core/limits';
import type { CounterStore, EventSink } from '../../core/ports';
import type { AuthzRecord } from '../../core/records';
import { LastUsedTracker } from '../../core/usage-signals';
import { KeyVerifier } from '../../core/verifier';
import { createAuthorizer } from '../../lambdas/authorizer/authorizer';

const NOW = new Date('2031-03-01T10:00:00Z');
const clock = { now: () => NOW };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function setup(opts: { writeMs: number; publishMs: number }) {
  const key = generateKey('kg', 'live');
  const record: AuthzRecord = { keyId: 'key_A', ownerId: 'acme', environment: 'live', scopes: ['echo:read'], status: 'active', quota: { daily: 10 } };
  const done: string[] = [];
  const repo = {
    getAuthzByHash: async (hash: string) => (hash === key.hash ? record : undefined),
    touchLastUsed: async () => {
      await sleep(opts.writeMs);
      done.push('lastUsedAt');
    },
  };
  // The request that brings the daily count to 8 of 10 raises the 80% warning.
  const counters: CounterStore = {
    consume: async (_id, plan: LimitPlan) => limitResult(plan, { rate: 0, daily: 8, monthly: 0 }, windowsAt(NOW), []),
    peek: async () => ({ admitted: true }),
    release: async () => {},
  };
  const events: EventSink = {
    publish: async (e) => {
      await sleep(opts.publishMs);
      done.push(e.type);
    },
  };
  const background = new BackgroundWork();
  const logger = { log: () => undefined };
  const verifier = new KeyVerifier(repo, { keyPrefix: 'kg', cacheTtlSeconds: 0, negativeCacheTtlSeconds: 0, cacheMaxEntries: 10 }, clock, counters, {
    lastUsed: new LastUsedTracker(repo, logger, background),
    events,
    quotaWarningThreshold: 0.8,
    logger,
    background,
  });
  const handler = createAuthorizer({ routes: authorizationTable(undefined), verifier, config: { allowQueryKey: false }, logger, clock });
  const event = {
    type: 'REQUEST',
    methodArn: 'arn:aws:execute-api:eu-west-1:111111111111:api/prod/GET/v1/echo',
    resource: '/v1/echo',
    httpMethod: 'GET',
    headers: { authorization: `Bearer ${key.plaintext}` },
    requestContext: { identity: { sourceIp: '203.0.113.1' } },
  } as unknown as APIGatewayRequestAuthorizerEvent;
  return { handler, event, done, background };
}

describe('authorizer side effects', () => {
  it('has written lastUsedAt and published the quota warning by the time it returns', async () => {
    // Prepare: both effects take a while
    const { handler, event, done } = setup({ writeMs: 30, publishMs: 40 });
    // Act
    const result = await handler(event);
    // Assess
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow' });
    expect(done.sort()).toEqual(['keygate.quota.warning', 'lastUsedAt']);
  });

  it('returns its decision although a side effect never finishes (the wait is bounded)', async () => {
    const { handler, event, done, background } = setup({ writeMs: 1e9, publishMs: 0 });
    const result = await handler(event);
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow' });
    expect(done).toEqual(['keygate.quota.warning']);
    expect(background.size).toBe(1);
  });
});
