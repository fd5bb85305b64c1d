// Set-up step: (re)builds public/models/face_landmarker.task from @mediapipe/face_mesh.
// Idempotent: the file is rewritten only when its bytes would change.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildFaceLandmarkerBundle } from '../landmarker-bundle/build-bundle.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const target = path.join(repoRoot, 'public/models/face_landmarker.task');

const bundle = buildFaceLandmarkerBundle();
const unchanged = existsSync(target) && Buffer.compare(readFileSync(target), Buffer.from(bundle)) === 0;
if (unchanged) {
  console.log(`setup: ${path.relative(repoRoot, target)} is up to date`);
} else {
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, bundle);
  console.log(`setup: wrote ${path.relative(repoRoot, target)} (${bundle.length} bytes)`);
}
