// Builds src/landmarks/warp-mesh.json, the fixed triangle mesh of the warp that both twins read
// (src/landmarks/warp.ts and train/talking_heads/warp.py; the algorithm is documented in warp.ts).
//
// The canonical face is the mean of the training people's 478 landmarks in crop coordinates (the
// crops are already face-aligned, so no further alignment is needed), normalised to [0, 1]. The ring
// is the face oval pushed out from the face's centre by RING_SCALE: per frame it follows the head by a
// similarity fit, so hair, ears and neck near the face move with it. The triangles are the Delaunay
// triangulation of canonical landmarks + ring + 8 frame-border anchors: one topology for every frame,
// so a warp is a fixed, batched computation in PyTorch and the same one in TS.
//
// Run (from the repository root, after `npm run data:prep -- --size 64`):
//   node -e "import('vite').then((v) => v.runnerImport('./scripts/make-warp-mesh.ts'))" -- [--data data/train-64]
import Delaunator from 'delaunator';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FACE_OVAL } from '../src/landmarks/contours.ts';
import { NUM_LANDMARKS } from '../src/landmarks/types.ts';
import { BORDER_ANCHORS, RING_SCALE } from '../src/landmarks/warp-mesh.ts';
import type { TrainingSetManifest } from '../src/training-data/manifest.ts';
import { decodeLandmarkFile } from '../src/training-data/shard.ts';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Every other point of the 36-point face oval: 18 ring points. */
const RING_STRIDE = 2;

function main(): void {
  // No `args`: Node's default drops the right number of leading entries for `node file` and `node -e`
  // alike; process.argv.slice(2) would drop `--data` itself under the documented `node -e` command.
  const { values } = parseArgs({
    options: { data: { type: 'string', default: 'data/train-64' } },
    allowPositionals: true,
  });
  const root = resolve(REPO_ROOT, values.data!);
  const manifest = JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8')) as TrainingSetManifest;
  const sum = new Float64Array(NUM_LANDMARKS * 2);
  let count = 0;
  for (const shard of manifest.shards) {
    if (shard.heldout) continue;
    const { frames } = decodeLandmarkFile(readFileSync(join(root, shard.landmarksFile)));
    for (const points of frames) {
      points.forEach((p, i) => {
        sum[2 * i] += p.x / manifest.size;
        sum[2 * i + 1] += p.y / manifest.size;
      });
      count++;
    }
  }
  const round = (v: number) => Math.round(v * 1e6) / 1e6;
  const canonical = Array.from({ length: NUM_LANDMARKS }, (_, i) => [round(sum[2 * i] / count), round(sum[2 * i + 1] / count)]);
  const centre = [0, 1].map((axis) => FACE_OVAL.reduce((acc, i) => acc + canonical[i][axis], 0) / FACE_OVAL.length);
  const ring = FACE_OVAL.filter((_, k) => k % RING_STRIDE === 0).map((i) =>
    [0, 1].map((axis) => round(centre[axis] + RING_SCALE * (canonical[i][axis] - centre[axis]))),
  );
  for (const [x, y] of ring) {
    if (!(x > 0 && x < 1 && y > 0 && y < 1)) throw new Error(`ring point (${x}, ${y}) leaves the frame: lower RING_SCALE`);
  }
  const vertices = [...canonical, ...ring, ...BORDER_ANCHORS.map(([x, y]) => [x, y])];
  const { triangles } = new Delaunator(vertices.flat());
  const list: number[][] = [];
  for (let t = 0; t < triangles.length; t += 3) list.push([triangles[t], triangles[t + 1], triangles[t + 2]]);
  const out = {
    description:
      'Fixed triangle mesh of the warp (src/landmarks/warp.ts, train/talking_heads/warp.py). Vertices: the 478 landmarks, ' +
      'then the ring (face oval scaled by ringScale about its centre, placed per frame by a similarity fit of canonical ' +
      "to the frame's landmarks), then the 8 border anchors. canonical and ring are in crop units ([0, 1]); made by " +
      'scripts/make-warp-mesh.ts from the mean landmarks of the training set.',
    frames: count,
    ringScale: RING_SCALE,
    canonical,
    ring,
    triangles: list,
  };
  const path = join(REPO_ROOT, 'src/landmarks/warp-mesh.json');
  writeFileSync(path, JSON.stringify(out) + '\n');
  console.log(`wrote ${path}: ${count} frames, ${vertices.length} vertices, ${list.length} triangles`);
}

main();
