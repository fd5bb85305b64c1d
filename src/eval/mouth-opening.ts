/**
 * How far the mouth is open, from the landmarks: the distance between the inner lips' midpoints
 * (MediaPipe 13, upper, and 14, lower) over the inter-ocular distance, so crops of any size compare.
 * The eval's sample grid shows the hold-out frame whose driver opens the mouth most beyond the
 * source photo it is made from: the case a warp cannot get right (there are no teeth to move) and a
 * generator has to paint.
 */
import { KEYPOINTS } from '../landmarks/contours.ts';
import type { Landmarks } from '../landmarks/types.ts';
import { interOcularDistance } from './keypoint-distance.ts';

/** Inner-lip gap (points 13–14) ÷ inter-ocular distance (outer eye corners); 0 for closed lips. */
export function mouthOpening(points: Landmarks): number {
  const upper = points[KEYPOINTS.upperInnerLip];
  const lower = points[KEYPOINTS.lowerInnerLip];
  if (upper === undefined || lower === undefined) {
    throw new Error(
      `mouthOpening: needs MediaPipe points ${KEYPOINTS.upperInnerLip} and ${KEYPOINTS.lowerInnerLip}, got ${points.length} points`,
    );
  }
  const scale = interOcularDistance(points);
  if (!(scale > 0)) throw new Error(`mouthOpening: the inter-ocular distance is ${scale}; cannot normalise`);
  return Math.hypot(lower.x - upper.x, lower.y - upper.y) / scale;
}

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
