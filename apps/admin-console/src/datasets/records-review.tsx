import { Alert, Badge, Button, Group, NativeSelect, Paper, Table, Text, Textarea, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { datasetsKey, recordPreview, type RecordStatus, type StoredRecord } from '../api/datasets';
import { useSignedIn } from '../session/session-context';

const PAGE = 50;
const STATUS_COLOR: Record<RecordStatus, string> = { pending: 'blue', accepted: 'green', rejected: 'red' };

function RecordEditor({ record, onSave, onClose, saving }: { record: StoredRecord; onSave: (value: unknown) => void; onClose: () => void; saving: boolean }) {
  const [text, setText] = useState(() => JSON.stringify(record.record, null, 2));
  const [parseError, setParseError] = useState<string | null>(null);
  const save = () => {
    try {
      onSave(JSON.parse(text));
      setParseError(null);
    } catch (error) {
      setParseError(`not valid JSON: ${(error as Error).message}`);
    }
  };
  return (
    <div className="record-editor">
      <Textarea label={`Record ${record.id} (JSON, any record format)`} autosize minRows={4} maxRows={16} value={text} onChange={(e) => setText(e.currentTarget.value)} />
      {parseError && (
        <Text size="sm" c="red" role="alert">
          {parseError}
        </Text>
      )}
      <Group gap="xs" mt="xs">
        <Button size="xs" onClick={save} loading={saving}>
          Save record
        </Button>
        <Button size="xs" variant="default" onClick={onClose}>
          Close editor
        </Button>
      </Group>
    </div>
  );
}

/**
 * The dataset's records a page at a time, by status. Managers review them (the API allows no one
 * else): accept, reject, or edit the content, which is validated like an uploaded line.
 */
export function RecordsReview({ datasetId, canReview }: { datasetId: string; canReview: boolean }) {
  const { api } = useSignedIn();
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<RecordStatus | ''>('');
  const [cursors, setCursors] = useState<string[]>([]);
  const [editing, setEditing] = useState<string | null>(null);
  const base = `/api/datasets/${encodeURIComponent(datasetId)}`;
  const after = cursors[cursors.length - 1];
  const params = new URLSearchParams({ limit: String(PAGE) });
  if (status) params.set('status', status);
  if (after) params.set('after', after);
  const records = useQuery({
    queryKey: [...datasetsKey, datasetId, 'records', status, after ?? ''],
    queryFn: () => api.get<{ data: StoredRecord[]; next: string | null }>(`${base}/records?${params}`),
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: [...datasetsKey, datasetId] });
  const update = useMutation({
    mutationFn: ({ id, change }: { id: string; change: { status?: RecordStatus; record?: unknown } }) => api.patch<StoredRecord>(`${base}/records/${encodeURIComponent(id)}`, change),
    onSuccess: (_record, { change }) => {
      if (change.record !== undefined) setEditing(null);
    },
    onSettled: refresh,
  });
  const acceptAll = useMutation({ mutationFn: () => api.post<{ updated: number }>(`${base}/review`, { status: 'accepted', from: 'pending' }), onSettled: refresh });
  const error = update.error ?? acceptAll.error;

  return (
    <Paper withBorder p="md" mb="lg" component="section" aria-labelledby="records-title">
      <div className="page-header">
        <Title order={2} size="h4" id="records-title">
          Records
        </Title>
        {!canReview && <Badge variant="outline" color="gray">review needs the manager role</Badge>}
      </div>
      {error && (
        <Alert color="red" role="alert" mb="sm">
          {error.message}
        </Alert>
      )}
      <Group align="end" wrap="wrap" mb="sm">
        <NativeSelect
          label="Show"
          data={[
            { value: '', label: 'All records' },
            { value: 'pending', label: 'Pending' },
            { value: 'accepted', label: 'Accepted' },
            { value: 'rejected', label: 'Rejected' },
          ]}
          value={status}
          onChange={(e) => {
            setStatus(e.currentTarget.value as RecordStatus | '');
            setCursors([]);
          }}
        />
        {canReview && (
          <Button variant="default" onClick={() => acceptAll.mutate()} loading={acceptAll.isPending}>
            Accept all pending
          </Button>
        )}
      </Group>
      {records.isError && (
        <Alert color="red" role="alert">
          {records.error.message}
        </Alert>
      )}
      {records.data?.data.length === 0 && <Text c="dimmed">No records{status ? ` with status ${status}` : ''}.</Text>}
      {!!records.data?.data.length && (
        <Table.ScrollContainer minWidth={640}>
          <Table aria-label="records" striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Record</Table.Th>
                <Table.Th>Tokens</Table.Th>
                <Table.Th>Status</Table.Th>
                {canReview && <Table.Th>Review</Table.Th>}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {records.data.data.map((r, i) => (
                <Table.Tr key={r.id} data-record={r.id} data-index={i} data-status={r.status}>
                  <Table.Td className="record-cell">
                    {editing === r.id ? (
                      <RecordEditor
                        record={r}
                        saving={update.isPending}
                        onClose={() => setEditing(null)}
                        onSave={(value) => update.mutate({ id: r.id, change: { record: value } })}
                      />
                    ) : (
                      <Text size="sm" className="record-text">
                        {recordPreview(r.record)}
                      </Text>
                    )}
                    <Text size="xs" c="dimmed">
                      {r.source.type === 'upload' ? `${r.source.filename ?? 'upload'}, line ${r.source.line}` : `knowledge base, ${r.source.generator}`}
                    </Text>
                  </Table.Td>
                  <Table.Td>{r.tokens}</Table.Td>
                  <Table.Td>
                    <Badge variant="light" color={STATUS_COLOR[r.status]}>
                      {r.status}
                    </Badge>
                    {r.reason && (
                      <Text size="xs" c="dimmed">
                        {r.reason}
                      </Text>
                    )}
                  </Table.Td>
                  {canReview && (
                    <Table.Td>
                      <Group gap={4} wrap="wrap">
                        <Button size="xs" variant="light" color="green" disabled={r.status === 'accepted'} onClick={() => update.mutate({ id: r.id, change: { status: 'accepted' } })} aria-label={`Accept record ${i + 1}`}>
                          Accept
                        </Button>
                        <Button size="xs" variant="light" color="red" disabled={r.status === 'rejected'} onClick={() => update.mutate({ id: r.id, change: { status: 'rejected' } })} aria-label={`Reject record ${i + 1}`}>
                          Reject
                        </Button>
                        <Button size="xs" variant="default" disabled={editing === r.id} onClick={() => setEditing(r.id)} aria-label={`Edit record ${i + 1}`}>
                          Edit
                        </Button>
                      </Group>
                    </Table.Td>
                  )}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <Group gap="xs" mt="sm">
        {cursors.length > 0 && (
          <Button size="xs" variant="default" onClick={() => setCursors((c) => c.slice(0, -1))}>
            Previous page
          </Button>
        )}
        {records.data?.next && (
          <Button size="xs" variant="default" onClick={() => setCursors((c) => [...c, records.data!.next!])}>
            Next page
          </Button>
        )}
      </Group>
    </Paper>
  );
}
