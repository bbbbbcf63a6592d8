import { Alert, Anchor, Badge, Group, Paper, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { datasetsKey, type Dataset } from '../api/datasets';
import { accessLevel, allows, hasRole } from '../session/access';
import { useSignedIn } from '../session/session-context';
import { BuildPanel } from './build-panel';
import { CleaningPanel } from './cleaning-panel';
import { SourcesTable } from './recipe-tables';
import { RecordsReview } from './records-review';
import { UploadPanel } from './upload-panel';
import { VersionsPanel } from './versions-panel';
import './datasets.css';

function Count({ label, value }: { label: string; value: number }) {
  return (
    <div className="stat" data-count={label}>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text fw={700} size="lg">
        {value}
      </Text>
    </div>
  );
}

export function DatasetPage() {
  const { id = '' } = useParams();
  const { api, user } = useSignedIn();
  const dataset = useQuery({ queryKey: [...datasetsKey, id], queryFn: () => api.get<Dataset>(`/api/datasets/${encodeURIComponent(id)}`) });

  if (dataset.isError) {
    return (
      <Alert color="red" role="alert" title="Dataset not available">
        {dataset.error.message}
      </Alert>
    );
  }
  if (!dataset.data) return <Text>Loading…</Text>;
  const ds = dataset.data;
  const level = accessLevel(user, ds, null);
  const canWrite = allows(level, 'write');

  return (
    <section aria-labelledby="dataset-title">
      <Anchor component={Link} to="/datasets" size="sm">
        ← Datasets
      </Anchor>
      <div className="page-header">
        <Title order={1} id="dataset-title">
          {ds.name}
        </Title>
        <Badge variant="light" color={ds.visibility === 'organisation' ? 'blue' : 'gray'}>
          {ds.visibility}
        </Badge>
        <Badge variant="outline" color="gray">
          you: {level}
        </Badge>
      </div>
      {ds.description && <Text mb="md">{ds.description}</Text>}
      <Paper withBorder p="md" mb="lg" component="section" aria-label="Record counts">
        <Group gap="xl" wrap="wrap" mb="sm">
          <Count label="Records" value={ds.records.total} />
          <Count label="Pending" value={ds.records.pending} />
          <Count label="Accepted" value={ds.records.accepted} />
          <Count label="Rejected" value={ds.records.rejected} />
        </Group>
        <SourcesTable recipe={ds.recipe} />
      </Paper>
      <BuildPanel datasetId={ds.id} canWrite={canWrite} />
      {canWrite && <UploadPanel datasetId={ds.id} />}
      <CleaningPanel datasetId={ds.id} steps={ds.recipe.steps} canWrite={canWrite} />
      <RecordsReview datasetId={ds.id} canReview={hasRole(user.role, 'manager')} />
      <VersionsPanel datasetId={ds.id} canWrite={canWrite} />
    </section>
  );
}
