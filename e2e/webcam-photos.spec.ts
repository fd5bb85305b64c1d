import type { Page } from '@playwright/test';
import { HAS_SHARED, NO_SHARED_REASON, badInputs, fakeWebcamLaunchOptions } from './fixtures.ts';
import { expect, test } from './test.ts';

// "Take photo": webcam snapshots as photos. A fake webcam plays a real talking-head clip when
// ../shared is there (Chromium's own test pattern, which has no face, otherwise).
test.use({ launchOptions: fakeWebcamLaunchOptions() });

/** Keeps every stream the page opens in window.__streams, so a test can see whether its tracks stopped. */
async function watchStreams(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const streams: MediaStream[] = [];
    (window as unknown as { __streams: MediaStream[] }).__streams = streams;
    const open = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    navigator.mediaDevices.getUserMedia = async (constraints) => {
      const stream = await open(constraints);
      streams.push(stream);
      return stream;
    };
  });
}

/** readyState of every track of every stream the page opened. */
function trackStates(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    (window as unknown as { __streams: MediaStream[] }).__streams.flatMap((s) => s.getTracks().map((t) => t.readyState)),
  );
}

async function denyCamera(page: Page, name: string): Promise<void> {
  await page.addInitScript((errorName) => {
    navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('camera refused by the test', errorName));
  }, name);
}

test.describe('webcam snapshots as photos', () => {
  test('Take photo: the live preview becomes a photo with its crop and landmarks; closing stops the camera', async ({ page }, info) => {
    test.skip(!HAS_SHARED, NO_SHARED_REASON);
    await watchStreams(page);
    await page.goto('/');
    const webcamBox = page.getByTestId('webcam');
    await page.getByRole('button', { name: 'Take photo' }).click();
    await expect(page.getByTestId('webcam-preview')).toBeVisible();
    await expect(webcamBox).toHaveAttribute('data-live', 'true', { timeout: 30_000 });
    await expect(page.getByRole('button', { name: 'Capture photo' })).toBeFocused();
    expect(await trackStates(page)).toEqual(['live']);

    await page.getByRole('button', { name: 'Capture photo' }).click();
    const card = page.getByTestId('photo-card');
    await expect(card).toHaveCount(1);
    await expect(card).toHaveAttribute('data-name', 'webcam-1.jpg');
    await expect(card).toHaveAttribute('data-status', 'ready', { timeout: 60_000 });
    await expect(card.locator('canvas.crop')).toHaveAttribute('width', '256');
    await expect(card.locator('canvas.landmark-image')).toHaveAttribute('width', '256');
    const ink = await card.locator('canvas.landmark-image').evaluate((el) => {
      const c = el as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let lit = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] > 30) lit++;
      return lit / (c.width * c.height);
    });
    expect(ink).toBeGreaterThan(0.01);
    expect(ink).toBeLessThan(0.3);
    await expect(page.getByTestId('photo-count')).toHaveText('1 / 32 photos');
    await expect(page.getByRole('button', { name: 'Create avatar' })).toBeEnabled();

    // A second snapshot while the camera stays open.
    await page.getByRole('button', { name: 'Capture photo' }).click();
    await expect(card.nth(1)).toHaveAttribute('data-name', 'webcam-2.jpg');
    await expect(card.nth(1)).not.toHaveAttribute('data-status', 'analysing', { timeout: 60_000 });
    await page.screenshot({ path: info.outputPath('webcam-photo.png'), fullPage: true });

    await page.getByRole('button', { name: 'Close camera' }).click();
    await expect(page.getByTestId('webcam-preview')).toBeHidden();
    await expect(page.getByRole('button', { name: 'Take photo' })).toBeFocused();
    expect(await trackStates(page)).toEqual(['ended']);

    // It opens again, and Remove still works on snapshots.
    await page.getByRole('button', { name: 'Take photo' }).click();
    await expect(webcamBox).toHaveAttribute('data-live', 'true', { timeout: 30_000 });
    await page.getByRole('button', { name: 'Close camera' }).click();
    expect(await trackStates(page)).toEqual(['ended', 'ended']);
    await page.getByRole('button', { name: 'Remove webcam-1.jpg' }).click();
    await expect(card).toHaveCount(1);
    await expect(card).toHaveAttribute('data-name', 'webcam-2.jpg');
  });

  test('a denied camera gives a clear message, and photo files still work', async ({ page }) => {
    await denyCamera(page, 'NotAllowedError');
    await page.goto('/');
    await page.getByRole('button', { name: 'Take photo' }).click();
    await expect(page.getByTestId('notice-error')).toContainText('Camera access was denied');
    await expect(page.getByTestId('webcam-preview')).toBeHidden();
    await expect(page.getByRole('button', { name: 'Take photo' })).toBeEnabled();
    await expect(page.getByRole('button', { name: 'Take photo' })).toBeFocused();
    // Asking again does not pile up the same message.
    await page.getByRole('button', { name: 'Take photo' }).click();
    await expect(page.getByRole('button', { name: 'Take photo' })).toBeEnabled();
    await page.waitForTimeout(300);
    await expect(page.getByTestId('notice-error')).toHaveCount(1);
    await page.getByTestId('photo-input').setInputFiles(badInputs.noFace());
    await expect(page.getByTestId('photo-card')).toHaveAttribute('data-status', 'error', { timeout: 60_000 });
    await expect(page.getByTestId('photo-card').getByRole('alert')).toHaveAttribute('data-error-code', 'no-face');
    await page.getByRole('button', { name: 'Dismiss message' }).click();
    await expect(page.getByTestId('notice-error')).toHaveCount(0);
  });

  test('no camera gives a clear message', async ({ page }) => {
    await denyCamera(page, 'NotFoundError');
    await page.goto('/');
    await page.getByRole('button', { name: 'Take photo' }).click();
    await expect(page.getByTestId('notice-error')).toContainText('No camera was found');
    await expect(page.getByTestId('photo-card')).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Choose photos…' })).toBeEnabled();
  });

  test('the 32-photo limit applies to snapshots', async ({ page }, info) => {
    await watchStreams(page);
    await page.goto('/');
    const file = badInputs.noFace();
    await page.getByTestId('photo-input').setInputFiles(Array.from({ length: 31 }, () => file));
    await expect(page.getByTestId('photo-count')).toHaveText('31 / 32 photos');
    await page.getByRole('button', { name: 'Take photo' }).click();
    await expect(page.getByTestId('webcam')).toHaveAttribute('data-live', 'true', { timeout: 30_000 });
    await page.getByRole('button', { name: 'Capture photo' }).click();
    await expect(page.getByTestId('photo-count')).toHaveText('32 / 32 photos');
    await expect(page.getByTestId('photo-card').last()).toHaveAttribute('data-name', 'webcam-1.jpg');
    await page.getByRole('button', { name: 'Capture photo' }).click();
    await expect(page.getByTestId('notice-warning')).toContainText('at most 32');
    await expect(page.getByTestId('photo-count')).toHaveText('32 / 32 photos');
    await expect(page.getByTestId('photo-card')).toHaveCount(32);
    await expect(page.getByTestId('webcam')).toContainText('remove one to take another');
    await page.screenshot({ path: info.outputPath('webcam-limit.png'), fullPage: true });
    await page.getByRole('button', { name: 'Close camera' }).click();
    expect(await trackStates(page)).toEqual(['ended']);
  });
});
