// Opens the app's automation page (lab.html) in Debian's headless Chromium behind a Vite dev server,
// for the Node scripts that drive the app's own pipeline (eval, bench).
import { createServer as createNetServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../e2e/chromium.ts';
import type { LabEvaluationApi } from '../src/lab/evaluate.ts';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createNetServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

export interface LabSession {
  browser: Browser;
  /** A new lab.html page, ready (window.lab is set). `prepare` runs before navigation (routes). */
  newLabPage(prepare?: (page: Page) => Promise<void>): Promise<Page>;
  close(): Promise<void>;
}

export async function openLabSession(): Promise<LabSession> {
  const port = await freePort();
  const { createServer } = await import('vite');
  // No file watching and no HMR: a source file edited during a long run (an eval takes minutes) must
  // not reload the page under it, which destroys the page's state and fails the run.
  const server = await createServer({
    root: REPO_ROOT,
    logLevel: 'warn',
    server: { host: '127.0.0.1', port, strictPort: true, hmr: false, watch: null },
  });
  await server.listen();
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS] });
  return {
    browser,
    async newLabPage(prepare) {
      const page = await browser.newPage();
      await prepare?.(page);
      await page.goto(`http://127.0.0.1:${port}/lab.html`);
      await page.waitForFunction(() => document.documentElement.dataset.labReady === 'true', undefined, { timeout: 180_000 });
      return page;
    },
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

/** window.lab.evaluation of `page`, called from Node with the in-page API's signatures. */
export function pageEvaluationApi(page: Page): LabEvaluationApi {
  const call =
    (name: keyof LabEvaluationApi) =>
    (...args: unknown[]) =>
      page.evaluate(
        ([fn, fnArgs]) => {
          const api = (window as unknown as { lab: { evaluation: Record<string, (...a: unknown[]) => Promise<unknown>> } }).lab.evaluation;
          return api[fn as string](...(fnArgs as unknown[]));
        },
        [name, args] as const,
      );
  const names: (keyof LabEvaluationApi)[] = [
    'analyze',
    'initAvatar',
    'createAvatar',
    'fineTune',
    'render',
    'identity',
    'faceresIdentity',
    'features',
    'detect',
    'describe',
    'warpCost',
    'track',
    'setMetricsBackends',
  ];
  return Object.fromEntries(names.map((name) => [name, call(name)])) as unknown as LabEvaluationApi;
}
