import { Alert, Anchor, Badge, Button, Group, NativeSelect, Paper, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import type { Visibility } from '@llmp/contracts';
import type { KnowledgeBase } from '../api/ingestion';
import { useSignedIn } from '../session/session-context';

export const knowledgeBasesKey = ['knowledge-bases'] as const;

function CreateKnowledgeBaseForm() {
  const { api } = useSignedIn();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [visibility, setVisibility] = useState<Visibility>('private');
  const create = useMutation({
    mutationFn: () => api.post<KnowledgeBase>('/api/ingestion/knowledge-bases', { name, description, visibility }),
    onSuccess: async (kb) => {
      await queryClient.invalidateQueries({ queryKey: knowledgeBasesKey });
      navigate(`/knowledge-bases/${encodeURIComponent(kb.id)}`);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <Paper component="form" aria-label="Create a knowledge base" onSubmit={submit} withBorder p="md" mb="lg">
      <Title order={2} size="h4" mb="sm">
        Create a knowledge base
      </Title>
      {create.isError && (
        <Alert color="red" role="alert" mb="sm">
          {create.error.message}
        </Alert>
      )}
      <Group align="end" wrap="wrap">
        <TextInput label="Name" required maxLength={120} value={name} onChange={(e) => setName(e.currentTarget.value)} />
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

export function KnowledgeBasesPage() {
  const { api } = useSignedIn();
  const knowledgeBases = useQuery({
    queryKey: knowledgeBasesKey,
    queryFn: () => api.get<{ data: KnowledgeBase[] }>('/api/ingestion/knowledge-bases'),
    // Document counts move while files are processed.
    refetchInterval: (query) => (query.state.data?.data.some((kb) => kb.documents.processing > 0) ? 2000 : false),
  });
  return (
    <section aria-labelledby="kbs-title">
      <Title order={1} id="kbs-title" mb="md">
        Knowledge bases
      </Title>
      <CreateKnowledgeBaseForm />
      {knowledgeBases.isError && (
        <Alert color="red" role="alert">
          {knowledgeBases.error.message}
        </Alert>
      )}
      {knowledgeBases.data?.data.length === 0 && <Text c="dimmed">No knowledge base yet: create the first one above.</Text>}
      {!!knowledgeBases.data?.data.length && (
        <Table.ScrollContainer minWidth={560}>
          <Table aria-label="knowledge bases" striped highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Visibility</Table.Th>
                <Table.Th>Documents</Table.Th>
                <Table.Th>Processing</Table.Th>
                <Table.Th>Failed</Table.Th>
                <Table.Th>Embedder</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {knowledgeBases.data.data.map((kb) => (
                <Table.Tr key={kb.id} data-knowledge-base={kb.name}>
                  <Table.Td>
                    <Anchor component={Link} to={`/knowledge-bases/${encodeURIComponent(kb.id)}`}>
                      {kb.name}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>
                    <Badge variant="light" color={kb.visibility === 'organisation' ? 'blue' : 'gray'}>
                      {kb.visibility}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    {kb.documents.ready} / {kb.documents.total} ready
                  </Table.Td>
                  <Table.Td>{kb.documents.processing}</Table.Td>
                  <Table.Td>{kb.documents.failed}</Table.Td>
                  <Table.Td>{kb.embedder.name}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </section>
  );
}
