/**
 * The shell: the sign-in page until a key is accepted, then a header (caller, navigation,
 * "Sign out") and the page the URL hash names. The key is read back from sessionStorage on
 * reload, and checked again with GET /v1/whoami before anything is shown.
 */
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import type { KeygateClient, Whoami } from '../../packages/client/src/index';
import { describeError, isProblem, makeClient } from './api';
import { AuditPage } from './pages/audit';
import { CreateKeyPage } from './pages/create-key';
import { KeyDetailPage } from './pages/key-detail';
import { KeysListPage } from './pages/keys-list';
import { SignInPage } from './pages/sign-in';
import { href, useRoute } from './router';
import { clearSession, readSessionKey } from './session';
import { type Session, SessionContext, useSession } from './session-context';

interface Signed {
  readonly client: KeygateClient;
  readonly who: Whoami;
}

export function App() {
  const [signed, setSigned] = useState<Signed | undefined>();
  const [restoring, setRestoring] = useState(() => readSessionKey() !== undefined);
  const [notice, setNotice] = useState<string | undefined>();

  const signOut = useCallback((why?: string) => {
    clearSession();
    setSigned(undefined);
    setNotice(why);
  }, []);

  // A reload keeps the session (sessionStorage) but asks the API again who the key is.
  useEffect(() => {
    const key = readSessionKey();
    if (key === undefined) return;
    let client: KeygateClient;
    try {
      client = makeClient(key);
    } catch {
      signOut();
      setRestoring(false);
      return;
    }
    client
      .whoami()
      .then((who) => setSigned({ client, who }))
      .catch((err: unknown) => signOut(isProblem(err, 401) ? 'Your session ended: the key is no longer accepted. Sign in again.' : describeError(err)))
      .finally(() => setRestoring(false));
  }, [signOut]);

  const session = useMemo<Session | undefined>(() => {
    if (!signed) return undefined;
    const { client, who } = signed;
    return {
      client,
      who,
      isAdmin: who.scopes.includes('admin'),
      canWrite: who.scopes.includes('admin') || who.scopes.includes('keys:write'),
      guard: async (call) => {
        try {
          return await call(client);
        } catch (err) {
          if (isProblem(err, 401)) signOut('Your session ended: the key is no longer accepted (it may have been revoked, rotated or expired). Sign in again.');
          throw err;
        }
      },
    };
  }, [signed, signOut]);

  if (restoring) {
    return (
      <main id="main" class="narrow">
        <h1>Keygate console</h1>
        <p role="status">Checking your session…</p>
      </main>
    );
  }
  if (!session) {
    return (
      <SignInPage
        notice={notice}
        onSignedIn={(client, who) => {
          setNotice(undefined);
          setSigned({ client, who });
        }}
      />
    );
  }
  return (
    <SessionContext.Provider value={session}>
      <Shell onSignOut={() => signOut('You signed out. The key was removed from this browser tab.')} />
    </SessionContext.Provider>
  );
}

function Shell({ onSignOut }: { readonly onSignOut: () => void }) {
  const route = useRoute();
  const session = useSession();
  const { who } = session;
  const current = route.page === 'key' ? 'keys' : route.page;
  return (
    <>
      <a class="skip" href="#main" onClick={skipToMain}>
        Skip to content
      </a>
      <header class="top">
        <p class="brand">Keygate console</p>
        <nav aria-label="Main">
          <ul>
            <li>
              <a href={href.keys} aria-current={current === 'keys' ? 'page' : undefined}>
                Keys
              </a>
            </li>
            {session.canWrite ? (
              <li>
                <a href={href.create} aria-current={current === 'create' ? 'page' : undefined}>
                  New key
                </a>
              </li>
            ) : null}
            <li>
              <a href={href.audit} aria-current={current === 'audit' ? 'page' : undefined}>
                Audit log
              </a>
            </li>
          </ul>
        </nav>
        <div class="caller" role="group" aria-label="Signed in as">
          <span>
            Owner <strong>{who.ownerId}</strong>
          </span>
          <span>
            Scopes <strong>{who.scopes.length ? who.scopes.join(', ') : 'none'}</strong>
          </span>
          <button type="button" class="secondary" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {route.page === 'keys' ? <KeysListPage /> : null}
        {route.page === 'key' ? <KeyDetailPage key={route.id} id={route.id} /> : null}
        {route.page === 'create' ? <CreateKeyPage /> : null}
        {route.page === 'audit' ? <AuditPage /> : null}
        {route.page === 'not-found' ? (
          <>
            <h1>Page not found</h1>
            <p>
              Nothing lives at this address. <a href={href.keys}>Go to the keys</a>.
            </p>
          </>
        ) : null}
      </main>
    </>
  );
}

/** The skip link moves focus without changing the hash (the hash is the route). */
function skipToMain(event: MouseEvent): void {
  event.preventDefault();
  document.getElementById('main')?.focus();
}
