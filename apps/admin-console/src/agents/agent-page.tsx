import { Alert, Anchor, Badge, Button, Code, Group, NativeSelect, Paper, Table, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { agentsKey, type Agent, type AgentConfig, type AgentVersion, type VersionDiff } from '../api/agents';
import { AgentKeys } from '../keys/agent-keys';
import { accessLevel, allows } from '../session/access';
import { useSignedIn } from '../session/session-context';
import { ConfigFields } from './config-fields';
import { Playground } from './playground';

const show = (value: unknown) => (value === undefined ? '—' : typeof value === 'string' ? value || '""' : JSON.stringify(value));

function DraftEditor({ agent, canWrite }: { agent: Agent; canWrite: boolean }) {
  const { api } = useSignedIn();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<AgentConfig>(agent.draft);
  const [dirty, setDirty] = useState(false);
  useEffect(() => {
    if (!dirty) setDraft(agent.draft);
  }, [agent.draft, dirty]);
  const base = `/api/agents/${encodeURIComponent(agent.id)}`;
  const refresh = () => queryClient.invalidateQueries({ queryKey: [...agentsKey, agent.id] });
  const save = useMutation({
    mutationFn: () => api.patch<Agent>(base, { config: draft }),
    onSuccess: () => setDirty(false),
    onSettled: refresh,
  });
  const publish = useMutation({
    mutationFn: async () => {
      if (dirty) await api.patch<Agent>(base, { config: draft });
      return api.post<AgentVersion>(`${base}/publish`);
    },
    onSuccess: () => setDirty(false),
    onSettled: refresh,
  });
  const error = save.error ?? publish.error;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <Paper component="form" aria-label="Draft" onSubmit={submit} withBorder p="md" mb="lg">
      <Title order={2} size="h4" mb="sm">
        Draft {dirty && <Badge variant="light" color="yellow">unsaved</Badge>}
      </Title>
      {error && (
        <Alert color="red" role="alert" mb="sm">
          {error.message}
        </Alert>
      )}
      {publish.isSuccess && agent.publishedVersion?.id === publish.data.id && (
        <Text size="sm" mb="sm" role="status">
          Published v{publish.data.number}; it is served now.
        </Text>
      )}
      <ConfigFields
        value={draft}
        disabled={!canWrite || !!agent.archivedAt}
        onChange={(next) => {
          setDraft(next);
          setDirty(true);
        }}
      />
      {canWrite && !agent.archivedAt && (
        <Group mt="md">
          <Button type="submit" variant="default" loading={save.isPending} disabled={!dirty}>
            Save draft
          </Button>
          <Button onClick={() => publish.mutate()} loading={publish.isPending}>
            Publish
          </Button>
        </Group>
      )}
    </Paper>
  );
}

