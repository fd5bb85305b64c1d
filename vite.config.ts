import { randomBytes } from 'node:crypto';
import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// Nothing may leave the machine: every fetch, worker, WASM and model comes from the app's own origin.
// Sent as a response header too, because workers obey the policy of their own script's response,
// not the page's <meta> (MediaPipe's task runner, for one, posts usage logs to Google from inside
// the workers; this policy stops them before any byte leaves). `vite dev` adds a nonce for the
// inline scripts it injects (React Fast Refresh's preamble); builds have no inline script.
function contentSecurityPolicy(nonce?: string): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'wasm-unsafe-eval'${nonce ? ` 'nonce-${nonce}'` : ''}`,
    "worker-src 'self' blob:",
    "img-src 'self' blob: data:",
    "media-src 'self' blob: mediastream:",
    "style-src 'self' 'unsafe-inline'",
    "connect-src 'self' blob: data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

// Sent by `vite dev` and `vite preview` alike (and required of a static host, see README): the CSP
// for workers, and cross-origin isolation (COOP + COEP), without which the browser gives no
// SharedArrayBuffer (WASM threads).
function securityHeaders(csp: string): Record<string, string> {
  return {
    'Content-Security-Policy': csp,
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
  };
}

// Everything is served from the app's own origin: MediaPipe's and tf.js's WASM and the landmark bundle
// live under public/ (built by scripts/setup.sh), so nothing is fetched from a CDN at run time.
export default defineConfig(({ command, isPreview }) => {
  // A fresh nonce per dev-server start; the build and `vite preview` need none.
  const devNonce = command === 'serve' && !isPreview ? randomBytes(18).toString('base64') : undefined;
  const csp = contentSecurityPolicy(devNonce);
  return {
    plugins: [
      react(),
      {
        name: 'content-security-policy-meta',
        transformIndexHtml: () => [
          { tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: csp }, injectTo: 'head-prepend' as const },
        ],
      },
    ],
    html: devNonce ? { cspNonce: devNonce } : undefined,
    // Several pages and no client-side routes: unknown URLs are 404s, not index.html.
    appType: 'mpa',
    worker: { format: 'es' },
    build: {
      target: 'es2022',
      chunkSizeWarningLimit: 4000,
      // lab.html exposes the landmark pipeline to automation (validation, training-data prep, eval).
      rollupOptions: { input: { main: 'index.html', lab: 'lab.html' } },
    },
    server: { host: '127.0.0.1', port: 5173, strictPort: true, headers: securityHeaders(csp) },
    preview: { host: '127.0.0.1', port: 4173, strictPort: true, headers: securityHeaders(csp) },
    test: {
      include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'scripts/**/*.test.ts'],
      environment: 'node',
      testTimeout: 120_000,
      hookTimeout: 120_000,
      pool: 'forks',
    },
  };
});
