/**
 * The create form's values to a POST /v1/keys body, checked with the API's own parser
 * (core/validation.ts parseCreateKey, the valibot schemas of core/schemas.ts) before sending, so
 * the form refuses what the API would refuse, with the same field names and messages.
 */
import type { CreateKeyBody, FieldError, TemplateList } from '../../packages/client/src/index';
import { ProblemError } from '../../core/problem';
import { parseCreateKey } from '../../core/validation';

export interface CreateFormValues {
  readonly name: string;
  readonly description: string;
  readonly ownerId: string;
  readonly template: string;
  readonly scopes: readonly string[];
  readonly environment: '' | 'live' | 'test';
  readonly rateLimit: string;
  readonly windowSeconds: string;
  /** '' = the API's default (fixed), sent as no policy. */
  readonly policy: '' | 'fixed' | 'sliding' | 'tokenBucket';
  /** Read only with policy tokenBucket (the field is shown only then). */
  readonly burst: string;
  readonly daily: string;
  readonly monthly: string;
  readonly expiresInDays: string;
  readonly allowedIps: string;
  readonly metadata: string;
}

export const EMPTY_FORM: CreateFormValues = {
  name: '',
  description: '',
  ownerId: '',
  template: '',
  scopes: [],
  environment: '',
  rateLimit: '',
  windowSeconds: '60',
  policy: '',
  burst: '',
  daily: '',
  monthly: '',
  expiresInDays: '',
  allowedIps: '',
  metadata: '',
};

/** The member of the body an error belongs to: `rateLimit.limit` → rateLimit, `allowedIps[2]` → allowedIps. */
export const topField = (field: string): string => field.split(/[.[]/)[0] ?? field;

const WHOLE = /^\d+$/;

export function buildCreateBody(values: CreateFormValues, templates: TemplateList['items'], now = new Date()): { body?: CreateKeyBody; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const body: CreateKeyBody = { name: values.name };
  const whole = (text: string, field: string): number | undefined => {
    const t = text.trim();
    if (t === '') return undefined;
    if (!WHOLE.test(t)) {
      errors.push({ field, message: 'must be a whole number' });
      return undefined;
    }
    return Number(t);
  };
  if (values.description.trim()) body.description = values.description;
  if (values.ownerId.trim()) body.ownerId = values.ownerId.trim();
  if (values.template) body.template = values.template;
  if (values.scopes.length || !values.template) body.scopes = [...values.scopes];
  if (values.environment) body.environment = values.environment;
  const limit = whole(values.rateLimit, 'rateLimit.limit');
  const burst = values.policy === 'tokenBucket' ? whole(values.burst, 'rateLimit.burst') : undefined;
  if (limit !== undefined) {
    const windowSeconds = whole(values.windowSeconds, 'rateLimit.windowSeconds');
    if (windowSeconds === undefined && values.windowSeconds.trim() === '') errors.push({ field: 'rateLimit.windowSeconds', message: 'is required with a rate limit' });
    if (windowSeconds !== undefined) {
      body.rateLimit = { limit, windowSeconds, ...(values.policy ? { policy: values.policy } : {}), ...(burst !== undefined ? { burst } : {}) };
    }
  } else if (values.rateLimit.trim() === '' && (values.policy !== '' || burst !== undefined)) {
    errors.push({ field: 'rateLimit.limit', message: 'is required with a rate-limit policy' });
  }
  const daily = whole(values.daily, 'quota.daily');
  const monthly = whole(values.monthly, 'quota.monthly');
  if (daily !== undefined || monthly !== undefined) body.quota = { ...(daily !== undefined ? { daily } : {}), ...(monthly !== undefined ? { monthly } : {}) };
  const days = whole(values.expiresInDays, 'expiresInDays');
  if (days !== undefined) body.expiresInDays = days;
  const ips = values.allowedIps
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (ips.length) body.allowedIps = ips;
  if (values.metadata.trim()) {
    try {
      const parsed: unknown = JSON.parse(values.metadata);
      body.metadata = parsed as CreateKeyBody['metadata'];
    } catch (err) {
      errors.push({ field: 'metadata', message: `is not valid JSON (${(err as Error).message})` });
    }
  }
  // The API's own parser: everything it would refuse, with its field names and messages.
  try {
    parseCreateKey(body, now, templates);
  } catch (err) {
    if (!(err instanceof ProblemError)) throw err;
    const mine = new Set(errors.map((e) => topField(e.field)));
    for (const e of err.errors ?? []) if (!mine.has(topField(e.field))) errors.push({ field: e.field, message: e.message, ...(e.code ? { code: e.code } : {}) });
    if (!err.errors?.length) errors.push({ field: '', message: err.detail });
  }
  return errors.length ? { errors } : { body, errors };
}
