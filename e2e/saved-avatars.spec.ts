import { HAS_SHARED, NO_SHARED_REASON } from './fixtures.ts';
import { makeAvatar } from './flows.ts';
import { expect, test } from './test.ts';

// Save → reload → still there → load and drive-ready → rename → delete, on the tiny test weights.
test('a saved avatar survives a page reload, loads, renames and deletes', async ({ page }, info) => {
  test.skip(!HAS_SHARED, NO_SHARED_REASON);
  await makeAvatar(page);
  await page.getByRole('button', { name: 'Save avatar' }).click();
  await expect(page.getByTestId('save-status')).toContainText('Saved as');
  await expect(page.getByTestId('saved-avatar')).toHaveCount(1);

  await page.reload();
  const saved = page.getByTestId('saved-avatar');
  await expect(saved).toHaveCount(1);
  await expect(saved).toContainText('1 photo');
  // Loading needs no photos: the avatar comes back from its saved weights and can be driven.
  await saved.getByRole('button', { name: 'Load' }).click();
  await expect(page.getByTestId('saved-status')).toContainText('Loaded');
  await expect(page.getByRole('button', { name: 'Start webcam' })).toBeEnabled();
  await page.screenshot({ path: info.outputPath('saved-avatar-loaded.png'), fullPage: true });

  page.once('dialog', (d) => void d.accept('Renamed avatar'));
  await saved.getByRole('button', { name: 'Rename' }).click();
  await expect(saved).toContainText('Renamed avatar');
  await saved.getByRole('button', { name: /Delete/ }).click();
  await expect(page.getByTestId('saved-avatar')).toHaveCount(0);
  await page.reload();
  await expect(page.getByTestId('saved-avatars')).toContainText('None yet');
});
