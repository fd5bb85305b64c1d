import { existsSync } from 'node:fs';
import { expect, test } from './test';
import { HAS_SHARED, NO_SHARED_REASON, portrait } from './fixtures';

// The weights `npm start` serves: they load, pass their hash checks, and make a frame in the app.
// Slow on SwiftShader (the default network is ~3.7 GFLOPs a frame), so one photo and one frame.
test('the shipped weights load and render an avatar frame', async ({ page }, info) => {
  test.skip(!HAS_SHARED, NO_SHARED_REASON);
  test.setTimeout(600_000);
  expect(existsSync('public/weights/default/manifest.json'), 'public/weights/default/manifest.json is shipped').toBe(true);
  await page.goto('/');
  await page.getByTestId('photo-input').setInputFiles([portrait('photo_einstein.jpg')]);
  await expect(page.locator('[data-testid=photo-card][data-status=ready]')).toHaveCount(1, { timeout: 90_000 });
  await page.getByRole('button', { name: 'Create avatar' }).click();
  const ready = page.getByTestId('avatar-ready');
  await expect(ready).toBeVisible({ timeout: 480_000 });
  const frame = ready.locator('canvas.avatar-frame').first();
  await expect(frame).toHaveAttribute('width', '128');
  const stats = await frame.evaluate((el) => {
    const c = el as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let sum = 0;
    let sq = 0;
    const n = d.length / 4;
    for (let i = 0; i < d.length; i += 4) {
      const y = (d[i] + d[i + 1] + d[i + 2]) / 3;
      sum += y;
      sq += y * y;
    }
    const mean = sum / n;
    return { mean, std: Math.sqrt(sq / n - mean * mean) };
  });
  info.annotations.push({ type: 'frame', description: JSON.stringify(stats) });
  // Not blank and not a flat colour: a collapsed generator gives std ≈ 0.
  expect(stats.std).toBeGreaterThan(5);
  await page.screenshot({ path: info.outputPath('shipped-avatar.png'), fullPage: true });
});
