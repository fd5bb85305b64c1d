import { expect, test } from './test.ts';
import { HAS_SHARED, NO_SHARED_REASON } from './fixtures.ts';
import { TINY_WEIGHTS_URL, addPhotos } from './flows.ts';

// The FF avatar from the UI, on the tiny test weights (SwiftShader WebGPU is slow). WebGPU by the
// ?backend= override, so the GPU path stays tested where the automatic choice would take WASM.
test.describe('feed-forward avatar', () => {
  test('photos → Create avatar → frames in the photos’ poses', async ({ page }, info) => {
    test.skip(!HAS_SHARED, NO_SHARED_REASON);
    await addPhotos(page, ['selfie_d8.jpg', 'selfie_d9.jpg'], `${TINY_WEIGHTS_URL}&backend=webgpu`);
    await page.getByRole('button', { name: 'Create avatar' }).click();
    const ready = page.getByTestId('avatar-ready');
    await expect(ready).toBeVisible({ timeout: 120_000 });
    await expect(ready).toContainText('Made from 2 photos');
    await expect(ready).toContainText('webgpu');
    const frames = ready.locator('canvas.avatar-frame');
    await expect(frames).toHaveCount(2);
    const lit = await frames.first().evaluate((el) => {
      const c = el as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] > 0) n++;
      return n;
    });
    expect(lit).toBeGreaterThan(0);
    await page.screenshot({ path: info.outputPath('avatar.png'), fullPage: true });
  });

  test('missing weights give a clear message, and the photos stay', async ({ page }, info) => {
    test.skip(!HAS_SHARED, NO_SHARED_REASON);
    await addPhotos(page, ['selfie_d8.jpg'], '/?weights=/weights/absent/manifest.json');
    await page.getByRole('button', { name: 'Create avatar' }).click();
    await expect(page.getByTestId('avatar-error')).toContainText('404');
    await expect(page.locator('[data-testid=photo-card][data-status=ready]')).toHaveCount(1);
    await page.screenshot({ path: info.outputPath('avatar-missing-weights.png'), fullPage: true });
  });
});
