import type { Page } from '@playwright/test';
import { HAS_SHARED, NO_SHARED_REASON, drivingClip } from './fixtures.ts';
import { TINY_WEIGHTS_URL, litPixels, makeAvatar } from './flows.ts';
import { expect, test } from './test.ts';

// Crash recovery of the model worker, on the tiny test weights. `?debug=1` exposes
// window.__avatarDebug, whose crash() makes the worker throw an uncaught error from a timer (a real
// worker `error` event, not a failed call) and hang() makes it spin without answering.
const DEBUG_URL = `${TINY_WEIGHTS_URL}&debug=1`;

/** Pixels of a canvas that are not black. */
const frames = async (page: Page) => Number(await page.getByTestId('drive-panel').getAttribute('data-frames'));

/** The avatar is shown, re-rendered by worker `generation`, and not blank. */
async function expectAvatarRenderedBy(page: Page, generation: number) {
  const ready = page.getByTestId('avatar-ready');
  await expect(ready).toHaveAttribute('data-generation', String(generation), { timeout: 60_000 });
  await expect(ready.locator('canvas.avatar-frame')).toHaveCount(1);
  expect(await litPixels(ready.locator('canvas.avatar-frame').first())).toBeGreaterThan(0);
}

/** No further restart: the same worker keeps serving and no other death was recorded. */
async function expectNoCrashLoop(page: Page, generation: number, deaths: string[]) {
  await page.waitForTimeout(3000);
  const state = await page.evaluate(() => ({
    generation: window.__avatarDebug!.generation(),
    deaths: window.__avatarDebug!.deaths().map((d) => d.kind),
  }));
  expect(state).toEqual({ generation, deaths });
  await expect(page.getByTestId('model-status')).toHaveAttribute('data-phase', 'recovered');
}

test.describe('model worker crash recovery', () => {
  test.skip(!HAS_SHARED, NO_SHARED_REASON);

  test('a crashed worker is replaced, the avatar restored, and driving resumes', async ({ page }, info) => {
    test.setTimeout(300_000);
    await makeAvatar(page, undefined, DEBUG_URL);
    await expect(page.getByTestId('avatar-ready')).toHaveAttribute('data-generation', '1');
    expect(await page.evaluate(() => window.__avatarDebug!.checkpoint())).toMatchObject({ photos: 1, weights: false });

    await page.getByTestId('video-input').setInputFiles(drivingClip('webm'));
    await expect.poll(() => frames(page), { timeout: 60_000 }).toBeGreaterThanOrEqual(3);

    const crashedAt = Date.now();
    await page.evaluate(() => window.__avatarDebug!.crash());
    const status = page.getByTestId('model-status');
    await expect(status).toContainText(/The model worker crashed \(.*Simulated worker crash/);
    await expect(status).toHaveAttribute('data-phase', 'recovered', { timeout: 60_000 });
    await expect(status).toContainText('your avatar restored');
    info.annotations.push({ type: 'crash → recovered (ms)', description: String(Date.now() - crashedAt) });
    await expect(page.getByTestId('avatar-ready')).toBeVisible();
    await expectAvatarRenderedBy(page, 2);

    // Driving was in flight: it goes on with the new worker, without an error.
    const atRecovery = await frames(page);
    await expect.poll(() => frames(page), { timeout: 60_000 }).toBeGreaterThanOrEqual(atRecovery + 5);
    await expect(page.getByTestId('drive-error')).toHaveCount(0);
    expect(await litPixels(page.locator('canvas.drive-avatar'))).toBeGreaterThan(0);
    await page.screenshot({ path: info.outputPath('worker-crash-recovered.png'), fullPage: true });

    await expectNoCrashLoop(page, 2, ['crash']);
  });

  test('a fine-tune in flight is reported as interrupted, and the avatar is restored', async ({ page }, info) => {
    test.setTimeout(600_000);
    await makeAvatar(page, undefined, DEBUG_URL);
    const panel = page.getByTestId('finetune');
    await page.getByRole('button', { name: 'Fine-tune', exact: true }).click();
    await expect.poll(async () => Number(await panel.getAttribute('data-step')), { timeout: 300_000 }).toBeGreaterThanOrEqual(1);

    const crashedAt = Date.now();
    await page.evaluate(() => window.__avatarDebug!.crash());
    await expect(panel).toHaveAttribute('data-phase', 'interrupted', { timeout: 60_000 });
    // What the app kept, read once the crash is reported: a checkpoint may still arrive between a
    // read before the crash and the crash itself (seen in CI: none before, step 5 kept).
    const kept = await page.evaluate(() => window.__avatarDebug!.checkpoint().fineTunedStep);
    const error = page.getByTestId('finetune-error');
    await expect(error).toContainText(/Fine-tuning was interrupted at step \d+: The model worker crashed/);
    await expect(error).toContainText(
      kept === undefined ? 'keeps its state from before this fine-tuning' : `fine-tuned state from step ${kept}`,
    );
    // On SwiftShader the GPU process first finishes the dead worker's queued training work: slow.
    await expect(page.getByTestId('model-status')).toHaveAttribute('data-phase', 'recovered', { timeout: 240_000 });
    info.annotations.push({ type: 'crash → recovered (ms)', description: String(Date.now() - crashedAt) });
    await expect(page.getByTestId('model-status')).toContainText('your avatar restored');
    await expectAvatarRenderedBy(page, 2);
    await page.screenshot({ path: info.outputPath('worker-crash-finetune.png'), fullPage: true });
    await expectNoCrashLoop(page, 2, ['crash']);
  });

  test('a worker that stops answering is found by the heartbeat and replaced', async ({ page }, info) => {
    test.setTimeout(300_000);
    await makeAvatar(page, undefined, `${DEBUG_URL}&hangMs=8000`);
    await page.evaluate(() => window.__avatarDebug!.hang());
    const status = page.getByTestId('model-status');
    await expect(status).toContainText('The model worker stopped responding (no answer for', { timeout: 60_000 });
    await expect(status).toHaveAttribute('data-phase', 'recovered', { timeout: 60_000 });
    await expect(status).toContainText('your avatar restored');
    await expectAvatarRenderedBy(page, 2);
    await page.screenshot({ path: info.outputPath('worker-hang-recovered.png'), fullPage: true });
    await expectNoCrashLoop(page, 2, ['hang']);
  });
});