function Versions({ agent, versions, canWrite }: { agent: Agent; versions: AgentVersion[]; canWrite: boolean }) {
  const { api } = useSignedIn();
  const queryClient = useQueryClient();
  const base = `/api/agents/${encodeURIComponent(agent.id)}`;
  const rollback = useMutation({
    mutationFn: (version: number) => api.post<Agent>(`${base}/rollback`, { version }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: [...agentsKey, agent.id] }),
  });
  const latest = versions.at(-1)?.number ?? 0;
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [compare, setCompare] = useState<{ from: string; to: string } | null>(null);
  const diff = useQuery({
    queryKey: [...agentsKey, agent.id, 'diff', compare],
    queryFn: () => api.get<VersionDiff>(`${base}/diff?from=${encodeURIComponent(compare!.from)}&to=${encodeURIComponent(compare!.to)}`),
    enabled: compare !== null,
  });
  const options = versions.map((v) => ({ value: String(v.number), label: `v${v.number}` }));
  const fromValue = from || String(Math.max(1, latest - 1));
  const toValue = to || String(latest);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setCompare({ from: fromValue, to: toValue });
  };

  return (
    <Paper withBorder p="md" mb="lg" aria-label="Versions">
      <Title order={2} size="h4" mb="sm">
        Versions
      </Title>
      {rollback.error && (
        <Alert color="red" role="alert" mb="sm">
          {rollback.error.message}
        </Alert>
      )}
      {versions.length === 0 ? (
        <Text c="dimmed">Nothing published yet.</Text>
      ) : (
        <Table.ScrollContainer minWidth={520}>
          <Table aria-label="versions" striped mb="md">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Version</Table.Th>
                <Table.Th>Published</Table.Th>
                <Table.Th>Provider</Table.Th>
                <Table.Th>Traffic</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {versions.map((v) => {
                const served = agent.publishedVersion?.id === v.id;
                return (
                  <Table.Tr key={v.id} data-version={v.number} data-served={served ? 'true' : 'false'}>
                    <Table.Td>v{v.number}</Table.Td>
                    <Table.Td>{new Date(v.createdAt).toLocaleString()}</Table.Td>
                    <Table.Td>{v.config.provider.kind === 'extractive' ? 'extractive' : `${v.config.provider.kind}: ${v.config.provider.model}`}</Table.Td>
                    <Table.Td>
                      {served ? (
                        <Badge variant="light" color="green">
                          served
                        </Badge>
                      ) : (
                        canWrite && (
                          <Button size="xs" variant="default" loading={rollback.isPending && rollback.variables === v.number} onClick={() => rollback.mutate(v.number)}>
                            Serve v{v.number}
                          </Button>
                        )
                      )}
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {versions.length >= 2 && (
        <form aria-label="Compare versions" onSubmit={submit}>
          <Group align="end" wrap="wrap" mb="sm">
            <NativeSelect label="From" data={options} value={fromValue} onChange={(e) => setFrom(e.currentTarget.value)} />
            <NativeSelect label="To" data={options} value={toValue} onChange={(e) => setTo(e.currentTarget.value)} />
            <Button type="submit" variant="default">
              Compare
            </Button>
          </Group>
        </form>
      )}
      {diff.error && (
        <Alert color="red" role="alert">
          {diff.error.message}
        </Alert>
      )}
      {diff.data &&
        (diff.data.changes.length === 0 ? (
          <Text role="status">
            v{diff.data.from} and v{diff.data.to} are the same.
          </Text>
        ) : (
          <Table.ScrollContainer minWidth={520}>
            <Table aria-label={`changes from v${diff.data.from} to v${diff.data.to}`}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Field</Table.Th>
                  <Table.Th>v{diff.data.from}</Table.Th>
                  <Table.Th>v{diff.data.to}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {diff.data.changes.map((c) => (
                  <Table.Tr key={c.field} data-field={c.field}>
                    <Table.Td>
                      <Code>{c.field}</Code>
                    </Table.Td>
                    <Table.Td className="diff-from">{show(c.from)}</Table.Td>
                    <Table.Td className="diff-to">{show(c.to)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        ))}
    </Paper>
  );
}

export function AgentPage() {
  const { id = '' } = useParams();
  const { api, user } = useSignedIn();
  const queryClient = useQueryClient();
  const base = `/api/agents/${encodeURIComponent(id)}`;
  const agent = useQuery({ queryKey: [...agentsKey, id], queryFn: () => api.get<Agent>(base) });
  const versions = useQuery({ queryKey: [...agentsKey, id, 'versions', agent.data?.publishedVersion?.id], queryFn: () => api.get<{ data: AgentVersion[] }>(`${base}/versions`), enabled: agent.isSuccess });
  const archive = useMutation({
    mutationFn: () => api.post<Agent>(`${base}/archive`),
    onSettled: () => queryClient.invalidateQueries({ queryKey: agentsKey }),
  });

  if (agent.isError) {
    return (
      <Alert color="red" role="alert" title="Agent not available">
        {agent.error.message}
      </Alert>
    );
  }
  if (!agent.data) return <Text>Loading…</Text>;
  // Agents have no member API yet: owners, managers and admins change them; others read.
  const level = accessLevel(user, agent.data, null);
  const canWrite = allows(level, 'write');

  return (
    <section aria-labelledby="agent-title">
      <Anchor component={Link} to="/agents" size="sm">
        ← Agents
      </Anchor>
      <div className="page-header">
        <Title order={1} id="agent-title">
          {agent.data.name}
        </Title>
        <Badge variant="light" color={agent.data.publishedVersion ? 'green' : 'gray'} data-serving>
          {agent.data.archivedAt ? 'archived' : agent.data.publishedVersion ? `serving v${agent.data.publishedVersion.number}` : 'not published'}
        </Badge>
        <Badge variant="outline" color="gray">
          you: {level}
        </Badge>
        {allows(level, 'administer') && !agent.data.archivedAt && (
          <Button size="xs" variant="default" color="red" loading={archive.isPending} onClick={() => window.confirm(`Archive ${agent.data.name}? It stops serving and its keys stop working.`) && archive.mutate()}>
            Archive
          </Button>
        )}
      </div>
      {archive.error && (
        <Alert color="red" role="alert" mb="sm">
          {archive.error.message}
        </Alert>
      )}
      {agent.data.description && <Text mb="md">{agent.data.description}</Text>}
      {!agent.data.archivedAt && <Playground agent={agent.data} versions={versions.data?.data ?? []} />}
      <DraftEditor agent={agent.data} canWrite={canWrite} />
      <Versions agent={agent.data} versions={versions.data?.data ?? []} canWrite={canWrite && !agent.data.archivedAt} />
      {allows(level, 'administer') && !agent.data.archivedAt && <AgentKeys agentId={agent.data.id} />}
    </section>
  );
}
