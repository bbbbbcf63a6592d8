import { Alert, Anchor, Badge, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { isJobFinished, jobsKey, type Job, type Page } from '../api/training';
import { useSignedIn } from '../session/session-context';
import { CreateJobForm } from './create-job-form';
import '../datasets/datasets.css';

export const JOB_STATE_COLOR: Record<string, string> = { succeeded: 'green', failed: 'red', cancelled: 'gray', running: 'blue', queued: 'yellow', validating_files: 'yellow' };

export function JobsPage() {
  const { api } = useSignedIn();
  const [params] = useSearchParams();
  const jobs = useQuery({
    queryKey: jobsKey,
    queryFn: () => api.get<Page<Job>>('/api/training/jobs?limit=50'),
    refetchInterval: (query) => (query.state.data?.data.some((j) => !isJobFinished(j.state)) ? 2000 : false),
  });
  return (
    <section aria-labelledby="jobs-title">
      <Title order={1} id="jobs-title" mb="md">
        Training
      </Title>
      <CreateJobForm initialVersionId={params.get('version')} />
      <Title order={2} size="h4" mb="sm">
        Jobs
      </Title>
      {jobs.isError && (
        <Alert color="red" role="alert">
          {jobs.error.message}
        </Alert>
      )}
      {jobs.data?.data.length === 0 && <Text c="dimmed">No training job yet.</Text>}
      {!!jobs.data?.data.length && (
        <Table.ScrollContainer minWidth={640}>
          <Table aria-label="training jobs" striped highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Job</Table.Th>
                <Table.Th>Preset</Table.Th>
                <Table.Th>State</Table.Th>
                <Table.Th>Steps</Table.Th>
                <Table.Th>Model</Table.Th>
                <Table.Th>Created</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {jobs.data.data.map((job) => (
                <Table.Tr key={job.id} data-job={job.id} data-state={job.state}>
                  <Table.Td>
                    <Anchor component={Link} to={`/training/jobs/${encodeURIComponent(job.id)}`}>
                      {job.id}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{job.model}</Table.Td>
                  <Table.Td>
                    <Badge variant="light" color={JOB_STATE_COLOR[job.state] ?? 'blue'}>
                      {job.state}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    {job.step} / {job.totalSteps ?? job.estimate.totalSteps}
                  </Table.Td>
                  <Table.Td>
                    {job.fineTunedModelId ? (
                      <Anchor component={Link} to={`/models/${encodeURIComponent(job.fineTunedModelId)}`}>
                        {job.fineTunedModelId}
                      </Anchor>
                    ) : (
                      '—'
                    )}
                  </Table.Td>
                  <Table.Td>{new Date(job.createdAt).toLocaleString()}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </section>
  );
}
