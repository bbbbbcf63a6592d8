// Builds the console into dist/apps/admin-console: index.html plus content-hashed files under
// assets/, which admin-dashboard serves as immutable. `nx serve admin-console` runs Vite's dev
// server and sends API calls to a platform on :8080 (`npm start`).
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = import.meta.dirname;
const gateway = process.env.LLMP_GATEWAY_URL ?? 'http://127.0.0.1:8080';

/** A gzip copy beside every script and stylesheet: admin-dashboard sends it to browsers that accept gzip. */
const precompress = {
  name: 'llmp-precompress',
  apply: 'build',
  generateBundle(_options, bundle) {
    for (const file of Object.values(bundle)) {
      if (!/\.(js|css)$/.test(file.fileName)) continue;
      const source = file.type === 'chunk' ? file.code : file.source;
      this.emitFile({ type: 'asset', fileName: `${file.fileName}.gz`, source: gzipSync(source, { level: 9 }) });
    }
  },
};

export default defineConfig({
  root,
  base: '/',
  plugins: [react(), precompress],
  build: {
    outDir: path.resolve(root, '../../dist/apps/admin-console'),
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    // Every browser the console supports has modulepreload; the polyfill would be an extra script.
    modulePreload: { polyfill: false },
    // Small files stay files: an inlined data: URL would need a looser Content-Security-Policy.
    assetsInlineLimit: 0,
    reportCompressedSize: true,
  },
  server: {
    host: '127.0.0.1',
    proxy: { '/api': gateway, '/healthz': gateway },
  },
});
