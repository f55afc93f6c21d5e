/**
 * Key templates (`keygate:keyTemplates`): named key policies in the deployment config, so an
 * admin issues a "partner-readonly" key by naming it instead of retyping scopes, limits and
 * expiry. `POST /v1/keys` with `template` fills every field the request leaves out from the
 * template (core/validation.ts parseCreateKey); `GET /v1/templates` lists them.
 */
import { normalizeCidr } from './cidr';
import { KEY_ENVIRONMENTS, type KeyEnvironment } from './key-format';
import { type Quota, RATE_POLICIES, type RateLimit, type RatePolicy } from './records';
import { SCOPE_PATTERN } from './scopes';
import { LIMITS } from './validation';

export interface KeyTemplate {
  /** Named like a scope: lower case, digits, `-`, `_`, `.` and `:`. */
  readonly name: string;
  /** What the template is for (shown by `GET /v1/templates`; not copied to the key). */
  readonly description?: string;
  readonly scopes: readonly string[];
  readonly rateLimit?: RateLimit;
  readonly quota?: Quota;
  /** Keys expire this many whole days after they are created. */
  readonly expiresInDays?: number;
  readonly environment?: KeyEnvironment;
  readonly allowedIps?: readonly string[];
}

/** At most this many templates… */
export const KEY_TEMPLATES_MAX = 20;
/**
 * …taking at most this many bytes as JSON: they travel in the keys Lambda's environment, which
 * Lambda limits to 4 KB for every variable together.
 */
export const KEY_TEMPLATES_MAX_BYTES = 2048;

const TEMPLATE_FIELDS = ['name', 'description', 'scopes', 'rateLimit', 'quota', 'expiresInDays', 'environment', 'allowedIps'] as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

const RATE_LIMIT_MEMBERS = ['limit', 'windowSeconds', 'policy', 'burst'];

/** What a rate limit in the deployment config looks like, for messages. */
export const RATE_LIMIT_SHAPE =
  `{limit: 1..${LIMITS.rateLimitMax}, windowSeconds: ${LIMITS.windowSecondsMin}..${LIMITS.windowSecondsMax}, ` +
  `policy?: ${RATE_POLICIES.map((p) => JSON.stringify(p)).join(' | ')}, burst?: 1..${LIMITS.rateLimitMax} (tokenBucket only)}`;

/**
 * A rate limit from the deployment config (a key template's, `keygate:defaultRateLimit`): the
 * same rules as the API's `RateLimit` (core/schemas.ts), written without valibot because the
 * authorizer bundles this module. Either the limit, copied with only the members given (no
 * policy is added: absent = fixed), or the first problem: the member it is about (undefined =
 * the value itself) and a message completing "<member> ...".
 */
export function readRateLimit(raw: unknown): { readonly rateLimit: RateLimit } | { readonly member?: string; readonly message: string } {
  if (!isObject(raw)) return { message: `must be ${RATE_LIMIT_SHAPE}` };
  const unknown = Object.keys(raw).find((k) => !RATE_LIMIT_MEMBERS.includes(k));
  if (unknown !== undefined) return { member: unknown.slice(0, 64), message: `is not a rate-limit member (${RATE_LIMIT_MEMBERS.join(', ')})` };
  if (!isInt(raw.limit, 1, LIMITS.rateLimitMax)) return { member: 'limit', message: `must be an integer from 1 to ${LIMITS.rateLimitMax}` };
  if (!isInt(raw.windowSeconds, LIMITS.windowSecondsMin, LIMITS.windowSecondsMax)) {
    return { member: 'windowSeconds', message: `must be an integer from ${LIMITS.windowSecondsMin} to ${LIMITS.windowSecondsMax}` };
  }
  if (raw.policy !== undefined && !RATE_POLICIES.includes(raw.policy as RatePolicy)) {
    return { member: 'policy', message: `must be ${RATE_POLICIES.map((p) => JSON.stringify(p)).join(', ').replace(/, ([^,]*)$/, ' or $1')}` };
  }
  if (raw.burst !== undefined) {
    if (!isInt(raw.burst, 1, LIMITS.rateLimitMax)) return { member: 'burst', message: `must be an integer from 1 to ${LIMITS.rateLimitMax}` };
    if (raw.policy !== 'tokenBucket') return { member: 'burst', message: 'is only allowed with policy "tokenBucket"' };
  }
  return {
    rateLimit: {
      limit: raw.limit,
      windowSeconds: raw.windowSeconds,
      ...(raw.policy !== undefined ? { policy: raw.policy as RatePolicy } : {}),
      ...(raw.burst !== undefined ? { burst: raw.burst as number } : {}),
    },
  };
}

/**
 * Validates `keygate:keyTemplates` (an array of templates) against the deployment's scopes.
 * `fail` throws; every message names the template and the field.
 */
