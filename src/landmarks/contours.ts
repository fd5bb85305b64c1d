/**
 * The paper's landmark image (Zakharov et al. 2019, Fig. 2) draws the 68-point iBUG contours as coloured
 * polylines: jaw, both brows, nose bridge, lower nose, both eyes and both lips. We detect with MediaPipe
 * FaceLandmarker (478 points), so this table names, for every such part, the MediaPipe indices that trace
 * the same curve, plus both irises (which the 68-point layout lacks) so the generator also sees gaze.
 *
 * Sides: "left"/"right" always mean the SUBJECT's left/right, as in MediaPipe's FACEMESH_LEFT_EYE etc.
 * In an un-mirrored photo the subject's left eye appears on the IMAGE RIGHT. A webcam preview that is
 * mirrored for display does not change this, as long as landmarks are detected on the un-mirrored frame.
 *
 * Index sources: MediaPipe face_mesh_connections (FACEMESH_FACE_OVAL, FACEMESH_LIPS, FACEMESH_LEFT_EYE,
 * FACEMESH_RIGHT_EYE, FACEMESH_LEFT_EYEBROW, FACEMESH_RIGHT_EYEBROW, FACEMESH_LEFT_IRIS,
 * FACEMESH_RIGHT_IRIS), re-ordered from edge lists into polylines. The nose has no MediaPipe connection
 * set; the bridge follows the mesh's midline from between the eyes (168) down to the tip (4), and the nose
 * base follows the lower nose arc alar crease (64) -> nostril -> subnasale (2) -> nostril -> alar crease (294).
 *
 * | part        | MediaPipe indices (polyline order)                              | closed | colour (RGB)    |
 * |-------------|-----------------------------------------------------------------|--------|-----------------|
 * | jaw         | 234 93 132 58 172 136 150 149 176 148 152 377 400 378 379 365   | no     | 174 199 232 light blue |
 * |             | 397 288 361 323 454 (lower face oval, right ear -> chin -> left ear) |    |                 |
 * | rightBrow   | 70 63 105 66 107 (upper brow edge, outer -> inner)              | no     | 255 127  14 orange |
 * | leftBrow    | 300 293 334 296 336 (upper brow edge, outer -> inner)           | no     | 255 187 120 light orange |
 * | noseBridge  | 168 6 197 195 5 4 (between the eyes -> tip)                     | no     | 148 103 189 purple |
 * | noseBase    | 64 98 97 2 326 327 294                                          | no     | 197 176 213 lilac |
 * | rightEye    | 33 246 161 160 159 158 157 173 133 155 154 153 145 144 163 7    | yes    |  44 160  44 green |
 * | leftEye     | 263 466 388 387 386 385 384 398 362 382 381 380 374 373 390 249 | yes    | 152 223 138 light green |
 * | outerLips   | 61 185 40 39 37 0 267 269 270 409 291 375 321 405 314 17 84 181 91 146 | yes | 214 39 40 red |
 * | innerLips   | 78 191 80 81 82 13 312 311 310 415 308 324 318 402 317 14 87 178 88 95 | yes | 255 152 150 pink |
 * | rightIris   | ring 469 470 471 472 around centre 468 (drawn as a circle)      | circle |  23 190 207 cyan |
 * | leftIris    | ring 474 475 476 477 around centre 473 (drawn as a circle)      | circle | 158 218 229 light cyan |
 * | pupils      | centre dots at 468 and 473                                      | dot    | 255 255 255 white |
 *
 * The colours follow the face-alignment / paper plots (light-blue jaw, orange brows, purple nose, green
 * eyes, red lips) but every part gets its own shade: a generator conditioned on the image can then tell
 * left from right and outer from inner lip, which a shared colour would hide.
 */

import FACE_OVAL_JSON from './face-oval.json' with { type: 'json' };
import MOUTH_REGION from './mouth-region.json' with { type: 'json' };

export type Rgb = readonly [number, number, number];

