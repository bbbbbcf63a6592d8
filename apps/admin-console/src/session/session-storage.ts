import type { User } from '@llmp/contracts';
import { ROLES } from './access';

export interface Session {
  token: string;
  expiresAt: string;
  user: Pick<User, 'id' | 'username' | 'role'>;
}

// sessionStorage: the token lives as long as the tab, and never reaches another site or a cookie jar.
const KEY = 'llmp.session';

export function readSession(storage: Storage = sessionStorage): Session | null {
  try {
    const session = JSON.parse(storage.getItem(KEY) ?? 'null') as Session | null;
    if (!session?.token || !ROLES.includes(session.user?.role) || Date.parse(session.expiresAt) <= Date.now()) return null;
    return session;
  } catch {
    return null;
  }
}

export function writeSession(session: Session | null, storage: Storage = sessionStorage): void {
  if (session) storage.setItem(KEY, JSON.stringify(session));
  else storage.removeItem(KEY);
}
