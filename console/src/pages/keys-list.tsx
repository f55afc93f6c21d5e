/**
 * Keys, newest first, a page at a time ("Load more" follows nextCursor). Status and owner filter
 * on the server; the search box filters the pages loaded so far by name, id or prefix (the API
 * has no search). Tenants see only their owner's keys: the API decides that, not this page.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { KeyView, ListKeysQuery } from '../../../packages/client/src/index';
import { ErrorMessage } from '../components/error-message';
import { StatusBadge } from '../components/status-badge';
import { formatTime } from '../format';
import { href } from '../router';
import { useSession } from '../session-context';

const PAGE_SIZE = 25;
type StatusFilter = '' | 'active' | 'expired' | 'revoked';

export function matchesSearch(key: KeyView, search: string): boolean {
  const needle = search.trim().toLowerCase();
  if (needle === '') return true;
  return [key.name, key.id, key.start].some((text) => text.toLowerCase().includes(needle));
}

export function KeysListPage() {
  const session = useSession();
  const [status, setStatus] = useState<StatusFilter>('');
  const [owner, setOwner] = useState('');
  const [search, setSearch] = useState('');
  const [items, setItems] = useState<readonly KeyView[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>();
  /** Only the latest request may fill the table (a slow first page must not land after a filter change). */
  const latest = useRef(0);

  useEffect(() => {
    document.title = 'Keys · Keygate console';
  }, []);

  const load = async (after: string | null): Promise<void> => {
    setLoading(true);
    setError(undefined);
    const query: ListKeysQuery = { limit: PAGE_SIZE };
    if (status) query.status = status;
    if (session.isAdmin && owner.trim()) query.ownerId = owner.trim();
    if (after) query.cursor = after;
    const ticket = ++latest.current;
    try {
      const page = await session.guard((c) => c.listKeys(query));
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
    // Reloads from the first page when a server-side filter changes.
  }, [status, owner]);

  const shown = items.filter((k) => matchesSearch(k, search));
  const scope = session.isAdmin ? 'all owners' : `owner ${session.who.ownerId}`;

  return (
    <>
      <div class="title-row">
        <h1>Keys</h1>
        {session.canWrite ? (
          <a class="button" href={href.create}>
            New key
          </a>
        ) : null}
      </div>
      <form class="filters" role="search" aria-label="Filter keys" onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="search">Search keys</label>
          <input id="search" type="search" value={search} onInput={(e) => setSearch(e.currentTarget.value)} aria-describedby="search-help" />
          <p id="search-help" class="help">
            Name, id or prefix, among the keys loaded below.
          </p>
        </div>
        <div class="field">
          <label for="status">Status</label>
          <select id="status" value={status} onChange={(e) => setStatus(e.currentTarget.value as StatusFilter)}>
            <option value="">All statuses</option>
            <option value="active">Active</option>
            <option value="expired">Expired</option>
            <option value="revoked">Revoked</option>
          </select>
        </div>
        {session.isAdmin ? (
          <div class="field">
            <label for="owner">Owner</label>
            <input id="owner" type="text" defaultValue={owner} onChange={(e) => setOwner(e.currentTarget.value)} aria-describedby="owner-help" />
            <p id="owner-help" class="help">
              Exact owner id; empty for every owner. Press Enter to apply.
            </p>
          </div>
        ) : null}
      </form>
      <ErrorMessage error={error} />
      <p role="status" class="help">
        {loading ? 'Loading keys…' : `${shown.length} of ${items.length} loaded key${items.length === 1 ? '' : 's'} shown (${scope}).`}
      </p>
      <div class="table-wrap">
        <table>
          <caption class="sr-only">Keys</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Key</th>
              <th scope="col">Owner</th>
              <th scope="col">Status</th>
              <th scope="col">Scopes</th>
              <th scope="col">Created</th>
              <th scope="col">Expires</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((k) => (
              <tr key={k.id}>
                <td>
                  <a href={href.key(k.id)}>{k.name}</a>
                </td>
                <td>
                  <code>{k.start}…</code>
                </td>
                <td>{k.ownerId}</td>
                <td>
                  <StatusBadge status={k.status} />
                </td>
                <td>{k.scopes.length ? k.scopes.join(', ') : '—'}</td>
                <td>{formatTime(k.createdAt)}</td>
                <td>{k.expiresAt ? formatTime(k.expiresAt) : 'Never'}</td>
              </tr>
            ))}
            {!loading && shown.length === 0 ? (
              <tr>
                <td colSpan={7}>{items.length === 0 ? 'No keys yet.' : 'No loaded key matches the search.'}</td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
      {cursor ? (
        <button type="button" class="secondary" disabled={loading} onClick={() => void load(cursor)}>
          Load more
        </button>
      ) : null}
    </>
  );
}
