import { Alert, Group, NativeSelect, Paper, Table, Text, TextInput, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { agentsKey, utcDay, type Agent, type UsageSummaryRow } from '../api/agents';
import { useSignedIn } from '../session/session-context';

const sourceOf = (row: UsageSummaryRow) => (row.source === 'playground' ? 'playground' : `key ${row.keyName ?? row.keyId}`);

/** Sums rows by a grouping key, keeping the order groups first appear in. */
function totals(rows: UsageSummaryRow[], keyOf: (row: UsageSummaryRow) => string) {
  const by = new Map<string, { name: string; requests: number; failed: number; promptTokens: number; completionTokens: number }>();
  for (const row of rows) {
    const name = keyOf(row);
    const entry = by.get(name) ?? { name, requests: 0, failed: 0, promptTokens: 0, completionTokens: 0 };
    entry.requests += row.requests;
    entry.failed += row.failed;
    entry.promptTokens += row.promptTokens;
    entry.completionTokens += row.completionTokens;
    by.set(name, entry);
  }
  return [...by.values()];
}

function Chart({ title, data, bars }: { title: string; data: object[]; bars: Array<{ key: string; name: string; color: string }> }) {
  return (
    <Paper withBorder p="md" role="figure" aria-label={title}>
      <Title order={2} size="h5" mb="xs">
        {title}
      </Title>
      <div style={{ width: '100%', height: 220 }}>
        <ResponsiveContainer>
          <BarChart data={data} margin={{ top: 4, right: 8, bottom: 4, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="name" tick={{ fontSize: 12 }} />
            <YAxis allowDecimals={false} tick={{ fontSize: 12 }} width={48} />
            <Tooltip />
            <Legend />
            {bars.map((b) => (
              <Bar key={b.key} dataKey={b.key} name={b.name} stackId="a" fill={b.color} maxBarSize={56} isAnimationActive={false} />
            ))}
          </BarChart>
        </ResponsiveContainer>
      </div>
    </Paper>
  );
}

export function UsagePage() {
  const { api } = useSignedIn();
  const [from, setFrom] = useState(utcDay(13));
  const [to, setTo] = useState(utcDay(0));
  const [agentId, setAgentId] = useState('');
  const agents = useQuery({ queryKey: agentsKey, queryFn: () => api.get<{ data: Agent[] }>('/api/agents') });
  const params = new URLSearchParams({ ...(from && { from }), ...(to && { to }), ...(agentId && { agentId }) });
  const usage = useQuery({ queryKey: [...agentsKey, 'usage', from, to, agentId], queryFn: () => api.get<{ data: UsageSummaryRow[] }>(`/api/agents/usage?${params}`) });
  const rows = useMemo(() => usage.data?.data ?? [], [usage.data]);
  const perDay = useMemo(() => totals(rows, (r) => r.day), [rows]);
  const perAgent = useMemo(() => totals(rows, (r) => r.agentName), [rows]);
  const perSource = useMemo(() => totals(rows, sourceOf), [rows]);

  return (
    <section aria-labelledby="usage-title">
      <Title order={1} id="usage-title" mb="md">
        Usage
      </Title>
      <Group align="end" wrap="wrap" mb="md" component="form" aria-label="Usage filters" onSubmit={(e) => e.preventDefault()}>
        <TextInput type="date" label="From (UTC)" value={from} onChange={(e) => setFrom(e.currentTarget.value)} />
        <TextInput type="date" label="To (UTC)" value={to} onChange={(e) => setTo(e.currentTarget.value)} />
        <NativeSelect label="Agent" data={[{ value: '', label: 'All agents' }, ...(agents.data?.data.map((a) => ({ value: a.id, label: a.name })) ?? [])]} value={agentId} onChange={(e) => setAgentId(e.currentTarget.value)} />
      </Group>
      {usage.isError && (
        <Alert color="red" role="alert">
          {usage.error.message}
        </Alert>
      )}
      {usage.isSuccess && rows.length === 0 && <Text c="dimmed">No calls in these days.</Text>}
      {rows.length > 0 && (
        <>
          {/* A stylesheet grid: Mantine's responsive SimpleGrid writes a <style> element, which the console's CSP refuses. */}
          <div className="usage-charts">
            <Chart title="Requests per day" data={perDay} bars={[{ key: 'requests', name: 'requests', color: '#1c5fa8' }]} />
            <Chart
              title="Tokens per agent"
              data={perAgent}
              bars={[
                { key: 'promptTokens', name: 'prompt', color: '#1c5fa8' },
                { key: 'completionTokens', name: 'completion', color: '#2f9e44' },
              ]}
            />
            <Chart
              title="Requests per key"
              data={perSource}
              bars={[
                { key: 'requests', name: 'requests', color: '#5f3dc4' },
                { key: 'failed', name: 'failed', color: '#c92a2a' },
              ]}
            />
          </div>
          <Table.ScrollContainer minWidth={860}>
            <Table aria-label="usage" striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Day</Table.Th>
                  <Table.Th>Agent</Table.Th>
                  <Table.Th>Key</Table.Th>
                  <Table.Th>Requests</Table.Th>
                  <Table.Th>Failed</Table.Th>
                  <Table.Th>Prompt tokens</Table.Th>
                  <Table.Th>Completion tokens</Table.Th>
                  <Table.Th>Mean latency</Table.Th>
                  <Table.Th>Mean first token</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map((r) => (
                  <Table.Tr key={`${r.day}-${r.agentId}-${r.source}-${r.keyId ?? ''}`} data-usage={`${r.agentName}/${r.source}`}>
                    <Table.Td>{r.day}</Table.Td>
                    <Table.Td>{r.agentName}</Table.Td>
                    <Table.Td>{sourceOf(r)}</Table.Td>
                    <Table.Td>{r.requests}</Table.Td>
                    <Table.Td>{r.failed}</Table.Td>
                    <Table.Td>{r.promptTokens}</Table.Td>
                    <Table.Td>{r.completionTokens}</Table.Td>
                    <Table.Td>{r.meanLatencyMs} ms</Table.Td>
                    <Table.Td>{r.meanTimeToFirstTokenMs === null ? '—' : `${r.meanTimeToFirstTokenMs} ms`}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </>
      )}
    </section>
  );
}
