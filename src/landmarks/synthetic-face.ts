/**
 * A deterministic, parametric stand-in for a MediaPipe 478-point face, for tests and tooling that need
 * a face without running the detector. Only the indices that the landmark image draws (see contours.ts)
 * and the adaptation's stable points get anatomical positions; every other mesh point sits at the face
 * centre, which keeps bounding boxes and centroids sensible without pretending to be a real mesh.
 *
 * Layout in "face units" (origin at the face centre, x to the image right, y down, face half-width 1):
 * forehead top y=-1.3, eye line y=-0.25, nose tip y=0.3, mouth y=0.62, chin y=1.3. The subject's right
 * eye is on the image left, as in an un-mirrored photo.
 */
import { CONTOUR_PARTS, FACE_OVAL, IRIS_PARTS, type ContourPartName } from './contours.ts';
import { NUM_LANDMARKS, type Point } from './types.ts';

export interface SyntheticFaceOptions {
  /** Face centre in image pixels. */
  centerX: number;
  centerY: number;
  /** Half the face width (ear to ear) in pixels. */
  halfWidth: number;
  /** Horizontal stretch of the face shape alone (another person with a wider face), 1 = average. */
  widthScale?: number;
  /** Inner-lip gap as a fraction of the half-width; 0 = closed mouth. */
  mouthOpen?: number;
  /** Head roll in radians, clockwise on screen (image y points down). */
  roll?: number;
  /** Horizontal gaze as a fraction of the eye half-width, positive = towards the image right. */
  gazeX?: number;
}

type Vec = [number, number];

const EYE_LINE_Y = -0.25;
const EYE_OFFSET_X = 0.42;
const EYE_HALF_WIDTH = 0.2;
const EYE_HALF_HEIGHT = 0.08;
const IRIS_RADIUS = 0.085;
const MOUTH_Y = 0.62;

function ellipsePoint(cx: number, cy: number, rx: number, ry: number, degrees: number): Vec {
  const r = (degrees * Math.PI) / 180;
  return [cx + rx * Math.cos(r), cy + ry * Math.sin(r)];
}

/** Face oval: an ellipse whose lower half narrows towards the chin. */
function ovalPoints(): Map<number, Vec> {
  const points = new Map<number, Vec>();
  FACE_OVAL.forEach((index, k) => {
    const r = ((-90 + k * 10) * Math.PI) / 180;
    const below = Math.max(0, Math.sin(r));
    const taper = 1 - 0.35 * below * below * below;
    points.set(index, [Math.cos(r) * taper, 1.3 * Math.sin(r)]);
  });
  return points;
}

function partIndices(name: ContourPartName): readonly number[] {
  const part = CONTOUR_PARTS.find((p) => p.name === name);
  if (!part) throw new Error(`unknown contour part ${name}`);
  return part.indices;
}

/** Eye ring: outer corner, upper lid towards the inner corner, lower lid back (contours.ts order). */
function eyePoints(name: 'rightEye' | 'leftEye', cx: number): Map<number, Vec> {
  const points = new Map<number, Vec>();
  // The right eye's outer corner is on the image left (180 deg); the left eye's on the image right (0 deg).
  const sign = name === 'rightEye' ? 1 : -1;
  const start = name === 'rightEye' ? 180 : 0;
  partIndices(name).forEach((index, j) => {
    points.set(index, ellipsePoint(cx, EYE_LINE_Y, EYE_HALF_WIDTH, EYE_HALF_HEIGHT, start + sign * j * 22.5));
  });
  return points;
}

function browPoints(name: 'rightBrow' | 'leftBrow', eyeX: number): Map<number, Vec> {
  const points = new Map<number, Vec>();
  const outward = name === 'rightBrow' ? -1 : 1;
  partIndices(name).forEach((index, j) => {
    const t = j / 4; // 0 at the outer end, 1 at the inner end
    const x = eyeX + outward * (0.27 - 0.46 * t);
    const y = EYE_LINE_Y - 0.2 - 0.07 * Math.sin(Math.PI * (0.25 + 0.75 * t));
    points.set(index, [x, y]);
  });
  return points;
}

