/**
 * The meta-learning sources in ../shared/data as people → clips → frame files. A clip is what the
 * paper calls a video: frames the embedder may mix and the discriminator treats as one identity.
 * YouTube Faces: one clip per `clip<C>_…` prefix. CelebA: photos, not video, so all of a person's
 * photos form one clip. Talking-head videos (`videos/*.mp4`, one person each): VIDEO_FRAMES frames
 * evenly over the video, in clips of VIDEO_CLIP_FRAMES consecutive ones (a few seconds each, about
 * as many frames as a YouTube Faces clip has), so that a long video weighs as several clips do; the
 * "files" are frame names (videoFrameName) that the data preparation extracts with ffmpeg.
 */
import { readdirSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { evenlySpaced, listVideoFiles } from '../eval/eval-dataset.ts';
import { countVideoFrames } from '../eval/video-frames.ts';

export type SourceName = 'ytf' | 'celeba' | 'videos';
export const SOURCE_NAMES: readonly SourceName[] = ['ytf', 'celeba', 'videos'];
/** What the data preparation takes when not told: the photo sources (videos go to a set of their own). */
export const DEFAULT_SOURCES: readonly SourceName[] = ['ytf', 'celeba'];

/** Folder of each source, relative to ../shared/data. */
export const SOURCE_DIRS: Readonly<Record<SourceName, string>> = { ytf: 'ytf/frames', celeba: 'celeba', videos: 'videos' };

/** Frames taken from each talking-head video, evenly spaced over it (all of a shorter one). */
export const VIDEO_FRAMES = 96;
/** Consecutive taken frames that form one clip of a video. */
export const VIDEO_CLIP_FRAMES = 8;

export interface SourceClip {
  id: string;
  /** File names inside the person's folder, in a stable order. */
  files: string[];
}

export interface SourcePerson {
  source: SourceName;
  id: string;
  clips: SourceClip[];
}

const IMAGE_FILE = /\.(jpe?g|png|webp)$/i;
const naturalOrder = new Intl.Collator('en', { numeric: true }).compare;

/** 'clip4_tr12.jpg' → 'clip4'; files without the prefix are their own clip named after the file. */
export function ytfClipId(file: string): string {
  return /^(clip\d+)_/.exec(file)?.[1] ?? file.replace(IMAGE_FILE, '');
}

export function groupIntoClips(source: SourceName, files: readonly string[]): SourceClip[] {
  const sorted = files.filter((f) => IMAGE_FILE.test(f)).sort(naturalOrder);
  if (source === 'celeba') return sorted.length ? [{ id: 'photos', files: sorted }] : [];
  const clips = new Map<string, string[]>();
  for (const file of sorted) {
    const id = ytfClipId(file);
    clips.set(id, [...(clips.get(id) ?? []), file]);
  }
  return [...clips.entries()].sort(([a], [b]) => naturalOrder(a, b)).map(([id, clipFiles]) => ({ id, files: clipFiles }));
}

/** The name a video's frame `index` (0-based, decoding order) goes by, and back. */
export const videoFrameName = (index: number) => `frame${index}.png`;
export function videoFrameIndex(name: string): number {
  const match = /^frame(\d+)\.png$/.exec(name);
  if (!match) throw new Error(`not a video frame name: ${name}`);
  return Number(match[1]);
}

/** A video of `frameCount` frames as clips: `frames` indices evenly over it, `clipFrames` consecutive ones a clip. */
export function videoClips(frameCount: number, frames = VIDEO_FRAMES, clipFrames = VIDEO_CLIP_FRAMES): SourceClip[] {
  const indices = evenlySpaced(
    Array.from({ length: frameCount }, (_, i) => i),
    frames,
  );
  const clips: SourceClip[] = [];
  for (let start = 0; start < indices.length; start += clipFrames) {
    clips.push({ id: `part${clips.length}`, files: indices.slice(start, start + clipFrames).map(videoFrameName) });
  }
  return clips;
}

export function listPeople(dataRoot: string, source: SourceName): SourcePerson[] {
  const dir = join(dataRoot, SOURCE_DIRS[source]);
  if (source === 'videos') {
    return listVideoFiles(dir)
      .map((name) => ({ source, id: basename(name, extname(name)), clips: videoClips(countVideoFrames(join(dir, name))) }))
      .filter((person) => person.clips.length > 0);
  }
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort(naturalOrder)
    .map((id) => ({ source, id, clips: groupIntoClips(source, readdirSync(join(dir, id))) }))
    .filter((person) => person.clips.length > 0);
}
