/**
 * The plaintext of a new (or rotated) key, shown this once: a read-only field, "Copy", and
 * snippets for curl, JavaScript and Python. It lives in this component's props only: leaving
 * the page unmounts it and nothing else holds it.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { apiBaseUrl } from '../api';
import { snippetsFor } from '../snippets';

export function KeyReveal({ plaintext, heading }: { readonly plaintext: string; readonly heading: string }) {
  const field = useRef<HTMLInputElement>(null);
  const [copyState, setCopyState] = useState<string>('');
  const title = useRef<HTMLHeadingElement>(null);
  // Focus moves to the news, so a screen reader announces it and Tab reaches "Copy" next.
  useEffect(() => title.current?.focus(), []);

  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(plaintext);
      setCopyState('Copied to the clipboard.');
    } catch {
      // No clipboard access (permission, insecure context): select it for Ctrl+C / ⌘C.
      field.current?.focus();
      field.current?.select();
      setCopyState('The browser did not allow copying: the key is selected, press Ctrl+C (⌘C on a Mac).');
    }
  };

  return (
    <section class="card reveal" aria-labelledby="reveal-heading">
      <h2 id="reveal-heading" ref={title} tabIndex={-1}>{heading}</h2>
      <p class="warning">
        <strong>Copy it now: it is shown only this once.</strong> Keygate stores only its hash and cannot show it again. Leaving this page forgets it.
      </p>
      <div class="row">
        <label for="new-key" class="sr-only">
          New API key
        </label>
        <input id="new-key" ref={field} class="mono grow" type="text" readOnly value={plaintext} onFocus={(e) => e.currentTarget.select()} />
        <button type="button" onClick={copy}>
          Copy
        </button>
      </div>
      <p role="status" class="help">
        {copyState}
      </p>
      <h3>Try it</h3>
      {snippetsFor(apiBaseUrl(), plaintext).map((s) => (
        <figure key={s.language} class="snippet">
          <figcaption>{s.language}</figcaption>
          <pre tabIndex={0} aria-label={`${s.language} example`}>
            <code>{s.code}</code>
          </pre>
        </figure>
      ))}
    </section>
  );
}
