import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { listPeople, SOURCE_NAMES } from './sources.ts';
import { defaultSplit, HELDOUT_VIDEOS, seededShuffle, sourceSeed, splitEvenly, splitPeople } from './split.ts';

const names = Array.from({ length: 100 }, (_, i) => `person_${String(i).padStart(3, '0')}`);

describe('splitPeople', () => {
  it('holds out the requested number of people, disjoint from training, both sorted', () => {
    const split = splitPeople(names, 30, 7);
    expect(split.heldout).toHaveLength(30);
    expect(split.train).toHaveLength(70);
    expect(new Set([...split.train, ...split.heldout]).size).toBe(100);
    expect(split.heldout).toEqual([...split.heldout].sort());
    expect(split.train).toEqual([...split.train].sort());
  });

  it('depends on the seed but not on the input order', () => {
    expect(splitPeople([...names].reverse(), 30, 7)).toEqual(splitPeople(names, 30, 7));
    expect(splitPeople(names, 30, 8).heldout).not.toEqual(splitPeople(names, 30, 7).heldout);
  });

  it('rejects duplicates and impossible counts', () => {
    expect(() => splitPeople(['a', 'a'], 1, 1)).toThrow(/unique/);
    expect(() => splitPeople(['a'], 2, 1)).toThrow(/cannot hold out/);
  });

  it('shuffles without losing items and gives each source its own order', () => {
    expect([...seededShuffle(names, 3)].sort()).toEqual(names);
    expect(seededShuffle(names, 3)).not.toEqual(names);
    expect(sourceSeed(1, 'ytf')).not.toBe(sourceSeed(1, 'celeba'));
  });
});

describe('splitEvenly', () => {
  it('holds out names evenly spaced over the natural order, as the eval picks its --people', () => {
    const clips = ['c0', 'c1', 'c2', 'c3', 'c4', 'c10', 'c11'];
    // Natural order c0 c1 c2 c3 c4 c10 c11; 3 of 7 evenly: indices 0, 2, 4.
    expect(splitEvenly(clips, 3)).toEqual({ train: ['c1', 'c10', 'c11', 'c3'], heldout: ['c0', 'c2', 'c4'] });
    expect(defaultSplit('videos', clips, 1)).toEqual(splitEvenly(clips, HELDOUT_VIDEOS));
    expect(defaultSplit('ytf', names, 1)).toEqual(splitPeople(names, 30, sourceSeed(1, 'ytf')));
    expect(() => splitEvenly(['a', 'a'], 1)).toThrow(/unique/);
  });
});

const DATA_ROOT = fileURLToPath(new URL('../../../shared/data', import.meta.url));
const SPLIT_PATH = fileURLToPath(new URL('../../train/split.json', import.meta.url));

describe.skipIf(!existsSync(DATA_ROOT))('train/split.json (skipped: ../shared/data is absent)', () => {
  it('is what the documented seed gives for the people in ../shared/data', () => {
    const committed = JSON.parse(readFileSync(SPLIT_PATH, 'utf8'));
    for (const source of SOURCE_NAMES) {
      const people = listPeople(DATA_ROOT, source).map((p) => p.id);
      expect(committed[source]).toEqual(defaultSplit(source, people, committed.seed));
    }
    // The held-out videos are the 8 clips the eval has always scored.
    expect(committed.videos.heldout).toEqual([
      'livep_d0',
      'livep_d11',
      'livep_d14',
      'livep_d6',
      'livep_d8',
      'livep_s20',
      'retalk_2',
      'retalk_4',
    ]);
  });
});
