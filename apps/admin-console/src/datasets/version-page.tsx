import { Alert, Anchor, Badge, Button, Group, Paper, Table, Text, Title } from '@mantine/core';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { datasetsKey, exportFormats, exportPath, type DatasetExportFormat, type DatasetVersion, type Split } from '../api/datasets';
import { saveDownload } from '../api/download';
import { useSignedIn } from '../session/session-context';
import { SourcesTable, StepsTable } from './recipe-tables';
import './datasets.css';

const SPLITS: Split[] = ['train', 'validation', 'test'];
const FORMAT_LABEL: Record<DatasetExportFormat, string> = {
  'openai-chat': 'OpenAI chat (JSONL)',
  alpaca: 'Alpaca (JSON)',
  sharegpt: 'ShareGPT (JSON)',
  text: 'Text (JSONL)',
};

function SplitStatsTable({ version }: { version: DatasetVersion }) {
  return (
    <Table.ScrollContainer minWidth={420}>
      <Table aria-label="split statistics">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Split</Table.Th>
            <Table.Th>Examples</Table.Th>
            <Table.Th>Tokens</Table.Th>
            <Table.Th>Longest</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {SPLITS.map((split) => (
            <Table.Tr key={split} data-split={split}>
              <Table.Td>{split}</Table.Td>
              <Table.Td>{version.counts[split]}</Table.Td>
              <Table.Td>{version.stats.splits[split]?.tokens ?? 0}</Table.Td>
              <Table.Td>{version.stats.splits[split]?.maxTokens ?? 0}</Table.Td>
            </Table.Tr>
          ))}
          <Table.Tr>
            <Table.Td fw={600}>all</Table.Td>
            <Table.Td fw={600}>{version.stats.examples}</Table.Td>
            <Table.Td fw={600}>{version.stats.tokens}</Table.Td>
            <Table.Td />
          </Table.Tr>
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

/** Example lengths in token buckets, as bars of a definition list (the numbers are the text). */
function Histogram({ version }: { version: DatasetVersion }) {
  const buckets = version.stats.histogram.filter((b) => b.examples > 0);
  const most = Math.max(1, ...buckets.map((b) => b.examples));
  if (!buckets.length) return null;
  return (
    <dl className="histogram" aria-label="example lengths in tokens">
      {buckets.map((b) => (
        <div key={b.min} className="histogram-row">
          <dt>{b.max === null ? `${b.min}+` : `${b.min}–${b.max - 1}`} tokens</dt>
          <dd>
            <progress max={most} value={b.examples} aria-label={`${b.examples} examples of ${b.min} tokens or more`} />
            <span>{b.examples}</span>
          </dd>
        </div>
      ))}
    </dl>
  );
}

export function VersionPage() {
  const { versionId = '' } = useParams();
  const { api, token } = useSignedIn();
  const version = useQuery({
    queryKey: [...datasetsKey, 'versions', versionId],
    queryFn: () => api.get<DatasetVersion>(`/api/datasets/versions/${encodeURIComponent(versionId)}`),
  });
  const download = useMutation({
    mutationFn: (format: DatasetExportFormat) => saveDownload(exportPath(versionId, format), token, `${versionId}-${format}`),
  });

  if (version.isError) {
    return (
      <Alert color="red" role="alert" title="Version not available">
        {version.error.message}
      </Alert>
    );
  }
  if (!version.data) return <Text>Loading…</Text>;
  const v = version.data;

  return (
    <section aria-labelledby="version-title">
      <Anchor component={Link} to={`/datasets/${encodeURIComponent(v.datasetId)}`} size="sm">
        ← Dataset
      </Anchor>
      <div className="page-header">
        <Title order={1} id="version-title">
          Version {v.number}
        </Title>
        <Badge variant="light">{v.status}</Badge>
        <Badge variant="outline" color="gray">
          {v.kind}
        </Badge>
        <Text size="sm" c="dimmed">
          {v.id}
        </Text>
      </div>
      <Group gap="sm" mb="lg" wrap="wrap">
        <Button component={Link} to={`/training?version=${encodeURIComponent(v.id)}`}>
          Train on this version
        </Button>
      </Group>
      <Paper withBorder p="md" mb="lg" component="section" aria-labelledby="stats-title">
        <Title order={2} size="h4" mb="sm" id="stats-title">
          Statistics
        </Title>
        <SplitStatsTable version={v} />
        <Histogram version={v} />
      </Paper>
      <Paper withBorder p="md" mb="lg" component="section" aria-labelledby="recipe-title">
        <Title order={2} size="h4" mb="sm" id="recipe-title">
          Recipe
        </Title>
        <Text size="sm" mb="sm" data-split-settings>
          Records: {v.split.from === 'accepted' ? 'accepted only' : 'all not rejected'}; split {Math.round((1 - v.split.validation - v.split.test) * 100)}% train, {Math.round(v.split.validation * 100)}% validation,{' '}
          {Math.round(v.split.test * 100)}% test by record id with seed <code>{v.split.seed}</code>.
        </Text>
        <SourcesTable recipe={v.recipe} />
        <Text size="sm" fw={600} mt="sm" mb={4}>
          Cleaning passes
        </Text>
        <StepsTable steps={v.recipe.steps} label="version cleaning passes" />
      </Paper>
      <Paper withBorder p="md" mb="lg" component="section" aria-labelledby="export-title">
        <Title order={2} size="h4" mb="sm" id="export-title">
          Export
        </Title>
        {download.isError && (
          <Alert color="red" role="alert" mb="sm">
            {download.error.message}
          </Alert>
        )}
        <ul className="downloads" aria-label="export formats">
          {exportFormats(v.kind).map((format) => (
            <li key={format}>
              <Anchor
                href={exportPath(v.id, format)}
                data-format={format}
                onClick={(event) => {
                  // The link names the file; the download itself needs the session's token.
                  event.preventDefault();
                  download.mutate(format);
                }}
              >
                Download {FORMAT_LABEL[format]}
              </Anchor>
            </li>
          ))}
        </ul>
      </Paper>
    </section>
  );
}
