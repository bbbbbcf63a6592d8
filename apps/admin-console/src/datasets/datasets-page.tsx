import { Alert, Anchor, Badge, Button, Group, NativeSelect, Paper, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import type { Visibility } from '@llmp/contracts';
import { datasetsKey, type Dataset } from '../api/datasets';
import { useSignedIn } from '../session/session-context';

function CreateDatasetForm() {
  const { api } = useSignedIn();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [visibility, setVisibility] = useState<Visibility>('private');
  const create = useMutation({
    mutationFn: () => api.post<Dataset>('/api/datasets', { name, description, visibility }),
    onSuccess: async (dataset) => {
      await queryClient.invalidateQueries({ queryKey: datasetsKey });
      navigate(`/datasets/${encodeURIComponent(dataset.id)}`);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <Paper component="form" aria-label="Create a dataset" onSubmit={submit} withBorder p="md" mb="lg">
      <Title order={2} size="h4" mb="sm">
        Create a dataset
      </Title>
      {create.isError && (
        <Alert color="red" role="alert" mb="sm">
          {create.error.message}
        </Alert>
      )}
      <Group align="end" wrap="wrap">
        <TextInput label="Name" required maxLength={200} value={name} onChange={(e) => setName(e.currentTarget.value)} />
        <TextInput label="Description" maxLength={2000} value={description} onChange={(e) => setDescription(e.currentTarget.value)} />
        <NativeSelect
          label="Visibility"
          data={[
            { value: 'private', label: 'Private (owner and members)' },
            { value: 'organisation', label: 'Organisation (every user reads)' },
          ]}
          value={visibility}
          onChange={(e) => setVisibility(e.currentTarget.value as Visibility)}
        />
        <Button type="submit" loading={create.isPending}>
          Create
        </Button>
      </Group>
    </Paper>
  );
}

export function DatasetsPage() {
  const { api } = useSignedIn();
  const datasets = useQuery({ queryKey: datasetsKey, queryFn: () => api.get<{ data: Dataset[] }>('/api/datasets') });
  return (
    <section aria-labelledby="datasets-title">
      <Title order={1} id="datasets-title" mb="md">
        Datasets
      </Title>
      <CreateDatasetForm />
      {datasets.isError && (
        <Alert color="red" role="alert">
          {datasets.error.message}
        </Alert>
      )}
      {datasets.data?.data.length === 0 && <Text c="dimmed">No dataset yet: create the first one above.</Text>}
      {!!datasets.data?.data.length && (
        <Table.ScrollContainer minWidth={560}>
          <Table aria-label="datasets" striped highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Visibility</Table.Th>
                <Table.Th>Records</Table.Th>
                <Table.Th>Pending</Table.Th>
                <Table.Th>Accepted</Table.Th>
                <Table.Th>Rejected</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {datasets.data.data.map((ds) => (
                <Table.Tr key={ds.id} data-dataset={ds.name}>
                  <Table.Td>
                    <Anchor component={Link} to={`/datasets/${encodeURIComponent(ds.id)}`}>
                      {ds.name}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>
                    <Badge variant="light" color={ds.visibility === 'organisation' ? 'blue' : 'gray'}>
                      {ds.visibility}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{ds.records.total}</Table.Td>
                  <Table.Td>{ds.records.pending}</Table.Td>
                  <Table.Td>{ds.records.accepted}</Table.Td>
                  <Table.Td>{ds.records.rejected}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </section>
  );
}
