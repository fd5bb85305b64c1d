// The evaluation command end to end, kept working in CI on the tiny test weights of both generators
// (warp-guided and the paper's) and a few frames: one talking-head clip and one held-out identity
// folder, FF and FT at T = 1 per generator, every baseline and metric (sharpness included) at 256 px,
// the report and the grid; and the cross-identity mode (--cross) on two clips that drive each other.
// Numbers from tiny weights mean nothing; that they exist does.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { probeVideo } from '../src/eval/side-by-side-video.ts';
import { decodePng } from '../src/util/png.ts';

const ROOT = resolve(import.meta.dirname, '..');
const SHARED = resolve(ROOT, '..', 'shared', 'data');

/** `npm run eval -- ARGS` as a child process; its stdout. */
function runEval(args: string[]): string {
  return execFileSync(process.execPath, ['-e', "import('vite').then((v) => v.runnerImport('./scripts/eval.ts'))", '--', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 900_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
const TINY = resolve(ROOT, 'public', 'weights', 'test-tiny', 'manifest.json');
const TINY_WARP = resolve(ROOT, 'public', 'weights', 'test-tiny-warp', 'manifest.json');
const missing = !existsSync(join(SHARED, 'videos'))
  ? `needs the face data in ${SHARED} (absent on this machine)`
  : !existsSync(TINY) || !existsSync(TINY_WARP)
    ? 'needs the tiny test weights (scripts/setup.sh makes them)'
    : null;

const work = mkdtempSync(join(tmpdir(), 'eval-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

it.skipIf(missing !== null)(
  `npm run eval runs the protocol and writes results, report and grid${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    const videos = join(work, 'videos');
    mkdirSync(videos);
    symlinkSync(join(SHARED, 'videos', 'livep_d0.mp4'), join(videos, 'speaker.mp4'));
    // One held-out YouTube Faces person, two of their clips.
    const split = JSON.parse(readFileSync(join(ROOT, 'train', 'split.json'), 'utf8')) as { ytf: { heldout: string[] } };
    const person = split.ytf.heldout[0];
    const frames = readdirSync(join(SHARED, 'ytf', 'frames', person)).sort();
    const clips = [...new Set(frames.map((f) => f.split('_')[0]))].slice(0, 2);
    const identities = join(work, 'identities');
    mkdirSync(join(identities, person), { recursive: true });
    for (const f of frames.filter((f) => clips.includes(f.split('_')[0])))
      symlinkSync(join(SHARED, 'ytf', 'frames', person, f), join(identities, person, f));

    const out = join(work, 'out');
    const log = runEval([
      '--videos',
      videos,
      '--identities',
      identities,
      '--out',
      out,
      '--T',
      '1,64',
      '--frames',
      '2',
      '--mode',
      'ff,ft',
      '--ft-steps',
      '1',
      '--no-content-loss',
      '--weights',
      'warp=/weights/test-tiny-warp/manifest.json,paper=/weights/test-tiny/manifest.json',
      '--report',
      join(work, 'EVAL.md'),
      '--composites',
    ]);
    expect(log).toMatch(/eval: 2 people in \d+ s/);

    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(
      results.models.map((m: { label: string; generator: string; frameSize: number; resolution: number }) => [
        m.label,
        m.generator,
        m.frameSize,
        m.resolution,
      ]),
    ).toEqual([
      ['warp', 'warp', 256, 16],
      ['paper', 'paper', 16, 16],
    ]);
    type Row = {
      method: string;
      generator: string | null;
      T: number;
      frames: number;
      ssim: { mean: number };
      faceSsim: { n: number; mean: number };
      csim: { mean: number };
      idcos: { mean: number };
      sharpness: { n: number; mean: number };
      fidProxy: number | null;
      featureDistance: { n: number; mean: number };
      featureDistanceToWarp: { n: number; mean: number } | null;
      fidProxyBySubset: { subset: string; fid: number | null; toWarp: number | null }[];
    };
    const rows = results.summary.rows as Row[];
    const name = (r: Row) => `${r.method}${r.generator ? `-${r.generator}` : ''}@${r.T}`;
    expect(rows.map(name)).toEqual([
      'copy@1',
      'warp@1',
      'ff-warp@1',
      'ff-paper@1',
      'ft-warp@1',
      'ft-paper@1',
      // --composites: the real face on the warp, the warp on the real background, each generator's face on the warp.
      'composite-real face, warp around@1',
      'composite-warp face, real around@1',
      'composite-FF warp face, warp around@1',
      'composite-FF paper face, warp around@1',
    ]);
    for (const row of rows) {
      expect(row.frames).toBe(4);
      for (const value of [row.ssim.mean, row.csim.mean, row.idcos.mean]) {
        expect(value).toBeGreaterThan(-1);
        expect(value).toBeLessThanOrEqual(1);
      }
      expect(row.faceSsim.n).toBe(4);
      expect(row.faceSsim.mean).toBeGreaterThan(-1);
      expect(row.faceSsim.mean).toBeLessThanOrEqual(1);
      expect(row.sharpness.n).toBe(4);
      expect(row.sharpness.mean).toBeGreaterThan(0);
      expect(row.fidProxy).not.toBeNull();
    }
    // The FID proxy's inputs by person: the ground truth's and every row's, one feature vector per frame.
    const features = JSON.parse(readFileSync(join(out, 'features.json'), 'utf8')) as {
      person: string;
      features: Record<string, number[][]>;
    }[];
    expect(features.map((f) => f.person)).toEqual(results.people.map((p: { person: string }) => p.person));
    for (const f of features) expect(Object.keys(f.features).sort()).toEqual(['ground-truth', ...rows.map(name)].sort());
    expect(features.flatMap((f) => f.features['ff-warp@1']).length).toBe(4);
    const byName = Object.fromEntries(rows.map((r) => [name(r), r]));
    // The paired feature distance: per frame, from its own ground truth's features (the copy's is not 0: another pose).
    for (const row of rows) expect(row.featureDistance.n).toBe(4);
    expect(byName['copy@1'].featureDistance.mean).toBeGreaterThan(0);
    expect(byName['warp@1'].featureDistanceToWarp).toBeNull();
    expect(byName['ff-warp@1'].featureDistanceToWarp!.n).toBe(4);
    expect(byName['ff-warp@1'].featureDistanceToWarp!.mean).toBeCloseTo(
      byName['ff-warp@1'].featureDistance.mean - byName['warp@1'].featureDistance.mean,
      6,
    );
    // The FID proxy within each kind of data: the clip and the identity folder, each against its own truth.
    const subsets = byName['ff-warp@1'].fidProxyBySubset;
    expect(subsets.map((p) => p.subset)).toEqual(['identities', 'videos']);
    for (const p of subsets) expect(p.toWarp).toBeGreaterThan(0);
    // The real face composited on the warp is nearer the real frame than the warp alone.
    expect(byName['composite-real face, warp around@1'].ssim.mean).toBeGreaterThan(byName['warp@1'].ssim.mean);
    expect(byName['composite-warp face, real around@1'].featureDistanceToWarp!.mean).toBeLessThan(0);
    // Face SSIM sees the face only: the real face scores near 1 whatever surrounds it, and a real background
    // around the warp's face barely moves it (only windows at the oval's edge see past it).
    expect(byName['composite-real face, warp around@1'].faceSsim.mean).toBeGreaterThan(0.85);
    expect(byName['composite-real face, warp around@1'].faceSsim.mean).toBeGreaterThan(
      byName['composite-real face, warp around@1'].ssim.mean,
    );
    expect(Math.abs(byName['composite-warp face, real around@1'].faceSsim.mean - byName['warp@1'].faceSsim.mean)).toBeLessThan(
      Math.abs(byName['composite-warp face, real around@1'].ssim.mean - byName['warp@1'].ssim.mean),
    );
    // The copy is a real frame of the same person: identity agrees better than with a 16 px avatar.
    expect(byName['copy@1'].idcos.mean).toBeGreaterThan(byName['ff-paper@1'].idcos.mean);
    // A 16 px frame upsampled to 256 px has far less fine detail than the real frame; the warp reuses real pixels.
    expect(byName['ff-paper@1'].sharpness.mean).toBeLessThan(0.5);
    expect(byName['warp@1'].sharpness.mean).toBeGreaterThan(byName['ff-paper@1'].sharpness.mean);
    // An untrained warp-guided G adds little to its warp: its frames stay close to the warp baseline.
    expect(Math.abs(byName['ff-warp@1'].ssim.mean - byName['warp@1'].ssim.mean)).toBeLessThan(0.15);
    expect(
      results.summary.timings.map((t: { generator: string; T: number; people: number; ftSteps: number }) => [
        t.generator,
        t.T,
        t.people,
        t.ftSteps,
      ]),
    ).toEqual([
      ['warp', 1, 2, 1],
      ['paper', 1, 2, 1],
    ]);
    // T = 64 cannot be met by either person: noted, not silently dropped.
    for (const p of results.people as { notes: string[] }[]) expect(p.notes.join(' ')).toMatch(/T=64: only \d+ few-shot frames/);
    // The grid: one row per person, and a row marked for the widest mouth opening.
    const gridRows = results.grid as { person: string; T: number; mouthRow: boolean; targetOpening: number; sourceOpening: number }[];
    expect(gridRows.length).toBeGreaterThanOrEqual(2);
    expect(gridRows.filter((r) => r.mouthRow)).toHaveLength(1);
    // Rows record their T run: T = 1 here, the only one met (T = 64 is not).
    for (const r of gridRows) expect(r.T).toBe(1);

    const report = readFileSync(join(work, 'EVAL.md'), 'utf8');
    expect(report).toContain('| warp of the nearest source | – | 1 | 2 | 4 |');
    expect(report).toContain('| composite: inside the face oval, around it | real face, warp around | 1 | 2 | 4 |');
    expect(report).toContain('| FF (feed-forward) | warp (256 px, G at 16) | 1 | 2 | 4 |');
    expect(report).toContain('| FF (feed-forward) | paper (16 px) | 1 | 2 | 4 |');
    expect(report).toContain('| FT (fine-tuned) | warp (256 px, G at 16) | 1 | 2 | 4 |');
    expect(report).toContain('| FT (fine-tuned) | paper (16 px) | 1 | 2 | 4 |');
    expect(report).toContain('sharpness (1 = real)');
    expect(report).toContain('| method | generator | T | identity folders | clips |');
    expect(report).toMatch(/\*\*mouth(-open)? row\*\*/);
    expect(report).toContain('](eval_grid.png)');
    // source | driver | warp | FF warp | FF paper | FT warp | FT paper | ground truth, 256 px cells, 2 px gaps.
    const grid = decodePng(readFileSync(join(work, 'eval_grid.png')));
    expect(grid.width).toBe(8 * 256 + 7 * 2);
    expect(grid.height).toBe(gridRows.length * 256 + (gridRows.length - 1) * 2);
  },
  900_000,
);

it.skipIf(missing !== null)(
  `npm run eval -- --cross drives each avatar with another person's clip, for every method${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    const videos = join(work, 'cross-videos');
    mkdirSync(videos);
    symlinkSync(join(SHARED, 'videos', 'retalk_5.mp4'), join(videos, 'alice.mp4'));
    symlinkSync(join(SHARED, 'videos', 'livep_d0.mp4'), join(videos, 'bob.mp4'));
    const out = join(work, 'cross-out');
    const log = runEval([
      '--videos',
      videos,
      '--out',
      out,
      '--T',
      '1',
      '--frames',
      '1',
      '--mode',
      'ff,ft',
      '--ft-steps',
      '1',
      '--no-content-loss',
      '--weights',
      'warp=/weights/test-tiny-warp/manifest.json,paper=/weights/test-tiny/manifest.json',
      '--cross',
      '--cross-frames',
      '5',
      '--report',
      join(work, 'CROSS.md'),
    ]);
    expect(log).toMatch(/eval: 2 people in \d+ s/);
    expect(log).toMatch(/time in the page \d+ s/);

    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    const cross = results.cross as {
      pairs: { source: string; driver: string; frames: number }[];
      rows: ({ method: string; generator: string | null; T: number; pairs: number } & Record<
        string,
        { n: number; mean: number; ci95: number | null }
      >)[];
      scores: { method: string; idSource: number; idDriver: number; mouthCorr: number | null }[];
      videos: { file: string; columns: string[]; frames: number; width: number; height: number }[];
    };
    // Deterministic pairs: each clip drives the other person.
    expect(cross.pairs.map((p) => [p.source, p.driver])).toEqual([
      ['videos/alice', 'videos/bob'],
      ['videos/bob', 'videos/alice'],
    ]);
    for (const p of cross.pairs) expect(p.frames).toBeGreaterThanOrEqual(3);
    const name = (r: { method: string; generator: string | null; T: number }) =>
      `${r.method}${r.generator ? `-${r.generator}` : ''}@${r.T}`;
    expect(cross.rows.map(name)).toEqual(['copy@1', 'warp@1', 'ff-warp@1', 'ff-paper@1', 'ft-warp@1', 'ft-paper@1']);
    for (const row of cross.rows) {
      expect(row.pairs).toBe(2);
      for (const key of ['idSource', 'idDriver', 'mouthCorr', 'eyeCorr', 'poseErr', 'jitter', 'flicker', 'sharpness']) {
        expect(row[key], `${name(row)} ${key}`).toHaveProperty('mean');
        expect(row[key], `${name(row)} ${key}`).toHaveProperty('ci95');
      }
      expect(row.idSource.mean).toBeGreaterThan(-1);
      expect(row.idSource.mean).toBeLessThanOrEqual(1);
    }
    const byName = Object.fromEntries(cross.rows.map((r) => [name(r), r]));
    // The frozen copy follows nothing and never moves; the copy is the source's own photo.
    expect(byName['copy@1'].mouthCorr.mean).toBe(0);
    expect(byName['copy@1'].flicker.mean).toBe(0);
    expect(byName['copy@1'].jitter.mean).toBe(0);
    expect(byName['copy@1'].idSource.mean).toBeGreaterThan(byName['copy@1'].idDriver.mean);

    // Two side-by-side videos: driver | landmarks | copy | warp | FF warp | FF paper | FT warp | FT paper.
    expect(cross.videos).toHaveLength(2);
    for (const video of cross.videos) {
      expect(video.columns).toHaveLength(8);
      expect(video.width).toBe(8 * 256 + 7 * 2);
      expect(probeVideo(join(out, video.file))).toMatchObject({ codec: 'vp9', frames: video.frames });
    }
    const report = readFileSync(join(work, 'CROSS.md'), 'utf8');
    expect(report).toContain('## Cross-identity: another person drives the avatar');
    expect(report).toContain('| `videos/alice` | `videos/bob` |');
    expect(report).toMatch(/\| FT \(fine-tuned\) \| paper \(16 px\) \| 1 \| 2 \| \d+% \|/);
    expect(report).toContain('](cross_cross_1.webm)');
    expect(existsSync(join(work, 'cross_cross_1.webm'))).toBe(true);
    expect(existsSync(join(work, 'cross_cross_2.webm'))).toBe(true);
  },
  900_000,
);
