/**
 * How far the mouth is open, from the landmarks: the distance between the inner lips' midpoints
 * (MediaPipe 13, upper, and 14, lower) over the inter-ocular distance, so crops of any size compare.
 * The eval's sample grid shows the hold-out frame whose driver opens the mouth most beyond the
 * source photo it is made from: the case a warp cannot get right (there are no teeth to move) and a
 * generator has to paint.
 */
import type { Landmarks } from '../landmarks/types.ts';
import { mouthOpening } from '../landmarks/expression.ts';

export interface WidestMouth {
  /** Index of the chosen target. */
  index: number;
  /** mouthOpening of the target and of the source it is paired with. */
  targetOpening: number;
  sourceOpening: number;
  /** targetOpening − sourceOpening: > 0 when the driver opens the mouth wider than the source. */
  gain: number;
}

/**
 * The target whose mouth opens most beyond its source's (sources[i] is the photo target i is made
 * from), as a difference of mouthOpening: a ratio would explode for a source with closed lips. The
 * first target wins ties. Throws for no targets or lists of different lengths.
 */
export function widestMouthTarget(targets: readonly Landmarks[], sources: readonly Landmarks[]): WidestMouth {
  if (targets.length === 0 || targets.length !== sources.length) {
    throw new Error(`widestMouthTarget: needs as many sources as targets, at least one (got ${sources.length}, ${targets.length})`);
  }
  let best: WidestMouth | undefined;
  for (let index = 0; index < targets.length; index++) {
    const targetOpening = mouthOpening(targets[index]);
    const sourceOpening = mouthOpening(sources[index]);
    const gain = targetOpening - sourceOpening;
    if (best === undefined || gain > best.gain) best = { index, targetOpening, sourceOpening, gain };
  }
  return best!;
}

/**
 * widestMouthTarget over several T runs (T → per target, the landmarks of the source photo that run
 * warps for it): the run and target whose driver opens the mouth most beyond its source, the first
 * run on ties; null without runs. At T = 1 the one photo serves every target, closed lips or not,
 * so it is where the widest gap is usually found.
 */
export function widestMouthOverRuns(
  targets: readonly Landmarks[],
  runs: ReadonlyMap<number, readonly Landmarks[]>,
): (WidestMouth & { T: number }) | null {
  let best: (WidestMouth & { T: number }) | null = null;
  for (const [T, sources] of runs) {
    const widest = widestMouthTarget(targets, sources);
    if (best === null || widest.gain > best.gain) best = { ...widest, T };
  }
  return best;
}
