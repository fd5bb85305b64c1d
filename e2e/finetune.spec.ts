import { HAS_SHARED, NO_SHARED_REASON } from './fixtures.ts';
import { TINY_WEIGHTS_URL, makeAvatar } from './flows.ts';
import { expect, test } from './test.ts';

// Fine-tuning from the UI on the tiny test weights (the content-loss networks run too), on WebGPU by
// the ?backend= override so the GPU path stays tested (WASM: e2e/backend-choice.spec.ts).
test('fine-tuning reports progress and loss, pauses, resumes and stops, and the UI stays responsive', async ({ page }, info) => {
  test.skip(!HAS_SHARED, NO_SHARED_REASON);
  test.setTimeout(480_000);
  await makeAvatar(page, undefined, `${TINY_WEIGHTS_URL}&backend=webgpu`);
  await expect(page.getByTestId('avatar-ready')).toContainText('on webgpu');

  const panel = page.getByTestId('finetune');
  await page.getByRole('button', { name: 'Fine-tune', exact: true }).click();
  await expect(panel).toHaveAttribute('data-phase', 'running');
  await expect.poll(async () => Number(await panel.getAttribute('data-step')), { timeout: 300_000 }).toBeGreaterThanOrEqual(2);
  await expect(page.getByTestId('finetune-status')).toContainText(/loss G -?\d+\.\d+ · D \d+\.\d+/);

  // The main thread answers while the worker trains.
  const started = Date.now();
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(resolve)));
  const answerMs = Date.now() - started;
  info.annotations.push({ type: 'main-thread answer while training (ms)', description: String(answerMs) });
  expect(answerMs).toBeLessThan(2000);

  await panel.getByRole('button', { name: 'Pause' }).click();
  await expect(panel).toHaveAttribute('data-phase', 'paused');
  await page.waitForTimeout(1500); // a step in flight finishes
  const paused = Number(await panel.getAttribute('data-step'));
  await page.waitForTimeout(3000);
  expect(Number(await panel.getAttribute('data-step'))).toBe(paused);

  await panel.getByRole('button', { name: 'Resume' }).click();
  await expect.poll(async () => Number(await panel.getAttribute('data-step')), { timeout: 240_000 }).toBeGreaterThan(paused);
  await panel.getByRole('button', { name: 'Stop' }).click();
  await expect(panel).toHaveAttribute('data-phase', 'done', { timeout: 120_000 });
  await page.screenshot({ path: info.outputPath('finetune.png'), fullPage: true });
});
