// Which frames of which people the evaluation uses: the paper's self-reenactment protocol (§4) on
// any folders. Each person's frames come in two parts; the T few-shot frames come from one part,
// the hold-out frames (whose own landmarks drive the avatar) from the other, so the avatar never
// saw the frames it is compared with.
import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';

export type FrameRef = { kind: 'image'; path: string } | { kind: 'video'; path: string; index: number };

export interface PersonPlan {
  /** Unique and file-name safe, e.g. "videos/livep_d0". */
  id: string;
  /** Few-shot candidates in order; the T used are spread evenly over the ones with a face. */
  sources: FrameRef[];
  /** Hold-out frames. */
  targets: FrameRef[];
}

export interface PlanLimits {
  /** Most few-shot frames any T will need. */
  maxSources: number;
  /** Hold-out frames per person. */
  targets: number;
}

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.bmp']);
const VIDEO_EXTENSIONS = new Set(['.mp4', '.webm', '.mov', '.mkv', '.avi', '.y4m']);

/** `count` items spread evenly over `items`, first one included, order kept. */
export function evenlySpaced<T>(items: readonly T[], count: number): T[] {
  if (count >= items.length) return [...items];
  if (count <= 0) return [];
  return Array.from({ length: count }, (_, i) => items[Math.floor((i * items.length) / count)]);
}

/** Natural order, so frame10 comes after frame9. */
export function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

function listSorted(dir: string): string[] {
  return readdirSync(dir).sort(naturalCompare);
}

/**
 * Parts of one identity folder. File names like YouTube Faces' `clip3_tr1.jpg` share a prefix per
 * clip: with two or more such groups, the last group is the hold-out part and the others give the
 * few-shot frames. Otherwise (plain photo collections) the last files are held out.
 */
export function planIdentity(id: string, dir: string, files: readonly string[], limits: PlanLimits): PersonPlan | { skip: string } {
  const images = files.filter((f) => IMAGE_EXTENSIONS.has(extname(f).toLowerCase())).sort(naturalCompare);
  if (images.length < 2) return { skip: `${images.length} image(s); needs at least 2` };
  const groups = new Map<string, string[]>();
  for (const file of images) {
    const stem = basename(file, extname(file));
    const key = stem.includes('_') ? stem.slice(0, stem.indexOf('_')) : '';
    groups.set(key, [...(groups.get(key) ?? []), file]);
  }
  let sourceFiles: string[];
  let targetFiles: string[];
  if (groups.size >= 2 && !groups.has('')) {
    const keys = [...groups.keys()].sort(naturalCompare);
    targetFiles = groups.get(keys[keys.length - 1])!;
    sourceFiles = keys.slice(0, -1).flatMap((key) => groups.get(key)!);
  } else {
    const held = Math.min(limits.targets, Math.floor(images.length / 2));
    targetFiles = images.slice(images.length - held);
    sourceFiles = images.slice(0, images.length - held);
  }
  const ref = (file: string): FrameRef => ({ kind: 'image', path: join(dir, file) });
  return {
    id,
    sources: evenlySpaced(sourceFiles, limits.maxSources).map(ref),
    targets: evenlySpaced(targetFiles, limits.targets).map(ref),
  };
}

/** A talking-head clip: few-shot frames from its first half, hold-out frames from its second. */
export function planVideo(id: string, path: string, frameCount: number, limits: PlanLimits): PersonPlan | { skip: string } {
  if (frameCount < 2) return { skip: `${frameCount} frame(s); needs at least 2` };
  const half = Math.floor(frameCount / 2);
  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
  const ref = (index: number): FrameRef => ({ kind: 'video', path, index });
  return {
    id,
    sources: evenlySpaced(range(0, half), limits.maxSources).map(ref),
    targets: evenlySpaced(range(half, frameCount), limits.targets).map(ref),
  };
}

/** Person folders of an identities directory (one sub-folder per person), optionally filtered. */
export function listIdentityFolders(dir: string, keep?: (name: string) => boolean): string[] {
  return listSorted(dir).filter((name) => statSync(join(dir, name)).isDirectory() && (!keep || keep(name)));
}

/**
 * The clip files of `files` whose names (without extension) are held out, all of them without a
 * split; an error when a split holds out none of them (a split file from before it listed videos).
 */
export function heldOutClips(files: readonly string[], keep: ReadonlySet<string> | null): string[] {
  if (!keep) return [...files];
  const held = files.filter((file) => keep.has(basename(file, extname(file))));
  if (files.length && !held.length) throw new Error('the split holds out none of these clips (does it list videos?)');
  return held;
}

export function listVideoFiles(dir: string): string[] {
  return listSorted(dir).filter((name) => VIDEO_EXTENSIONS.has(extname(name).toLowerCase()) && statSync(join(dir, name)).isFile());
}

/**
 * The held-out people of a training split file (train/split.json: { <source>: { heldout: [...] } }),
 * so an evaluation on the training data's folders never scores people the weights were trained on.
 */
export function heldOutNames(split: unknown): Set<string> {
  const names = new Set<string>();
  if (split && typeof split === 'object') {
    for (const value of Object.values(split as Record<string, unknown>)) {
      const heldout = (value as { heldout?: unknown } | null)?.heldout;
      if (Array.isArray(heldout)) for (const name of heldout) if (typeof name === 'string') names.add(name);
    }
  }
  return names;
}
