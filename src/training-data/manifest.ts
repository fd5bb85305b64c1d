/**
 * manifest.json of a prepared training set: what was prepared, how, and where each frame is.
 * train/talking_heads/dataset_io.py reads it; keep the two in step (the version number guards them).
 *
 * Frames of one clip are contiguous in one shard: clip.start .. clip.start + clip.count - 1 are
 * frame indices inside `shards[clip.shard]`. Held-out people (train/split.json) come after all
 * training people, in shards of their own (`shards[i].heldout`), and are flagged `heldout: true`, so
 * one set serves training and the few-shot evaluation, and training can carry its shards alone.
 */
import type { DropReason } from './frame-filter.ts';
import type { SourceName } from './sources.ts';

export const MANIFEST_FORMAT = 'talking-heads-training-set';
export const MANIFEST_VERSION = 1;

export interface ManifestClip {
  id: string;
  shard: number;
  start: number;
  count: number;
  /** Source file of each kept frame, in shard order. */
  files: string[];
  /** Per frame: fraction of the crop filled with black because it lay outside the source image. */
  outsideFraction: number[];
  /** Per frame: output pixels per source pixel (≤ the set's maxUpscale). */
  upscale: number[];
}

export interface ManifestPerson {
  source: SourceName;
  id: string;
  heldout: boolean;
  clips: ManifestClip[];
  /** Kept frames in which MediaPipe found more than one face (the largest was used). */
  framesWithSeveralFaces: number;
  /** Frames that were not kept, with why. */
  dropped: { file: string; reason: DropReason; message?: string }[];
}

export interface SourceCounts {
  people: number;
  heldoutPeople: number;
  clips: number;
  frames: number;
  heldoutFrames: number;
  /** Frames whose crop is more than 1 % black fill. */
  framesWithFill: number;
  /** Frames for which MediaPipe reported more than one face (the largest was used). */
  framesWithSeveralFaces: number;
  dropped: Partial<Record<DropReason, number>>;
}

export interface ManifestShard {
  /** Crops and landmark images. */
  file: string;
  /** Landmarks of the same frames. */
  landmarksFile: string;
  /** Held-out people only (training shards hold none). */
  heldout: boolean;
  frames: number;
  bytes: number;
  landmarksBytes: number;
}

export interface TrainingSetManifest {
  format: typeof MANIFEST_FORMAT;
  version: typeof MANIFEST_VERSION;
  size: number;
  created: string;
  pipeline: Record<string, string | number | boolean>;
  split: { file: string; seed: number };
  counts: Record<string, SourceCounts> & { total: SourceCounts };
  shards: ManifestShard[];
  people: ManifestPerson[];
}

/** Fill above this fraction counts as "with fill" in the summary. */
export const FILL_REPORT_THRESHOLD = 0.01;

export function emptyCounts(): SourceCounts {
  return { people: 0, heldoutPeople: 0, clips: 0, frames: 0, heldoutFrames: 0, framesWithFill: 0, framesWithSeveralFaces: 0, dropped: {} };
}

/** Per-source and total counts from the people table. */
export function countPeople(people: readonly ManifestPerson[]): Record<string, SourceCounts> & { total: SourceCounts } {
  const counts: Record<string, SourceCounts> = {};
  const total = emptyCounts();
  for (const person of people) {
    const source = (counts[person.source] ??= emptyCounts());
    for (const target of [source, total]) {
      const frames = person.clips.reduce((sum, clip) => sum + clip.count, 0);
      if (frames > 0) target.people++;
      if (frames > 0 && person.heldout) target.heldoutPeople++;
      target.clips += person.clips.length;
      target.frames += frames;
      if (person.heldout) target.heldoutFrames += frames;
      target.framesWithSeveralFaces += person.framesWithSeveralFaces;
      for (const clip of person.clips) {
        target.framesWithFill += clip.outsideFraction.filter((f) => f > FILL_REPORT_THRESHOLD).length;
      }
      for (const drop of person.dropped) target.dropped[drop.reason] = (target.dropped[drop.reason] ?? 0) + 1;
    }
  }
  return { ...counts, total };
}
