/**
 * The audit log (GET /v1/audit), newest first, filtered by action and key, a page at a time.
 * A key without audit:read gets a 403 from the API, and this page says so.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { AuditEntry, AuditQuery } from '../../../packages/client/src/index';
import { AUDIT_ACTIONS as ACTIONS } from '../../../core/audit';
import { isProblem } from '../api';
import { ErrorMessage } from '../components/error-message';
import { formatTime } from '../format';
import { href } from '../router';
import { useSession } from '../session-context';


function actor(e: AuditEntry): string {
  if (e.actor.type === 'key') return `${e.actor.keyId ?? 'a key'}${e.actor.ownerId ? ` (${e.actor.ownerId})` : ''}`;
  return e.actor.type;
}

function changes(e: AuditEntry): string {
  if (!e.changes.length) return '—';
  return e.changes.map((c) => (c.sealed ? `${c.field} (sealed)` : c.field)).join(', ');
}

export function AuditTable({ entries, caption }: { readonly entries: readonly AuditEntry[]; readonly caption: string }) {
  return (
    <div class="table-wrap">
      <table>
        <caption class="sr-only">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Action</th>
            <th scope="col">Outcome</th>
            <th scope="col">Key</th>
            <th scope="col">Actor</th>
            <th scope="col">Changed</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr key={e.id}>
              <td>{formatTime(e.at)}</td>
              <td>{e.action}</td>
              <td>{e.outcome === 'denied' ? `Denied${e.reason ? ` (${e.reason})` : ''}` : 'Success'}</td>
              <td>{e.target.keyId ? <a href={href.key(e.target.keyId)}>{e.target.keyId}</a> : e.target.ownerId}</td>
              <td>{actor(e)}</td>
              <td>{changes(e)}</td>
            </tr>
          ))}
          {entries.length === 0 ? (
            <tr>
              <td colSpan={6}>No audit entries.</td>
            </tr>
          ) : null}
        </tbody>
      </table>
    </div>
  );
}

export function AuditPage() {
  const session = useSession();
  const [action, setAction] = useState('');
  const [keyId, setKeyId] = useState('');
  const [applied, setApplied] = useState<{ action: string; keyId: string }>({ action: '', keyId: '' });
  const [items, setItems] = useState<readonly AuditEntry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>();
  const latest = useRef(0);

  useEffect(() => {
    document.title = 'Audit log · Keygate console';
  }, []);

  const load = async (after: string | null): Promise<void> => {
    const ticket = ++latest.current;
    setLoading(true);
    setError(undefined);
    const query: AuditQuery = { limit: 50 };
    if (applied.action) query.action = applied.action as AuditQuery['action'];
    if (applied.keyId) query.keyId = applied.keyId;
    if (after) query.cursor = after;
    try {
      const page = await session.guard((c) => c.listAudit(query));
      if (ticket !== latest.current) return;
      setItems((prev) => (after ? [...prev, ...page.items] : page.items));
      setCursor(page.nextCursor);
    } catch (err) {
      if (ticket === latest.current) setError(err);
    } finally {
      if (ticket === latest.current) setLoading(false);
    }
  };

  useEffect(() => {
    void load(null);
    // Reloads from the first page when the applied filters change.
  }, [applied]);

  return (
    <>
      <h1>Audit log</h1>
      <form
        class="filters"
        aria-label="Filter the audit log"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied({ action, keyId: keyId.trim() });
        }}
      >
        <div class="field">
          <label for="audit-action">Action</label>
          <select id="audit-action" value={action} onChange={(e) => setAction(e.currentTarget.value)}>
            <option value="">All actions</option>
            {ACTIONS.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="audit-key">Key id</label>
          <input id="audit-key" type="text" value={keyId} onInput={(e) => setKeyId(e.currentTarget.value)} placeholder="key_…" />
        </div>
        <div class="field end">
          <button type="submit">Apply filters</button>
        </div>
      </form>
      {isProblem(error, 403) ? <p class="note">Your key cannot read the audit log: it needs the audit:read scope (or admin).</p> : <ErrorMessage error={error} />}
      {isProblem(error, 403) ? null : (
        <>
          <p role="status" class="help">
            {loading ? 'Loading audit entries…' : `${items.length} entr${items.length === 1 ? 'y' : 'ies'} loaded.`}
          </p>
          <AuditTable entries={items} caption="Audit log" />
          {cursor ? (
            <button type="button" class="secondary" disabled={loading} onClick={() => void load(cursor)}>
              Load more
            </button>
          ) : null}
        </>
      )}
    </>
  );
}