export function parseKeyTemplates(raw: unknown, knownScopes: readonly string[], fail: (message: string) => never): KeyTemplate[] {
  if (!Array.isArray(raw)) fail('keyTemplates must be an array of {name, scopes, ...}');
  const list = raw as unknown[];
  if (list.length > KEY_TEMPLATES_MAX) fail(`keyTemplates: at most ${KEY_TEMPLATES_MAX} templates (got ${list.length})`);
  const out: KeyTemplate[] = [];
  list.forEach((t, i) => {
    if (!isObject(t)) fail(`keyTemplates[${i}] must be an object {name, scopes, ...}`);
    const name = t.name;
    if (typeof name !== 'string' || name.length > LIMITS.scopeNameMax || !SCOPE_PATTERN.test(name)) {
      fail(`keyTemplates[${i}].name must be a name such as "partner-readonly" (got ${JSON.stringify(name)})`);
    }
    if (out.some((o) => o.name === name)) fail(`keyTemplates: "${name}" is defined twice`);
    const at = (field: string) => `keyTemplates "${name}": ${field}`;
    for (const k of Object.keys(t)) if (!(TEMPLATE_FIELDS as readonly string[]).includes(k)) fail(`${at(k)} is not a template field (${TEMPLATE_FIELDS.join(', ')})`);
    if (t.description !== undefined && (typeof t.description !== 'string' || t.description.length > LIMITS.descriptionMax)) {
      fail(`${at('description')} must be a string of at most ${LIMITS.descriptionMax} characters`);
    }
    const scopes = t.scopes ?? [];
    if (!Array.isArray(scopes) || scopes.length > LIMITS.scopesMax || !scopes.every((s) => typeof s === 'string')) {
      fail(`${at('scopes')} must be an array of at most ${LIMITS.scopesMax} scope names`);
    }
    const unknown = (scopes as string[]).filter((s) => !knownScopes.includes(s));
    if (unknown.length > 0) fail(`${at('scopes')} names scopes this deployment does not define: ${unknown.join(', ')}`);
    let rateLimit: RateLimit | undefined;
    if (t.rateLimit !== undefined) {
      const r = readRateLimit(t.rateLimit);
      if (!('rateLimit' in r)) fail(`${at(r.member === undefined ? 'rateLimit' : `rateLimit.${r.member}`)} ${r.message}`);
      rateLimit = r.rateLimit;
    }
    if (t.quota !== undefined) {
      const q = t.quota;
      const ok =
        isObject(q) && Object.keys(q).every((k) => k === 'daily' || k === 'monthly') && (q.daily !== undefined || q.monthly !== undefined) &&
        (q.daily === undefined || isInt(q.daily, 1, LIMITS.dailyQuotaMax)) && (q.monthly === undefined || isInt(q.monthly, 1, LIMITS.monthlyQuotaMax)) &&
        (q.daily === undefined || q.monthly === undefined || (q.daily as number) <= (q.monthly as number));
      if (!ok) fail(`${at('quota')} must be {daily?: 1..${LIMITS.dailyQuotaMax}, monthly?: 1..${LIMITS.monthlyQuotaMax}} with at least one, daily not above monthly`);
    }
    if (t.expiresInDays !== undefined && !isInt(t.expiresInDays, 1, LIMITS.expiresInDaysMax)) {
      fail(`${at('expiresInDays')} must be a whole number of days from 1 to ${LIMITS.expiresInDaysMax}`);
    }
    if (t.environment !== undefined && !KEY_ENVIRONMENTS.includes(t.environment as KeyEnvironment)) fail(`${at('environment')} must be "live" or "test"`);
    let allowedIps: string[] | undefined;
    if (t.allowedIps !== undefined) {
      const ips = t.allowedIps;
      if (!Array.isArray(ips) || ips.length === 0 || ips.length > LIMITS.allowedIpsMax) fail(`${at('allowedIps')} must be an array of 1 to ${LIMITS.allowedIpsMax} CIDRs`);
      allowedIps = [];
      for (const ip of ips as unknown[]) {
        const n = typeof ip === 'string' ? normalizeCidr(ip) : undefined;
        if (n === undefined) fail(`${at('allowedIps')}: ${JSON.stringify(ip)} is not a valid IPv4 or IPv6 address or CIDR`);
        if (!allowedIps.includes(n)) allowedIps.push(n);
      }
    }
    out.push({
      name: name as string,
      ...(t.description !== undefined ? { description: t.description as string } : {}),
      scopes: [...new Set(scopes as string[])],
      ...(rateLimit ? { rateLimit } : {}),
      ...(t.quota !== undefined ? { quota: { ...(t.quota as Quota) } } : {}),
      ...(t.expiresInDays !== undefined ? { expiresInDays: t.expiresInDays as number } : {}),
      ...(t.environment !== undefined ? { environment: t.environment as KeyEnvironment } : {}),
      ...(allowedIps ? { allowedIps } : {}),
    });
  });
  const bytes = Buffer.byteLength(JSON.stringify(out));
  if (bytes > KEY_TEMPLATES_MAX_BYTES) {
    fail(`keyTemplates take ${bytes} bytes as JSON, over ${KEY_TEMPLATES_MAX_BYTES} (they travel in the keys Lambda's 4 KB environment): use fewer or shorter templates`);
  }
  return out;
}
