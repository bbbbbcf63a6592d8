import { useQueryClient } from '@tanstack/react-query';
import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from 'react';
import { createApiClient, type ApiClient } from '../api/client';
import { readSession, writeSession, type Session } from './session-storage';

interface SessionContextValue {
  session: Session | null;
  api: ApiClient;
  /** Set when the last session ended without the user logging out (expired, revoked). */
  endedReason: string | null;
  login(username: string, password: string): Promise<Session>;
  logout(): Promise<void>;
}

const SessionContext = createContext<SessionContextValue | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [session, setSession] = useState<Session | null>(() => readSession());
  const [endedReason, setEndedReason] = useState<string | null>(null);
  const tokenRef = useRef(session?.token ?? null);

  const end = useCallback(
    (reason: string | null) => {
      tokenRef.current = null;
      writeSession(null);
      setSession(null);
      setEndedReason(reason);
      queryClient.clear();
    },
    [queryClient],
  );

  const api = useMemo(
    () => createApiClient({ token: () => tokenRef.current, onUnauthorized: () => end('Your session has ended. Log in again.') }),
    [end],
  );

  const login = useCallback(
    async (username: string, password: string) => {
      const answer = await api.post<Session>('/api/auth/login', { username, password });
      const next: Session = { token: answer.token, expiresAt: answer.expiresAt, user: { id: answer.user.id, username: answer.user.username, role: answer.user.role } };
      writeSession(next);
      tokenRef.current = next.token;
      setEndedReason(null);
      setSession(next);
      return next;
    },
    [api],
  );

  const logout = useCallback(async () => {
    try {
      await api.post('/api/auth/logout');
    } finally {
      end(null);
    }
  }, [api, end]);

  const value = useMemo(() => ({ session, api, endedReason, login, logout }), [session, api, endedReason, login, logout]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession needs a SessionProvider above it');
  return value;
}

/** The signed-in user's session; only for pages behind RequireRole. */
export function useSignedIn(): Session & { api: ApiClient } {
  const { session, api } = useSession();
  if (!session) throw new Error('useSignedIn is for pages that need a session');
  return { ...session, api };
}
