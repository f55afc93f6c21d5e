/**
 * Create a key: the form (scopes from /v1/scopes, templates from /v1/templates when there are
 * any), checked with the API's own parser before sending; the API's field errors land next to
 * their fields too. The new key's plaintext is shown once, then forgotten when the page is left.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { CreatedKey, FieldError, ScopeList, TemplateList } from '../../../packages/client/src/index';
import { KeygateProblemError } from '../api';
import { ErrorMessage } from '../components/error-message';
import { KeyReveal } from '../components/key-reveal';
import { buildCreateBody, type CreateFormValues, EMPTY_FORM, topField } from '../create-form';
import { href } from '../router';
import { useSession } from '../session-context';

const LABELS: Readonly<Record<string, string>> = {
  name: 'Name',
  description: 'Description',
  ownerId: 'Owner',
  template: 'Template',
  scopes: 'Scopes',
  environment: 'Environment',
  'rateLimit.limit': 'Requests per window',
  'rateLimit.windowSeconds': 'Window (seconds)',
  'rateLimit.policy': 'Rate-limit policy',
  'rateLimit.burst': 'Burst',
  rateLimit: 'Rate limit',
  'quota.daily': 'Daily quota',
  'quota.monthly': 'Monthly quota',
  quota: 'Quota',
  expiresInDays: 'Expires in (days)',
  expiresAt: 'Expiry',
  allowedIps: 'Allowed IPs',
  metadata: 'Metadata',
};

/** "Allowed IPs line 3", "Requests per window", or the API's own field path. */
function labelOf(field: string): string {
  const ip = /^allowedIps\[(\d+)\]$/.exec(field);
  if (ip) return `Allowed IPs line ${Number(ip[1]) + 1}`;
  return LABELS[field] ?? (field || 'The key');
}

/** The element id that shows a body member's errors (and that the summary links to). */
const INPUT_FOR: Readonly<Record<string, string>> = {
  name: 'f-name',
  description: 'f-description',
  ownerId: 'f-owner',
  template: 'f-template',
  scopes: 'f-scopes',
  environment: 'f-environment',
  rateLimit: 'f-rate-limit',
  quota: 'f-daily',
  expiresInDays: 'f-expires',
  expiresAt: 'f-expires',
  allowedIps: 'f-allowed-ips',
  metadata: 'f-metadata',
};

