import type { FileChooser, Page, TestInfo } from '@playwright/test';
import { HAS_SHARED, NO_SHARED_REASON, fakeWebcamLaunchOptions, portrait } from './fixtures.ts';
import { TINY_WEIGHTS_URL } from './flows.ts';
import { expect, test } from './test.ts';

// Keyboard only (Tab / Shift+Tab / Enter / Space): start page → photos (file picker and webcam
// snapshot) → Create avatar → fine-tuning → driving. Every control focus reaches must have a role
// and an accessible name, and a visible focus ring. File dialogs cannot be driven, so the test
// catches the picker the focused control opens and sets its files. Also: no horizontal scrolling
// in a narrow window.
test.use({ launchOptions: fakeWebcamLaunchOptions() });

interface Focused {
  role: string;
  name: string;
  tag: string;
  focusVisible: boolean;
  ring: string;
}

/** The focused element as assistive technology sees it (role + name from Playwright's aria snapshot), and its focus style. */
async function focused(page: Page): Promise<Focused> {
  const el = page.locator(':focus');
  await expect(el, 'something has keyboard focus').toHaveCount(1);
  const snapshot = await el.ariaSnapshot();
  const m = /^- ([\w-]+)(?: "((?:[^"\\]|\\.)*)")?/.exec(snapshot.split('\n')[0]);
  const style = await el.evaluate((node) => {
    const cs = getComputedStyle(node);
    const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0;
    return {
      tag: node.tagName.toLowerCase(),
      focusVisible: node.matches(':focus-visible'),
      ring: outline
        ? `outline ${cs.outlineStyle} ${cs.outlineWidth} ${cs.outlineColor}`
        : cs.boxShadow !== 'none'
          ? `box-shadow ${cs.boxShadow}`
          : '',
    };
  });
  return { role: m?.[1] ?? '', name: (m?.[2] ?? '').replace(/\\(.)/g, '$1'), ...style };
}

/** Every control the walk reached, for the report. */
class Walk {
  readonly reached: Focused[] = [];
  constructor(
    private readonly page: Page,
    private readonly info: TestInfo,
  ) {}

  /** Presses `key` once; the control it lands on must be named and show a focus ring. */
  async press(key: 'Tab' | 'Shift+Tab'): Promise<Focused> {
    await this.page.keyboard.press(key);
    const f = await focused(this.page);
    const what = `${f.tag} (${f.role} "${f.name}")`;
    expect(f.role, `${what} has a role`).not.toBe('');
    expect(['generic', 'none', 'presentation'], `${what} has an interactive role`).not.toContain(f.role);
    expect(f.name.trim(), `${what} has an accessible name`).not.toBe('');
    expect(f.focusVisible, `${what} matches :focus-visible`).toBe(true);
    expect(f.ring, `${what} shows a focus ring`).not.toBe('');
    this.reached.push(f);
    return f;
  }

  /** Presses `key` until focus is on the control named `name` (and `role`), at most `max` times. */
  async until(name: string | RegExp, role = 'button', key: 'Tab' | 'Shift+Tab' = 'Tab', max = 40): Promise<Focused> {
    for (let i = 0; i < max; i++) {
      const f = await this.press(key);
      if (f.role === role && (typeof name === 'string' ? f.name === name : name.test(f.name))) return f;
    }
    throw new Error(
      `${key} ×${max} never reached ${role} "${name}"; reached: ${this.reached.map((f) => `${f.role} "${f.name}"`).join(', ')}`,
    );
  }

  report(): void {
    const seen = [...new Set(this.reached.map((f) => `${f.role} "${f.name}" [${f.ring}]`))];
    this.info.annotations.push({ type: 'controls reached by keyboard', description: seen.join('; ') });
  }
}

/**
 * File pickers the page opens, in order. One listener for the whole test keeps Chromium's
 * file-chooser interception on throughout (toggling it per picker raced with the key press).
 */
function filePickers(page: Page): { next(): Promise<FileChooser> } {
  const opened: FileChooser[] = [];
  page.on('filechooser', (c) => opened.push(c));
  return {
    async next() {
      await expect.poll(() => opened.length, { message: 'the focused control opened a file picker', timeout: 10_000 }).toBeGreaterThan(0);
      return opened.shift()!;
    },
  };
}

