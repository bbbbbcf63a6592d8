import type { AgentConfig, VersionDiffEntry } from '@llmp/contracts';

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Field-by-field differences between two configurations: objects are
 * walked to their leaves (`retrieval.topK`), arrays and scalars compare
 * whole. A field present on one side only shows `undefined` on the other.
 */
export function diffConfigs(from: AgentConfig, to: AgentConfig): VersionDiffEntry[] {
  const changes: VersionDiffEntry[] = [];
  const walk = (a: unknown, b: unknown, path: string) => {
    if (isPlainObject(a) && isPlainObject(b)) {
      const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
      for (const key of keys) walk(a[key], b[key], path ? `${path}.${key}` : key);
      return;
    }
    if (JSON.stringify(a) !== JSON.stringify(b)) changes.push({ field: path, from: a, to: b });
  };
  walk(from, to, '');
  return changes;
}
