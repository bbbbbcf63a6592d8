import { Alert, Badge, Button, Group, NativeSelect, Paper, Table, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { Role, User } from '@llmp/contracts';
import { ROLES } from '../session/access';
import { useSignedIn } from '../session/session-context';

function CreateUserForm() {
  const { api } = useSignedIn();
  const queryClient = useQueryClient();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('user');
  const create = useMutation({
    mutationFn: () => api.post<User>('/api/users', { username, password, role }),
    onSuccess: () => {
      setUsername('');
      setPassword('');
      setRole('user');
      return queryClient.invalidateQueries({ queryKey: ['users'] });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <Paper component="form" aria-label="Create a user" onSubmit={submit} withBorder p="md" mb="lg">
      <Title order={2} size="h4" mb="sm">
        Create a user
      </Title>
      {create.isError && (
        <Alert color="red" role="alert" mb="sm">
          {create.error.message}
        </Alert>
      )}
      <Group align="end" wrap="wrap">
        <TextInput label="Username" required value={username} onChange={(e) => setUsername(e.currentTarget.value)} autoComplete="off" />
        <TextInput label="Password" type="password" required minLength={8} value={password} onChange={(e) => setPassword(e.currentTarget.value)} autoComplete="new-password" />
        <NativeSelect label="Role" data={[...ROLES]} value={role} onChange={(e) => setRole(e.currentTarget.value as Role)} />
        <Button type="submit" loading={create.isPending}>
          Create user
        </Button>
      </Group>
    </Paper>
  );
}

/** A new password for someone else: their sessions end and their API keys are revoked, as the API does by default. */
function ResetPassword({ user, onDone }: { user: User; onDone: () => void }) {
  const { api } = useSignedIn();
  const [password, setPassword] = useState('');
  const reset = useMutation({
    mutationFn: () => api.post(`/api/users/${encodeURIComponent(user.id)}/password`, { password }),
    onSuccess: onDone,
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    reset.mutate();
  };
  return (
    <form aria-label={`New password for ${user.username}`} onSubmit={submit} className="inline-form">
      <TextInput aria-label={`New password for ${user.username}`} type="password" required minLength={8} size="xs" value={password} onChange={(e) => setPassword(e.currentTarget.value)} autoComplete="new-password" />
      <Button type="submit" size="xs" loading={reset.isPending}>
        Set password
      </Button>
      {reset.isError && (
        <span role="alert" className="inline-error">
          {reset.error.message}
        </span>
      )}
    </form>
  );
}

function UserRow({ user, isSelf }: { user: User; isSelf: boolean }) {
  const { api } = useSignedIn();
  const queryClient = useQueryClient();
  const [resetting, setResetting] = useState(false);
  const [resetDone, setResetDone] = useState(false);
  const update = useMutation({
    mutationFn: (change: { role?: Role; disabled?: boolean }) => api.patch<User>(`/api/users/${encodeURIComponent(user.id)}`, change),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['users'] }),
  });
  return (
    <Table.Tr data-user={user.username}>
      <Table.Td>{user.username}</Table.Td>
      <Table.Td>
        <NativeSelect
          aria-label={`Role of ${user.username}`}
          data={[...ROLES]}
          value={user.role}
          disabled={isSelf || update.isPending}
          onChange={(e) => update.mutate({ role: e.currentTarget.value as Role })}
          size="xs"
        />
      </Table.Td>
      <Table.Td>
        <Badge color={user.disabled ? 'red' : 'green'} variant="light">
          {user.disabled ? 'disabled' : 'active'}
        </Badge>
      </Table.Td>
      <Table.Td>{new Date(user.createdAt).toLocaleDateString()}</Table.Td>
      <Table.Td>
        {!isSelf && (
          <Group gap="xs" wrap="wrap">
            <Button size="xs" variant="default" loading={update.isPending} onClick={() => update.mutate({ disabled: !user.disabled })}>
              {user.disabled ? `Enable ${user.username}` : `Disable ${user.username}`}
            </Button>
            {!resetting && (
              <Button size="xs" variant="default" onClick={() => setResetting(true)}>
                Reset password of {user.username}
              </Button>
            )}
            {resetting && (
              <ResetPassword
                user={user}
                onDone={() => {
                  setResetting(false);
                  setResetDone(true);
                }}
              />
            )}
            {resetDone && <span className="muted-note">Password changed; their sessions ended.</span>}
          </Group>
        )}
        {update.isError && (
          <span role="alert" className="inline-error">
            {update.error.message}
          </span>
        )}
      </Table.Td>
    </Table.Tr>
  );
}

export function UsersPage() {
  const { api, user: me } = useSignedIn();
  const users = useQuery({ queryKey: ['users'], queryFn: () => api.get<{ data: User[] }>('/api/users') });
  return (
    <section aria-labelledby="users-title">
      <Title order={1} id="users-title" mb="md">
        Users and roles
      </Title>
      <CreateUserForm />
      {users.isError && (
        <Alert color="red" role="alert">
          {users.error.message}
        </Alert>
      )}
      <Table.ScrollContainer minWidth={560}>
        <Table aria-label="users" striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Username</Table.Th>
              <Table.Th>Role</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Created</Table.Th>
              <Table.Th>Actions</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {users.data?.data.map((user) => (
              <UserRow key={user.id} user={user} isSelf={user.id === me.id} />
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </section>
  );
}
