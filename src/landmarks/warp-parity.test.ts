/**
 * TS ↔ PyTorch parity of the warp on a real frame: train/talking_heads/export_warp_parity.py crops
 * ../shared/data/portraits/photo_einstein.jpg around its real MediaPipe landmarks (__fixtures__/face478.json),
 * derives two target poses from them (mouth opened; a head turn) and writes torch's warp (warp.py) of
 * the crop at 64 and 256 px. warpImage (bytes) and warpTensor (TF.js, CPU backend) must reproduce the
 * warped RGB and the mask within a mean absolute difference of 1/255.
 *
 * Skips with the reason when ../shared is absent. Needs a Python with torch, numpy and PIL: $PYTHON,
 * default /usr/bin/python3 (Debian python3-torch, python3-pil); without it the test fails with the
 * reason, except when SKIP_PARITY=1 (local machines).
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCpuBackend } from '../nn/testing.ts';
import type { Point } from './types.ts';
import { warpImage, warpTensor } from './warp.ts';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DATA = resolve(REPO_ROOT, '../shared/data');
const PORTRAIT = join(DATA, 'portraits/photo_einstein.jpg');
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const SIZES = [64, 256];
/** Mean |Δ| bound, in 0–255 terms for colours and in [0, 1] for the mask. */
const MEAN_COLOR_TOLERANCE = 1;
const MEAN_MASK_TOLERANCE = 1 / 255;

interface ParityIndex {
  readonly source: string;
  readonly sizes: Record<string, { crop: string; points: number[][] }>;
  readonly cases: { name: string; size: number; target: number[][]; warped: string; mask: string }[];
}

const noShared = !existsSync(PORTRAIT);
if (noShared) console.warn(`src/landmarks/warp-parity.test.ts skipped: ${PORTRAIT} is absent (no ../shared data)`);
const skipRequested = process.env.SKIP_PARITY === '1';
if (skipRequested) console.warn('src/landmarks/warp-parity.test.ts skipped: SKIP_PARITY=1');

/** Runs the twin's exporter; throws with the reason (no Python, no torch, exporter error) on failure. */
function exportFixture(folder: string): void {
  const run = spawnSync(
    PYTHON,
    ['-m', 'train.talking_heads.export_warp_parity', '--data', DATA, '--out', folder, '--sizes', ...SIZES.map(String)],
    {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  const howToFix =
    'Install python3-torch and python3-pil (Debian) or point PYTHON at an interpreter that has torch, numpy and PIL; ' +
    'SKIP_PARITY=1 skips this test on machines without them.';
  if (run.error) throw new Error(`The warp parity test cannot run ${PYTHON}: ${run.error.message}. ${howToFix}`);
  const missing = /No module named '(torch|numpy|PIL)'/.exec(run.stderr);
  if (missing) throw new Error(`The warp parity test needs ${missing[1]} in ${PYTHON}. ${howToFix}`);
  if (run.status !== 0) throw new Error(`export_warp_parity failed (status ${run.status}):\n${run.stderr}`);
}

function toPoints(xy: readonly number[][]): Point[] {
  return xy.map(([x, y]) => ({ x, y, z: 0 }));
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>, scale = 1): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max * scale;
}

function meanAbs(a: ArrayLike<number>, b: ArrayLike<number>, scale = 1): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return (sum / a.length) * scale;
}

