import { Alert, Anchor, Badge, Paper, Text, Title } from '@mantine/core';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { saveDownload } from '../api/download';
import { formatBytes, formatLoss, modelsKey, type TrainedModel } from '../api/training';
import { useSignedIn } from '../session/session-context';
import '../datasets/datasets.css';

export function ModelPage() {
  const { id = '' } = useParams();
  const { api, token } = useSignedIn();
  const model = useQuery({ queryKey: [...modelsKey, id], queryFn: () => api.get<TrainedModel>(`/api/training/models/${encodeURIComponent(id)}`) });
  const download = useMutation({ mutationFn: (m: TrainedModel) => saveDownload(m.download, token, `${m.id}.gguf`) });

  if (model.isError) {
    return (
      <Alert color="red" role="alert" title="Model not available">
        {model.error.message}
      </Alert>
    );
  }
  if (!model.data) return <Text>Loading…</Text>;
  const m = model.data;
  const hp = m.hyperparameters;
  const c = m.modelConfig;

  return (
    <section aria-labelledby="model-title">
      <Anchor component={Link} to="/models" size="sm">
        ← Models
      </Anchor>
      <div className="page-header">
        <Title order={1} id="model-title" className="break-anywhere">
          {m.id}
        </Title>
        <Badge variant="light">{m.format}</Badge>
        <Badge variant="outline" color="gray">
          {formatBytes(m.sizeBytes)}
        </Badge>
      </div>
      <Paper withBorder p="md" mb="lg" component="section" aria-labelledby="download-title">
        <Title order={2} size="h4" mb="sm" id="download-title">
          Download
        </Title>
        {download.isError && (
          <Alert color="red" role="alert" mb="sm">
            {download.error.message}
          </Alert>
        )}
        <Anchor
          href={m.download}
          data-download="gguf"
          className="break-anywhere"
          onClick={(event) => {
            // The link names the file; the download itself needs the session's token.
            event.preventDefault();
            download.mutate(m);
          }}
        >
          Download {m.id}.gguf ({formatBytes(m.sizeBytes)})
        </Anchor>
        <Text size="sm" c="dimmed" mt={4}>
          GGUF, llama architecture: llama.cpp and the platform's agents load it.
        </Text>
      </Paper>
      <Paper withBorder p="md" mb="lg" component="section" aria-labelledby="lineage-title">
        <Title order={2} size="h4" mb="sm" id="lineage-title">
          Lineage
        </Title>
        <dl className="lineage">
          <dt>Training job</dt>
          <dd>
            <Anchor component={Link} to={`/training/jobs/${encodeURIComponent(m.jobId)}`}>
              {m.jobId}
            </Anchor>
          </dd>
          <dt>Dataset version</dt>
          <dd>
            <Anchor component={Link} to={`/datasets/versions/${encodeURIComponent(m.datasetVersionId)}`}>
              {m.datasetVersionId}
            </Anchor>
          </dd>
          <dt>Checkpoint</dt>
          <dd>{m.checkpointId ?? '—'}</dd>
          <dt>Preset</dt>
          <dd>{m.baseModel}</dd>
          <dt>Architecture</dt>
          <dd>
            llama, {c.nLayers} layers of width {c.dModel}, {c.nHeads} heads, vocabulary {c.vocabSize}, context {c.contextLength}
          </dd>
          <dt>Hyperparameters</dt>
          <dd>
            epochs {hp.nEpochs}, batch {hp.batchSize}, learning rate ×{hp.learningRateMultiplier}, context {hp.contextLength}, vocabulary {hp.vocabSize}, seed {hp.seed}
          </dd>
          <dt>Final metrics</dt>
          <dd data-metrics>
            training loss {formatLoss(m.metrics.trainLoss)}, validation loss {formatLoss(m.metrics.validLoss)}, perplexity{' '}
            {m.metrics.validPerplexity == null ? '—' : m.metrics.validPerplexity.toFixed(2)}, {m.metrics.steps} steps, {m.metrics.trainedTokens} tokens
          </dd>
          <dt>Size</dt>
          <dd>{formatBytes(m.sizeBytes)}</dd>
          <dt>Created</dt>
          <dd>{new Date(m.createdAt).toLocaleString()}</dd>
        </dl>
      </Paper>
    </section>
  );
}
