/**
 * Training-data preparation's mirrored photos (scripts/prepare-training-set.ts --mirror), in the real
 * browser: window.lab.prepareSamples mirrors the decoded photo before the detector, so the landmarks
 * of the mirrored photo are the plain photo's reflected (x → size − x in crop pixels), with the
 * subject's sides swapped (MediaPipe's right eye is the eye on the image left, in either photo).
 * Several sizes in one call (`--size 64,128`) come from one detection: the same crop box, the
 * landmarks scaled with the size.
 */
import { readFileSync } from 'node:fs';
import type { PreparedSample, PrepareSampleResult } from '../src/lab/prepare.ts';
import { HAS_SHARED, NO_SHARED_REASON, portrait } from './fixtures.ts';
import { expect, test } from './test.ts';

const SIZE = 64;
// (plain index, mirrored index): nose tip and chin map to themselves, the sides to each other.
const PAIRS: [number, number][] = [
  [1, 1],
  [152, 152],
  [33, 263],
  [263, 33],
  [133, 362],
  [468, 473],
  [61, 291],
];

test.describe('training-data preparation', () => {
  test.skip(!HAS_SHARED, NO_SHARED_REASON);

  test('a mirrored photo gives the plain landmarks reflected, left and right swapped; two sizes share a detection', async ({ page }) => {
    await page.route('**/__photo__', (route) =>
      route.fulfill({ body: readFileSync(portrait('selfie_d8.jpg')), contentType: 'image/jpeg' }),
    );
    await page.goto('/lab.html');
    await page.waitForFunction(() => document.documentElement.dataset.labReady === 'true');
    const prepare = (mirror: boolean) =>
      page.evaluate(([sizes, m]) => window.lab.prepareSamples(['/__photo__'], { sizes, jpegQuality: 0.65, mirror: m }), [
        [SIZE, 2 * SIZE],
        mirror,
      ] as const);
    const [[plainResult], [mirroredResult]] = [await prepare(false), await prepare(true)];
    const ok = (r: PrepareSampleResult): r is PreparedSample => !('error' in r);
    expect(ok(plainResult) && ok(mirroredResult)).toBe(true);
    const [plainCrop, plainLarge] = (plainResult as PreparedSample).crops;
    const [mirroredCrop] = (mirroredResult as PreparedSample).crops;
    expect([plainCrop.size, plainLarge.size]).toEqual([SIZE, 2 * SIZE]);
    // One detection for both sizes: the same box in the photo, every coordinate doubled.
    expect(plainLarge.crop).toEqual(plainCrop.crop);
    expect(plainLarge.landmarks.length).toBe(plainCrop.landmarks.length);
    const worst = Math.max(...plainLarge.landmarks.map((v, i) => Math.abs(v - 2 * plainCrop.landmarks[i])));
    expect(worst).toBeLessThan(1e-6);
    const plain = plainCrop.landmarks;
    const mirrored = mirroredCrop.landmarks;
    const at = (flat: number[], i: number) => ({ x: flat[3 * i], y: flat[3 * i + 1] });
    for (const [i, j] of PAIRS) {
      const p = at(plain, i);
      const m = at(mirrored, j);
      expect(Math.abs(m.x - (SIZE - p.x)), `x of ${i} → ${j}`).toBeLessThan(1);
      expect(Math.abs(m.y - p.y), `y of ${i} → ${j}`).toBeLessThan(1);
    }
    // The crop too: the mirrored photo's crop is the plain crop flipped (up to the crop's sub-pixel
    // placement and JPEG), and not the plain crop itself.
    const [flipped, unflipped] = await page.evaluate(
      async ([a, b]) => {
        const pixels = async (base64: string) => {
          const bitmap = await createImageBitmap(await (await fetch(`data:image/jpeg;base64,${base64}`)).blob());
          const ctx = new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d')!;
          ctx.drawImage(bitmap, 0, 0);
          return ctx.getImageData(0, 0, bitmap.width, bitmap.height);
        };
        const [p, m] = [await pixels(a), await pixels(b)];
        let flippedSum = 0;
        let sameSum = 0;
        for (let y = 0; y < p.height; y++)
          for (let x = 0; x < p.width; x++)
            for (let c = 0; c < 3; c++) {
              const at = (image: ImageData, xx: number) => image.data[(y * image.width + xx) * 4 + c];
              flippedSum += Math.abs(at(m, x) - at(p, p.width - 1 - x));
              sameSum += Math.abs(at(m, x) - at(p, x));
            }
        const n = p.width * p.height * 3;
        return [flippedSum / n, sameSum / n];
      },
      [plainCrop.cropJpegBase64, mirroredCrop.cropJpegBase64] as const,
    );
    expect(flipped).toBeLessThan(12);
    expect(unflipped).toBeGreaterThan(2 * flipped);
  });
});
