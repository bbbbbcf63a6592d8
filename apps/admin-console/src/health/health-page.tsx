import { Badge, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useRef } from 'react';
import type { DependencyCheck, Health } from '@llmp/contracts';
import { Sparkline, type LatencySample } from './sparkline';

const REFRESH_MS = 3000;
const HISTORY = 40;

/** /healthz answers 503 with the same report when a component is down: both are readings. */
async function fetchHealth(): Promise<Health> {
  const res = await fetch('/healthz', { cache: 'no-store', headers: { accept: 'application/json' } });
  return (await res.json()) as Health;
}

interface Row {
  name: string;
  label: string;
  child: boolean;
  check: Pick<DependencyCheck, 'status' | 'latencyMs' | 'error'>;
}

function rowsOf(report: Health): Row[] {
  return Object.entries(report.checks).flatMap(([name, check]) => [
    { name, label: name, child: false, check },
    ...Object.entries(check.checks ?? {}).map(([childName, childCheck]) => ({ name: `${name}/${childName}`, label: `↳ ${childName}`, child: true, check: childCheck })),
  ]);
}

const STATUS_COLOR: Record<string, string> = { up: 'green', ok: 'green', down: 'red', degraded: 'yellow', unreachable: 'red', unknown: 'gray' };

export function HealthPage() {
  // Samples per component, one per report (keyed by when it arrived, so a re-render adds none).
  const history = useRef(new Map<string, { at: number; samples: LatencySample[] }>());
  const health = useQuery({ queryKey: ['health'], queryFn: fetchHealth, refetchInterval: REFRESH_MS, retry: false });

  const remember = (name: string, check: Row['check'], at: number): LatencySample[] => {
    const entry = history.current.get(name) ?? { at: -1, samples: [] };
    if (entry.at !== at) {
      entry.samples = [...entry.samples, { latencyMs: check.latencyMs, up: check.status === 'up' }].slice(-HISTORY);
      entry.at = at;
      history.current.set(name, entry);
    }
    return entry.samples;
  };

  const overall = health.isError ? 'unreachable' : (health.data?.status ?? 'unknown');
  const overallText = health.isError ? `gateway unreachable: ${(health.error as Error).message}` : health.data ? (health.data.status === 'ok' ? 'all systems up' : 'degraded') : 'checking…';

  return (
    <section aria-labelledby="health-title">
      <div className="page-header">
        <Title order={1} id="health-title">
          Platform health
        </Title>
        <Badge id="overall" data-status={overall} color={STATUS_COLOR[overall]} variant="light" size="lg">
          {overallText}
        </Badge>
      </div>
      <Text c="dimmed" size="sm" mb="md">
        Live from <code>/healthz</code>, refreshed every few seconds{health.dataUpdatedAt ? `; updated ${new Date(health.dataUpdatedAt).toLocaleTimeString()}` : ''}. Latency over the last
        minutes is drawn beside each component.
      </Text>
      <Table.ScrollContainer minWidth={560}>
        <Table id="components" aria-label="component health" striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Component</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Latency</Table.Th>
              <Table.Th>Recent latency</Table.Th>
              <Table.Th>Detail</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {health.data &&
              rowsOf(health.data).map((row) => (
                <Table.Tr key={row.name} data-component={row.name} data-status={row.check.status}>
                  <Table.Td className={row.child ? 'child' : undefined}>{row.label}</Table.Td>
                  <Table.Td>
                    <Badge color={STATUS_COLOR[row.check.status]} variant="light">
                      {row.check.status}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{row.check.latencyMs} ms</Table.Td>
                  <Table.Td>
                    <Sparkline samples={remember(row.name, row.check, health.dataUpdatedAt)} width={HISTORY} />
                  </Table.Td>
                  <Table.Td className="detail">{row.check.error ?? ''}</Table.Td>
                </Table.Tr>
              ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </section>
  );
}
