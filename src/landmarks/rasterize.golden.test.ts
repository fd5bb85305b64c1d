/**
 * Golden images pin the landmark image pixel for pixel (max abs difference 1 per channel, to allow for
 * last-bit differences in Math functions between JS engines). The generator is trained on these
 * images, so any visual change to the rasterizer must be deliberate: regenerate with
 *   UPDATE_GOLDEN=1 npx vitest run src/landmarks/rasterize.golden.test.ts
 * and look at the PNGs before committing them. A missing golden is written on first run, except in CI.
 *
 * Two faces: the real MediaPipe face in __fixtures__/face478.json (what the app will draw) and the
 * parametric synthetic face (rolled, mouth open, looking sideways), which exercises roll, the inner lips
 * and gaze independently of the fixture.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodePng, encodePng } from '../util/png.ts';
import { computeFaceCrop, mapLandmarksToCrop } from './crop.ts';
import { rasterizeLandmarks } from './rasterize.ts';
import { loadRealFaceFixture } from './real-face-fixture.ts';
import { makeSyntheticFace } from './synthetic-face.ts';
import type { Point, RgbaImage } from './types.ts';

const GOLDEN_DIR = fileURLToPath(new URL('./__golden__/', import.meta.url));
const SIZES = [64, 128];

/** A slightly rolled, mouth-open, sideways-looking synthetic face in a 640x480 frame. */
const syntheticFace = makeSyntheticFace({ centerX: 300, centerY: 250, halfWidth: 90, mouthOpen: 0.12, roll: 0.12, gazeX: 0.35 });

function renderCropped(points: readonly Point[], size: number): RgbaImage {
  const crop = computeFaceCrop(points, size);
  return rasterizeLandmarks(mapLandmarksToCrop(points, crop), size);
}

function maxAbsDifference(a: RgbaImage, b: RgbaImage): number {
  let max = 0;
  for (let i = 0; i < a.data.length; i++) max = Math.max(max, Math.abs(a.data[i] - b.data[i]));
  return max;
}

function expectMatchesGolden(image: RgbaImage, name: string): void {
  const path = `${GOLDEN_DIR}${name}`;
  const update = process.env.UPDATE_GOLDEN === '1';
  if (update || (!existsSync(path) && !process.env.CI)) {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(path, encodePng(image));
  }
  if (!existsSync(path)) throw new Error(`golden ${name} is missing; run with UPDATE_GOLDEN=1 and commit it`);
  const golden = decodePng(new Uint8Array(readFileSync(path)));
  expect([golden.width, golden.height]).toEqual([image.width, image.height]);
  expect(maxAbsDifference(image, golden), `${name} differs from its golden`).toBeLessThanOrEqual(1);
}

describe('landmark image goldens', () => {
  it.each(SIZES)('synthetic face at %i px', (size) => {
    expectMatchesGolden(renderCropped(syntheticFace, size), `synthetic_${size}.png`);
  });

  it.each(SIZES)('real MediaPipe face (__fixtures__/face478.json) at %i px', (size) => {
    const fixture = loadRealFaceFixture();
    expect(fixture.landmarks.length).toBe(478);
    expectMatchesGolden(renderCropped(fixture.landmarks, size), `face478_${size}.png`);
  });

  it('detects a changed drawing', () => {
    // Guards the comparison itself: a one-pixel shift of the face must not pass as equal.
    const crop = computeFaceCrop(syntheticFace, 128);
    const shifted = syntheticFace.map((p) => ({ ...p, x: p.x + 1 / crop.scale }));
    const a = renderCropped(syntheticFace, 128);
    const b = rasterizeLandmarks(mapLandmarksToCrop(shifted, crop), 128);
    expect(maxAbsDifference(a, b)).toBeGreaterThan(1);
  });
});
