import { Table, Text } from '@mantine/core';
import type { Recipe, RecipeStep } from '../api/datasets';

const PASS_LABEL: Record<string, string> = {
  'exact-dedup': 'Exact duplicates',
  'near-dedup': 'Near duplicates',
  'pii-redaction': 'Personal data',
  'length-filter': 'Length filter',
};

const passLabel = (pass: string) => PASS_LABEL[pass] ?? pass;

function details(step: RecipeStep): string {
  const entries = Object.entries(step.details ?? {}).filter(([, n]) => n > 0);
  return entries.length ? entries.map(([k, n]) => `${k} ${n}`).join(', ') : '—';
}

/** Cleaning passes with the records that entered and left each one. */
export function StepsTable({ steps, label }: { steps: RecipeStep[]; label: string }) {
  if (!steps.length) return <Text c="dimmed" size="sm">No cleaning pass has run.</Text>;
  return (
    <Table.ScrollContainer minWidth={480}>
      <Table aria-label={label}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Pass</Table.Th>
            <Table.Th>Before</Table.Th>
            <Table.Th>After</Table.Th>
            <Table.Th>Removed</Table.Th>
            <Table.Th>Details</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {steps.map((s, i) => (
            <Table.Tr key={i} data-pass={s.pass}>
              <Table.Td>{passLabel(s.pass)}</Table.Td>
              <Table.Td>{s.before}</Table.Td>
              <Table.Td>{s.after}</Table.Td>
              <Table.Td>{s.before - s.after}</Table.Td>
              <Table.Td>{details(s)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

/** Where a dataset's records came from. */
export function SourcesTable({ recipe }: { recipe: Recipe }) {
  if (!recipe.sources.length) return <Text c="dimmed" size="sm">No records added yet.</Text>;
  return (
    <Table.ScrollContainer minWidth={480}>
      <Table aria-label="sources">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Source</Table.Th>
            <Table.Th>Stored</Table.Th>
            <Table.Th>Refused</Table.Th>
            <Table.Th>When</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {recipe.sources.map((s, i) => (
            <Table.Tr key={i}>
              <Table.Td>{s.type === 'upload' ? `upload ${s.filename ?? ''}` : `knowledge base ${s.knowledgeBaseId} (${s.mode})`}</Table.Td>
              <Table.Td>{s.stored}</Table.Td>
              <Table.Td>{s.type === 'upload' ? s.rejected : '—'}</Table.Td>
              <Table.Td>{new Date(s.at).toLocaleString()}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
