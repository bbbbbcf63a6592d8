// Builds the console into dist/apps/admin-console: index.html plus content-hashed files under
// assets/, which admin-dashboard serves as immutable. `nx serve admin-console` runs Vite's dev
// server and sends API calls to a platform on :8080 (`npm start`).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = import.meta.dirname;
const gateway = process.env.LLMP_GATEWAY_URL ?? 'http://127.0.0.1:8080';

/**
 * A gzip copy beside every script and stylesheet: admin-dashboard sends it to browsers that accept
 * gzip. Made from the files as written, after every other plugin has finished with them.
 */
const precompress = {
  name: 'llmp-precompress',
  apply: 'build',
  enforce: 'post',
  writeBundle(options, bundle) {
    for (const fileName of Object.keys(bundle)) {
      if (!/\.(js|css)$/.test(fileName)) continue;
      const file = path.join(options.dir, fileName);
      writeFileSync(`${file}.gz`, gzipSync(readFileSync(file), { level: 9 }));
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
