import type { Locator, Page } from '@playwright/test';
import { portrait } from './fixtures.ts';
import { expect } from './test.ts';

export const TINY_WEIGHTS_URL = '/?weights=/weights/test-tiny/manifest.json';

/** Opens the app, adds portraits from ../shared and waits until each has its crop and landmarks. */
export async function addPhotos(page: Page, names: string[], url = TINY_WEIGHTS_URL): Promise<void> {
  await page.goto(url);
  await page.getByTestId('photo-input').setInputFiles(names.map(portrait));
  await expect(page.locator('[data-testid=photo-card][data-status=ready]')).toHaveCount(names.length, { timeout: 90_000 });
}

/** addPhotos, then a feed-forward avatar from them. */
export async function makeAvatar(page: Page, names = ['selfie_d8.jpg'], url = TINY_WEIGHTS_URL): Promise<void> {
  await addPhotos(page, names, url);
  await page.getByRole('button', { name: 'Create avatar' }).click();
  await expect(page.getByTestId('avatar-ready')).toBeVisible({ timeout: 120_000 });
}

/** Pixels of a canvas that are not pure black: a blank (never drawn) canvas has none. */
export async function litPixels(canvas: Locator): Promise<number> {
  return canvas.evaluate((el) => {
    const c = el as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] > 0) n++;
    return n;
  });
}
