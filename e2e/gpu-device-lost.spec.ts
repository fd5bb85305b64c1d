import type { Page } from '@playwright/test';
import { HAS_SHARED, NO_SHARED_REASON } from './fixtures.ts';
import { TINY_WEIGHTS_URL, litPixels, makeAvatar } from './flows.ts';
import { expect, test } from './test.ts';

// A lost GPU device, on WebGPU (SwiftShader here) and the tiny test weights. `?debug=1` exposes
// window.__avatarDebug, whose loseDevice() destroys the worker's GPUDevice and marks the loss as
// simulated, so the app treats it as a real one: fresh worker on WebGPU once more, then WASM (WebGL,
// CPU). WebGPU by the ?backend= override: on SwiftShader the automatic choice is WASM, with no GPU to lose.
const DEBUG_URL = `${TINY_WEIGHTS_URL}&debug=1&backend=webgpu`;

/** Loses the device and waits until worker `generation` has restored the avatar and re-rendered it. */
async function loseDeviceAndRecover(page: Page, generation: number) {
  await page.evaluate(() => window.__avatarDebug!.loseDevice());
  const status = page.getByTestId('model-status');
  await expect(status).toHaveAttribute('data-generation', String(generation));
  await expect(status).toContainText('The GPU device was lost (');
  await expect(status).toHaveAttribute('data-phase', 'recovered', { timeout: 120_000 });
  await expect(status).toContainText('your avatar restored');
  const ready = page.getByTestId('avatar-ready');
  await expect(ready).toBeVisible();
  await expect(ready).toHaveAttribute('data-generation', String(generation), { timeout: 120_000 });
  expect(await litPixels(ready.locator('canvas.avatar-frame').first())).toBeGreaterThan(0);
  return status;
}

test('a lost GPU device: the model restarts on WebGPU once, then on WASM (or WebGL, the CPU), restoring the avatar each time', async ({
  page,
}, info) => {
  test.skip(!HAS_SHARED, NO_SHARED_REASON);
  test.setTimeout(360_000);
  await makeAvatar(page, undefined, DEBUG_URL);
  await expect(page.getByTestId('avatar-ready')).toContainText('on webgpu');

  const first = await loseDeviceAndRecover(page, 2);
  await expect(first).toContainText('restarted on WebGPU');
  await expect(page.getByTestId('avatar-ready')).toContainText('on webgpu');
  expect(await page.evaluate(() => window.__avatarDebug!.info()?.backend)).toBe('webgpu');

  const second = await loseDeviceAndRecover(page, 3);
  await expect(second).toContainText(/restarted on (WASM|WebGL|the CPU)/);
  await expect(second).toContainText(
    /The GPU device was lost 2 times, so the model now runs on (WASM|WebGL|the CPU).* instead of WebGPU, which is slower/,
  );
  await expect(page.getByTestId('avatar-ready')).toContainText(/on (wasm|webgl|cpu)/);
  info.annotations.push({
    type: 'backend after two losses',
    description: String(await page.evaluate(() => window.__avatarDebug!.info()?.backend)),
  });
  await page.screenshot({ path: info.outputPath('gpu-device-lost.png'), fullPage: true });

  // No crash loop: the fallback worker keeps serving.
  await page.waitForTimeout(3000);
  const state = await page.evaluate(() => ({
    generation: window.__avatarDebug!.generation(),
    deaths: window.__avatarDebug!.deaths().map((d) => d.kind),
  }));
  expect(state).toEqual({ generation: 3, deaths: ['device-lost', 'device-lost'] });
});