function lipPoints(name: 'outerLips' | 'innerLips', mouthOpen: number): Map<number, Vec> {
  const points = new Map<number, Vec>();
  const indices = partIndices(name);
  const halfWidth = name === 'outerLips' ? 0.36 : 0.26;
  // Opening the mouth lowers the lower lip and keeps the upper lip, as a dropping jaw does.
  const upperHeight = name === 'outerLips' ? 0.12 : 0.015;
  const lowerHeight = (name === 'outerLips' ? 0.15 : 0.015) + mouthOpen;
  // 11 upper points from the image-left corner over the top to the image-right corner, then 9 lower
  // points from the image-right side back along the bottom.
  indices.forEach((index, j) => {
    const degrees = j <= 10 ? 180 + j * 18 : (j - 10) * 18;
    const ry = j <= 10 ? upperHeight : lowerHeight;
    points.set(index, ellipsePoint(0, MOUTH_Y, halfWidth, ry, degrees));
  });
  return points;
}

function nosePoints(): Map<number, Vec> {
  const points = new Map<number, Vec>();
  partIndices('noseBridge').forEach((index, j) => points.set(index, [0, EYE_LINE_Y + (j / 5) * 0.55]));
  partIndices('noseBase').forEach((index, j) => {
    const t = (j - 3) / 3; // -1 .. 1 across the nose
    points.set(index, [t * 0.17, 0.36 + 0.05 * (1 - t * t) - 0.04 * Math.abs(t)]);
  });
  return points;
}

function irisPoints(gazeX: number): Map<number, Vec> {
  const points = new Map<number, Vec>();
  for (const iris of IRIS_PARTS) {
    const eyeX = iris.name === 'rightIris' ? -EYE_OFFSET_X : EYE_OFFSET_X;
    const cx = eyeX + gazeX * EYE_HALF_WIDTH;
    points.set(iris.center, [cx, EYE_LINE_Y]);
    iris.ring.forEach((index, j) => points.set(index, ellipsePoint(cx, EYE_LINE_Y, IRIS_RADIUS, IRIS_RADIUS, -j * 90)));
  }
  return points;
}

/** Builds a 478-point face in image pixels. */
export function makeSyntheticFace(options: SyntheticFaceOptions): Point[] {
  const { centerX, centerY, halfWidth, widthScale = 1, mouthOpen = 0, roll = 0, gazeX = 0 } = options;
  const layout = new Map<number, Vec>([
    ...ovalPoints(),
    ...eyePoints('rightEye', -EYE_OFFSET_X),
    ...eyePoints('leftEye', EYE_OFFSET_X),
    ...browPoints('rightBrow', -EYE_OFFSET_X),
    ...browPoints('leftBrow', EYE_OFFSET_X),
    ...nosePoints(),
    ...lipPoints('outerLips', mouthOpen),
    ...lipPoints('innerLips', mouthOpen),
    ...irisPoints(gazeX),
  ]);
  const jawPoints = new Set(FACE_OVAL);
  const cos = Math.cos(roll);
  const sin = Math.sin(roll);
  const points: Point[] = [];
  for (let i = 0; i < NUM_LANDMARKS; i++) {
    const [u, v0] = layout.get(i) ?? [0, 0];
    // The jaw drops with the mouth: the chin follows the lower lip, the oval's sides less so.
    const v = jawPoints.has(i) && v0 > 0.75 ? v0 + mouthOpen * Math.min(1, (v0 - 0.75) / 0.5) : v0;
    const x = u * widthScale * halfWidth;
    const y = v * halfWidth;
    // A dome-shaped depth: the face centre is nearest to the camera (MediaPipe's z is negative there).
    const z = -0.5 * halfWidth * Math.max(0, 1 - u * u - (v / 1.3) ** 2);
    points.push({ x: centerX + cos * x - sin * y, y: centerY + sin * x + cos * y, z });
  }
  return points;
}
