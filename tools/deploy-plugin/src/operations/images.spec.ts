import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contentHash, listFiles, manifestFiles, withLock } from './images';

function workspace(): string {
  const root = mkdtempSync(join(tmpdir(), 'llmp-images-'));
  for (const [path, content] of Object.entries({
    'package.json': '{}',
    'package-lock.json': '{}',
    'apps/api-gateway/package.json': '{"name":"@llmp/api-gateway"}',
    'apps/api-gateway/src/main.ts': '',
    'libs/core/package.json': '{}',
    'tools/deploy-plugin/package.json': '{}',
    'dist/apps/api-gateway/main.cjs': 'console.log(1)',
    'dist/apps/api-gateway/main.cjs.map': '{}',
  })) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

describe('manifestFiles', () => {
  it('lists what npm ci sees: root manifest, lockfile and every workspace manifest', () => {
    expect(manifestFiles(workspace())).toEqual(['package.json', 'package-lock.json', 'apps/api-gateway/package.json', 'libs/core/package.json', 'tools/deploy-plugin/package.json']);
  });
});

describe('contentHash', () => {
  it('changes when a file changes and not when the list order does', () => {
    const root = workspace();
    const files = listFiles(root, 'dist/apps/api-gateway', (rel) => rel.endsWith('.map'));
    expect(files).toEqual(['dist/apps/api-gateway/main.cjs']);
    const before = contentHash(root, ['package.json', ...files], ['base-id']);
    expect(contentHash(root, [...files, 'package.json'], ['base-id'])).toBe(before);
    writeFileSync(join(root, 'dist/apps/api-gateway/main.cjs'), 'console.log(2)');
    expect(contentHash(root, ['package.json', ...files], ['base-id'])).not.toBe(before);
  });

  it('changes with the base image id', () => {
    const root = workspace();
    expect(contentHash(root, ['package.json'], ['a'])).not.toBe(contentHash(root, ['package.json'], ['b']));
  });
});

describe('withLock', () => {
  it('runs critical sections one at a time and releases the lock', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'llmp-lock-')), 'lock');
    const order: string[] = [];
    const section = (name: string) => withLock(dir, async () => {
      order.push(`${name}:in`);
      await new Promise((r) => setTimeout(r, 30));
      order.push(`${name}:out`);
    }, { pollMs: 5 });
    await Promise.all([section('a'), section('b')]);
    expect(order).toEqual(['a:in', 'a:out', 'b:in', 'b:out']);
    expect(existsSync(dir)).toBe(false);
  });

  it('takes over a lock left by a dead process', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'llmp-lock-')), 'lock');
    mkdirSync(dir);
    writeFileSync(join(dir, 'pid'), '999999');
    await expect(withLock(dir, async () => 'done', { timeoutMs: 1000, pollMs: 5 })).resolves.toBe('done');
  });
});
