import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  evenlySpaced,
  heldOutClips,
  heldOutNames,
  listIdentityFolders,
  listVideoFiles,
  naturalCompare,
  planIdentity,
  planVideo,
} from './eval-dataset.ts';

const limits = { maxSources: 4, targets: 2 };

describe('evenlySpaced', () => {
  it('keeps the first item and the order, and never repeats', () => {
    expect(evenlySpaced([0, 1, 2, 3, 4, 5, 6, 7], 4)).toEqual([0, 2, 4, 6]);
    expect(evenlySpaced([0, 1, 2], 5)).toEqual([0, 1, 2]);
    expect(evenlySpaced([0, 1, 2], 0)).toEqual([]);
    expect(new Set(evenlySpaced([...Array(33).keys()], 32)).size).toBe(32);
  });
});

describe('planIdentity', () => {
  it('holds out the last clip when file names share per-clip prefixes (YouTube Faces)', () => {
    const files = ['clip1_tr0.jpg', 'clip1_tr1.jpg', 'clip3_te0.jpg', 'clip3_tr0.jpg', 'clip10_tr0.jpg', 'clip10_tr1.jpg', 'notes.txt'];
    const plan = planIdentity('identities/x', '/d', files, limits);
    if ('skip' in plan) throw new Error(plan.skip);
    // clip10 sorts after clip3 (natural order): it is the hold-out part.
    expect(plan.targets.map((r) => r.kind === 'image' && r.path)).toEqual(['/d/clip10_tr0.jpg', '/d/clip10_tr1.jpg']);
    expect(plan.sources.map((r) => r.kind === 'image' && r.path)).toEqual([
      '/d/clip1_tr0.jpg',
      '/d/clip1_tr1.jpg',
      '/d/clip3_te0.jpg',
      '/d/clip3_tr0.jpg',
    ]);
  });

  it('holds out the last photos of a plain photo folder, never a source', () => {
    const files = ['1.jpg', '2.jpg', '3.png', '10.jpg', '11.jpg'];
    const plan = planIdentity('identities/y', '/p', files, limits);
    if ('skip' in plan) throw new Error(plan.skip);
    const targets = plan.targets.map((r) => r.kind === 'image' && r.path);
    expect(targets).toEqual(['/p/10.jpg', '/p/11.jpg']);
    for (const source of plan.sources) expect(targets).not.toContain(source.kind === 'image' && source.path);
  });

  it('skips a folder with fewer than two images', () => {
    expect(planIdentity('identities/z', '/z', ['only.jpg', 'readme.md'], limits)).toEqual({ skip: '1 image(s); needs at least 2' });
  });
});

describe('planVideo', () => {
  it('takes few-shot frames from the first half and hold-out frames from the second', () => {
    const plan = planVideo('videos/v', '/v.mp4', 100, { maxSources: 32, targets: 8 });
    if ('skip' in plan) throw new Error(plan.skip);
    const index = (r: (typeof plan.sources)[number]) => (r.kind === 'video' ? r.index : -1);
    expect(plan.sources).toHaveLength(32);
    expect(plan.targets).toHaveLength(8);
    expect(Math.max(...plan.sources.map(index))).toBeLessThan(50);
    expect(Math.min(...plan.targets.map(index))).toBeGreaterThanOrEqual(50);
  });
});

describe('folders', () => {
  const root = mkdtempSync(join(tmpdir(), 'eval-dataset-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('lists person folders (filtered) and video files', () => {
    for (const name of ['Ann', 'Bob', 'Cy']) mkdirSync(join(root, name));
    writeFileSync(join(root, 'b.mp4'), '');
    writeFileSync(join(root, 'a.webm'), '');
    writeFileSync(join(root, 'c.txt'), '');
    expect(listIdentityFolders(root)).toEqual(['Ann', 'Bob', 'Cy']);
    expect(listIdentityFolders(root, (n) => n !== 'Bob')).toEqual(['Ann', 'Cy']);
    expect(listVideoFiles(root)).toEqual(['a.webm', 'b.mp4']);
  });
});

it('reads held-out names from a split file of any sources', () => {
  const names = heldOutNames({ seed: 1, ytf: { train: ['A'], heldout: ['B', 'C'] }, celeba: { heldout: ['7'] } });
  expect([...names].sort()).toEqual(['7', 'B', 'C']);
  expect(heldOutNames(null).size).toBe(0);
  // Clips are kept by their name without extension; without a split, all of them.
  const clips = ['livep_d0.mp4', 'livep_d3.mp4', 'retalk_2.mp4'];
  const split = heldOutNames({ videos: { train: ['livep_d3'], heldout: ['livep_d0', 'retalk_2'] } });
  expect(heldOutClips(clips, split)).toEqual(['livep_d0.mp4', 'retalk_2.mp4']);
  expect(heldOutClips(clips, null)).toEqual(clips);
  expect(() => heldOutClips(clips, heldOutNames({ ytf: { heldout: ['B'] } }))).toThrow(/holds out none of these clips/);
  expect(naturalCompare('clip9', 'clip10')).toBeLessThan(0);
});
