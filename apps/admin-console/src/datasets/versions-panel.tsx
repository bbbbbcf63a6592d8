import { Alert, Anchor, Badge, Button, Group, NativeSelect, Paper, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { datasetsKey, type DatasetVersion } from '../api/datasets';
import { useSignedIn } from '../session/session-context';

/** Freezes the reviewed records into an immutable version (split ratios and seed), and lists the versions. */
export function VersionsPanel({ datasetId, canWrite }: { datasetId: string; canWrite: boolean }) {
  const { api } = useSignedIn();
  const queryClient = useQueryClient();
  const base = `/api/datasets/${encodeURIComponent(datasetId)}`;
  const [from, setFrom] = useState<'accepted' | 'not-rejected'>('accepted');
  const [validation, setValidation] = useState('0.1');
  const [test, setTest] = useState('0');
  const [seed, setSeed] = useState('llmp');
  const versions = useQuery({ queryKey: [...datasetsKey, datasetId, 'versions'], queryFn: () => api.get<{ data: DatasetVersion[] }>(`${base}/versions`) });
  const freeze = useMutation({
    mutationFn: () => api.post<DatasetVersion>(`${base}/versions`, { from, validation: Number(validation), test: Number(test), seed }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: [...datasetsKey, datasetId, 'versions'] }),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    freeze.mutate();
  };

  return (
    <Paper withBorder p="md" mb="lg" component="section" aria-labelledby="versions-title">
      <Title order={2} size="h4" mb="sm" id="versions-title">
        Versions
      </Title>
      {canWrite && (
        <form aria-label="Freeze a version" onSubmit={submit}>
          {freeze.isError && (
            <Alert color="red" role="alert" mb="sm">
              {freeze.error.message}
            </Alert>
          )}
          {freeze.data && (
            <Alert color="green" mb="sm">
              Version {freeze.data.number} frozen: {freeze.data.counts.train} train, {freeze.data.counts.validation} validation, {freeze.data.counts.test} test.
            </Alert>
          )}
          <Group align="end" wrap="wrap" mb="sm">
            <NativeSelect
              label="Records"
              data={[
                { value: 'accepted', label: 'Accepted only' },
                { value: 'not-rejected', label: 'All not rejected' },
              ]}
              value={from}
              onChange={(e) => setFrom(e.currentTarget.value as 'accepted' | 'not-rejected')}
            />
            <TextInput label="Validation share" type="number" min={0} max={0.9} step={0.05} required value={validation} onChange={(e) => setValidation(e.currentTarget.value)} w={170} />
            <TextInput label="Test share" type="number" min={0} max={0.9} step={0.05} required value={test} onChange={(e) => setTest(e.currentTarget.value)} w={170} />
            <TextInput label="Seed" required maxLength={100} value={seed} onChange={(e) => setSeed(e.currentTarget.value)} w={170} />
            <Button type="submit" loading={freeze.isPending}>
              Freeze version
            </Button>
          </Group>
        </form>
      )}
      {versions.isError && (
        <Alert color="red" role="alert">
          {versions.error.message}
        </Alert>
      )}
      {versions.data?.data.length === 0 && <Text c="dimmed" size="sm">No version frozen yet.</Text>}
      {!!versions.data?.data.length && (
        <Table.ScrollContainer minWidth={560}>
          <Table aria-label="versions">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Version</Table.Th>
                <Table.Th>Kind</Table.Th>
                <Table.Th>Train</Table.Th>
                <Table.Th>Validation</Table.Th>
                <Table.Th>Test</Table.Th>
                <Table.Th>Tokens</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {versions.data.data.map((v) => (
                <Table.Tr key={v.id} data-version={v.number}>
                  <Table.Td>
                    <Anchor component={Link} to={`/datasets/versions/${encodeURIComponent(v.id)}`}>
                      Version {v.number}
                    </Anchor>{' '}
                    {v.holds.length > 0 && (
                      <Badge variant="outline" color="gray" size="sm">
                        in use
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td>{v.kind}</Table.Td>
                  <Table.Td>{v.counts.train}</Table.Td>
                  <Table.Td>{v.counts.validation}</Table.Td>
                  <Table.Td>{v.counts.test}</Table.Td>
                  <Table.Td>{v.stats.tokens}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Paper>
  );
}
