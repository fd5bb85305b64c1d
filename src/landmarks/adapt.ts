/**
 * Landmark adaptation: drive one person's avatar with another person's face.
 *
 * Feeding the driver's raw landmarks to the generator would give the avatar the driver's face shape
 * (the paper's "identity gap", Sec. 4 / Fig. 7). We transfer motion instead:
 *
 * 1. Pose: the least-squares similarity (Umeyama) from the driver's reference (neutral) frame to the
 *    current frame, fitted on expression-stable points (eye corners, nose bridge, upper face oval),
 *    gives the head's roll, scale change and translation relative to the reference.
 * 2. Expression: undo that similarity on the current frame; what remains differs from the reference
 *    only by expression. Per-point displacements are taken in the reference's image frame.
 * 3. Retarget: displacements are rotated into the reference face's own axes (eye line = x), scaled per
 *    axis by the avatar/driver ratio of face width (ear to ear) and face height (forehead to nose tip,
 *    which does not change when the mouth opens), rotated into the avatar face's axes, and added to the
 *    avatar's landmarks. A wide-faced driver therefore moves the avatar's jaw by proportionate amounts
 *    without widening it.
 * 4. Pose again: the driver's similarity is applied around the avatar's stable-point centroid, with the
 *    translation converted the same way as displacements, so it is relative to face size.
 *
 * z follows along: depth displacements (after undoing the driver's scale) are scaled by the mean of
 * the two axis ratios, and the result is scaled by the driver's scale change.
 *
 * If the avatar and the driver reference are the same landmarks, the output reproduces the driver's
 * frames exactly (up to rounding), which is what self-reenactment needs.
 */
import { FACE_OVAL, KEYPOINTS } from './contours.ts';
import { mouthOpening } from './expression.ts';
import { centroid, distance, fitSimilarity, midpoint, similarityRotation, similarityScale, type Vec2 } from './geometry.ts';
import { NUM_LANDMARKS, type Landmarks, type Point } from './types.ts';

/** Upper face oval, from the right face side over the forehead to the left face side. */
function upperFaceOval(): number[] {
  const rightSide = FACE_OVAL.indexOf(KEYPOINTS.rightFaceSide);
  const leftSide = FACE_OVAL.indexOf(KEYPOINTS.leftFaceSide);
  return [...FACE_OVAL.slice(rightSide), ...FACE_OVAL.slice(0, leftSide + 1)];
}

/**
 * Points that move with the skull but hardly with expression: eye corners (not lids), the nose bridge
 * and the upper face oval (the jaw, lips and brows are left out because they carry the expression).
 */
export const STABLE_POINT_INDICES: readonly number[] = [
  KEYPOINTS.rightEyeOuter,
  KEYPOINTS.rightEyeInner,
  KEYPOINTS.leftEyeInner,
  KEYPOINTS.leftEyeOuter,
  168,
  6,
  197,
  195,
  5,
  4,
  ...upperFaceOval(),
];

export interface LandmarkAdapterOptions {
  /** Override the points used to fit the head pose. */
  stableIndices?: readonly number[];
}

/** A 2x2 matrix [[m00, m01], [m10, m11]] acting on displacement vectors. */
interface Linear2 {
  m00: number;
  m01: number;
  m10: number;
  m11: number;
}

function applyLinear(m: Linear2, x: number, y: number): Vec2 {
  return { x: m.m00 * x + m.m01 * y, y: m.m10 * x + m.m11 * y };
}

/** The face's own axes: x along the eye line (subject's right eye to left eye), y down the face. */
interface FaceFrame {
  angle: number;
  width: number;
  height: number;
}

function eyeCenter(points: Landmarks, outer: number, inner: number): Vec2 {
  return midpoint(points[outer], points[inner]);
}

export function measureFaceFrame(points: Landmarks): FaceFrame {
  const rightEye = eyeCenter(points, KEYPOINTS.rightEyeOuter, KEYPOINTS.rightEyeInner);
  const leftEye = eyeCenter(points, KEYPOINTS.leftEyeOuter, KEYPOINTS.leftEyeInner);
  const angle = Math.atan2(leftEye.y - rightEye.y, leftEye.x - rightEye.x);
  // Height is measured along the face's vertical axis so roll does not change it.
  const top = points[KEYPOINTS.foreheadTop];
  const nose = points[KEYPOINTS.noseTip];
  const height = Math.abs(-Math.sin(angle) * (nose.x - top.x) + Math.cos(angle) * (nose.y - top.y));
  const width = distance(points[KEYPOINTS.rightFaceSide], points[KEYPOINTS.leftFaceSide]);
  if (!(width > 0) || !(height > 0)) throw new Error('measureFaceFrame: degenerate face (zero width or height)');
  return { angle, width, height };
}

/** Maps a displacement in the driver-reference face's frame to the avatar face's frame. */
function retargetMatrix(driver: FaceFrame, avatar: FaceFrame): Linear2 {
  const sx = avatar.width / driver.width;
  const sy = avatar.height / driver.height;
  const cd = Math.cos(-driver.angle);
  const sd = Math.sin(-driver.angle);
  const ca = Math.cos(avatar.angle);
  const sa = Math.sin(avatar.angle);
  // avatarRotation * diag(sx, sy) * inverse(driverRotation)
  return {
    m00: ca * sx * cd - sa * sy * sd,
    m01: -ca * sx * sd - sa * sy * cd,
    m10: sa * sx * cd + ca * sy * sd,
    m11: -sa * sx * sd + ca * sy * cd,
  };
}

