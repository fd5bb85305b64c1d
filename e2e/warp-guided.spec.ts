import { CELEBA_8, HAS_SHARED, NO_SHARED_REASON, fakeWebcamLaunchOptions } from './fixtures.ts';
import { litPixels, makeAvatar } from './flows.ts';
import { expect, test } from './test.ts';

// The warp-guided generator end to end on its tiny test weights: the avatar is made, shown at 256 px
// (the warp's size, not G's 16 px), driven by the fake webcam, fine-tuned, saved, and loaded again
// after a reload with the generator that made it.
const TINY_WARP_URL = '/?weights=/weights/test-tiny-warp/manifest.json';

test.use({ launchOptions: fakeWebcamLaunchOptions() });

test('a warp-guided avatar is made, driven, fine-tuned, saved and reloaded', async ({ page }, info) => {
  test.skip(!HAS_SHARED, NO_SHARED_REASON);
  test.setTimeout(480_000);
  await makeAvatar(page, ['selfie_d8.jpg'], TINY_WARP_URL);
  await page.getByTestId('advanced-toggle').click();
  await expect(page.getByTestId('generator-in-use')).toContainText('In use: Warp-guided (tiny-warp)');
  const preview = page.locator('canvas.avatar-frame').first();
  expect(await preview.evaluate((c) => [(c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height])).toEqual([256, 256]);
  // The untrained head adds nothing: the preview is the photo itself, re-posed (no black frame).
  expect(await litPixels(preview)).toBeGreaterThan(256 * 256 * 0.9);
  await page.screenshot({ path: info.outputPath('warp-avatar.png'), fullPage: true });

  await page.getByRole('button', { name: 'Start webcam' }).click();
  await expect(page.getByTestId('fps')).toBeVisible({ timeout: 60_000 });
  const panel = page.getByTestId('drive-panel');
  await expect.poll(async () => Number(await panel.getAttribute('data-frames')), { timeout: 60_000 }).toBeGreaterThanOrEqual(3);
  const driven = page.locator('canvas.drive-avatar');
  expect(await driven.evaluate((c) => (c as HTMLCanvasElement).width)).toBe(256);
  await page.screenshot({ path: info.outputPath('warp-driving.png'), fullPage: true });
  await panel.getByRole('button', { name: 'Stop' }).click();

  const tune = page.getByTestId('finetune');
  await page.getByRole('button', { name: 'Fine-tune', exact: true }).click();
  await expect.poll(async () => Number(await tune.getAttribute('data-step')), { timeout: 240_000 }).toBeGreaterThanOrEqual(1);
  await tune.getByRole('button', { name: 'Stop' }).click();
  await expect(tune).toHaveAttribute('data-phase', 'done', { timeout: 120_000 });

  await page.getByRole('button', { name: 'Save avatar' }).click();
  await expect(page.getByTestId('save-status')).toContainText('Saved as');
  await page.reload();
  const saved = page.getByTestId('saved-avatar');
  await expect(saved).toHaveCount(1);
  await expect(saved).toContainText('warp-guided');
  await saved.getByRole('button', { name: 'Load' }).click();
  await expect(page.getByTestId('saved-status')).toContainText('Loaded');
  await page.getByRole('button', { name: 'Start webcam' }).click();
  await expect.poll(async () => Number(await panel.getAttribute('data-frames')), { timeout: 60_000 }).toBeGreaterThanOrEqual(2);
  expect(await litPixels(page.locator('canvas.drive-avatar'))).toBeGreaterThan(256 * 256 * 0.5);
  await page.screenshot({ path: info.outputPath('warp-reloaded-driving.png'), fullPage: true });
});

test('with eight photos, fine-tuning holds one out and says whether the avatar kept its result', async ({ page }, info) => {
  test.skip(!HAS_SHARED, NO_SHARED_REASON);
  test.setTimeout(480_000);
  await makeAvatar(page, CELEBA_8, TINY_WARP_URL);
  await expect(page.getByTestId('avatar-ready')).toBeVisible();
  const tune = page.getByTestId('finetune');
  await page.getByRole('button', { name: 'Fine-tune', exact: true }).click();
  await expect.poll(async () => Number(await tune.getAttribute('data-step')), { timeout: 240_000 }).toBeGreaterThanOrEqual(2);
  await tune.getByRole('button', { name: 'Stop' }).click();
  await expect(tune).toHaveAttribute('data-phase', 'done', { timeout: 120_000 });
  // The held-out photo decided: either way the panel says so, in words a user can act on.
  await expect(page.getByTestId('finetune-outcome')).toHaveText(
    /^(Fine-tuned: on the photo held out to check it, the avatar's error fell by (\d+(\.\d)?%|less than 0\.1%)\.|The avatar was kept as it was: fine-tuning did not clearly improve the photo held out to check it .*)$/,
  );
  await page.screenshot({ path: info.outputPath('warp-finetune-outcome.png'), fullPage: true });
});
