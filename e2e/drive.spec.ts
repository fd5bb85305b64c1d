import type { Page } from '@playwright/test';
import { HAS_SHARED, NO_SHARED_REASON, drivingClip, fakeWebcamLaunchOptions } from './fixtures.ts';
import { makeAvatar } from './flows.ts';
import { expect, test } from './test.ts';

// Driving on the tiny test weights: a fake webcam fed from a real talking-head clip, and a video file.
test.use({ launchOptions: fakeWebcamLaunchOptions() });

async function framesAfter(page: Page, ms: number): Promise<[number, number]> {
  const panel = page.getByTestId('drive-panel');
  const before = Number(await panel.getAttribute('data-frames'));
  await page.waitForTimeout(ms);
  return [before, Number(await panel.getAttribute('data-frames'))];
}

test.describe('driving', () => {
  test.skip(!HAS_SHARED, NO_SHARED_REASON);

  test('the webcam drives the avatar continuously, with an fps counter and the latency', async ({ page }, info) => {
    await makeAvatar(page);
    await page.getByRole('button', { name: 'Start webcam' }).click();
    await expect(page.getByTestId('fps')).toBeVisible({ timeout: 60_000 });
    const [before, after] = await framesAfter(page, 5000);
    info.annotations.push({ type: 'frames in 5 s', description: String(after - before) });
    expect(after - before).toBeGreaterThanOrEqual(5);
    await expect(page.getByTestId('fps')).toHaveText(/\d+ fps/);
    // Camera frame → avatar frame, measured per frame: positive, and under the 60 s the test waits.
    const latency = Number((await page.getByTestId('latency').textContent())?.match(/(\d+) ms/)?.[1]);
    info.annotations.push({ type: 'latency', description: `${latency} ms` });
    expect(latency).toBeGreaterThan(0);
    expect(latency).toBeLessThan(60_000);
    await page.screenshot({ path: info.outputPath('webcam-driving.png'), fullPage: true });
    await page.getByTestId('drive-panel').getByRole('button', { name: 'Stop' }).click();
    const [stopped, later] = await framesAfter(page, 1500);
    expect(later - stopped).toBeLessThanOrEqual(1);
  });

  test('a video file drives the avatar, and the recording is a playable WebM', async ({ page }, info) => {
    await makeAvatar(page);
    await page.getByTestId('video-input').setInputFiles(drivingClip('webm'));
    await expect(page.getByTestId('fps')).toBeVisible({ timeout: 60_000 });
    const [before, after] = await framesAfter(page, 4000);
    expect(after - before).toBeGreaterThanOrEqual(4);

    await page.getByRole('button', { name: 'Record' }).click();
    await page.waitForTimeout(3000);
    await page.getByRole('button', { name: 'Stop recording' }).click();
    const link = page.getByTestId('recording');
    await expect(link).toBeVisible();
    await page.screenshot({ path: info.outputPath('video-driving-recorded.png'), fullPage: true });
    // More than an empty WebM header; the size itself says little (the tiny avatar's few pixels
    // compress to under 1 kB for 3 s), so decoding and the duration below are the real checks.
    expect(Number(await link.getAttribute('data-bytes'))).toBeGreaterThan(300);
    const played = await link.evaluate(async (a) => {
      const v = document.createElement('video');
      v.muted = true;
      v.src = (a as HTMLAnchorElement).href;
      await new Promise((resolve, reject) => {
        v.onloadeddata = resolve;
        v.onerror = () => reject(new Error('the recording does not decode'));
      });
      // MediaRecorder WebM has no duration header: seeking to the end makes the browser find it.
      v.currentTime = 1e9;
      await new Promise((resolve) => (v.onseeked = resolve));
      return { width: v.videoWidth, duration: v.duration };
    });
    expect(played.width).toBeGreaterThan(0);
    expect(played.duration).toBeGreaterThan(0.5);
  });

  test('a denied camera gives a clear message, and the video file still works', async ({ page }, info) => {
    await page.addInitScript(() => {
      navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
    });
    await makeAvatar(page);
    await page.getByRole('button', { name: 'Start webcam' }).click();
    await expect(page.getByTestId('drive-error')).toContainText('Camera access was denied');
    await page.screenshot({ path: info.outputPath('camera-denied.png'), fullPage: true });
    await page.getByTestId('video-input').setInputFiles(drivingClip('webm'));
    await expect(page.getByTestId('fps')).toBeVisible({ timeout: 60_000 });
    await expect(page.getByTestId('drive-error')).toHaveCount(0);
  });
});
