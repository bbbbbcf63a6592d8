import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sh } from '../process/runner';
import { BASE_IMAGES, contentHash, listFiles, manifestFiles, resolveBaseImage, withLock } from './images';

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

describe('resolveBaseImage', () => {
  /** An engine that holds the given images and whose registry pulls answer as told: it records every docker call. */
  function engine(images: string[], pullWorks = true) {
    const calls: string[] = [];
    const sh: Sh = async (command, args) => {
      calls.push([command, ...args].join(' '));
      const ref = args[args.length - 1];
      const ok = args[0] === 'image' ? images.includes(ref) : args[0] === 'pull' ? pullWorks : false;
      return { exitCode: ok ? 0 : 1, stdout: '', stderr: '', durationMs: 0 };
    };
    return { sh, calls };
  }
  const options = { root: '/nowhere', pullTimeoutMs: 15_000, buildLocal: false };

  it('uses the local Debian-built image when it is on the engine, without asking a registry', async () => {
    const { sh, calls } = engine([BASE_IMAGES.node.local]);
    expect(await resolveBaseImage(BASE_IMAGES.node, { ...options, sh })).toEqual({ image: BASE_IMAGES.node.local, source: 'local' });
    expect(calls.filter((c) => c.includes(' pull '))).toEqual([]);
  });

  it('prefers the upstream image when the engine has it, and pulls it only when neither is there', async () => {
    expect(await resolveBaseImage(BASE_IMAGES.node, { ...options, sh: engine([BASE_IMAGES.node.upstream, BASE_IMAGES.node.local]).sh })).toEqual({ image: BASE_IMAGES.node.upstream, source: 'upstream' });
    const empty = engine([]);
    expect(await resolveBaseImage(BASE_IMAGES.node, { ...options, sh: empty.sh })).toEqual({ image: BASE_IMAGES.node.upstream, source: 'pulled' });
    expect(empty.calls.filter((c) => c.includes(' pull '))).toHaveLength(1);
  });

  it('says how to build the local image when nothing is there and nothing can be pulled', async () => {
    await expect(resolveBaseImage(BASE_IMAGES.node, { ...options, sh: engine([], false).sh })).rejects.toThrow(/build-base-images\.sh/);
  });
});
