import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { groupIntoClips, listPeople, videoClips, videoFrameIndex, videoFrameName, ytfClipId } from './sources.ts';

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

describe('videoClips', () => {
  it('takes frames evenly over a video, consecutive ones a clip, named so they can be decoded back', () => {
    const clips = videoClips(20, 6, 4);
    expect(clips.map((c) => c.id)).toEqual(['part0', 'part1']);
    expect(clips.flatMap((c) => c.files).map(videoFrameIndex)).toEqual([0, 3, 6, 10, 13, 16]);
    expect(clips[1].files).toEqual(['frame13.png', 'frame16.png']);
    // A video shorter than the frames asked for gives all of its frames.
    expect(videoClips(3, 96, 8)).toEqual([{ id: 'part0', files: ['frame0.png', 'frame1.png', 'frame2.png'] }]);
    expect(videoClips(0)).toEqual([]);
    expect(videoFrameIndex(videoFrameName(417))).toBe(417);
    expect(() => videoFrameIndex('clip1_tr0.jpg')).toThrow(/not a video frame/);
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
    // 19 talking-head videos, 96 frames each in clips of 8, but livep_d0, which has 78 frames in all.
    const videos = listPeople(DATA_ROOT, 'videos');
    expect(videos).toHaveLength(19);
    expect(frames(videos)).toBe(18 * 96 + 78);
    expect(videos.find((p) => p.id === 'livep_d0')!.clips.map((c) => c.files.length)).toEqual([...Array(9).fill(8), 6]);
    expect(videos.every((p) => p.id === 'livep_d0' || p.clips.length === 12)).toBe(true);
  });
});
