// The evaluation command end to end, kept working in CI on the tiny test weights and a few frames:
// one talking-head clip and one held-out identity folder, FF and FT at T = 1, every baseline and
// metric, the report and the grid. Numbers from tiny weights mean nothing; that they exist does.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const SHARED = resolve(ROOT, '..', 'shared', 'data');
const TINY = resolve(ROOT, 'public', 'weights', 'test-tiny', 'manifest.json');
const missing = !existsSync(join(SHARED, 'videos'))
  ? `needs the face data in ${SHARED} (absent on this machine)`
  : !existsSync(TINY)
    ? 'needs the tiny test weights (scripts/setup.sh makes them)'
    : null;

const work = mkdtempSync(join(tmpdir(), 'eval-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

it.skipIf(missing !== null)(`npm run eval runs the protocol and writes results, report and grid${missing ? ` (skipped: ${missing})` : ''}`, () => {
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
  for (const f of frames.filter((f) => clips.includes(f.split('_')[0]))) symlinkSync(join(SHARED, 'ytf', 'frames', person, f), join(identities, person, f));

  const out = join(work, 'out');
  const log = execFileSync(
    process.execPath,
    ['-e', "import('vite').then((v) => v.runnerImport('./scripts/eval.ts'))", '--',
      '--videos', videos, '--identities', identities, '--out', out, '--T', '1,64', '--frames', '2',
      '--mode', 'ff,ft', '--ft-steps', '1', '--no-content-loss', '--weights', '/weights/test-tiny/manifest.json',
      '--report', join(work, 'EVAL.md')],
    { cwd: ROOT, encoding: 'utf8', timeout: 900_000, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  expect(log).toMatch(/eval: 2 people in \d+ s/);

  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  const rows = results.summary.rows as { method: string; T: number; frames: number; ssim: { mean: number }; csim: { mean: number }; idcos: { mean: number }; fidProxy: number | null }[];
  expect(rows.map((r) => `${r.method}@${r.T}`)).toEqual(['copy@1', 'warp@1', 'ff@1', 'ft@1']);
  for (const row of rows) {
    expect(row.frames).toBe(4);
    for (const value of [row.ssim.mean, row.csim.mean, row.idcos.mean]) {
      expect(value).toBeGreaterThan(-1);
      expect(value).toBeLessThanOrEqual(1);
    }
    expect(row.fidProxy).not.toBeNull();
  }
  // The copy is a real frame of the same person: identity agrees better than with a 16 px avatar.
  const byMethod = Object.fromEntries(rows.map((r) => [r.method, r]));
  expect(byMethod.copy.idcos.mean).toBeGreaterThan(byMethod.ff.idcos.mean);
  expect(results.summary.timings[0]).toMatchObject({ T: 1, people: 2, ftSteps: 1 });
  // T = 64 cannot be met by either person: noted, not silently dropped.
  for (const p of results.people as { notes: string[] }[]) expect(p.notes.join(' ')).toMatch(/T=64: only \d+ few-shot frames/);

  const report = readFileSync(join(work, 'EVAL.md'), 'utf8');
  expect(report).toContain('| FT (fine-tuned) | 1 | 2 | 4 |');
  expect(report).toContain('](eval_grid.png)');
  expect(readFileSync(join(work, 'eval_grid.png')).subarray(1, 4).toString()).toBe('PNG');
}, 900_000);
