/**
 * The signed-in key lives in sessionStorage under one name, and nowhere else: not in
 * localStorage, a cookie or a URL. It goes when the tab closes, on "Sign out", and on any 401.
 */
export const SESSION_KEY_NAME = 'keygate.console.key';

export function readSessionKey(): string | undefined {
  try {
    return sessionStorage.getItem(SESSION_KEY_NAME) ?? undefined;
  } catch {
    return undefined; // storage disabled: the user signs in again on each load
  }
}

export function storeSessionKey(key: string): void {
  try {
    sessionStorage.setItem(SESSION_KEY_NAME, key);
  } catch {
    // Storage disabled: the session lasts as long as the page.
  }
}

export function clearSession(): void {
  try {
    sessionStorage.removeItem(SESSION_KEY_NAME);
  } catch {
    // nothing stored
  }
}
