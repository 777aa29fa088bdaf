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

export const authStore = {
  get: () => session,
  signIn: (next: Session) => {
    expired = false;
    write(next);
  },
  updateUser: (user: User) => session && write({ ...session, user }),
  signOut: (reason: 'user' | 'expired' = 'user') => {
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
