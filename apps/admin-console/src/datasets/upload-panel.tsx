import { Alert, Badge, Group, NativeSelect, Paper, Progress, Table, Text, Title } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { ApiError } from '../api/client';
import { datasetsKey, type UploadReport } from '../api/datasets';
import { useSignedIn } from '../session/session-context';

type FileType = 'auto' | 'jsonl' | 'json' | 'csv';

interface UploadState {
  name: string;
  progress: number;
  state: 'uploading' | 'stored' | 'refused';
  report?: UploadReport;
  message?: string;
}

/** The report's refused lines: line number, JSON path inside the record, and why; and how many in all. */
function IssuesTable({ report }: { report: UploadReport }) {
  if (!report.errorCount) return null;
  const listed = report.issues.length;
  return (
    <div className="upload-issues">
      <Text size="sm" fw={600} mb={4} data-error-count={report.errorCount}>
        {report.errorCount} line{report.errorCount === 1 ? '' : 's'} refused
        {listed < report.errorCount ? ` (the first ${listed} are listed)` : ''}
      </Text>
      <Table.ScrollContainer minWidth={480}>
        <Table aria-label="refused lines" striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Line</Table.Th>
              <Table.Th>Path</Table.Th>
              <Table.Th>Reason</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {report.issues.map((issue, i) => (
              <Table.Tr key={i} data-line={issue.line}>
                <Table.Td>{issue.line}</Table.Td>
                <Table.Td>{issue.path ? <code>{issue.path}</code> : <Text span c="dimmed" size="sm">whole line</Text>}</Table.Td>
                <Table.Td>{issue.message}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </div>
  );
}

/** Sends a JSONL, JSON or CSV file; the good lines are stored, the bad ones listed by line. */
export function UploadPanel({ datasetId }: { datasetId: string }) {
  const { api } = useSignedIn();
  const queryClient = useQueryClient();
  const inputId = useId();
  const [fileType, setFileType] = useState<FileType>('auto');
  const [upload, setUpload] = useState<UploadState | null>(null);

  async function send(file: File) {
    setUpload({ name: file.name, progress: 0, state: 'uploading' });
    try {
      const report = await api.upload<UploadReport>(`/api/datasets/${encodeURIComponent(datasetId)}/uploads?fileType=${fileType}`, file, {
        onProgress: (progress) => setUpload((u) => (u ? { ...u, progress } : u)),
      });
      setUpload({ name: file.name, progress: 1, state: 'stored', report });
    } catch (error) {
      const details = error instanceof ApiError ? (error.details as UploadReport | undefined) : undefined;
      setUpload({ name: file.name, progress: 1, state: 'refused', message: (error as Error).message, report: details?.issues ? details : undefined });
    }
    await queryClient.invalidateQueries({ queryKey: [...datasetsKey, datasetId] });
  }

  return (
    <Paper withBorder p="md" mb="lg" component="section" aria-labelledby="upload-title">
      <Title order={2} size="h4" mb="sm" id="upload-title">
        Upload records
      </Title>
      <Group align="end" wrap="wrap" mb="sm">
        <NativeSelect
          label="File type"
          data={[
            { value: 'auto', label: 'Detect from the file' },
            { value: 'jsonl', label: 'JSONL' },
            { value: 'json', label: 'JSON array' },
            { value: 'csv', label: 'CSV' },
          ]}
          value={fileType}
          onChange={(e) => setFileType(e.currentTarget.value as FileType)}
        />
      </Group>
      <div className="drop-zone">
        <label htmlFor={inputId} className="drop-zone-label">
          <Text fw={600}>Choose a file of records</Text>
          <Text size="sm" c="dimmed">
            JSONL, JSON or CSV in OpenAI chat, Alpaca, ShareGPT or text format
          </Text>
        </label>
        <input
          id={inputId}
          className="drop-zone-input"
          type="file"
          accept=".jsonl,.ndjson,.json,.csv,application/json,text/csv"
          data-dataset-upload
          onChange={(event) => {
            const file = event.currentTarget.files?.[0];
            event.currentTarget.value = '';
            if (file) void send(file);
          }}
        />
      </div>
      {upload && (
        <div className="upload-result" data-upload={upload.name} data-state={upload.state}>
          <Group gap="sm" mt="sm" wrap="wrap">
            <Text fw={600} className="upload-name">
              {upload.name}
            </Text>
            <Badge variant="light" color={upload.state === 'refused' ? 'red' : upload.state === 'uploading' ? 'blue' : 'green'}>
              {upload.state === 'uploading' ? `${Math.round(upload.progress * 100)}%` : upload.state}
            </Badge>
            {upload.report && (
              <Text size="sm">
                {upload.report.stored} stored, {upload.report.rejected} refused
              </Text>
            )}
          </Group>
          {upload.state === 'uploading' && <Progress value={Math.round(upload.progress * 100)} aria-label={`upload of ${upload.name}`} mt="xs" />}
          {upload.message && (
            <Alert color="red" role="alert" mt="sm">
              {upload.message}
            </Alert>
          )}
          {upload.report && <IssuesTable report={upload.report} />}
        </div>
      )}
    </Paper>
  );
}
