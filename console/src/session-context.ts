/** What every signed-in page gets: the client, who is calling, and the way out. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { KeygateClient, Whoami } from '../../packages/client/src/index';

export interface Session {
  readonly client: KeygateClient;
  readonly who: Whoami;
  readonly isAdmin: boolean;
  readonly canWrite: boolean;
  /**
   * Runs a call; a 401 (the key was revoked, expired or rotated out meanwhile) ends the session
   * and returns to the sign-in page. Other errors are the caller's to show.
   */
  guard<T>(call: (client: KeygateClient) => Promise<T>): Promise<T>;
}

export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in page');
  return session;
}
