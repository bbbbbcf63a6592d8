import { Alert, Anchor, Badge, Button, Group, NativeSelect, Paper, Progress, Select, Table, Text, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import type { MemberRole, UserLookupEntry, Visibility } from '@llmp/contracts';
import { isFinal, type IngestedDocument, type KnowledgeBase, type KnowledgeBaseMember } from '../api/ingestion';
import { accessLevel, allows } from '../session/access';
import { useSignedIn } from '../session/session-context';
import { knowledgeBasesKey } from './knowledge-bases-page';
import { UploadZone } from './upload-zone';

const POLL_MS = 1000;
const STATUS_COLOR: Record<string, string> = { ready: 'green', failed: 'red', cancelled: 'gray' };

function DocumentsTable({ documents }: { documents: IngestedDocument[] }) {
  if (!documents.length) return <Text c="dimmed">No documents yet.</Text>;
  return (
    <Table.ScrollContainer minWidth={640}>
      <Table aria-label="documents" striped>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Title</Table.Th>
            <Table.Th>File</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Progress</Table.Th>
            <Table.Th>Chunks</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {documents.map((doc) => (
            <Table.Tr key={doc.id} data-document={doc.filename} data-status={doc.status}>
              <Table.Td>{doc.title}</Table.Td>
              <Table.Td>
                {doc.filename} <Text span size="xs" c="dimmed">({doc.type})</Text>
              </Table.Td>
              <Table.Td>
                <Badge variant="light" color={STATUS_COLOR[doc.status] ?? 'blue'}>
                  {doc.status}
                </Badge>
                {doc.stale && (
                  <Badge variant="outline" color="yellow" ml={4}>
                    stale
                  </Badge>
                )}
                {doc.error && (
                  <Text size="xs" c="red">
                    {doc.error.code}: {doc.error.message}
                    {doc.error.retrying ? ' (retrying)' : ''}
                  </Text>
                )}
              </Table.Td>
              <Table.Td>
                <Progress value={Math.round(doc.progress * 100)} aria-label={`pipeline progress of ${doc.filename}`} color={STATUS_COLOR[doc.status]} />
              </Table.Td>
              <Table.Td>{doc.counts.chunks ?? '—'}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

/**
 * Picks a user by the start of their username, from the lookup every signed-in user may call
 * (only admins may list users); the value is the user's id.
 */
function UserPicker({ value, onChange }: { value: string | null; onChange: (id: string | null) => void }) {
  const { api } = useSignedIn();
  const [search, setSearch] = useState('');
  const [typed] = useDebouncedValue(search.trim(), 200);
  const found = useQuery({
    queryKey: ['users', 'lookup', typed],
    queryFn: () => api.get<{ data: UserLookupEntry[] }>(`/api/users/lookup?username=${encodeURIComponent(typed)}`),
    enabled: typed.length > 0,
    placeholderData: (previous) => previous,
  });
  return (
    <Select
      label="User"
      placeholder="Type a username"
      required
      searchable
      searchValue={search}
      onSearchChange={setSearch}
      data={found.data?.data.map((u) => ({ value: u.id, label: u.username })) ?? []}
      // The API has matched already; Mantine's own filter would hide nothing useful and lag behind typing.
      filter={({ options }) => options}
      nothingFoundMessage={typed ? (found.isFetching ? 'Searching…' : 'No user with that name') : 'Type the start of a username'}
      value={value}
      onChange={onChange}
      w={240}
    />
  );
}

function Settings({ kb, members }: { kb: KnowledgeBase; members: KnowledgeBaseMember[] }) {
  const { api } = useSignedIn();
  const queryClient = useQueryClient();
  const [userId, setUserId] = useState<string | null>(null);
  const [role, setRole] = useState<MemberRole>('viewer');
  const base = `/api/ingestion/knowledge-bases/${encodeURIComponent(kb.id)}`;
  const refresh = () => queryClient.invalidateQueries({ queryKey: [...knowledgeBasesKey, kb.id] });
  const visibility = useMutation({ mutationFn: (value: Visibility) => api.patch(base, { visibility: value }), onSettled: refresh });
  const addMember = useMutation({
    mutationFn: () => api.put(`${base}/members/${encodeURIComponent(userId ?? '')}`, { role }),
    onSuccess: () => setUserId(null),
    onSettled: refresh,
  });
  const removeMember = useMutation({ mutationFn: (id: string) => api.delete(`${base}/members/${encodeURIComponent(id)}`), onSettled: refresh });
  const error = visibility.error ?? addMember.error ?? removeMember.error;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (userId) addMember.mutate();
  };

  return (
    <Paper withBorder p="md" mb="lg" aria-label="Access">
      <Title order={2} size="h4" mb="sm">
        Access
      </Title>
      {error && (
        <Alert color="red" role="alert" mb="sm">
          {error.message}
        </Alert>
      )}
      <NativeSelect
        label="Visibility"
        data={[
          { value: 'private', label: 'Private (owner and members)' },
          { value: 'organisation', label: 'Organisation (every user reads)' },
        ]}
        value={kb.visibility}
        onChange={(e) => visibility.mutate(e.currentTarget.value as Visibility)}
        disabled={visibility.isPending}
        maw={320}
        mb="md"
      />
      {members.length === 0 ? (
        <Text size="sm" c="dimmed" mb="sm">
          No members: only its owner{kb.visibility === 'organisation' ? ', and every user as a reader,' : ''} besides managers and admins.
        </Text>
      ) : (
        <Table.ScrollContainer minWidth={480} mb="sm">
          <Table aria-label="members">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Member</Table.Th>
                <Table.Th>Role</Table.Th>
                <Table.Th>Actions</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {members.map((m) => (
                <Table.Tr key={m.userId}>
                  <Table.Td>{m.userId}</Table.Td>
                  <Table.Td>{m.role}</Table.Td>
                  <Table.Td>
                    <Button size="xs" variant="default" onClick={() => removeMember.mutate(m.userId)}>
                      Remove {m.userId}
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <form aria-label="Add a member" onSubmit={submit}>
        <Group align="end" wrap="wrap">
          <UserPicker value={userId} onChange={setUserId} />
          <NativeSelect label="Member role" data={['viewer', 'editor']} value={role} onChange={(e) => setRole(e.currentTarget.value as MemberRole)} />
          <Button type="submit" variant="default" loading={addMember.isPending}>
            Add member
          </Button>
        </Group>
      </form>
    </Paper>
  );
}

export function KnowledgeBasePage() {
  const { id = '' } = useParams();
  const { api, user } = useSignedIn();
  const queryClient = useQueryClient();
  const base = `/api/ingestion/knowledge-bases/${encodeURIComponent(id)}`;
  const kb = useQuery({ queryKey: [...knowledgeBasesKey, id], queryFn: () => api.get<KnowledgeBase>(base) });
  const members = useQuery({ queryKey: [...knowledgeBasesKey, id, 'members'], queryFn: () => api.get<{ data: KnowledgeBaseMember[] }>(`${base}/members`), enabled: kb.isSuccess });
  const documents = useQuery({
    queryKey: [...knowledgeBasesKey, id, 'documents'],
    queryFn: () => api.get<{ data: IngestedDocument[] }>(`${base}/documents`),
    enabled: kb.isSuccess,
    // Live pipeline status: poll while any document is still on its way.
    refetchInterval: (query) => (query.state.data?.data.some((d) => !isFinal(d.status)) ? POLL_MS : false),
  });

  if (kb.isError) {
    return (
      <Alert color="red" role="alert" title="Knowledge base not available">
        {kb.error.message}
      </Alert>
    );
  }
  if (!kb.data) return <Text>Loading…</Text>;

  const myRole = members.data?.data.find((m) => m.userId === user.id)?.role ?? null;
  const level = accessLevel(user, kb.data, myRole);

  return (
    <section aria-labelledby="kb-title">
      <Anchor component={Link} to="/knowledge-bases" size="sm">
        ← Knowledge bases
      </Anchor>
      <div className="page-header">
        <Title order={1} id="kb-title">
          {kb.data.name}
        </Title>
        <Badge variant="light" color={kb.data.visibility === 'organisation' ? 'blue' : 'gray'}>
          {kb.data.visibility}
        </Badge>
        <Badge variant="outline" color="gray">
          you: {level}
        </Badge>
      </div>
      {kb.data.description && <Text mb="md">{kb.data.description}</Text>}
      {allows(level, 'administer') && members.data && <Settings kb={kb.data} members={members.data.data} />}
      {allows(level, 'write') && (
        <Paper withBorder p="md" mb="lg">
          <Title order={2} size="h4" mb="sm">
            Upload documents
          </Title>
          <UploadZone knowledgeBaseId={kb.data.id} onStored={() => queryClient.invalidateQueries({ queryKey: [...knowledgeBasesKey, id, 'documents'] })} />
        </Paper>
      )}
      <Title order={2} size="h4" mb="sm">
        Documents
      </Title>
      {documents.isError && (
        <Alert color="red" role="alert">
          {documents.error.message}
        </Alert>
      )}
      {documents.data && <DocumentsTable documents={documents.data.data} />}
    </section>
  );
}
