import { HAS_SHARED, NO_SHARED_REASON, badInputs, portrait } from './fixtures.ts';
import { expect, test } from './test.ts';

test('painting demo: the Mona Lisa becomes a one-shot avatar driven by the bundled track', async ({ page }, info) => {
  test.skip(!HAS_SHARED, NO_SHARED_REASON);
  await page.goto('/?weights=/weights/test-tiny/manifest.json');
  const demo = page.getByTestId('painting-demo');
  await demo.getByTestId('demo-input').setInputFiles(portrait('mona_lisa.jpg'));
  await expect(demo.locator('canvas.demo-avatar')).toBeVisible({ timeout: 120_000 });
  await expect.poll(async () => Number(await demo.getAttribute('data-frames')), { timeout: 60_000 }).toBeGreaterThanOrEqual(10);
  // The track moves the face: consecutive landmark images differ.
  const a = await demo.locator('canvas.demo-landmarks').evaluate((c) => (c as HTMLCanvasElement).toDataURL());
  await page.waitForTimeout(1000);
  const b = await demo.locator('canvas.demo-landmarks').evaluate((c) => (c as HTMLCanvasElement).toDataURL());
  expect(a).not.toBe(b);
  // The portrait's avatar can be driven from the Drive panel too.
  await expect(page.getByRole('button', { name: 'Start webcam' })).toBeEnabled();
  await page.screenshot({ path: info.outputPath('painting-demo.png'), fullPage: true });
});

test('painting demo: an image without a face is refused with a message', async ({ page }, info) => {
  await page.goto('/?weights=/weights/test-tiny/manifest.json');
  await page.getByTestId('demo-input').setInputFiles(badInputs.noFace());
  await expect(page.getByTestId('demo-error')).toContainText('No face');
  await page.screenshot({ path: info.outputPath('painting-demo-no-face.png'), fullPage: true });
});
