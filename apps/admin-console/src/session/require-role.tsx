import { Alert } from '@mantine/core';
import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import type { Role } from '@llmp/contracts';
import { hasRole } from './access';
import { useSession } from './session-context';

/** Pages below need a session with at least this role; without one, the login page. */
export function RequireRole({ role, children }: { role: Role | 'public'; children: ReactNode }) {
  const { session } = useSession();
  const location = useLocation();
  if (role === 'public') return children;
  if (!session) return <Navigate to="/login" replace state={{ from: location.pathname }} />;
  if (!hasRole(session.user.role, role)) {
    return (
      <Alert color="red" title="Not available" role="alert">
        This page needs the {role} role; you are signed in as {session.user.role}.
      </Alert>
    );
  }
  return children;
}
