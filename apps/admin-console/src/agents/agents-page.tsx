import { Alert, Anchor, Badge, Button, Group, NativeSelect, Paper, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import type { Visibility } from '@llmp/contracts';
import { agentsKey, DEFAULT_CONFIG, type Agent, type AgentConfig } from '../api/agents';
import { useSignedIn } from '../session/session-context';
import { ConfigFields } from './config-fields';

function CreateAgentForm() {
  const { api } = useSignedIn();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [visibility, setVisibility] = useState<Visibility>('private');
  const [config, setConfig] = useState<AgentConfig>(DEFAULT_CONFIG);
  const create = useMutation({
    mutationFn: () => api.post<Agent>('/api/agents', { name, description, visibility, config }),
    onSuccess: async (agent) => {
      await queryClient.invalidateQueries({ queryKey: agentsKey });
      navigate(`/agents/${encodeURIComponent(agent.id)}`);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <Paper component="form" aria-label="Create an agent" onSubmit={submit} withBorder p="md" mb="lg">
      <Title order={2} size="h4" mb="sm">
        Create an agent
      </Title>
      {create.isError && (
        <Alert color="red" role="alert" mb="sm">
          {create.error.message}
        </Alert>
      )}
      <Group align="end" wrap="wrap" mb="sm">
        <TextInput label="Name" description="Lowercase; clients send it as the model" required maxLength={64} value={name} onChange={(e) => setName(e.currentTarget.value)} />
        <TextInput label="Description" maxLength={2000} value={description} onChange={(e) => setDescription(e.currentTarget.value)} />
        <NativeSelect
          label="Visibility"
          data={[
            { value: 'private', label: 'Private (owner)' },
            { value: 'organisation', label: 'Organisation (every user reads)' },
          ]}
          value={visibility}
          onChange={(e) => setVisibility(e.currentTarget.value as Visibility)}
        />
      </Group>
      <ConfigFields value={config} onChange={setConfig} />
      <Button type="submit" mt="md" loading={create.isPending}>
        Create
      </Button>
    </Paper>
  );
}

export function AgentsPage() {
  const { api } = useSignedIn();
  const agents = useQuery({ queryKey: agentsKey, queryFn: () => api.get<{ data: Agent[] }>('/api/agents') });
  return (
    <section aria-labelledby="agents-title">
      <Title order={1} id="agents-title" mb="md">
        Agents
      </Title>
      <CreateAgentForm />
      {agents.isError && (
        <Alert color="red" role="alert">
          {agents.error.message}
        </Alert>
      )}
      {agents.data?.data.length === 0 && <Text c="dimmed">No agent yet: create the first one above.</Text>}
      {!!agents.data?.data.length && (
        <Table.ScrollContainer minWidth={560}>
          <Table aria-label="agents" striped highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Provider</Table.Th>
                <Table.Th>Serves</Table.Th>
                <Table.Th>Visibility</Table.Th>
                <Table.Th>Knowledge bases</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {agents.data.data.map((agent) => (
                <Table.Tr key={agent.id} data-agent={agent.name}>
                  <Table.Td>
                    <Anchor component={Link} to={`/agents/${encodeURIComponent(agent.id)}`}>
                      {agent.name}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{agent.draft.provider.kind === 'extractive' ? 'extractive' : `${agent.draft.provider.kind}: ${agent.draft.provider.model}`}</Table.Td>
                  <Table.Td>{agent.publishedVersion ? `v${agent.publishedVersion.number}` : <Text span c="dimmed">not published</Text>}</Table.Td>
                  <Table.Td>
                    <Badge variant="light" color={agent.visibility === 'organisation' ? 'blue' : 'gray'}>
                      {agent.visibility}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{agent.draft.knowledgeBaseIds.length}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </section>
  );
}
