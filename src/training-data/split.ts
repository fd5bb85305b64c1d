import { evenlySpaced, naturalCompare } from '../eval/eval-dataset.ts';
import { seededRandom } from '../util/random.ts';
/**
 * Person-level train / held-out split of the meta-learning sources. Splitting by person (not by
 * frame or clip) keeps every frame of a held-out face unseen in training, which is what the few-shot
 * evaluation needs. The choice is a seeded shuffle of the sorted names, so it is the same on every
 * machine and does not depend on directory listing order.
 */

/** The paper's arXiv id (1905.08233), as a memorable fixed seed. */
export const DEFAULT_SPLIT_SEED = 190508233;
export const DEFAULT_HELDOUT_PER_SOURCE = 30;
/**
 * Talking-head videos held out: the 8 that `npm run eval -- --videos ../shared/data/videos --people 8`
 * has always scored (evenly spaced over the sorted names, eval-dataset.ts evenlySpaced), so the
 * evaluation's clips stay people no training set holds.
 */
export const HELDOUT_VIDEOS = 8;

export interface SourceSplit {
  train: string[];
  heldout: string[];
}

/** Fisher–Yates shuffle of a copy. */
export function seededShuffle<T>(items: readonly T[], seed: number): T[] {
  const random = seededRandom(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Holds out `heldoutCount` people; both lists come back sorted. */
export function splitPeople(people: readonly string[], heldoutCount: number, seed: number): SourceSplit {
  const unique = [...new Set(people)].sort();
  if (unique.length !== people.length) throw new Error('splitPeople: person names must be unique');
  if (heldoutCount < 0 || heldoutCount > unique.length) {
    throw new Error(`splitPeople: cannot hold out ${heldoutCount} of ${unique.length} people`);
  }
  // Different sources get different orders from one seed: the source name is folded in by the caller.
  const shuffled = seededShuffle(unique, seed);
  const heldout = new Set(shuffled.slice(0, heldoutCount));
  return { train: unique.filter((p) => !heldout.has(p)), heldout: [...heldout].sort() };
}

/** A per-source seed derived from the split seed and the source name (FNV-1a), so sources are independent. */
export function sourceSeed(seed: number, source: string): number {
  let hash = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < source.length; i++) hash = Math.imul(hash ^ source.charCodeAt(i), 0x01000193) >>> 0;
  return hash >>> 0;
}

/** Holds out `heldoutCount` people evenly spaced over the sorted names (as the eval picks its --people). */
export function splitEvenly(people: readonly string[], heldoutCount: number): SourceSplit {
  const unique = [...new Set(people)].sort(naturalCompare);
  if (unique.length !== people.length) throw new Error('splitEvenly: person names must be unique');
  const heldout = new Set(evenlySpaced(unique, heldoutCount));
  return { train: unique.filter((p) => !heldout.has(p)).sort(), heldout: [...heldout].sort() };
}

/** A source's split by the documented rule: videos as the eval picks them, the others by the seeded shuffle. */
export function defaultSplit(source: string, people: readonly string[], seed: number): SourceSplit {
  return source === 'videos'
    ? splitEvenly(people, HELDOUT_VIDEOS)
    : splitPeople(people, DEFAULT_HELDOUT_PER_SOURCE, sourceSeed(seed, source));
}
