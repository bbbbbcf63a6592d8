import { Alert, Badge, Button, CopyButton, Code, Group, NumberInput, Paper, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { agentsKey, type AgentKey } from '../api/agents';
import { useSignedIn } from '../session/session-context';

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');
const limit = (value: number | null, unit: string) => (value === null ? 'no limit' : `${value.toLocaleString()} ${unit}`);
const optional = (raw: string | number) => (raw === '' ? undefined : Number(raw));

/** An agent's API keys: create (the secret shows once), list, revoke. Owners and managers only. */
export function AgentKeys({ agentId }: { agentId: string }) {
  const { api } = useSignedIn();
  const queryClient = useQueryClient();
  const base = `/api/agents/${encodeURIComponent(agentId)}/keys`;
  const queryKey = [...agentsKey, agentId, 'keys'];
  const keys = useQuery({ queryKey, queryFn: () => api.get<{ data: AgentKey[] }>(base) });
  const [name, setName] = useState('');
  const [rpm, setRpm] = useState<string | number>('');
  const [tpm, setTpm] = useState<string | number>('');
  const [secret, setSecret] = useState<{ name: string; key: string } | null>(null);
  const create = useMutation({
    mutationFn: () => api.post<AgentKey & { key: string }>(base, { name, rpm: optional(rpm), tpm: optional(tpm) }),
    onSuccess: (created) => {
      setSecret({ name: created.name, key: created.key });
      setName('');
      setRpm('');
      setTpm('');
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey }),
  });
  const revoke = useMutation({ mutationFn: (keyId: string) => api.delete(`${base}/${encodeURIComponent(keyId)}`), onSettled: () => queryClient.invalidateQueries({ queryKey }) });
  const error = create.error ?? revoke.error ?? keys.error;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };

  return (
    <Paper withBorder p="md" mb="lg" aria-label="API keys">
      <Title order={2} size="h4" mb="sm">
        API keys
      </Title>
      <Text size="sm" mb="sm">
        Clients call <Code>/v1/chat/completions</Code> with a key as <Code>Authorization: Bearer</Code>.
      </Text>
      {error && (
        <Alert color="red" role="alert" mb="sm">
          {error.message}
        </Alert>
      )}
      {secret && (
        <Alert color="green" mb="sm" title={`Key "${secret.name}" created`} withCloseButton closeButtonLabel="Hide the key" onClose={() => setSecret(null)} aria-label="New key">
          <Text size="sm" mb="xs">
            Copy it now: it is shown only once.
          </Text>
          <Group wrap="nowrap" gap="xs">
            <Code data-secret style={{ overflowWrap: 'anywhere' }}>
              {secret.key}
            </Code>
            <CopyButton value={secret.key}>
              {({ copied, copy }) => (
                <Button size="xs" variant="default" onClick={copy}>
                  {copied ? 'Copied' : 'Copy key'}
                </Button>
              )}
            </CopyButton>
          </Group>
        </Alert>
      )}
      <form aria-label="Create a key" onSubmit={submit}>
        <Group align="end" wrap="wrap" mb="sm">
          <TextInput label="Key name" required maxLength={100} value={name} onChange={(e) => setName(e.currentTarget.value)} />
          <NumberInput label="Requests per minute" placeholder="no limit" min={1} max={1_000_000} allowDecimal={false} w={170} value={rpm} onChange={setRpm} />
          <NumberInput label="Tokens per minute" placeholder="no limit" min={1} max={100_000_000} allowDecimal={false} w={170} value={tpm} onChange={setTpm} />
          <Button type="submit" variant="default" loading={create.isPending}>
            Create key
          </Button>
        </Group>
      </form>
      {keys.data?.data.length === 0 && <Text c="dimmed">No keys yet.</Text>}
      {!!keys.data?.data.length && (
        <Table.ScrollContainer minWidth={640}>
          <Table aria-label="keys" striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Prefix</Table.Th>
                <Table.Th>Limits</Table.Th>
                <Table.Th>Last used</Table.Th>
                <Table.Th>Status</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {keys.data.data.map((key) => (
                <Table.Tr key={key.id} data-key={key.name} data-revoked={key.revokedAt ? 'true' : 'false'}>
                  <Table.Td>{key.name}</Table.Td>
                  <Table.Td>
                    <Code>{key.prefix}…</Code>
                  </Table.Td>
                  <Table.Td>
                    {limit(key.rpm, 'req/min')}, {limit(key.tpm, 'tokens/min')}
                  </Table.Td>
                  <Table.Td>{when(key.lastUsedAt)}</Table.Td>
                  <Table.Td>
                    {key.revokedAt ? (
                      <Badge variant="light" color="red">
                        revoked
                      </Badge>
                    ) : (
                      <Button size="xs" variant="default" color="red" loading={revoke.isPending && revoke.variables === key.id} onClick={() => revoke.mutate(key.id)}>
                        Revoke {key.name}
                      </Button>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Paper>
  );
}
