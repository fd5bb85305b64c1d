import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// Nothing may leave the machine: every fetch, worker, WASM and model comes from the app's own origin.
// Sent as a response header too, because workers obey the policy of their own script's response,
// not the page's <meta> (MediaPipe's task runner, for one, posts usage logs to Google from inside
// the workers; this policy stops them before any byte leaves).
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "img-src 'self' blob: data:",
  "media-src 'self' blob: mediastream:",
  "style-src 'self' 'unsafe-inline'",
  "connect-src 'self' blob: data:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

// Everything is served from the app's own origin: MediaPipe WASM and the landmark bundle live under
// public/ (built by scripts/setup.sh), so nothing is fetched from a CDN at run time.
export default defineConfig({
  plugins: [
    react(),
    {
      name: 'content-security-policy-meta',
      transformIndexHtml: () => [
        { tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY }, injectTo: 'head-prepend' },
      ],
    },
  ],
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
  preview: { host: '127.0.0.1', port: 4173, strictPort: true, headers: { 'Content-Security-Policy': CONTENT_SECURITY_POLICY } },
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'scripts/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