export function CreateKeyPage() {
  const session = useSession();
  const [values, setValues] = useState<CreateFormValues>(EMPTY_FORM);
  const [scopes, setScopes] = useState<ScopeList['items']>([]);
  const [templates, setTemplates] = useState<TemplateList['items']>([]);
  const [errors, setErrors] = useState<readonly FieldError[]>([]);
  const [failure, setFailure] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<CreatedKey | undefined>();
  const summary = useRef<HTMLDivElement>(null);

  useEffect(() => {
    document.title = 'Create key · Keygate console';
    session.guard((c) => c.listScopes()).then((s) => setScopes(s.items), setFailure);
    session.guard((c) => c.listTemplates()).then((t) => setTemplates(t.items), () => setTemplates([]));
  }, [session]);

  const set = <K extends keyof CreateFormValues>(name: K, value: CreateFormValues[K]): void => setValues((v) => ({ ...v, [name]: value }));

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setFailure(undefined);
    const { body, errors: found } = buildCreateBody(values, templates);
    setErrors(found);
    if (!body) {
      queueMicrotask(() => summary.current?.focus());
      return;
    }
    setBusy(true);
    try {
      const key = await session.guard((c) => c.createKey(body));
      setCreated(key);
      setValues(EMPTY_FORM);
    } catch (err) {
      if (err instanceof KeygateProblemError && err.errors.length) {
        setErrors(err.errors);
        queueMicrotask(() => summary.current?.focus());
      } else {
        setFailure(err);
      }
    } finally {
      setBusy(false);
    }
  };

  if (created) {
    return (
      <>
        <h1>Create key</h1>
        <KeyReveal plaintext={created.key} heading={`Key created: ${created.name}`} />
        <p class="actions">
          <a class="button secondary" href={href.key(created.id)}>
            Open {created.name}
          </a>
          <button type="button" class="secondary" onClick={() => setCreated(undefined)}>
            Create another key
          </button>
        </p>
      </>
    );
  }

  const errorsOf = (member: string): readonly FieldError[] => errors.filter((e) => topField(e.field) === member);
  const described = (member: string, help?: string): Record<string, string | undefined> => ({
    'aria-invalid': errorsOf(member).length ? 'true' : undefined,
    'aria-describedby': [help, errorsOf(member).length ? `err-${member}` : undefined].filter(Boolean).join(' ') || undefined,
  });

  return (
    <>
      <h1>Create key</h1>
      {errors.length ? (
        <div class="error-summary" role="alert" tabIndex={-1} ref={summary}>
          <h2>The key was not created: {errors.length === 1 ? 'one field needs' : `${errors.length} fields need`} a change</h2>
          <ul>
            {errors.map((e, i) => (
              <li key={i}>
                <a href={`#/create`} onClick={(ev) => (ev.preventDefault(), document.getElementById(INPUT_FOR[topField(e.field)] ?? 'f-name')?.focus())}>
                  {labelOf(e.field)} {e.message}
                </a>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      <ErrorMessage error={failure} />
      <form class="card form" onSubmit={submit} noValidate aria-label="New key">
        <Field id="f-name" label="Name" errors={errorsOf('name')} member="name">
          <input id="f-name" type="text" required maxLength={128} value={values.name} onInput={(e) => set('name', e.currentTarget.value)} {...described('name')} />
        </Field>
        <Field id="f-description" label="Description (optional)" errors={errorsOf('description')} member="description">
          <textarea id="f-description" rows={2} value={values.description} onInput={(e) => set('description', e.currentTarget.value)} {...described('description')} />
        </Field>
        {session.isAdmin ? (
          <Field id="f-owner" label="Owner" errors={errorsOf('ownerId')} member="ownerId" help={`Empty for your own owner (${session.who.ownerId}).`}>
            <input id="f-owner" type="text" value={values.ownerId} onInput={(e) => set('ownerId', e.currentTarget.value)} {...described('ownerId', 'f-owner-help')} />
          </Field>
        ) : null}
        {templates.length ? (
          <Field id="f-template" label="Template" errors={errorsOf('template')} member="template" help="Fields you leave empty come from the template.">
            <select id="f-template" value={values.template} onChange={(e) => set('template', e.currentTarget.value)} {...described('template', 'f-template-help')}>
              <option value="">No template</option>
              {templates.map((t) => (
                <option key={t.name} value={t.name}>
                  {t.name}
                  {t.description ? ` — ${t.description}` : ''}
                </option>
              ))}
            </select>
          </Field>
        ) : null}
        <fieldset id="f-scopes" tabIndex={-1} {...described('scopes')}>
          <legend>Scopes</legend>
          {scopes.map((s) => (
            <label key={s.name} class="choice">
              <input
                type="checkbox"
                name="scopes"
                value={s.name}
                checked={values.scopes.includes(s.name)}
                onChange={(e) => set('scopes', e.currentTarget.checked ? [...values.scopes, s.name] : values.scopes.filter((x) => x !== s.name))}
              />
              <span>
                <code>{s.name}</code> — {s.description}
              </span>
            </label>
          ))}
          <FieldErrors member="scopes" errors={errorsOf('scopes')} />
        </fieldset>
        <Field id="f-environment" label="Environment" errors={errorsOf('environment')} member="environment">
          <select id="f-environment" value={values.environment} onChange={(e) => set('environment', e.currentTarget.value as CreateFormValues['environment'])} {...described('environment')}>
            <option value="">Default (live, or the template's)</option>
            <option value="live">live (kg_live_…)</option>
            <option value="test">test (kg_test_…)</option>
          </select>
        </Field>
        <fieldset id="f-rate-limit" tabIndex={-1} {...described('rateLimit')}>
          <legend>Rate limit (optional)</legend>
          <div class="row">
            <div class="field">
              <label for="f-limit">Requests per window</label>
              <input id="f-limit" type="text" inputMode="numeric" value={values.rateLimit} onInput={(e) => set('rateLimit', e.currentTarget.value)} />
            </div>
            <div class="field">
              <label for="f-window">Window (seconds)</label>
              <input id="f-window" type="text" inputMode="numeric" value={values.windowSeconds} onInput={(e) => set('windowSeconds', e.currentTarget.value)} />
            </div>
          </div>
          <div class="row">
            <div class="field">
              <label for="f-policy">Rate-limit policy</label>
              <select id="f-policy" value={values.policy} onChange={(e) => set('policy', e.currentTarget.value as CreateFormValues['policy'])} aria-describedby="f-policy-help">
                <option value="">Default (fixed window)</option>
                <option value="fixed">Fixed window</option>
                <option value="sliding">Sliding window</option>
                <option value="tokenBucket">Token bucket</option>
              </select>
            </div>
            {values.policy === 'tokenBucket' ? (
              <div class="field">
                <label for="f-burst">Burst (token bucket capacity, optional)</label>
                <input id="f-burst" type="text" inputMode="numeric" value={values.burst} onInput={(e) => set('burst', e.currentTarget.value)} aria-describedby="f-burst-help" />
                <p id="f-burst-help" class="help">
                  The most requests at once from a full bucket. Empty: the requests per window.
                </p>
              </div>
            ) : null}
          </div>
          <p id="f-policy-help" class="help">
            Fixed: windows aligned to the clock, so up to twice the limit can pass around a window boundary. Sliding: never more than the limit in any window-long
            interval. Token bucket: refills the limit per window and lets a burst through at once.
          </p>
          <FieldErrors member="rateLimit" errors={errorsOf('rateLimit')} />
        </fieldset>
        <fieldset {...described('quota')}>
          <legend>Quota (optional)</legend>
          <div class="row">
            <div class="field">
              <label for="f-daily">Daily quota</label>
              <input id="f-daily" type="text" inputMode="numeric" value={values.daily} onInput={(e) => set('daily', e.currentTarget.value)} />
            </div>
            <div class="field">
              <label for="f-monthly">Monthly quota</label>
              <input id="f-monthly" type="text" inputMode="numeric" value={values.monthly} onInput={(e) => set('monthly', e.currentTarget.value)} />
            </div>
          </div>
          <FieldErrors member="quota" errors={errorsOf('quota')} />
        </fieldset>
        <Field id="f-expires" label="Expires in (days, optional)" errors={[...errorsOf('expiresInDays'), ...errorsOf('expiresAt')]} member="expiresInDays" help="Empty: the key does not expire (or the template's expiry).">
          <input id="f-expires" type="text" inputMode="numeric" value={values.expiresInDays} onInput={(e) => set('expiresInDays', e.currentTarget.value)} {...described('expiresInDays', 'f-expires-help')} />
        </Field>
        <Field id="f-allowed-ips" label="Allowed IPs (optional)" errors={errorsOf('allowedIps')} member="allowedIps" help="One address or CIDR per line, e.g. 203.0.113.0/24. Empty: any address.">
          <textarea id="f-allowed-ips" rows={3} class="mono" value={values.allowedIps} onInput={(e) => set('allowedIps', e.currentTarget.value)} {...described('allowedIps', 'f-allowed-ips-help')} />
        </Field>
        <Field id="f-metadata" label="Metadata (optional)" errors={errorsOf('metadata')} member="metadata" help='A JSON object, e.g. {"team": "payments"}. Encrypted at rest.'>
          <textarea id="f-metadata" rows={3} class="mono" value={values.metadata} onInput={(e) => set('metadata', e.currentTarget.value)} {...described('metadata', 'f-metadata-help')} />
        </Field>
        <FieldErrors member="" errors={errorsOf('')} />
        <div class="actions">
          <button type="submit" disabled={busy}>
            Create key
          </button>
        </div>
      </form>
    </>
  );
}

function Field({ id, label, help, errors, member, children }: { readonly id: string; readonly label: string; readonly help?: string; readonly errors: readonly FieldError[]; readonly member: string; readonly children: ComponentChildren }) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children}
      {help ? (
        <p id={`${id}-help`} class="help">
          {help}
        </p>
      ) : null}
      <FieldErrors member={member} errors={errors} />
    </div>
  );
}

function FieldErrors({ member, errors }: { readonly member: string; readonly errors: readonly FieldError[] }) {
  if (!errors.length) return null;
  return (
    <ul id={`err-${member}`} class="field-errors">
      {errors.map((e, i) => (
        <li key={i}>
          {labelOf(e.field)} {e.message}
        </li>
      ))}
    </ul>
  );
}
