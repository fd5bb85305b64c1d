// `npm run data:prep` end to end on a few people (headless Chromium, the app's own detector): several
// sizes in one pass (`--size 32,48`) write the same sets, byte for byte, as one pass per size, and the
// held-out split file is left as committed.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { TrainingSetManifest } from '../src/training-data/manifest.ts';

const ROOT = resolve(import.meta.dirname, '..');
const SHARED = resolve(ROOT, '..', 'shared', 'data');
const missing = !existsSync(join(SHARED, 'celeba'))
  ? `needs the face data in ${SHARED} (absent on this machine)`
  : !existsSync(join(ROOT, 'public', 'models', 'face_landmarker.task'))
    ? 'needs the landmark model bundle (scripts/setup.sh makes it)'
    : null;

function prepare(args: string[]): void {
  execFileSync(process.execPath, ['-e', "import('vite').then((v) => v.runnerImport('./scripts/prepare-training-set.ts'))", '--', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 300_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** A set's manifest without what differs from run to run (creation time). */
function manifestOf(dir: string): Omit<TrainingSetManifest, 'created'> {
  const { created: _created, ...rest } = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as TrainingSetManifest;
  return rest;
}

const work = mkdtempSync(join(tmpdir(), 'prepare-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

it.skipIf(missing !== null)(
  `two sizes in one pass give the sets of one pass per size${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    const split = readFileSync(join(ROOT, 'train', 'split.json'), 'utf8');
    const [both32, both48, alone48] = ['both-32', 'both-48', 'alone-48'].map((name) => join(work, name));
    const common = ['--sources', 'celeba', '--limit-people', '2'];
    prepare([...common, '--size', '32,48', '--out', `${both32},${both48}`]);
    prepare([...common, '--size', '48', '--out', alone48]);

    const files = readdirSync(alone48).sort();
    expect(files).toContain('shard-000.bin');
    expect(readdirSync(both48).sort()).toEqual(files);
    for (const file of files.filter((f) => f.endsWith('.bin'))) {
      expect(readFileSync(join(both48, file)).equals(readFileSync(join(alone48, file))), file).toBe(true);
    }
    expect(manifestOf(both48)).toEqual(manifestOf(alone48));

    // The other size: its own resolution, the same people and photos.
    const small = manifestOf(both32);
    const large = manifestOf(both48);
    expect([small.size, large.size]).toEqual([32, 48]);
    const { rasterLineWidth: _a, ...smallPipeline } = small.pipeline;
    const { rasterLineWidth: _b, ...largePipeline } = large.pipeline;
    expect(smallPipeline).toEqual(largePipeline);
    expect(small.people.map((p) => p.id)).toEqual(large.people.map((p) => p.id));
    const seen = (m: typeof small) => m.counts.total.frames + Object.values(m.counts.total.dropped).reduce((a, b) => a + (b ?? 0), 0);
    expect(seen(small)).toBe(seen(large));
    expect(small.counts.total.frames).toBeGreaterThan(10);
    expect(readFileSync(join(ROOT, 'train', 'split.json'), 'utf8')).toBe(split);
  },
  600_000,
);
