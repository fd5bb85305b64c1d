/**
 * A tiny, fully synthetic training set (16 px, three frames, two people, one held out) written with
 * the real shard writer. Committed under train/tests/fixtures/tiny-set so the Python reader is tested
 * against bytes the TypeScript encoder produced, without any image from ../shared.
 * Regenerate: WRITE_TRAINING_FIXTURE=1 npx vitest run src/training-data/tiny-fixture.test.ts
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { rasterizeLandmarks } from '../landmarks/rasterize.ts';
import { makeSyntheticFace } from '../landmarks/synthetic-face.ts';
import type { Point } from '../landmarks/types.ts';
import { countPeople, MANIFEST_FORMAT, MANIFEST_VERSION, type ManifestPerson, type TrainingSetManifest } from './manifest.ts';
import { ShardWriter } from './shard-writer.ts';

export const TINY_SET_SIZE = 16;
export const TINY_SET_DIR = fileURLToPath(new URL('../../train/tests/fixtures/tiny-set', import.meta.url));
const CROP_JPEG_PATH = fileURLToPath(new URL('./__fixtures__/gradient16.jpg', import.meta.url));
/** Landmark indices whose values expected.json spells out (mesh, eye corners, both iris centres). */
const PROBE_LANDMARKS = [0, 33, 263, 468, 473];

function tinyFaces(): Point[][] {
  const face = (mouthOpen: number, gazeX: number, centerX: number) =>
    makeSyntheticFace({ centerX, centerY: 8.5, halfWidth: 4.5, mouthOpen, gazeX });
  return [face(0, 0, 8), face(0.3, 0.4, 8.25), face(0.1, -0.3, 7.5)];
}

/** Writes the shards, manifest.json and expected.json (what the Python test checks) into `outDir`. */
export function writeTinyTrainingSet(outDir: string): void {
  mkdirSync(outDir, { recursive: true });
  const cropJpeg = new Uint8Array(readFileSync(CROP_JPEG_PATH));
  const faces = tinyFaces();
  const frames = faces.map((landmarks) => ({ cropJpeg, landmarkImage: rasterizeLandmarks(landmarks, TINY_SET_SIZE), landmarks }));

  const writer = new ShardWriter(outDir, TINY_SET_SIZE, 1 << 20);
  writer.startPerson(false);
  writer.add(frames[0]);
  writer.add(frames[1]);
  writer.startPerson(true);
  writer.add(frames[2]);
  writer.flush();

  const people: ManifestPerson[] = [
    {
      source: 'ytf',
      id: 'Synthetic_Alice',
      heldout: false,
      framesWithSeveralFaces: 0,
      clips: [
        { id: 'clip0', shard: 0, start: 0, count: 1, files: ['clip0_tr0.jpg'], outsideFraction: [0], upscale: [1] },
        { id: 'clip3', shard: 0, start: 1, count: 1, files: ['clip3_te1.jpg'], outsideFraction: [0.25], upscale: [1.5] },
      ],
      dropped: [{ file: 'clip3_te2.jpg', reason: 'no-face' }],
    },
    {
      source: 'celeba',
      id: '9001',
      heldout: true,
      framesWithSeveralFaces: 0,
      clips: [{ id: 'photos', shard: 1, start: 0, count: 1, files: ['1.jpg'], outsideFraction: [0], upscale: [0.5] }],
      dropped: [{ file: '2.jpg', reason: 'upscale' }],
    },
  ];
  const manifest: TrainingSetManifest = {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    size: TINY_SET_SIZE,
    created: '2026-01-01T00:00:00.000Z',
    pipeline: { note: 'synthetic fixture (src/training-data/tiny-fixture.ts)' },
    split: { file: 'train/split.json', seed: 0 },
    counts: countPeople(people),
    shards: writer.shards,
    people,
  };
  writeFileSync(join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 1) + '\n');

  const expected = {
    frames: frames.map((frame) => {
      const rgb = new Uint8Array(TINY_SET_SIZE * TINY_SET_SIZE * 3);
      for (let i = 0; i < TINY_SET_SIZE * TINY_SET_SIZE; i++) rgb.set(frame.landmarkImage.data.subarray(i * 4, i * 4 + 3), i * 3);
      return {
        landmarkImageRgbSha256: createHash('sha256').update(rgb).digest('hex'),
        landmarkImageNonBlackPixels: rgb.reduce((n, _, i) => (i % 3 === 0 && rgb[i] | rgb[i + 1] | rgb[i + 2] ? n + 1 : n), 0),
        probes: Object.fromEntries(PROBE_LANDMARKS.map((k) => [k, [frame.landmarks[k].x, frame.landmarks[k].y, frame.landmarks[k].z]])),
      };
    }),
  };
  writeFileSync(join(outDir, 'expected.json'), JSON.stringify(expected, null, 1) + '\n');
}
