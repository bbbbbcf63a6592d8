import { Alert, Anchor, Button, Paper, Stack, TextInput, Title } from '@mantine/core';
import { useEffect, useState, type FormEvent } from 'react';
import { Link, Navigate, useLocation, useNavigate } from 'react-router';
import { ApiError } from '../api/client';
import { useSession } from './session-context';

export const LOGIN_READY_MARK = 'llmp:login-form-ready';

export function LoginPage() {
  const { session, login, endedReason } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from ?? '/';
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  useEffect(() => {
    // User Timing mark: when the first thing a visitor needs can be used (read by the browser tests).
    performance.mark(LOGIN_READY_MARK);
  }, []);

  if (session) return <Navigate to={from} replace />;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setPending(true);
    setError(null);
    try {
      await login(username, password);
      navigate(from, { replace: true });
    } catch (e) {
      setError(e instanceof ApiError && e.status === 401 ? 'Wrong username or password.' : (e as Error).message);
      setPending(false);
    }
  }

  return (
    <main className="login">
      <Paper component="form" aria-label="Log in" onSubmit={submit} withBorder p="lg" radius="md" className="login-form">
        <Stack>
          <Title order={1} size="h2">
            llmp console
          </Title>
          {endedReason && !error && <Alert color="yellow">{endedReason}</Alert>}
          {error && (
            <Alert color="red" role="alert">
              {error}
            </Alert>
          )}
          <TextInput label="Username" name="username" autoComplete="username" required value={username} onChange={(e) => setUsername(e.currentTarget.value)} />
          <TextInput label="Password" name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.currentTarget.value)} />
          <Button type="submit" loading={pending}>
            Log in
          </Button>
          <Anchor component={Link} to="/health" size="sm">
            Platform health (no login needed)
          </Anchor>
        </Stack>
      </Paper>
    </main>
  );
}
