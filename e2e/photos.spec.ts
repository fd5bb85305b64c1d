import type { Page } from '@playwright/test';
import { expect, test } from './test.ts';
import { HAS_SHARED, NO_SHARED_REASON, badInputs, portrait } from './fixtures.ts';

async function upload(page: Page, files: string[]) {
  await page.getByTestId('photo-input').setInputFiles(files);
}

/** Fraction of non-black pixels of a canvas: a blank landmark image or crop reads ~0. */
async function inkFraction(page: Page, selector: string): Promise<number> {
  return page
    .locator(selector)
    .first()
    .evaluate((el) => {
      const c = el as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let lit = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] > 30) lit++;
      return lit / (c.width * c.height);
    });
}

test.describe('photos', () => {
  test.beforeEach(async ({ page }) => {
    await page.goto('/');
    await expect(page.getByRole('heading', { name: 'Talking Heads' })).toBeVisible();
  });

  test('an uploaded photo shows its face crop and landmark image', async ({ page }, info) => {
    test.skip(!HAS_SHARED, NO_SHARED_REASON);
    await upload(page, [portrait('selfie_d8.jpg')]);
    const card = page.getByTestId('photo-card');
    await expect(card).toHaveAttribute('data-status', 'ready', { timeout: 60_000 });
    const crop = card.locator('canvas.crop');
    const lmk = card.locator('canvas.landmark-image');
    await expect(crop).toHaveAttribute('width', '256');
    await expect(lmk).toHaveAttribute('width', '256');
    // A face crop is mostly non-black; a landmark image is mostly black with a few coloured lines.
    expect(await inkFraction(page, 'canvas.crop')).toBeGreaterThan(0.8);
    const ink = await inkFraction(page, 'canvas.landmark-image');
    expect(ink).toBeGreaterThan(0.01);
    expect(ink).toBeLessThan(0.3);
    await page.screenshot({ path: info.outputPath('photo-ready.png'), fullPage: true });
  });

  for (const [name, make, code] of [
    ['a text file named .jpg', badInputs.notAnImage, 'not-an-image'],
    ['a corrupt JPEG', badInputs.corruptJpeg, 'not-an-image'],
    ['an image without a face', badInputs.noFace, 'no-face'],
  ] as const) {
    test(`${name} is refused with a clear message`, async ({ page }) => {
      await upload(page, [make()]);
      const card = page.getByTestId('photo-card');
      await expect(card).toHaveAttribute('data-status', 'error', { timeout: 60_000 });
      await expect(card.getByRole('alert')).toHaveAttribute('data-error-code', code);
      await expect(card.getByRole('alert')).not.toBeEmpty();
    });
  }

  test('a tiny face is refused with the reason', async ({ page }) => {
    test.skip(!HAS_SHARED, NO_SHARED_REASON);
    await upload(page, [badInputs.tinyFace()]);
    const card = page.getByTestId('photo-card');
    await expect(card).toHaveAttribute('data-status', 'error', { timeout: 60_000 });
    await expect(card.getByRole('alert')).toHaveAttribute('data-error-code', 'face-too-small');
    await expect(card.getByRole('alert')).toContainText(/64/);
  });

  test('several faces: the largest is used, with a warning', async ({ page }) => {
    test.skip(!HAS_SHARED, NO_SHARED_REASON);
    await upload(page, [badInputs.severalFaces()]);
    const card = page.getByTestId('photo-card');
    await expect(card).toHaveAttribute('data-status', 'ready', { timeout: 60_000 });
    await expect(card.locator('.photo-warning')).toContainText(/faces/i);
  });

  test('an 8000×8000 image is downscaled and used', async ({ page }) => {
    test.skip(!HAS_SHARED, NO_SHARED_REASON);
    await upload(page, [badInputs.huge()]);
    const card = page.getByTestId('photo-card');
    await expect(card).toHaveAttribute('data-status', 'ready', { timeout: 90_000 });
    await expect(card.locator('.photo-warning')).toContainText(/reduced/i);
  });

  test('the 33rd photo is refused with a message and nothing else is lost', async ({ page }) => {
    const file = badInputs.noFace();
    await upload(
      page,
      Array.from({ length: 30 }, () => file),
    );
    await upload(
      page,
      Array.from({ length: 3 }, () => file),
    );
    await expect(page.getByTestId('photo-count')).toHaveText('32 / 32 photos');
    await expect(page.getByTestId('notice-warning')).toContainText('at most 32');
    await expect(page.getByTestId('photo-card')).toHaveCount(32);
  });
});
