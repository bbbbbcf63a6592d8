#!/usr/bin/env node
// Bundles one app into dist/apps/<app>/main.cjs: workspace libraries (TypeScript
// sources) are compiled in, npm packages stay external and come from node_modules.
// `--entry src.ts:name` bundles another entry beside it as <name>.cjs: a file the
// app starts as its own process (the document parser) and finds next to main.cjs.
// `--bundle-npm <prefix>` compiles the npm packages whose names start with it into
// the bundles instead, with what they import (the trainer's tfjs, which the images do not install).
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    assets: { type: 'string', multiple: true, default: [] },
    entry: { type: 'string', multiple: true, default: [] },
    'bundle-npm': { type: 'string', multiple: true, default: [] },
  },
});
const [app] = positionals;
if (!app) {
  console.error('usage: build-app.mjs <app> [--assets from:to] [--entry src.ts:name]');
  process.exit(2);
}
const root = path.resolve(import.meta.dirname, '../..');
const outdir = path.join(root, 'dist/apps', app);
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });

const externalNpm = {
  name: 'external-npm',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@llmp/') || args.path.startsWith('node:')) return undefined;
      if (values['bundle-npm'].some((prefix) => args.path.startsWith(prefix))) return undefined;
      // What a bundled package imports in turn is bundled with it (tfjs's seedrandom, long, node-fetch).
      if (values['bundle-npm'].length && args.importer.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      return { path: args.path, external: true };
    });
  },
};

const started = performance.now();
const entryPoints = { main: path.join(root, 'apps', app, 'src/main.ts') };
for (const spec of values.entry) {
  const [from, name] = spec.split(':');
  entryPoints[name] = path.join(root, from);
}
const result = await build({
  entryPoints,
  outdir,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
  plugins: [externalNpm],
});
for (const spec of values.assets) {
  const [from, to] = spec.split(':');
  // Assets may be another project's build output (the console): say which, rather than ENOENT.
  if (!existsSync(path.join(root, from))) {
    console.error(`build-app: ${from} does not exist; build the project that writes it first (for dist/apps/<name>: npx nx build <name>)`);
    process.exit(1);
  }
  cpSync(path.join(root, from), path.join(outdir, to), { recursive: true });
}
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
console.log(`built dist/apps/${app}/main.cjs (${(bytes / 1024).toFixed(0)} KiB) in ${Math.round(performance.now() - started)} ms`);
