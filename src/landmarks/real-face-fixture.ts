/**
 * Loads the committed real MediaPipe face (478 points on a public-domain portrait, detected by the
 * project's own landmark bundle) for Node tests. Tests only: it reads from disk.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Point } from './types.ts';

export interface FaceFixture {
  source?: string;
  width: number;
  height: number;
  landmarks: Point[];
}

export const REAL_FACE_FIXTURE_PATH = fileURLToPath(new URL('./__fixtures__/face478.json', import.meta.url));

export function loadRealFaceFixture(): FaceFixture {
  return JSON.parse(readFileSync(REAL_FACE_FIXTURE_PATH, 'utf8')) as FaceFixture;
}
