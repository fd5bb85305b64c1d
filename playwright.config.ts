import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './e2e/chromium.ts';

// Debian's Chromium only: never a Playwright browser download. The flags keep it quiet on a closed
// network and let it run as root; WebGPU runs headless on SwiftShader.
// PW_PORT and PW_DIST let several suites run side by side (each with its own server and build).
const PORT = Number(process.env.PW_PORT ?? 5174);
const DIST = process.env.PW_DIST ? ` --outDir ${process.env.PW_DIST}` : '';
// Tests run against the production build (vite preview) unless PW_DEV=1 asks for the dev server.
const server = process.env.PW_DEV ? `npx vite --port ${PORT} --strictPort` : `npx vite preview --port ${PORT} --strictPort${DIST}`;

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results',
  timeout: 180_000,
  expect: { timeout: 30_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list'], ['json', { outputFile: 'reports/playwright.json' }]],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    viewport: { width: 1280, height: 720 },
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: CHROMIUM_PATH,
      args: [...CHROMIUM_ARGS],
    },
  },
  webServer: {
    command: server,
    url: `http://127.0.0.1:${PORT}/`,
    reuseExistingServer: !process.env.CI,
    timeout: 120_000,
  },
});
