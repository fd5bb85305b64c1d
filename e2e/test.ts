import { test as base, expect } from '@playwright/test';

/**
 * Every e2e test runs under a privacy guard: any request that leaves the app's origin (a CDN, an
 * analytics beacon, an upload) fails the test. blob:/data: URLs stay in the page and are allowed.
 */
export const test = base.extend<{ originGuard: void }>({
  originGuard: [
    async ({ page, baseURL }, use) => {
      const origin = new URL(baseURL!).origin;
      const offenders: string[] = [];
      page.on('request', (req) => {
        const url = req.url();
        if (url.startsWith('blob:') || url.startsWith('data:')) return;
        if (new URL(url).origin !== origin) offenders.push(url);
      });
      await page.route(
        (url) => url.origin !== origin && url.protocol.startsWith('http'),
        (route) => route.abort('blockedbyclient'),
      );
      await use();
      expect(offenders, 'requests that left the origin').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
