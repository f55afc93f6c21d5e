/**
 * The console's create form (console/src/create-form.ts): the rate-limit policy select and the
 * burst field become the body's rateLimit.policy and rateLimit.burst, checked with the API's own
 * parser, so the form refuses what the API refuses with the same field names.
 */
import { describe, expect, it } from 'vitest';
import { buildCreateBody, type CreateFormValues, EMPTY_FORM } from '../../console/src/create-form';

const NOW = new Date('2030-01-01T00:00:00Z');
const form = (values: Partial<CreateFormValues>): CreateFormValues => ({ ...EMPTY_FORM, name: 'console key', ...values });

describe('create form: rate-limit policy and burst', () => {
  it.each([
    ['the default policy as none', { rateLimit: '100', windowSeconds: '60' }, { limit: 100, windowSeconds: 60 }],
    ['fixed', { rateLimit: '100', windowSeconds: '60', policy: 'fixed' as const }, { limit: 100, windowSeconds: 60, policy: 'fixed' }],
    ['sliding', { rateLimit: '100', windowSeconds: '60', policy: 'sliding' as const }, { limit: 100, windowSeconds: 60, policy: 'sliding' }],
    ['tokenBucket without burst', { rateLimit: '100', windowSeconds: '60', policy: 'tokenBucket' as const }, { limit: 100, windowSeconds: 60, policy: 'tokenBucket' }],
    ['tokenBucket with burst', { rateLimit: '100', windowSeconds: '60', policy: 'tokenBucket' as const, burst: ' 300 ' }, { limit: 100, windowSeconds: 60, policy: 'tokenBucket', burst: 300 }],
    ['a burst left from an earlier tokenBucket choice as nothing (the field is hidden)', { rateLimit: '100', windowSeconds: '60', policy: 'sliding' as const, burst: '300' }, { limit: 100, windowSeconds: 60, policy: 'sliding' }],
  ])('sends %s', (_what, values, rateLimit) => {
    // Act
    const { body, errors } = buildCreateBody(form(values), [], NOW);

    // Assess
    expect(errors).toEqual([]);
    expect(body?.rateLimit).toStrictEqual(rateLimit);
  });

  it.each([
    ['a burst that is not a whole number', { rateLimit: '10', policy: 'tokenBucket' as const, burst: '1.5' }, { field: 'rateLimit.burst', message: 'must be a whole number' }],
    ['a burst of 0 (the API parser’s bound)', { rateLimit: '10', policy: 'tokenBucket' as const, burst: '0' }, { field: 'rateLimit.burst', message: 'must be from 1 to 1000000' }],
    ['a policy without requests per window', { policy: 'sliding' as const }, { field: 'rateLimit.limit', message: 'is required with a rate-limit policy' }],
  ])('refuses %s, naming the field', (_what, values, error) => {
    // Act
    const { body, errors } = buildCreateBody(form(values), [], NOW);

    // Assess
    expect(body).toBeUndefined();
    expect(errors).toEqual([error]);
  });
});
