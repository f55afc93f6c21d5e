/**
 * One key: its fields, live counters (GET /v1/keys/{id}/usage), requests per day over the last
 * 14 days when usage analytics exists, its audit trail when the caller may read the audit log,
 * and "Rotate" / "Revoke".
 */
import { useEffect, useState } from 'preact/hooks';
import type { AuditEntry, KeyUsage, KeyView, RotatedKey, UsageDay } from '../../../packages/client/src/index';
import { isProblem } from '../api';
import { Dialog } from '../components/dialog';
import { ErrorMessage } from '../components/error-message';
import { KeyReveal } from '../components/key-reveal';
import { StatusBadge } from '../components/status-badge';
import { fillDays, UsageChart } from '../components/usage-chart';
import { formatDuration, formatTime } from '../format';
import { href } from '../router';
import { useSession } from '../session-context';
import { AuditTable } from './audit';

const HISTORY_DAYS = 14;

export const GRACE_CHOICES: readonly { readonly seconds: number; readonly label: string }[] = [
  { seconds: 0, label: 'None: the old key stops working now' },
  { seconds: 3600, label: '1 hour' },
  { seconds: 86400, label: '1 day' },
  { seconds: 7 * 86400, label: '7 days' },
];

export function KeyDetailPage({ id }: { readonly id: string }) {
  const session = useSession();
  const [key, setKey] = useState<KeyView | undefined>();
  const [error, setError] = useState<unknown>();
  const [rotated, setRotated] = useState<RotatedKey | undefined>();
  const [dialog, setDialog] = useState<'rotate' | 'revoke' | undefined>();
  const [reloads, setReloads] = useState(0);

  useEffect(() => {
    let live = true;
    session
      .guard((c) => c.getKey(id))
      .then((k) => {
        if (!live) return;
        setKey(k);
        document.title = `${k.name} · Keygate console`;
      })
      .catch((err: unknown) => live && setError(err));
    return () => {
      live = false;
    };
  }, [id, reloads, session]);

  if (error && !key) {
    return (
      <>
        <h1>Key not found</h1>
        {isProblem(error, 404) ? <p>No key {id} is visible to your key: it does not exist, or it belongs to another owner.</p> : <ErrorMessage error={error} />}
        <p>
          <a href={href.keys}>Back to the keys</a>
        </p>
      </>
    );
  }
  if (!key) return <p role="status">Loading key…</p>;

  const active = key.status === 'active';
  return (
    <>
      <p>
        <a href={href.keys}>← Keys</a>
      </p>
      <div class="title-row">
        <h1>{key.name}</h1>
        <StatusBadge status={key.status} />
      </div>
      {session.canWrite && key.status !== 'revoked' ? (
        <div class="actions">
          {active && !key.replacedBy ? (
            <button type="button" onClick={() => setDialog('rotate')}>
              Rotate
            </button>
          ) : null}
          <button type="button" class="danger" onClick={() => setDialog('revoke')}>
            Revoke
          </button>
        </div>
      ) : null}
      {rotated ? (
        <>
          <KeyReveal plaintext={rotated.key} heading="The replacement key" />
          <p>
            <a href={href.key(rotated.id)}>Open the replacement key</a>.{' '}
            {rotated.previous.status === 'revoked' ? 'This key was revoked at once.' : `This key keeps working until ${formatTime(rotated.previous.expiresAt)}.`}
          </p>
        </>
      ) : null}
      <KeyFields k={key} />
      <LiveUsage id={key.id} />
      <UsageHistory id={key.id} />
      <KeyAudit id={key.id} />
      <RotateDialog
        open={dialog === 'rotate'}
        k={key}
        onClose={() => setDialog(undefined)}
        onRotated={(r) => {
          setRotated(r);
          setDialog(undefined);
          setReloads((n) => n + 1);
        }}
      />
      <RevokeDialog
        open={dialog === 'revoke'}
        k={key}
        onClose={() => setDialog(undefined)}
        onRevoked={(k) => {
          setKey(k);
          setDialog(undefined);
        }}
      />
    </>
  );
}

/** How a rate limit counts, in words: absent = fixed (keys created before policies existed). */
function policyText(r: NonNullable<KeyView['rateLimit']>): string {
  if (r.policy === 'sliding') return 'sliding window';
  if (r.policy === 'tokenBucket') return `token bucket, burst ${r.burst ?? r.limit}`;
  return 'fixed window';
}

