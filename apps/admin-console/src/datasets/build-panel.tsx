import { Alert, Badge, Button, Group, NativeSelect, Paper, Progress, Table, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { datasetsKey, isBuildFinal, type Build } from '../api/datasets';
import type { KnowledgeBase } from '../api/ingestion';
import { useSignedIn } from '../session/session-context';

const POLL_MS = 1000;
const STATUS_COLOR: Record<string, string> = { completed: 'green', failed: 'red', cancelled: 'gray' };

/** Builds records from a knowledge base the user may read, as a job whose progress is polled until it ends. */
export function BuildPanel({ datasetId, canWrite }: { datasetId: string; canWrite: boolean }) {
  const { api } = useSignedIn();
  const queryClient = useQueryClient();
  const [knowledgeBaseId, setKnowledgeBaseId] = useState('');
  const [mode, setMode] = useState<'qa' | 'text'>('qa');
  const base = `/api/datasets/${encodeURIComponent(datasetId)}`;
  const knowledgeBases = useQuery({
    queryKey: ['knowledge-bases'],
    queryFn: () => api.get<{ data: KnowledgeBase[] }>('/api/ingestion/knowledge-bases'),
    enabled: canWrite,
  });
  const builds = useQuery({
    queryKey: [...datasetsKey, datasetId, 'builds'],
    queryFn: () => api.get<{ data: Build[] }>(`${base}/builds`),
    refetchInterval: (query) => (query.state.data?.data.some((b) => !isBuildFinal(b.status)) ? POLL_MS : false),
  });
  const running = builds.data?.data.some((b) => !isBuildFinal(b.status)) ?? false;
  // When a build ends its records have landed: the counts and the review table move.
  const wasRunning = useRef(false);
  useEffect(() => {
    if (wasRunning.current && !running) void queryClient.invalidateQueries({ queryKey: [...datasetsKey, datasetId] });
    wasRunning.current = running;
  }, [running, queryClient, datasetId]);

  const chosen = knowledgeBaseId || knowledgeBases.data?.data[0]?.id || '';
  const start = useMutation({
    mutationFn: () => api.post<Build>(`${base}/builds`, { knowledgeBaseId: chosen, mode, generator: 'extractive' }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [...datasetsKey, datasetId, 'builds'] }),
  });
  const cancel = useMutation({
    mutationFn: (id: string) => api.post(`/api/datasets/builds/${encodeURIComponent(id)}/cancel`),
    onSettled: () => queryClient.invalidateQueries({ queryKey: [...datasetsKey, datasetId, 'builds'] }),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    start.mutate();
  };

  if (!canWrite && !builds.data?.data.length) return null;
  return (
    <Paper withBorder p="md" mb="lg" component="section" aria-labelledby="build-title">
      <Title order={2} size="h4" mb="sm" id="build-title">
        Build from a knowledge base
      </Title>
      {(start.error ?? cancel.error) && (
        <Alert color="red" role="alert" mb="sm">
          {(start.error ?? cancel.error)!.message}
        </Alert>
      )}
      {canWrite && (
        <form aria-label="Build from a knowledge base" onSubmit={submit}>
          {knowledgeBases.data?.data.length === 0 ? (
            <Text c="dimmed" mb="sm">
              No knowledge base to build from yet.
            </Text>
          ) : (
            <Group align="end" wrap="wrap" mb="sm">
              <NativeSelect
                label="Knowledge base"
                data={(knowledgeBases.data?.data ?? []).map((kb) => ({ value: kb.id, label: `${kb.name} (${kb.documents.ready} documents)` }))}
                value={chosen}
                onChange={(e) => setKnowledgeBaseId(e.currentTarget.value)}
              />
              <NativeSelect
                label="Records"
                data={[
                  { value: 'qa', label: 'Question/answer pairs (extractive)' },
                  { value: 'text', label: 'Text records (one per chunk)' },
                ]}
                value={mode}
                onChange={(e) => setMode(e.currentTarget.value as 'qa' | 'text')}
              />
              <Button type="submit" loading={start.isPending} disabled={!chosen || running}>
                Build
              </Button>
            </Group>
          )}
        </form>
      )}
      {!!builds.data?.data.length && (
        <Table.ScrollContainer minWidth={560}>
          <Table aria-label="builds">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Build</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Progress</Table.Th>
                <Table.Th>Documents</Table.Th>
                <Table.Th>Chunks</Table.Th>
                <Table.Th>Records</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {builds.data.data.map((b) => (
                <Table.Tr key={b.id} data-build={b.id} data-status={b.status}>
                  <Table.Td>
                    {b.params.mode === 'qa' ? 'Q/A' : 'text'} <Text span size="xs" c="dimmed">{b.id}</Text>
                  </Table.Td>
                  <Table.Td>
                    <Badge variant="light" color={STATUS_COLOR[b.status] ?? 'blue'}>
                      {b.status}
                    </Badge>
                    {b.error && (
                      <Text size="xs" c="red">
                        {b.error}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    {isBuildFinal(b.status) ? (
                      <Progress value={100} color={STATUS_COLOR[b.status]} aria-label={`progress of build ${b.id}`} />
                    ) : (
                      <Group gap="xs" wrap="nowrap">
                        <Progress value={100} animated striped className="build-bar" aria-label={`progress of build ${b.id}`} />
                        {canWrite && (
                          <Button size="xs" variant="default" onClick={() => cancel.mutate(b.id)}>
                            Cancel
                          </Button>
                        )}
                      </Group>
                    )}
                  </Table.Td>
                  <Table.Td>{b.progress.documents}</Table.Td>
                  <Table.Td>{b.progress.chunks}</Table.Td>
                  <Table.Td>{b.progress.records}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Paper>
  );
}
