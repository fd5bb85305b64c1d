import { CELEBA_8, HAS_SHARED, NO_SHARED_REASON } from './fixtures.ts';
import { makeAvatar } from './flows.ts';
import { expect, test } from './test.ts';

// The few-shot case the paper is about: 8 photos of one person (CelebA) → one avatar, tiny test weights.
test('8 photos of one person → Create avatar → a non-blank frame', async ({ page }, info) => {
  test.skip(!HAS_SHARED, NO_SHARED_REASON);
  test.setTimeout(300_000);
  await makeAvatar(page, CELEBA_8);
  await expect(page.getByTestId('photo-count')).toHaveText('8 / 32 photos');
  const ready = page.getByTestId('avatar-ready');
  await expect(ready).toContainText('Made from 8 photos');
  const frames = ready.locator('canvas.avatar-frame');
  await expect(frames).toHaveCount(4);
  for (let i = 0; i < 4; i++) {
    const stats = await frames.nth(i).evaluate((el) => {
      const c = el as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let sum = 0;
      let sq = 0;
      const n = d.length / 4;
      for (let j = 0; j < d.length; j += 4) {
        const y = (d[j] + d[j + 1] + d[j + 2]) / 3;
        sum += y;
        sq += y * y;
      }
      const mean = sum / n;
      return { width: c.width, mean, std: Math.sqrt(Math.max(0, sq / n - mean * mean)) };
    });
    info.annotations.push({ type: `frame ${i + 1}`, description: JSON.stringify(stats) });
    expect(stats.width).toBeGreaterThan(0);
    // Not blank and not a flat colour.
    expect(stats.std).toBeGreaterThan(2);
  }
  await page.screenshot({ path: info.outputPath('eight-photos-avatar.png'), fullPage: true });
});
