/**
 * The meta-learning sources in ../shared/data as people → clips → frame files. A clip is what the
 * paper calls a video: frames the embedder may mix and the discriminator treats as one identity.
 * YouTube Faces: one clip per `clip<C>_…` prefix. CelebA: photos, not video, so all of a person's
 * photos form one clip.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export type SourceName = 'ytf' | 'celeba';
export const SOURCE_NAMES: readonly SourceName[] = ['ytf', 'celeba'];

/** Folder of each source, relative to ../shared/data. */
export const SOURCE_DIRS: Readonly<Record<SourceName, string>> = { ytf: 'ytf/frames', celeba: 'celeba' };

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

export function listPeople(dataRoot: string, source: SourceName): SourcePerson[] {
  const dir = join(dataRoot, SOURCE_DIRS[source]);
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort(naturalOrder)
    .map((id) => ({ source, id, clips: groupIntoClips(source, readdirSync(join(dir, id))) }))
    .filter((person) => person.clips.length > 0);
}