function checkLandmarks(points: Landmarks, what: string): void {
  if (points.length < NUM_LANDMARKS) throw new Error(`${what}: need ${NUM_LANDMARKS} landmarks, got ${points.length}`);
}

export type LandmarkAdapter = (driverFrame: Landmarks) => Point[];

/**
 * Prepares the adaptation of `driverReference`'s person onto `avatar`. Both should show a neutral,
 * mouth-closed face; all landmarks are in one pixel space per person (e.g. each one's crop).
 */
export function createLandmarkAdapter(
  avatar: Landmarks,
  driverReference: Landmarks,
  options: LandmarkAdapterOptions = {},
): LandmarkAdapter {
  checkLandmarks(avatar, 'createLandmarkAdapter (avatar)');
  checkLandmarks(driverReference, 'createLandmarkAdapter (driver reference)');
  const stable = options.stableIndices ?? STABLE_POINT_INDICES;
  const referenceStable = stable.map((i) => driverReference[i]);
  const referenceCenter = centroid(referenceStable);
  const avatarCenter = centroid(stable.map((i) => avatar[i]));
  const driverFrame = measureFaceFrame(driverReference);
  const avatarFrame = measureFaceFrame(avatar);
  const retarget = retargetMatrix(driverFrame, avatarFrame);
  const depthScale = (avatarFrame.width / driverFrame.width + avatarFrame.height / driverFrame.height) / 2;

  return (frame: Landmarks): Point[] => {
    checkLandmarks(frame, 'landmark adapter (driver frame)');
    const pose = fitSimilarity(
      referenceStable,
      stable.map((i) => frame[i]),
    );
    const scale = similarityScale(pose);
    const rotation = similarityRotation(pose);
    const frameCenter = centroid(stable.map((i) => frame[i]));
    const cos = Math.cos(rotation);
    const sin = Math.sin(rotation);
    const translation = applyLinear(retarget, frameCenter.x - referenceCenter.x, frameCenter.y - referenceCenter.y);

    const out: Point[] = new Array(avatar.length);
    for (let i = 0; i < avatar.length; i++) {
      const p = frame[i];
      const ref = driverReference[i];
      // Undo the head pose: frame point in the reference's coordinates (inverse similarity about the centroids).
      const dx = p.x - frameCenter.x;
      const dy = p.y - frameCenter.y;
      const unposedX = referenceCenter.x + (cos * dx + sin * dy) / scale;
      const unposedY = referenceCenter.y + (-sin * dx + cos * dy) / scale;
      const expression = applyLinear(retarget, unposedX - ref.x, unposedY - ref.y);
      const depthChange = (p.z / scale - ref.z) * depthScale;

      const ax = avatar[i].x + expression.x - avatarCenter.x;
      const ay = avatar[i].y + expression.y - avatarCenter.y;
      out[i] = {
        x: avatarCenter.x + translation.x + scale * (cos * ax - sin * ay),
        y: avatarCenter.y + translation.y + scale * (sin * ax + cos * ay),
        z: scale * (avatar[i].z + depthChange),
      };
    }
    return out;
  };
}

/** How much more closed (inner-lip gap over inter-ocular distance) a driver frame's mouth must be to become the new reference. */
export const NEUTRAL_MOUTH_MARGIN = 0.02;

export interface NeutralSeekingAdapter {
  /** The adapted landmarks for the driver's next frame. */
  adapt(frame: Landmarks): Point[];
  /** Forgets the reference: the next frame becomes it (the UI's "recentre"), and seeking goes on from there. */
  reset(): void;
  /** mouthOpening of the current reference, or null before the first frame. */
  referenceMouthOpening(): number | null;
}

/**
 * Landmark adaptation for a live driver, whose first frame may not be neutral: the reference starts
 * as the first frame and moves to any later frame whose mouth is more closed by more than `margin`.
 * With an open-mouthed reference, a driver closing the mouth would push the avatar's lips past each
 * other (the adaptation transfers displacements from the reference; seen in `npm run eval -- --cross`,
 * where the adapted landmarks' mouth opening correlated with the driver's anywhere from −1 to 1).
 * The reference only ever gets more closed, so it settles after the driver's first closed mouth.
 */
export function createNeutralSeekingAdapter(
  avatar: Landmarks,
  options: LandmarkAdapterOptions & { margin?: number } = {},
): NeutralSeekingAdapter {
  const margin = options.margin ?? NEUTRAL_MOUTH_MARGIN;
  let adapter: LandmarkAdapter | undefined;
  let opening: number | null = null;
  return {
    adapt(frame) {
      checkLandmarks(frame, 'landmark adapter (driver frame)');
      const mouth = mouthOpening(frame);
      if (adapter === undefined || opening === null || mouth < opening - margin) {
        adapter = createLandmarkAdapter(avatar, frame, options);
        opening = mouth;
      }
      return adapter(frame);
    },
    reset() {
      adapter = undefined;
      opening = null;
    },
    referenceMouthOpening: () => opening,
  };
}

/** The most neutral frame of a known sequence (the first with the least mouthOpening): a recorded driver's reference. */
export function mostNeutralFrame(frames: readonly Landmarks[]): number {
  if (frames.length === 0) throw new Error('mostNeutralFrame: no frames');
  let best = 0;
  let bestOpening = Infinity;
  frames.forEach((frame, i) => {
    const opening = mouthOpening(frame);
    if (opening < bestOpening) {
      best = i;
      bestOpening = opening;
    }
  });
  return best;
}