describe.skipIf(noShared || skipRequested)('warp: TS ↔ PyTorch parity on a real frame (photo_einstein.jpg)', () => {
  let folder: string;
  let index: ParityIndex;

  const bytes = (file: string): Uint8Array => new Uint8Array(readFileSync(join(folder, file)));
  const floats = (file: string): Float32Array => {
    const raw = readFileSync(join(folder, file));
    return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  };

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'warp-parity-'));
    exportFixture(folder);
    index = JSON.parse(readFileSync(join(folder, 'index.json'), 'utf8')) as ParityIndex;
    await useCpuBackend();
  }, 180_000);

  afterAll(() => {
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  for (const size of SIZES) {
    it(`warpImage and warpTensor match torch at ${size} px`, () => {
      const entry = index.sizes[String(size)];
      const crop = bytes(entry.crop);
      expect(crop.length).toBe(size * size * 3);
      const sourcePoints = toPoints(entry.points);
      const rgba = new Uint8ClampedArray(size * size * 4);
      const scaled = new Float32Array(size * size * 3);
      for (let p = 0; p < size * size; p++) {
        for (let c = 0; c < 3; c++) {
          rgba[4 * p + c] = crop[3 * p + c];
          scaled[3 * p + c] = crop[3 * p + c] / 127.5 - 1;
        }
        rgba[4 * p + 3] = 255;
      }
      const cases = index.cases.filter((c) => c.size === size);
      expect(cases.length).toBeGreaterThan(0);
      for (const { name, target, warped: warpedFile, mask: maskFile } of cases) {
        const targetPoints = toPoints(target);
        const torchWarped = floats(warpedFile);
        const torchMask = floats(maskFile);
        const torchBytes = Float32Array.from(torchWarped, (v) => (v + 1) * 127.5);
        const sourceBytes = Float32Array.from(scaled, (v) => (v + 1) * 127.5);
        // The fixture is non-trivial: the warp moved pixels and the mask is not all ones.
        expect(meanAbs(torchBytes, sourceBytes), `${name}: torch moved pixels`).toBeGreaterThan(3);
        expect(Math.min(...torchMask), `${name}: mask`).toBeLessThan(0.7);

        const { image, mask } = warpImage({ width: size, height: size, data: rgba }, sourcePoints, targetPoints);
        const imageRgb = new Float32Array(size * size * 3);
        for (let p = 0; p < size * size; p++) {
          for (let c = 0; c < 3; c++) imageRgb[3 * p + c] = image.data[4 * p + c];
        }

        const before = tf.memory().numTensors;
        const input = tf.tensor4d(scaled, [1, size, size, 3]);
        const out = warpTensor(input, sourcePoints, targetPoints);
        const tensorWarped = out.warped.dataSync();
        const tensorMask = out.mask.dataSync();
        tf.dispose([input, out.warped, out.mask]);
        expect(tf.memory().numTensors).toBe(before);

        const numbers = {
          imageRgb: meanAbs(imageRgb, torchBytes),
          tensorRgb: meanAbs(tensorWarped, torchWarped, 127.5),
          imageMask: meanAbs(mask, torchMask),
          tensorMask: meanAbs(tensorMask, torchMask),
        };
        console.info(
          `warp parity ${name} ${size} px, mean (max) |Δ|: RGB 0–255 warpImage ${numbers.imageRgb.toFixed(4)} ` +
            `(${maxAbs(imageRgb, torchBytes).toFixed(3)}), warpTensor ${numbers.tensorRgb.toExponential(2)} ` +
            `(${maxAbs(tensorWarped, torchWarped, 127.5).toExponential(2)}); mask warpImage ${numbers.imageMask.toExponential(2)} ` +
            `(${maxAbs(mask, torchMask).toExponential(2)}), warpTensor ${numbers.tensorMask.toExponential(2)}`,
        );
        expect(numbers.imageRgb, `${name} ${size} px warpImage RGB`).toBeLessThanOrEqual(MEAN_COLOR_TOLERANCE);
        expect(numbers.tensorRgb, `${name} ${size} px warpTensor RGB`).toBeLessThanOrEqual(MEAN_COLOR_TOLERANCE);
        expect(numbers.imageMask, `${name} ${size} px warpImage mask`).toBeLessThanOrEqual(MEAN_MASK_TOLERANCE);
        expect(numbers.tensorMask, `${name} ${size} px warpTensor mask`).toBeLessThanOrEqual(MEAN_MASK_TOLERANCE);
      }
    });
  }
});
