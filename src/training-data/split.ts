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