async function noHorizontalScroll(page: Page): Promise<void> {
  const size = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
    wide: [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}.${el.className}`),
  }));
  expect(size.scrollWidth, `no horizontal scrollbar (too wide: ${size.wide.join(', ')})`).toBeLessThanOrEqual(size.clientWidth);
}

test.describe('keyboard and narrow windows', () => {
  test('keyboard only: photo → Create avatar → fine-tune → drive, every control named with a visible focus ring', async ({
    page,
  }, info) => {
    test.skip(!HAS_SHARED, NO_SHARED_REASON);
    test.setTimeout(240_000);
    const walk = new Walk(page, info);
    const pickers = filePickers(page);
    await page.goto(TINY_WEIGHTS_URL);
    await expect(page.getByRole('heading', { name: 'Talking Heads' })).toBeVisible();

    // A photo through the file picker the focused button opens.
    await walk.until('Choose photos…');
    await page.keyboard.press('Enter');
    await (await pickers.next()).setFiles(portrait('selfie_d8.jpg'));
    await expect(page.locator('[data-testid=photo-card][data-status=ready]')).toHaveCount(1, { timeout: 90_000 });

    // A webcam snapshot: Take photo → (focus moves to) Capture photo → Close camera → back on Take photo.
    await walk.until('Take photo');
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('webcam')).toHaveAttribute('data-live', 'true', { timeout: 30_000 });
    expect((await focused(page)).name).toBe('Capture photo');
    await page.keyboard.press('Space');
    await expect(page.getByTestId('photo-card')).toHaveCount(2);
    await expect(page.locator('[data-testid=photo-card][data-status=analysing]')).toHaveCount(0, { timeout: 60_000 });
    await walk.until('Close camera');
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('webcam-preview')).toBeHidden();
    expect((await focused(page)).name).toBe('Take photo');

    // Each card's Replace (which opens a picker) and Remove are reachable and named.
    await walk.until('Replace selfie_d8.jpg');
    await page.keyboard.press('Enter');
    const replacePicker = await pickers.next();
    expect(replacePicker.isMultiple()).toBe(false);
    await replacePicker.setFiles(portrait('selfie_d9.jpg'));
    await expect(page.getByTestId('photo-card').first()).toHaveAttribute('data-name', 'selfie_d9.jpg');
    await expect(page.getByTestId('photo-card').first()).toHaveAttribute('data-status', 'ready', { timeout: 60_000 });
    expect((await focused(page)).name).toBe('Replace selfie_d9.jpg');
    await walk.until('Remove selfie_d9.jpg');
    await walk.until(/^Remove webcam-1\.jpg$/);

    // Create avatar, with Space.
    await walk.until('Create avatar');
    await page.keyboard.press('Space');
    await expect(page.getByTestId('avatar-ready')).toBeVisible({ timeout: 120_000 });

    // Fine-tuning controls, then the drive panel's.
    await walk.until('Quality', 'combobox');
    await walk.until('Fine-tune');
    await walk.until('Start webcam');
    await walk.until('Drive with a video file…');
    await walk.until("Adapt the driver's face to the avatar's", 'checkbox');
    // And back with Shift+Tab.
    await walk.until('Start webcam', 'button', 'Shift+Tab');
    await walk.until('Drive with a video file…');
    await page.keyboard.press('Enter');
    expect((await pickers.next()).isMultiple()).toBe(false);

    walk.report();
    await page.screenshot({ path: info.outputPath('keyboard-walkthrough.png'), fullPage: true });

    // The same page, full of content, in a narrow window.
    await page.setViewportSize({ width: 420, height: 800 });
    await noHorizontalScroll(page);
    await page.screenshot({ path: info.outputPath('narrow-420-avatar.png'), fullPage: true });
  });

  test('a 420 px wide window has no horizontal scrollbar (start page, camera open, error cards)', async ({ page }, info) => {
    await page.setViewportSize({ width: 420, height: 800 });
    await page.goto('/');
    await expect(page.getByRole('heading', { name: 'Talking Heads' })).toBeVisible();
    await noHorizontalScroll(page);
    await page.getByRole('button', { name: 'Take photo' }).click();
    await expect(page.getByTestId('webcam')).toHaveAttribute('data-live', 'true', { timeout: 30_000 });
    await page.getByRole('button', { name: 'Capture photo' }).click();
    await page.getByTestId('photo-input').setInputFiles({
      name: 'a-photo-with-a-very-long-file-name-that-does-not-fit-on-a-phone-screen.jpg',
      mimeType: 'image/jpeg',
      buffer: Buffer.from('not really a jpeg'),
    });
    await expect(page.getByTestId('photo-card')).toHaveCount(2);
    await expect(page.locator('[data-testid=photo-card][data-status=analysing]')).toHaveCount(0, { timeout: 60_000 });
    await noHorizontalScroll(page);
    await page.screenshot({ path: info.outputPath('narrow-420.png'), fullPage: true });
  });
});
