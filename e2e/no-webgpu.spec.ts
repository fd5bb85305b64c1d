import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium.ts';
import { HAS_SHARED, NO_SHARED_REASON } from './fixtures.ts';
import { makeAvatar } from './flows.ts';
import { expect, test } from './test.ts';

// Chromium on Linux without --enable-unsafe-webgpu has no WebGPU adapter: the app runs on WASM and says so.
test.use({ launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS.filter((a) => a !== '--enable-unsafe-webgpu') } });

test('without WebGPU the avatar still works, on WASM, with a banner saying so', async ({ page }, info) => {
  test.skip(!HAS_SHARED, NO_SHARED_REASON);
  await makeAvatar(page);
  await expect(page.getByTestId('avatar-ready')).toContainText('on wasm');
  const notice = page.getByTestId('notice-info');
  await expect(notice).toContainText('WebGPU is not available');
  await expect(notice).toContainText('The model runs on WASM');
  await page.screenshot({ path: info.outputPath('no-webgpu.png'), fullPage: true });
});
