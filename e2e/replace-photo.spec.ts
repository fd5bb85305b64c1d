import type { Page } from '@playwright/test';
import { HAS_SHARED, NO_SHARED_REASON, badInputs, portrait } from './fixtures.ts';
import { expect, test } from './test.ts';

const cards = (page: Page) => page.getByTestId('photo-card');
const names = (page: Page) => cards(page).evaluateAll((els) => els.map((e) => e.getAttribute('data-name')));

test.describe('replace a photo', () => {
  test('Replace swaps a photo in place and analyses the new one; Remove still works', async ({ page }, info) => {
    test.skip(!HAS_SHARED, NO_SHARED_REASON);
    await page.goto('/');
    await page.getByTestId('photo-input').setInputFiles([portrait('selfie_d8.jpg'), badInputs.noFace(), portrait('selfie_d9.jpg')]);
    await expect(page.locator('[data-testid=photo-card][data-status=analysing]')).toHaveCount(0, { timeout: 90_000 });
    await expect(cards(page).nth(1)).toHaveAttribute('data-status', 'error');

    // The Replace button opens a file picker for that card only.
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Replace no-face.png' }).click();
    const picker = await chooser;
    expect(picker.isMultiple()).toBe(false);
    await picker.setFiles(portrait('photo_einstein.jpg'));
    await expect(cards(page).nth(1)).toHaveAttribute('data-name', 'photo_einstein.jpg');
    await expect(cards(page).nth(1)).toHaveAttribute('data-status', 'ready', { timeout: 60_000 });
    await expect(cards(page).nth(1).locator('canvas.crop')).toHaveAttribute('width', '256');
    expect(await names(page)).toEqual(['selfie_d8.jpg', 'photo_einstein.jpg', 'selfie_d9.jpg']);
    await expect(page.getByTestId('photo-count')).toHaveText('3 / 32 photos');
    await expect(page.getByRole('button', { name: 'Replace photo_einstein.jpg' })).toBeFocused();

    // A good photo swapped for a bad file shows the new file's error, in the same place.
    await cards(page).first().getByTestId('replace-input').setInputFiles(badInputs.notAnImage());
    await expect(cards(page).first()).toHaveAttribute('data-status', 'error', { timeout: 60_000 });
    await expect(cards(page).first().getByRole('alert')).toHaveAttribute('data-error-code', 'not-an-image');
    expect(await names(page)).toEqual(['notes.jpg', 'photo_einstein.jpg', 'selfie_d9.jpg']);
    await page.screenshot({ path: info.outputPath('photo-replaced.png'), fullPage: true });

    await page.getByRole('button', { name: 'Remove photo_einstein.jpg' }).click();
    expect(await names(page)).toEqual(['notes.jpg', 'selfie_d9.jpg']);
    await expect(page.getByTestId('photo-count')).toHaveText('2 / 32 photos');
    // Focus moves to the card that took the removed one's place, then to the picker when none is left.
    await expect(page.getByRole('button', { name: 'Replace selfie_d9.jpg' })).toBeFocused();
    await page.getByRole('button', { name: 'Remove selfie_d9.jpg' }).click();
    await expect(page.getByRole('button', { name: 'Replace notes.jpg' })).toBeFocused();
    await page.getByRole('button', { name: 'Remove notes.jpg' }).click();
    await expect(page.getByTestId('photo-card')).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Choose photos…' })).toBeFocused();
  });

  test('a photo replaced before its analysis finished shows only the new result', async ({ page }) => {
    await page.goto('/');
    const noFace = badInputs.noFace();
    await page.getByTestId('photo-input').setInputFiles([noFace, noFace, noFace]);
    // The third is still queued: its old analysis must not overwrite the replacement's.
    await cards(page).nth(2).getByTestId('replace-input').setInputFiles(badInputs.corruptJpeg());
    await expect(page.locator('[data-testid=photo-card][data-status=analysing]')).toHaveCount(0, { timeout: 60_000 });
    await page.waitForTimeout(1000);
    expect(await names(page)).toEqual(['no-face.png', 'no-face.png', 'corrupt.jpg']);
    await expect(cards(page).nth(2).getByRole('alert')).toHaveAttribute('data-error-code', 'not-an-image');
    await expect(cards(page).nth(0).getByRole('alert')).toHaveAttribute('data-error-code', 'no-face');
  });
});
