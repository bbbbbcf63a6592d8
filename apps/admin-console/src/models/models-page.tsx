import { Alert, Anchor, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { formatBytes, formatLoss, modelsKey, type Page, type TrainedModel } from '../api/training';
import { useSignedIn } from '../session/session-context';

export function ModelsPage() {
  const { api } = useSignedIn();
  const models = useQuery({ queryKey: modelsKey, queryFn: () => api.get<Page<TrainedModel>>('/api/training/models?limit=100') });
  return (
    <section aria-labelledby="models-title">
      <Title order={1} id="models-title" mb="md">
        Models
      </Title>
      {models.isError && (
        <Alert color="red" role="alert">
          {models.error.message}
        </Alert>
      )}
      {models.data?.data.length === 0 && (
        <Text c="dimmed">
          No trained model yet: a training job that succeeds adds its model here. <Anchor component={Link} to="/training">Start one</Anchor>.
        </Text>
      )}
      {!!models.data?.data.length && (
        <Table.ScrollContainer minWidth={640}>
          <Table aria-label="models" striped highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Model</Table.Th>
                <Table.Th>Preset</Table.Th>
                <Table.Th>Validation loss</Table.Th>
                <Table.Th>Steps</Table.Th>
                <Table.Th>Size</Table.Th>
                <Table.Th>Created</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {models.data.data.map((m) => (
                <Table.Tr key={m.id} data-model={m.id}>
                  <Table.Td>
                    <Anchor component={Link} to={`/models/${encodeURIComponent(m.id)}`}>
                      {m.id}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{m.baseModel}</Table.Td>
                  <Table.Td>{formatLoss(m.metrics.validLoss)}</Table.Td>
                  <Table.Td>{m.metrics.steps}</Table.Td>
                  <Table.Td>{formatBytes(m.sizeBytes)}</Table.Td>
                  <Table.Td>{new Date(m.createdAt).toLocaleString()}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </section>
  );
}
