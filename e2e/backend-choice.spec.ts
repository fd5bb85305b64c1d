import type { Page } from '@playwright/test';
import { HAS_SHARED, NO_SHARED_REASON } from './fixtures.ts';
import { TINY_WEIGHTS_URL, litPixels, makeAvatar } from './flows.ts';
import { expect, test } from './test.ts';

// The backend choice (src/nn/backend.ts) in Debian's Chromium, whose only WebGPU adapter here is
// SwiftShader, a software rasteriser: the app picks WASM and says why; the Backend setting under
// Advanced (and ?backend=) overrides it, remembered; fine-tuning completes on WASM; the WASM binaries
// come from the app's own origin, and (the origin guard of ./test) no request leaves it.

/** Every request the page and its workers make to the app's copy of the tf.js WASM files. */
function wasmRequests(page: Page): string[] {
  const seen: string[] = [];
  page.on('request', (req) => {
    if (/\/tfjs-wasm\//.test(req.url())) seen.push(req.url());
  });
  return seen;
}

/** Console messages that report a Content-Security-Policy violation (e.g. a blob: script). */
function cspViolations(page: Page): string[] {
  const seen: string[] = [];
  const note = (text: string) => /Content Security Policy|importScripts/.test(text) && seen.push(text);
  page.on('console', (m) => note(m.text()));
  page.on('pageerror', (e) => note(e.message));
  return seen;
}

async function openAdvanced(page: Page) {
  const toggle = page.getByTestId('advanced-toggle');
  if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
}

test.describe('backend choice', () => {
  test.skip(!HAS_SHARED, NO_SHARED_REASON);

  test('on SwiftShader the app picks WASM, says so and why, from binaries on its own origin', async ({ page, baseURL }, info) => {
    const requests = wasmRequests(page);
    const violations = cspViolations(page);
    await makeAvatar(page);
    await expect(page.getByTestId('avatar-ready')).toContainText('on wasm');
    const notice = page.getByTestId('notice-info');
    await expect(notice).toContainText('The model runs on WASM');
    await expect(notice).toContainText(/software rasteriser|measured/);
    await openAdvanced(page);
    const inUse = page.getByTestId('backend-in-use');
    await expect(inUse).toHaveAttribute('data-backend', 'wasm');
    await expect(inUse).toContainText(/The model runs on WASM \(SIMD, \d+ threads?/);
    await expect(page.getByTestId('backend-select')).toHaveValue('auto');
    const isolated = await page.evaluate(() => globalThis.crossOriginIsolated);
    info.annotations.push({ type: 'backend', description: (await inUse.textContent()) ?? '' });
    info.annotations.push({ type: 'crossOriginIsolated', description: String(isolated) });
    expect(isolated).toBe(true);
    // Cross-origin isolated: the threaded build, its thread workers started from this origin.
    expect(requests.some((url) => url.endsWith('/tfjs-backend-wasm-threaded-simd.wasm'))).toBe(true);
    for (const url of requests) expect(new URL(url).origin).toBe(new URL(baseURL!).origin);
    info.annotations.push({ type: 'tfjs-wasm requests', description: [...new Set(requests.map((u) => new URL(u).pathname))].join(', ') });
    expect(violations).toEqual([]);
    expect(await litPixels(page.getByTestId('avatar-ready').locator('canvas.avatar-frame').first())).toBeGreaterThan(0);
    await page.screenshot({ path: info.outputPath('backend-wasm.png'), fullPage: true });
  });

  test('the Backend setting switches to WebGPU with the avatar kept, and is remembered', async ({ page }, info) => {
    test.setTimeout(300_000);
    await makeAvatar(page);
    await expect(page.getByTestId('avatar-ready')).toContainText('on wasm');
    await openAdvanced(page);
    await page.getByTestId('backend-select').selectOption('webgpu');
    const inUse = page.getByTestId('backend-in-use');
    await expect(inUse).toHaveAttribute('data-backend', 'webgpu', { timeout: 120_000 });
    await expect(inUse).toContainText('chosen by the Backend setting under Advanced');
    const ready = page.getByTestId('avatar-ready');
    await expect(ready).toContainText('on webgpu', { timeout: 120_000 });
    await expect(ready).toHaveAttribute('data-generation', '2');
    expect(await litPixels(ready.locator('canvas.avatar-frame').first())).toBeGreaterThan(0);
    await page.screenshot({ path: info.outputPath('backend-webgpu.png'), fullPage: true });

    // Remembered: a new visit starts on WebGPU.
    await makeAvatar(page);
    await expect(page.getByTestId('avatar-ready')).toContainText('on webgpu');
    await openAdvanced(page);
    await expect(page.getByTestId('backend-select')).toHaveValue('webgpu');

    // ?backend= wins over the remembered setting, and fixes it for the page.
    await makeAvatar(page, undefined, `${TINY_WEIGHTS_URL}&backend=cpu`);
    await expect(page.getByTestId('avatar-ready')).toContainText('on cpu');
    await openAdvanced(page);
    await expect(page.getByTestId('backend-select')).toHaveValue('cpu');
    await expect(page.getByTestId('backend-select')).toBeDisabled();
    await expect(page.getByTestId('backend-in-use')).toContainText('?backend=cpu');

    // Back to automatic: WASM again.
    await makeAvatar(page);
    await openAdvanced(page);
    await page.getByTestId('backend-select').selectOption('auto');
    await expect(page.getByTestId('backend-in-use')).toHaveAttribute('data-backend', 'wasm', { timeout: 120_000 });
  });

  test('fine-tuning completes on WASM', async ({ page }, info) => {
    test.setTimeout(480_000);
    await makeAvatar(page);
    await expect(page.getByTestId('avatar-ready')).toContainText('on wasm');
    const panel = page.getByTestId('finetune');
    const started = Date.now();
    await page.getByRole('button', { name: 'Fine-tune', exact: true }).click();
    await expect(panel).toHaveAttribute('data-phase', 'done', { timeout: 420_000 });
    const steps = Number(await panel.getAttribute('data-step'));
    info.annotations.push({ type: 'fine-tune on WASM (steps, ms)', description: `${steps}, ${Date.now() - started}` });
    expect(steps).toBeGreaterThanOrEqual(20);
    await expect(page.getByTestId('finetune-status')).toContainText(/loss G -?\d+\.\d+ · D \d+\.\d+/);
    await expect(page.getByTestId('finetune-error')).toHaveCount(0);
    expect(await litPixels(page.getByTestId('avatar-ready').locator('canvas.avatar-frame').first())).toBeGreaterThan(0);
    await page.screenshot({ path: info.outputPath('finetune-wasm.png'), fullPage: true });
  });
});