function KeyFields({ k }: { readonly k: KeyView }) {
  const rows: [string, preact.ComponentChildren][] = [
    ['Key id', <code>{k.id}</code>],
    ['Key prefix', <code>{k.start}…</code>],
    ['Owner', k.ownerId],
    ['Environment', k.environment],
    ['Scopes', k.scopes.length ? k.scopes.join(', ') : 'none'],
    ['Rate limit', k.rateLimit ? `${k.rateLimit.limit} requests per ${formatDuration(k.rateLimit.windowSeconds)}, ${policyText(k.rateLimit)}` : 'Deployment default'],
    ['Quota', k.quota ? [k.quota.daily !== undefined ? `${k.quota.daily} per day` : '', k.quota.monthly !== undefined ? `${k.quota.monthly} per month` : ''].filter(Boolean).join(', ') : 'None'],
    ['Allowed IPs', k.allowedIps?.length ? k.allowedIps.join(', ') : 'Any address'],
    ['Expires', k.expiresAt ? formatTime(k.expiresAt) : 'Never'],
    ['Last used', k.lastUsedAt ? formatTime(k.lastUsedAt) : 'Not yet'],
    ['Created', `${formatTime(k.createdAt)} by ${k.createdBy}`],
  ];
  if (k.revokedAt) rows.push(['Revoked', formatTime(k.revokedAt)]);
  if (k.template) rows.push(['Template', k.template]);
  if (k.replaces) rows.push(['Replaces', <a href={href.key(k.replaces)}>{k.replaces}</a>]);
  if (k.replacedBy) rows.push(['Replaced by', <a href={href.key(k.replacedBy)}>{k.replacedBy}</a>]);
  if (k.description) rows.push(['Description', k.description]);
  if (k.metadata) rows.push(['Metadata', <pre class="inline">{JSON.stringify(k.metadata, null, 2)}</pre>]);
  return (
    <section aria-labelledby="fields-heading">
      <h2 id="fields-heading">Details</h2>
      <dl class="fields">
        {rows.map(([term, value]) => (
          <div key={term}>
            <dt>{term}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

function LiveUsage({ id }: { readonly id: string }) {
  const session = useSession();
  const [usage, setUsage] = useState<KeyUsage | undefined>();
  const [error, setError] = useState<unknown>();
  const [ticks, setTicks] = useState(0);
  useEffect(() => {
    let live = true;
    session
      .guard((c) => c.keyUsage(id))
      .then((u) => live && (setUsage(u), setError(undefined)))
      .catch((err: unknown) => live && setError(err));
    return () => {
      live = false;
    };
  }, [id, ticks, session]);
  const windows = usage
    ? [
        usage.rateLimit ? { name: `Rate limit (${formatDuration(usage.rateLimit.windowSeconds)} window)`, ...usage.rateLimit } : undefined,
        usage.quota.daily ? { name: 'Daily quota', ...usage.quota.daily } : undefined,
        usage.quota.monthly ? { name: 'Monthly quota', ...usage.quota.monthly } : undefined,
      ].filter((w) => w !== undefined)
    : [];
  return (
    <section aria-labelledby="usage-heading">
      <div class="title-row">
        <h2 id="usage-heading">Live usage</h2>
        <button type="button" class="secondary" onClick={() => setTicks((n) => n + 1)}>
          Refresh usage
        </button>
      </div>
      <ErrorMessage error={error} />
      {usage && windows.length === 0 ? <p>This key has no rate limit or quota of its own, so there are no counters to show.</p> : null}
      {windows.length ? (
        <table>
          <caption class="sr-only">Live usage counters</caption>
          <thead>
            <tr>
              <th scope="col">Limit</th>
              <th scope="col">Used</th>
              <th scope="col">Allowed</th>
              <th scope="col">Remaining</th>
              <th scope="col">Resets</th>
            </tr>
          </thead>
          <tbody>
            {windows.map((w) => (
              <tr key={w.name}>
                <td>{w.name}</td>
                <td>{w.used}</td>
                <td>{w.limit}</td>
                <td>{w.remaining}</td>
                <td>{formatTime(w.resetAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

type HistoryState =
  | { readonly kind: 'loading' }
  | { readonly kind: 'running' }
  | { readonly kind: 'ready'; readonly days: UsageDay[]; readonly truncated: boolean }
  | { readonly kind: 'off' }
  | { readonly kind: 'error'; readonly error: unknown };

function UsageHistory({ id }: { readonly id: string }) {
  const session = useSession();
  const [state, setState] = useState<HistoryState>({ kind: 'loading' });
  useEffect(() => {
    const abort = new AbortController();
    const today = new Date();
    const to = today.toISOString().slice(0, 10);
    const from = new Date(today.getTime() - (HISTORY_DAYS - 1) * 86_400_000).toISOString().slice(0, 10);
    session
      .guard((c) =>
        c.keyUsage(id, { from, to }, { signal: abort.signal, maxWaitMs: 120_000, onRunning: () => setState({ kind: 'running' }) }),
      )
      .then((u) => setState({ kind: 'ready', days: fillDays(u.history.from, u.history.to, u.history.days), truncated: u.history.truncated }))
      .catch((err: unknown) => {
        if (abort.signal.aborted) return;
        setState(isProblem(err, 404, 'usage_analytics_off') ? { kind: 'off' } : { kind: 'error', error: err });
      });
    return () => abort.abort();
  }, [id, session]);
  return (
    <section aria-labelledby="history-heading">
      <h2 id="history-heading">Requests per day, last {HISTORY_DAYS} days</h2>
      {state.kind === 'loading' ? <p role="status">Loading usage history…</p> : null}
      {state.kind === 'running' ? <p role="status">Still computing the usage history; it appears here when the query finishes.</p> : null}
      {state.kind === 'off' ? <p class="note">Usage history is not available: this deployment has usage analytics turned off (keygate:usageAnalytics).</p> : null}
      {state.kind === 'error' ? <ErrorMessage error={state.error} /> : null}
      {state.kind === 'ready' ? (
        <>
          <UsageChart days={state.days} />
          {state.truncated ? <p class="note">More rows matched than one report holds; some days are left out.</p> : null}
        </>
      ) : null}
    </section>
  );
}

function KeyAudit({ id }: { readonly id: string }) {
  const session = useSession();
  const [entries, setEntries] = useState<readonly AuditEntry[] | undefined>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    let live = true;
    session
      .guard((c) => c.listAudit({ keyId: id, limit: 20 }))
      .then((page) => live && setEntries(page.items))
      .catch((err: unknown) => live && setError(err));
    return () => {
      live = false;
    };
  }, [id, session]);
  return (
    <section aria-labelledby="audit-heading">
      <h2 id="audit-heading">Audit trail</h2>
      {isProblem(error, 403) ? (
        <p class="note">The audit trail is hidden: your key cannot read the audit log (it needs the audit:read scope).</p>
      ) : (
        <ErrorMessage error={error} />
      )}
      {entries === undefined && error === undefined ? <p role="status">Loading the audit trail…</p> : null}
      {entries ? (
        <>
          <AuditTable entries={entries} caption="Audit trail of this key" />
          <p>
            <a href={`${href.audit}`}>Open the audit log</a> for older entries and other keys.
          </p>
        </>
      ) : null}
    </section>
  );
}

function RotateDialog({ open, k, onClose, onRotated }: { readonly open: boolean; readonly k: KeyView; readonly onClose: () => void; readonly onRotated: (r: RotatedKey) => void }) {
  const session = useSession();
  const [grace, setGrace] = useState(86400);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onRotated(await session.guard((c) => c.rotateKey(k.id, { gracePeriodSeconds: grace })));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog title={`Rotate ${k.name}`} open={open} onClose={onClose}>
      <form onSubmit={submit}>
        <p>A new key with the same settings replaces this one. Its plaintext is shown once, after you confirm.</p>
        <fieldset>
          <legend>Grace period: how long the old key keeps working</legend>
          {GRACE_CHOICES.map((c) => (
            <label key={c.seconds} class="choice">
              <input type="radio" name="grace" value={String(c.seconds)} checked={grace === c.seconds} onChange={() => setGrace(c.seconds)} />
              {c.label}
            </label>
          ))}
        </fieldset>
        <ErrorMessage error={error} />
        <div class="actions">
          <button type="submit" disabled={busy}>
            Rotate key
          </button>
          <button type="button" class="secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function RevokeDialog({ open, k, onClose, onRevoked }: { readonly open: boolean; readonly k: KeyView; readonly onClose: () => void; readonly onRevoked: (k: KeyView) => void }) {
  const session = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const confirm = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      onRevoked(await session.guard((c) => c.revokeKey(k.id)));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog title={`Revoke ${k.name}?`} open={open} onClose={onClose}>
      <p>
        Requests with this key (<code>{k.start}…</code>) are refused from now on, once the authorizer's cache lets go of it. A revoked key cannot be brought back.
      </p>
      <ErrorMessage error={error} />
      <div class="actions">
        <button type="button" class="danger" disabled={busy} onClick={() => void confirm()}>
          Revoke key
        </button>
        <button type="button" class="secondary" onClick={onClose} autoFocus>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}
