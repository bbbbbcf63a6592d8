import { Badge, Button, Text } from '@mantine/core';
import { Suspense } from 'react';
import { NavLink, Outlet, useNavigate } from 'react-router';
import { FEATURES } from '../features';
import { hasRole } from '../session/access';
import { useSession } from '../session/session-context';

export function Shell() {
  const { session, logout } = useSession();
  const navigate = useNavigate();
  const links = FEATURES.filter((f) => f.label && (f.role === 'public' || (session && hasRole(session.user.role, f.role))));

  return (
    <div className="shell">
      <header className="shell-header">
        <NavLink to="/" className="brand">
          llmp
        </NavLink>
        <nav aria-label="Console" className="shell-nav">
          {links.map((f) => (
            <NavLink key={f.path} to={f.path} className="nav-link">
              {f.label}
            </NavLink>
          ))}
        </nav>
        <div className="shell-user">
          {session ? (
            <>
              <span className="username">{session.user.username}</span>
              <Badge variant="light" color="gray">
                {session.user.role}
              </Badge>
              <Button
                size="xs"
                variant="default"
                onClick={async () => {
                  await logout();
                  navigate('/login');
                }}
              >
                Log out
              </Button>
            </>
          ) : (
            <Button size="xs" variant="default" onClick={() => navigate('/login')}>
              Log in
            </Button>
          )}
        </div>
      </header>
      <main className="shell-main">
        <Suspense fallback={<Text c="dimmed">Loading…</Text>}>
          <Outlet />
        </Suspense>
      </main>
    </div>
  );
}