export type ContourPartName =
  | 'jaw'
  | 'rightBrow'
  | 'leftBrow'
  | 'noseBridge'
  | 'noseBase'
  | 'rightEye'
  | 'leftEye'
  | 'outerLips'
  | 'innerLips';

export interface ContourPart {
  readonly name: ContourPartName;
  /** MediaPipe indices in drawing order. */
  readonly indices: readonly number[];
  /** Whether the last point connects back to the first. */
  readonly closed: boolean;
  readonly color: Rgb;
}

export interface IrisPart {
  readonly name: 'rightIris' | 'leftIris';
  readonly center: number;
  readonly ring: readonly [number, number, number, number];
  readonly ringColor: Rgb;
}

export const JAW: readonly number[] = [
  234, 93, 132, 58, 172, 136, 150, 149, 176, 148, 152, 377, 400, 378, 379, 365, 397, 288, 361, 323, 454,
];

/** Drawing order is also compositing order: later parts are drawn over earlier ones where they overlap. */
export const CONTOUR_PARTS: readonly ContourPart[] = [
  { name: 'jaw', indices: JAW, closed: false, color: [174, 199, 232] },
  { name: 'rightBrow', indices: [70, 63, 105, 66, 107], closed: false, color: [255, 127, 14] },
  { name: 'leftBrow', indices: [300, 293, 334, 296, 336], closed: false, color: [255, 187, 120] },
  { name: 'noseBridge', indices: [168, 6, 197, 195, 5, 4], closed: false, color: [148, 103, 189] },
  { name: 'noseBase', indices: [64, 98, 97, 2, 326, 327, 294], closed: false, color: [197, 176, 213] },
  {
    name: 'rightEye',
    indices: [33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144, 163, 7],
    closed: true,
    color: [44, 160, 44],
  },
  {
    name: 'leftEye',
    indices: [263, 466, 388, 387, 386, 385, 384, 398, 362, 382, 381, 380, 374, 373, 390, 249],
    closed: true,
    color: [152, 223, 138],
  },
  // The lips' loops live in mouth-region.json, which the mouth generator's region reads too.
  { name: 'outerLips', indices: MOUTH_REGION.outerLips, closed: true, color: [214, 39, 40] },
  { name: 'innerLips', indices: MOUTH_REGION.innerLips, closed: true, color: [255, 152, 150] },
];

export const IRIS_PARTS: readonly IrisPart[] = [
  { name: 'rightIris', center: 468, ring: [469, 470, 471, 472], ringColor: [23, 190, 207] },
  { name: 'leftIris', center: 473, ring: [474, 475, 476, 477], ringColor: [158, 218, 229] },
];

export const PUPIL_COLOR: Rgb = [255, 255, 255];

/** The full face oval (forehead included), clockwise in the image from the top of the forehead (10); in face-oval.json, which the trainer reads too. */
export const FACE_OVAL: readonly number[] = FACE_OVAL_JSON.faceOval;

/** Named single points used by the crop and the landmark adaptation. */
export const KEYPOINTS = {
  rightEyeOuter: 33,
  rightEyeInner: 133,
  leftEyeInner: 362,
  leftEyeOuter: 263,
  rightIrisCenter: 468,
  leftIrisCenter: 473,
  foreheadTop: 10,
  chin: 152,
  rightFaceSide: 234,
  leftFaceSide: 454,
  noseTip: 4,
  upperInnerLip: 13,
  lowerInnerLip: 14,
  rightMouthCorner: 61,
  leftMouthCorner: 291,
} as const;

/** Every index the landmark image draws, for fixtures and validation. */
export function drawnLandmarkIndices(): number[] {
  const indices = new Set<number>();
  for (const part of CONTOUR_PARTS) part.indices.forEach((i) => indices.add(i));
  for (const iris of IRIS_PARTS) {
    indices.add(iris.center);
    iris.ring.forEach((i) => indices.add(i));
  }
  return [...indices].sort((a, b) => a - b);
}
