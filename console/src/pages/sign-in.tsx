/**
 * Sign in by pasting a key. The key is checked with GET /v1/whoami and stored (sessionStorage
 * only) once the API accepts it and it can read keys; a refused key stores nothing.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { KeygateClient, Whoami } from '../../../packages/client/src/index';
import { describeError, isProblem, KeygateProblemError, makeClient } from '../api';
import { storeSessionKey } from '../session';

/** Reading keys is the least the console needs; admin implies it. */
const MANAGEMENT_SCOPES = ['admin', 'keys:read'];

export function SignInPage({ notice, onSignedIn }: { readonly notice?: string; readonly onSignedIn: (client: KeygateClient, who: Whoami) => void }) {
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    document.title = 'Sign in · Keygate console';
    input.current?.focus();
  }, []);

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    const field = input.current!;
    const key = field.value.trim();
    setError(undefined);
    if (key === '') {
      setError('Paste an API key to sign in.');
      field.focus();
      return;
    }
    let client: KeygateClient;
    try {
      client = makeClient(key);
    } catch {
      setError('This key was not accepted: it contains characters no API key has (spaces inside, line breaks). Nothing was stored.');
      return;
    }
    setBusy(true);
    try {
      const who = await client.whoami({ retry: false });
      if (!who.scopes.some((s) => MANAGEMENT_SCOPES.includes(s))) {
        setError(`This key was accepted but cannot manage keys: it holds ${who.scopes.length ? who.scopes.join(', ') : 'no scopes'}; the console needs keys:read (and keys:write to change keys) or admin. Nothing was stored.`);
        return;
      }
      storeSessionKey(key);
      field.value = '';
      onSignedIn(client, who);
    } catch (err) {
      if (isProblem(err, 401) && err instanceof KeygateProblemError) {
        setError(`This key was not accepted: ${err.detail} Nothing was stored.`);
      } else {
        setError(describeError(err));
      }
      field.select();
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="narrow">
      <h1>Keygate console</h1>
      <p>Sign in with an API key that can manage keys (scope keys:read or admin). The key stays in this browser tab only and is forgotten when you sign out or close the tab.</p>
      {notice ? (
        <p class="notice" role="status">
          {notice}
        </p>
      ) : null}
      <form class="card" onSubmit={submit} noValidate>
        <label for="api-key">API key</label>
        <input
          id="api-key"
          ref={input}
          name="api-key"
          type="password"
          autoComplete="off"
          autoCapitalize="off"
          spellcheck={false}
          aria-invalid={error ? 'true' : undefined}
          aria-describedby={error ? 'sign-in-error' : 'api-key-help'}
          required
        />
        <p id="api-key-help" class="help">
          Locally, the admin key is in <code>.keygate/admin.key</code>.
        </p>
        {error ? (
          <p id="sign-in-error" class="error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
