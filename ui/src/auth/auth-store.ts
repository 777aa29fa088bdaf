import { useSyncExternalStore } from 'react';
import { setApiToken } from '../api/client';
import type { User } from '../api/types';

/** The signed-in admin: token and user, kept in localStorage so a reload stays signed in. */
export interface Session {
  token: string;
  user: User;
}

const KEY = 'bebsy.session';
let session: Session | null = read();
/** Set when the API ended the session (401), so the sign-in page can say why. */
let expired = false;
const listeners = new Set<() => void>();
setApiToken(session?.token ?? null);

function read(): Session | null {
  try {
    const raw = localStorage.getItem(KEY);
    if (!raw) return null;
    const parsed = JSON.parse(raw) as Session;
    return parsed?.token && parsed.user ? parsed : null;
  } catch {
    return null;
  }
}

function write(next: Session | null): void {
  session = next;
  setApiToken(next?.token ?? null);
  try {
    if (next) localStorage.setItem(KEY, JSON.stringify(next));
    else localStorage.removeItem(KEY);
  } catch {
    // private mode: the session lives in memory only
  }
  for (const listener of listeners) listener();
}

/**
 * Ends the session on the server too (POST /api/auth/logout), so the token stops working
 * everywhere, not only in this browser. Sent with keepalive and not waited for: signing out is
 * immediate, also when the page navigates away at once or the network is gone (the token then
 * still expires on its own).
 */
function endServerSession(token: string): void {
  try {
    void window
      .fetch('/api/auth/logout', { method: 'POST', headers: { authorization: `Bearer ${token}` }, keepalive: true })
      .catch(() => undefined);
  } catch {
    // no fetch: nothing to tell the server
  }
}

export const authStore = {
  get: () => session,
  signIn: (next: Session) => {
    expired = false;
    write(next);
  },
  updateUser: (user: User) => session && write({ ...session, user }),
  /** After a password change: the API ended every earlier session and answered a new token. */
  replaceSession: (next: Session) => write(next),
  /** 'user': the admin signed out (the server ends the session too); 'expired': the API said the session is over. */
  signOut: (reason: 'user' | 'expired' = 'user') => {
    if (reason === 'user' && session?.token) endServerSession(session.token);
    expired = reason === 'expired';
    write(null);
  },
  wasExpired: () => expired,
  subscribe(listener: () => void) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

// Another tab signed in or out.
window.addEventListener('storage', (event) => {
  if (event.key !== KEY) return;
  session = read();
  setApiToken(session?.token ?? null);
  for (const listener of listeners) listener();
});

export function useSession(): Session | null {
  return useSyncExternalStore(authStore.subscribe, authStore.get);
}
