import { Alert, Anchor, Badge, Button, Group, Paper, Progress, Table, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import { followJobEvents, formatLoss, isJobFinished, jobsKey, lossPoint, type Checkpoint, type Job, type JobEvent, type Page } from '../api/training';
import { useSignedIn } from '../session/session-context';
import { JOB_STATE_COLOR } from './jobs-page';
import { LossChart } from './loss-chart';
import '../datasets/datasets.css';

const RETRY_MS = 1000;

/**
 * The job's events, live: the stream is followed from the start, and picked up again after the
 * last event received if it breaks while the job still runs.
 */
function useJobEvents(jobId: string, onEvent: (event: JobEvent) => void): { events: JobEvent[]; ended: boolean; error: string | null } {
  const { token } = useSignedIn();
  const [events, setEvents] = useState<JobEvent[]>([]);
  const [ended, setEnded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // The latest callback, read when an event comes: a new callback must not restart the stream.
  const handler = useRef(onEvent);
  useEffect(() => {
    handler.current = onEvent;
  });
  useEffect(() => {
    const stop = new AbortController();
    let last: string | undefined;
    setEvents([]);
    setEnded(false);
    (async () => {
      while (!stop.signal.aborted) {
        try {
          const finished = await followJobEvents(jobId, {
            token,
            after: last,
            signal: stop.signal,
            onEvent: (event) => {
              last = event.id;
              setEvents((all) => (all.some((e) => e.id === event.id) ? all : [...all, event]));
              handler.current(event);
            },
          });
          setError(null);
          if (finished) {
            setEnded(true);
            return;
          }
        } catch (e) {
          if (stop.signal.aborted) return;
          setError((e as Error).message);
        }
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    })();
    return () => stop.abort();
  }, [jobId, token]);
  return { events, ended, error };
}

function CheckpointsTable({ checkpoints }: { checkpoints: Checkpoint[] }) {
  if (!checkpoints.length) return <Text c="dimmed" size="sm">No checkpoint yet.</Text>;
  return (
    <Table.ScrollContainer minWidth={480}>
      <Table aria-label="checkpoints" striped>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Step</Table.Th>
            <Table.Th>Training loss</Table.Th>
            <Table.Th>Validation loss</Table.Th>
            <Table.Th>Perplexity</Table.Th>
            <Table.Th>Saved</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {checkpoints.map((c) => (
            <Table.Tr key={c.id} data-checkpoint={c.step}>
              <Table.Td>{c.step}</Table.Td>
              <Table.Td>{formatLoss(c.trainLoss)}</Table.Td>
              <Table.Td>{formatLoss(c.validLoss)}</Table.Td>
              <Table.Td>{c.validPerplexity == null ? '—' : c.validPerplexity.toFixed(2)}</Table.Td>
              <Table.Td>{new Date(c.createdAt).toLocaleTimeString()}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

export function JobPage() {
  const { id = '' } = useParams();
  const { api } = useSignedIn();
  const queryClient = useQueryClient();
  const base = `/api/training/jobs/${encodeURIComponent(id)}`;
  const job = useQuery({
    queryKey: [...jobsKey, id],
    queryFn: () => api.get<Job>(base),
    refetchInterval: (query) => (query.state.data && isJobFinished(query.state.data.state) ? false : 2000),
  });
  const checkpoints = useQuery({ queryKey: [...jobsKey, id, 'checkpoints'], queryFn: () => api.get<Page<Checkpoint>>(`${base}/checkpoints?limit=100`) });
  const { events, ended, error } = useJobEvents(id, (event) => {
    if (event.data && 'checkpoint_id' in event.data) void queryClient.invalidateQueries({ queryKey: [...jobsKey, id, 'checkpoints'] });
    if (event.data && 'model_id' in event.data) void queryClient.invalidateQueries({ queryKey: [...jobsKey, id] });
  });
  useEffect(() => {
    if (ended) void queryClient.invalidateQueries({ queryKey: [...jobsKey, id] });
  }, [ended, id, queryClient]);
  const points = useMemo(() => events.map(lossPoint).filter((p) => p !== null), [events]);
  const cancel = useMutation({ mutationFn: () => api.post<Job>(`${base}/cancel`), onSettled: () => queryClient.invalidateQueries({ queryKey: [...jobsKey, id] }) });

  if (job.isError) {
    return (
      <Alert color="red" role="alert" title="Job not available">
        {job.error.message}
      </Alert>
    );
  }
  if (!job.data) return <Text>Loading…</Text>;
  const j = job.data;
  const total = j.totalSteps ?? j.estimate.totalSteps;

  return (
    <section aria-labelledby="job-title">
      <Anchor component={Link} to="/training" size="sm">
        ← Training
      </Anchor>
      <div className="page-header">
        <Title order={1} id="job-title" className="break-anywhere">
          {j.id}
        </Title>
        <Badge variant="light" color={JOB_STATE_COLOR[j.state] ?? 'blue'} data-job-state={j.state}>
          {j.state}
        </Badge>
        {!isJobFinished(j.state) && (
          <Button size="xs" variant="default" color="red" onClick={() => cancel.mutate()} loading={cancel.isPending} disabled={j.cancelRequested}>
            {j.cancelRequested ? 'Cancelling…' : 'Cancel job'}
          </Button>
        )}
      </div>
      {cancel.isError && (
        <Alert color="red" role="alert" mb="sm">
          {cancel.error.message}
        </Alert>
      )}
      {j.error && (
        <Alert color="red" role="alert" mb="sm" title={j.error.code}>
          {j.error.message}
        </Alert>
      )}
      <Paper withBorder p="md" mb="lg">
        <Group gap="xl" wrap="wrap" mb="sm">
          <Text size="sm">
            Preset <b>{j.model}</b>
          </Text>
          <Text size="sm">
            Dataset version <code>{j.datasetVersionId}</code>
          </Text>
          <Text size="sm">
            Step {j.step} of {total}
          </Text>
          <Text size="sm">{j.trainedTokens} tokens trained</Text>
          {j.fineTunedModelId && (
            <Anchor component={Link} to={`/models/${encodeURIComponent(j.fineTunedModelId)}`} size="sm">
              Model {j.fineTunedModelId}
            </Anchor>
          )}
        </Group>
        <Progress value={total ? Math.round((100 * j.step) / total) : 0} aria-label="training progress" color={JOB_STATE_COLOR[j.state]} />
        <Text size="xs" c="dimmed" mt={4}>
          epochs {j.hyperparameters.nEpochs}, batch {j.hyperparameters.batchSize}, context {j.hyperparameters.contextLength}, learning rate ×{j.hyperparameters.learningRateMultiplier}, seed {j.hyperparameters.seed}
        </Text>
      </Paper>
      <Paper withBorder p="md" mb="lg" component="section" aria-labelledby="loss-title">
        <Title order={2} size="h4" mb="sm" id="loss-title">
          Loss
        </Title>
        <LossChart points={points} hasValidation={j.hasValidation} />
      </Paper>
      <Paper withBorder p="md" mb="lg" component="section" aria-labelledby="checkpoints-title">
        <Title order={2} size="h4" mb="sm" id="checkpoints-title">
          Checkpoints
        </Title>
        <CheckpointsTable checkpoints={checkpoints.data?.data ?? []} />
      </Paper>
      <Paper withBorder p="md" mb="lg" component="section" aria-labelledby="events-title">
        <div className="page-header">
          <Title order={2} size="h4" id="events-title">
            Events
          </Title>
          <Badge variant="outline" color={ended ? 'gray' : 'blue'}>
            {ended ? 'stream ended' : 'live'}
          </Badge>
        </div>
        {error && (
          <Text size="sm" c="red" role="alert">
            The event stream broke ({error}); reconnecting.
          </Text>
        )}
        <ol className="events" aria-label="job events" tabIndex={0}>
          {events.map((e) => (
            <li key={e.id} data-level={e.level} data-type={e.type}>
              <time dateTime={e.createdAt}>{new Date(e.createdAt).toLocaleTimeString()}</time>
              {e.level !== 'info' && (
                <Badge size="xs" variant="light" color={e.level === 'error' ? 'red' : 'yellow'} mr={4}>
                  {e.level}
                </Badge>
              )}
              {e.message}
            </li>
          ))}
        </ol>
      </Paper>
    </section>
  );
}
