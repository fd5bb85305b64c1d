/**
 * Average keypoint distance (AKD): how far the landmarks detected on a generated frame are from
 * the driver's landmarks, in units of the driver's inter-ocular distance so faces of any size and
 * crop compare. Only x and y count: MediaPipe's z is a relative depth guess, not a position.
 */
import { interOcularDistance } from '../landmarks/expression.ts';
import type { Landmarks } from '../landmarks/types.ts';

/**
 * Mean Euclidean (x, y) distance between corresponding points, divided by the driver's
 * inter-ocular distance. Non-finite coordinates propagate as NaN (the summary counts those as
 * missing) rather than being silently skipped, which would flatter the score.
 */
export function averageKeypointDistance(detected: Landmarks, driver: Landmarks): number {
  if (detected.length !== driver.length) {
    throw new Error(`averageKeypointDistance: ${detected.length} detected points but ${driver.length} driver points`);
  }
  const scale = interOcularDistance(driver);
  if (!(scale > 0)) {
    throw new Error(`averageKeypointDistance: the driver's inter-ocular distance is ${scale}; cannot normalise`);
  }
  let total = 0;
  for (let i = 0; i < driver.length; i++) {
    total += Math.hypot(detected[i].x - driver[i].x, detected[i].y - driver[i].y);
  }
  return total / driver.length / scale;
}
