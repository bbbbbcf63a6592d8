import { Alert, Button, Group, NativeSelect, Paper, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { ApiError } from '../api/client';
import { datasetsKey, type Dataset, type DatasetVersion } from '../api/datasets';
import { formatBytes, jobsKey, type Hyperparameters, type Job, type JobEstimate, type ModelPreset } from '../api/training';
import { useSignedIn } from '../session/session-context';

type HyperparameterField = keyof Hyperparameters;

const FIELDS: Array<{ key: HyperparameterField; label: string; step?: string; hint: string }> = [
  { key: 'nEpochs', label: 'Epochs', hint: 'default 3' },
  { key: 'batchSize', label: 'Batch size', hint: 'default 8' },
  { key: 'learningRateMultiplier', label: 'Learning rate multiplier', step: 'any', hint: 'default 1' },
  { key: 'contextLength', label: 'Context length', hint: 'default 64' },
  { key: 'vocabSize', label: 'Vocabulary size', hint: 'default 512' },
  { key: 'evalEvery', label: 'Evaluate every (steps)', hint: 'default 10' },
  { key: 'checkpointEvery', label: 'Checkpoint every (steps)', hint: 'default 20' },
  { key: 'seed', label: 'Seed', hint: 'random' },
];

/** The pre-flight's estimate beside the limits it broke: what to shrink, by how much. */
function EstimateTable({ estimate }: { estimate: JobEstimate }) {
  return (
    <Table aria-label="pre-flight estimate" mt="xs">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Needs</Table.Th>
          <Table.Th>Estimate</Table.Th>
          <Table.Th>Limit</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        <Table.Tr data-over={estimate.memoryBytes > estimate.limits.memoryBytes || undefined}>
          <Table.Td>Memory</Table.Td>
          <Table.Td>{formatBytes(estimate.memoryBytes)}</Table.Td>
          <Table.Td>{formatBytes(estimate.limits.memoryBytes)}</Table.Td>
        </Table.Tr>
        <Table.Tr data-over={estimate.seconds > estimate.limits.seconds || undefined}>
          <Table.Td>Time</Table.Td>
          <Table.Td>{estimate.seconds} s</Table.Td>
          <Table.Td>{estimate.limits.seconds} s</Table.Td>
        </Table.Tr>
        <Table.Tr>
          <Table.Td>Steps</Table.Td>
          <Table.Td>{estimate.totalSteps}</Table.Td>
          <Table.Td>—</Table.Td>
        </Table.Tr>
      </Table.Tbody>
    </Table>
  );
}

function isEstimate(value: unknown): value is JobEstimate {
  return !!value && typeof value === 'object' && 'memoryBytes' in value && 'limits' in value;
}

/** Starts a job from a frozen dataset version with a preset and the hyperparameters given (blank: the service's default). */
export function CreateJobForm({ initialVersionId }: { initialVersionId: string | null }) {
  const { api } = useSignedIn();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [datasetId, setDatasetId] = useState<string | null>(null);
  const [versionId, setVersionId] = useState<string | null>(initialVersionId);
  const [model, setModel] = useState('');
  const [values, setValues] = useState<Partial<Record<HyperparameterField, string>>>({});

  const presets = useQuery({ queryKey: ['training', 'presets'], queryFn: () => api.get<{ data: ModelPreset[] }>('/api/training/presets') });
  const datasets = useQuery({ queryKey: datasetsKey, queryFn: () => api.get<{ data: Dataset[] }>('/api/datasets') });
  const initialVersion = useQuery({
    queryKey: [...datasetsKey, 'versions', initialVersionId],
    queryFn: () => api.get<DatasetVersion>(`/api/datasets/versions/${encodeURIComponent(initialVersionId!)}`),
    enabled: !!initialVersionId,
  });
  const chosenDataset = datasetId ?? initialVersion.data?.datasetId ?? datasets.data?.data[0]?.id ?? '';
  const versions = useQuery({
    queryKey: [...datasetsKey, chosenDataset, 'versions'],
    queryFn: () => api.get<{ data: DatasetVersion[] }>(`/api/datasets/${encodeURIComponent(chosenDataset)}/versions`),
    enabled: !!chosenDataset,
  });
  const chosenVersion = versionId && versions.data?.data.some((v) => v.id === versionId) ? versionId : (versions.data?.data[0]?.id ?? '');
  const chosenModel = model || presets.data?.data[0]?.name || '';

  const create = useMutation({
    mutationFn: () => {
      const hyperparameters: Partial<Record<HyperparameterField, number>> = {};
      for (const { key } of FIELDS) {
        const raw = values[key]?.trim();
        if (raw) hyperparameters[key] = Number(raw);
      }
      return api.post<Job>('/api/training/jobs', { datasetVersionId: chosenVersion, model: chosenModel, hyperparameters });
    },
    onSuccess: async (job) => {
      await queryClient.invalidateQueries({ queryKey: jobsKey });
      navigate(`/training/jobs/${encodeURIComponent(job.id)}`);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  const failure = create.error instanceof ApiError ? create.error : null;
  const param = failure && typeof failure.details === 'object' && failure.details && 'param' in failure.details ? String((failure.details as { param: unknown }).param) : null;

  return (
    <Paper component="form" aria-label="Start a training job" onSubmit={submit} withBorder p="md" mb="lg">
      <Title order={2} size="h4" mb="sm">
        Start a training job
      </Title>
      {create.isError && (
        <Alert color="red" role="alert" mb="sm" title={failure?.status === 422 ? 'Refused by the pre-flight check' : 'Not started'}>
          <Text size="sm">{create.error.message}</Text>
          {param && (
            <Text size="sm" mt={4}>
              Field: <code>{param}</code>
            </Text>
          )}
          {failure && isEstimate(failure.details) && <EstimateTable estimate={failure.details} />}
        </Alert>
      )}
      <Group align="end" wrap="wrap" mb="sm">
        <NativeSelect
          label="Dataset"
          data={(datasets.data?.data ?? []).map((d) => ({ value: d.id, label: d.name }))}
          value={chosenDataset}
          onChange={(e) => {
            setDatasetId(e.currentTarget.value);
            setVersionId(null);
          }}
        />
        <NativeSelect
          label="Frozen version"
          data={(versions.data?.data ?? []).map((v) => ({ value: v.id, label: `Version ${v.number} (${v.counts.train} train, ${v.counts.validation} validation)` }))}
          value={chosenVersion}
          onChange={(e) => setVersionId(e.currentTarget.value)}
        />
        <NativeSelect
          label="Preset"
          data={(presets.data?.data ?? []).map((p) => ({ value: p.name, label: p.name }))}
          value={chosenModel}
          onChange={(e) => setModel(e.currentTarget.value)}
        />
      </Group>
      {presets.data && (
        <Text size="sm" c="dimmed" mb="sm">
          {presets.data.data.find((p) => p.name === chosenModel)?.description}
        </Text>
      )}
      {versions.data?.data.length === 0 && (
        <Text size="sm" c="dimmed" mb="sm">
          This dataset has no frozen version: freeze one on its page first.
        </Text>
      )}
      <div className="hyperparameters">
        {FIELDS.map((f) => (
          <TextInput
            key={f.key}
            label={f.label}
            type="number"
            step={f.step ?? 1}
            min={0}
            placeholder={f.hint}
            value={values[f.key] ?? ''}
            onChange={(e) => {
              const value = e.currentTarget.value;
              setValues((v) => ({ ...v, [f.key]: value }));
            }}
          />
        ))}
      </div>
      <Button type="submit" mt="md" loading={create.isPending} disabled={!chosenVersion || !chosenModel}>
        Start training
      </Button>
    </Paper>
  );
}
