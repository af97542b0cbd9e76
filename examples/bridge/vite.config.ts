import { defineConfig } from 'vite';

// The page lives in src/client; workspace packages are resolved to their TypeScript sources.
export default defineConfig({
  root: 'src/client',
  resolve: { conditions: ['source', 'browser', 'module', 'import', 'default'] },
  build: { outDir: '../../dist/public', emptyOutDir: true, sourcemap: true },
  server: { proxy: { '/ws': { target: 'ws://localhost:8080', ws: true }, '/api': 'http://localhost:8080' } },
});
