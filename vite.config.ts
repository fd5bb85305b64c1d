import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// Everything is served from the app's own origin: MediaPipe WASM and the landmark bundle live under
// public/ (built by scripts/setup.sh), so nothing is fetched from a CDN at run time.
export default defineConfig({
  plugins: [react()],
  // Several pages and no client-side routes: unknown URLs are 404s, not index.html.
  appType: 'mpa',
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 4000,
    // lab.html exposes the landmark pipeline to automation (validation, training-data prep, eval).
    rollupOptions: { input: { main: 'index.html', lab: 'lab.html' } },
  },
  server: { host: '127.0.0.1', port: 5173, strictPort: true },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true },
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'scripts/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
