import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { groupIntoClips, listPeople, ytfClipId } from './sources.ts';

describe('groupIntoClips', () => {
  it('groups YouTube Faces frames by clip prefix in natural order', () => {
    const files = ['clip10_tr0.jpg', 'clip2_tr10.jpg', 'clip2_te0.jpg', 'clip2_tr2.jpg', 'notes.txt', 'clip10_te1.jpg'];
    expect(groupIntoClips('ytf', files)).toEqual([
      { id: 'clip2', files: ['clip2_te0.jpg', 'clip2_tr2.jpg', 'clip2_tr10.jpg'] },
      { id: 'clip10', files: ['clip10_te1.jpg', 'clip10_tr0.jpg'] },
    ]);
    expect(ytfClipId('portrait.jpg')).toBe('portrait');
  });

  it("makes all of a CelebA person's photos one clip", () => {
    expect(groupIntoClips('celeba', ['10.jpg', '2.jpg', '1.jpg'])).toEqual([{ id: 'photos', files: ['1.jpg', '2.jpg', '10.jpg'] }]);
    expect(groupIntoClips('celeba', [])).toEqual([]);
  });
});

const DATA_ROOT = fileURLToPath(new URL('../../../shared/data', import.meta.url));

describe.skipIf(!existsSync(DATA_ROOT))('listPeople on ../shared/data (skipped: ../shared/data is absent)', () => {
  it('finds the documented people and clips', () => {
    const ytf = listPeople(DATA_ROOT, 'ytf');
    const celeba = listPeople(DATA_ROOT, 'celeba');
    expect(ytf).toHaveLength(347);
    expect(celeba).toHaveLength(259);
    expect(ytf.every((p) => p.clips.length >= 3 && p.clips.every((c) => /^clip\d+$/.test(c.id)))).toBe(true);
    const frames = (people: typeof ytf) => people.reduce((n, p) => n + p.clips.reduce((m, c) => m + c.files.length, 0), 0);
    expect(frames(ytf)).toBe(5770);
    expect(frames(celeba)).toBe(5428);
  });
});
