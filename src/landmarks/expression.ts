/**
 * Measures of expression from the landmarks, in units of the inter-ocular distance so faces of any
 * size and crop compare: used by landmark adaptation (adapt.ts picks a closed-mouth driver frame as
 * its neutral reference), by the evaluation (AKD, mouth opening, cross-identity metrics) and by the
 * mouth generator's opening gate (mouth-region.ts openingGate).
 */
import { KEYPOINTS } from './contours.ts';
import type { Vec2 } from './geometry.ts';

/** Distance between the outer eye corners (MediaPipe 33 and 263), in the points' own units. */
export function interOcularDistance(points: readonly Vec2[]): number {
  const right = points[KEYPOINTS.rightEyeOuter];
  const left = points[KEYPOINTS.leftEyeOuter];
  if (right === undefined || left === undefined) {
    throw new Error(
      `interOcularDistance: needs MediaPipe points ${KEYPOINTS.rightEyeOuter} and ${KEYPOINTS.leftEyeOuter}, got ${points.length} points`,
    );
  }
  return Math.hypot(left.x - right.x, left.y - right.y);
}

/** Inner-lip gap (points 13–14) ÷ inter-ocular distance (outer eye corners); 0 for closed lips. */
export function mouthOpening(points: readonly Vec2[]): number {
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
