// The side-by-side WebM: frames in, a VP9 WebM of the composed rows out (ffprobe reads it back).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { RgbaImage } from '../landmarks/types.ts';
import { probeVideo, writeSideBySideWebm } from './side-by-side-video.ts';

const work = mkdtempSync(join(tmpdir(), 'side-by-side-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const solid = (size: number, value: number): RgbaImage => ({
  width: size,
  height: size,
  data: new Uint8ClampedArray(size * size * 4).fill(value),
});

it('writes one VP9 frame per row, cells side by side with 2 px gaps', () => {
  const frames = [0, 1, 2, 3].map((t) => [solid(32, 40 * t), solid(32, 200), null]);
  const path = join(work, 'pair.webm');
  expect(writeSideBySideWebm(frames, 15, path)).toEqual({ width: 3 * 32 + 2 * 2, height: 32 });
  expect(probeVideo(path)).toEqual({ codec: 'vp9', width: 100, height: 32, frames: 4 });
  expect(() => writeSideBySideWebm([], 15, join(work, 'none.webm'))).toThrow(/no frames/);
});
