/**
 * Metrics of cross-identity driving (`npm run eval -- --cross`): one person's avatar driven by
 * another person's clip, over time. There is no ground truth frame, so every metric compares the
 * output with what it should follow (the driver's expression and head pose, through the app's landmark
 * adaptation) or keep (the source's identity and sharpness), or with itself over time (jitter,
 * flicker). All functions are pure and work on landmarks in one pixel space per sequence and on RGBA
 * frames of one size.
 *
 * - identitySimilarity: cosine of the mean embeddings of two frame sets (the same set gives exactly 1).
 * - followCorrelation: Pearson correlation over time of a driver signal and the output's; a frozen
 *   output scores 0 (it follows nothing), a constant driver leaves it undefined (NaN).
 * - eyeOpenness: lid gap over inter-ocular distance, both eyes averaged (mouthOpening's companion).
 * - headRotation / poseError: the 3D rotation (Horn's quaternion method on the expression-stable
 *   points of adapt.ts) from one landmark set to another, as yaw, pitch and roll in degrees.
 * - landmarkJitter: per frame step, how much further each output landmark moves than the driving
 *   landmark it should follow, over the inter-ocular distance (0 for an output that follows exactly or
 *   stands still).
 * - backgroundFlicker: mean absolute luma change (0–255) between consecutive frames outside the face.
 */
import { STABLE_POINT_INDICES } from '../landmarks/adapt.ts';
import { boundingBox } from '../landmarks/geometry.ts';
import type { Landmarks, RgbaImage } from '../landmarks/types.ts';
import { interOcularDistance, mouthOpening } from '../landmarks/expression.ts';
import { lumaOf } from './ssim.ts';
import { symmetricEigen } from './symmetric-eigen.ts';

/** Upper and lower lid midpoints of each eye (MediaPipe FACEMESH_RIGHT_EYE / LEFT_EYE). */
export const EYE_LIDS = {
  right: { upper: 159, lower: 145 },
  left: { upper: 386, lower: 374 },
} as const;

function mean(values: readonly number[]): number {
  return values.length ? values.reduce((s, v) => s + v, 0) / values.length : Number.NaN;
}

/** Cosine between the mean of `outputs` and the mean of `references` (embedding sets); NaN for an empty set. */
export function identitySimilarity(outputs: readonly (readonly number[])[], references: readonly (readonly number[])[]): number {
  if (outputs.length === 0 || references.length === 0) return Number.NaN;
  const centre = (set: readonly (readonly number[])[]) => set[0].map((_, k) => mean(set.map((v) => v[k])));
  return cosine(centre(outputs), centre(references));
}

/** Cosine similarity of two equally long vectors. */
export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let k = 0; k < a.length; k++) {
    dot += a[k] * b[k];
    na += a[k] * a[k];
    nb += b[k] * b[k];
  }
  return dot / Math.sqrt(na * nb);
}

/** Spread below which a signal counts as constant (relative to its magnitude, plus an absolute floor). */
const CONSTANT_TOLERANCE = 1e-9;

/**
 * Pearson correlation of `driver` and `output` over the time steps where both are finite. NaN with
 * fewer than three such steps or a constant driver (nothing to follow); 0 when the driver moves and
 * the output stays constant (a frozen avatar follows nothing).
 */
export function followCorrelation(driver: readonly number[], output: readonly number[]): number {
  if (driver.length !== output.length) throw new Error(`followCorrelation: ${driver.length} driver values, ${output.length} output values`);
  const pairs = driver.map((d, i) => [d, output[i]] as const).filter(([d, o]) => Number.isFinite(d) && Number.isFinite(o));
  if (pairs.length < 3) return Number.NaN;
  const md = mean(pairs.map(([d]) => d));
  const mo = mean(pairs.map(([, o]) => o));
  let sdd = 0;
  let soo = 0;
  let sdo = 0;
  for (const [d, o] of pairs) {
    sdd += (d - md) ** 2;
    soo += (o - mo) ** 2;
    sdo += (d - md) * (o - mo);
  }
  const flat = (ss: number, m: number) => Math.sqrt(ss / pairs.length) <= CONSTANT_TOLERANCE * Math.max(1, Math.abs(m));
  if (flat(sdd, md)) return Number.NaN;
  if (flat(soo, mo)) return 0;
  return Math.max(-1, Math.min(1, sdo / Math.sqrt(sdd * soo)));
}

/** Mean of both eyes' lid gap (159–145, 386–374) over the inter-ocular distance; 0 for closed eyes. */
export function eyeOpenness(points: Landmarks): number {
  const scale = interOcularDistance(points);
  if (!(scale > 0)) throw new Error(`eyeOpenness: the inter-ocular distance is ${scale}; cannot normalise`);
  const gap = ({ upper, lower }: { upper: number; lower: number }) => {
    const u = points[upper];
    const l = points[lower];
    if (u === undefined || l === undefined)
      throw new Error(`eyeOpenness: needs MediaPipe points ${upper} and ${lower}, got ${points.length} points`);
    return Math.hypot(l.x - u.x, l.y - u.y);
  };
  return (gap(EYE_LIDS.right) + gap(EYE_LIDS.left)) / 2 / scale;
}

/** Head rotation in degrees: yaw about the image's vertical axis, pitch about its horizontal one, roll in the image plane. */
export interface HeadRotation {
  yaw: number;
  pitch: number;
  roll: number;
}

const DEGREES = 180 / Math.PI;

/**
 * The rotation that best maps `from` onto `to` (least squares over `indices`, after removing each
 * set's centroid; any uniform scale between them leaves the rotation unchanged), by Horn's closed-form
 * quaternion method, decomposed as R = Rz(roll) · Ry(yaw) · Rx(pitch) in image axes (x right, y down,
 * z = MediaPipe's depth, which it scales like x).
 */
export function headRotation(from: Landmarks, to: Landmarks, indices: readonly number[] = STABLE_POINT_INDICES): HeadRotation {
  const a = indices.map((i) => from[i]);
  const b = indices.map((i) => to[i]);
  if (a.some((p) => p === undefined) || b.some((p) => p === undefined)) {
    throw new Error(`headRotation: needs points ${Math.max(...indices)} and below, got ${from.length} and ${to.length}`);
  }
  const centre = (ps: typeof a) => ({ x: mean(ps.map((p) => p.x)), y: mean(ps.map((p) => p.y)), z: mean(ps.map((p) => p.z)) });
  const ca = centre(a);
  const cb = centre(b);
  // S[j][k] = Σ a_j · b_k over the centred points (j, k ∈ x, y, z).
  const S = [
    [0, 0, 0],
    [0, 0, 0],
    [0, 0, 0],
  ];
  for (let i = 0; i < a.length; i++) {
    const u = [a[i].x - ca.x, a[i].y - ca.y, a[i].z - ca.z];
    const v = [b[i].x - cb.x, b[i].y - cb.y, b[i].z - cb.z];
    for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) S[j][k] += u[j] * v[k];
  }
  const [[xx, xy, xz], [yx, yy, yz], [zx, zy, zz]] = S;
  const N = [
    [xx + yy + zz, yz - zy, zx - xz, xy - yx],
    [yz - zy, xx - yy - zz, xy + yx, zx + xz],
    [zx - xz, xy + yx, -xx + yy - zz, yz + zy],
    [xy - yx, zx + xz, yz + zy, -xx - yy + zz],
  ];
  const [w, qx, qy, qz] = symmetricEigen(N).vectors[0];
  // Rotation matrix of the unit quaternion (w, qx, qy, qz).
  const r00 = w * w + qx * qx - qy * qy - qz * qz;
  const r10 = 2 * (qx * qy + w * qz);
  const r20 = 2 * (qx * qz - w * qy);
  const r21 = 2 * (qy * qz + w * qx);
  const r22 = w * w - qx * qx - qy * qy + qz * qz;
  return {
    yaw: Math.asin(Math.max(-1, Math.min(1, -r20))) * DEGREES,
    pitch: Math.atan2(r21, r22) * DEGREES,
    roll: Math.atan2(r10, r00) * DEGREES,
  };
}

/** How far `output`'s head pose is from `driving`'s: per axis (degrees, absolute) and their mean. */
export function poseError(driving: Landmarks, output: Landmarks): HeadRotation & { mean: number } {
  const r = headRotation(driving, output);
  const yaw = Math.abs(r.yaw);
  const pitch = Math.abs(r.pitch);
  const roll = Math.abs(r.roll);
  return { yaw, pitch, roll, mean: (yaw + pitch + roll) / 3 };
}

/**
 * Motion of the output's landmarks beyond the driving landmarks' own, per step between consecutive
 * frames: the mean over points of max(0, |Δoutput| − |Δdriving|), over the driving landmarks'
 * inter-ocular distance, averaged over the steps where the output's landmarks were found in both
 * frames (null: no face found). NaN without such a step.
 */
export function landmarkJitter(driving: readonly Landmarks[], output: readonly (Landmarks | null)[]): number {
  if (driving.length !== output.length) throw new Error(`landmarkJitter: ${driving.length} driving frames, ${output.length} output frames`);
  const steps: number[] = [];
  for (let t = 1; t < driving.length; t++) {
    const o0 = output[t - 1];
    const o1 = output[t];
    if (!o0 || !o1) continue;
    const d0 = driving[t - 1];
    const d1 = driving[t];
    const n = Math.min(d0.length, o0.length);
    let excess = 0;
    for (let i = 0; i < n; i++) {
      const moved = Math.hypot(o1[i].x - o0[i].x, o1[i].y - o0[i].y);
      const drove = Math.hypot(d1[i].x - d0[i].x, d1[i].y - d0[i].y);
      excess += Math.max(0, moved - drove);
    }
    steps.push(excess / n / ((interOcularDistance(d0) + interOcularDistance(d1)) / 2));
  }
  return steps.length ? mean(steps) : Number.NaN;
}

/** How much wider than the landmarks' bounding box the face region is grown, per side, in box sides (hair, ears). */
export const FACE_REGION_MARGIN = 0.25;

/**
 * Mean absolute change of luma (0–255) between consecutive frames, over the pixels outside both
 * frames' face regions (the driving landmarks' bounding box grown by FACE_REGION_MARGIN per side).
 * A still background scores 0. NaN with fewer than two frames or no background pixel.
 */
export function backgroundFlicker(frames: readonly RgbaImage[], driving: readonly Landmarks[]): number {
  if (frames.length !== driving.length) throw new Error(`backgroundFlicker: ${frames.length} frames, ${driving.length} landmark sets`);
  if (frames.length < 2) return Number.NaN;
  const { width, height } = frames[0];
  const inFace = (points: Landmarks) => {
    const { minX, minY, maxX, maxY } = boundingBox(points);
    const mx = FACE_REGION_MARGIN * (maxX - minX);
    const my = FACE_REGION_MARGIN * (maxY - minY);
    return { x0: minX - mx, x1: maxX + mx, y0: minY - my, y1: maxY + my };
  };
  const regions = driving.map(inFace);
  const lumas = frames.map((frame) => {
    if (frame.width !== width || frame.height !== height) throw new Error('backgroundFlicker: frames of different sizes');
    return lumaOf(frame);
  });
  let total = 0;
  let count = 0;
  for (let t = 1; t < frames.length; t++) {
    const boxes = [regions[t - 1], regions[t]];
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if (boxes.some((b) => x + 0.5 >= b.x0 && x + 0.5 <= b.x1 && y + 0.5 >= b.y0 && y + 0.5 <= b.y1)) continue;
        const p = y * width + x;
        total += Math.abs(lumas[t][p] - lumas[t - 1][p]);
        count++;
      }
    }
  }
  return count ? (total / count) * 255 : Number.NaN;
}

/** Eye and mouth signals of one landmark sequence (null: no face found in that frame → NaN). */
export function expressionSignals(sequence: readonly (Landmarks | null)[]): { mouth: number[]; eyes: number[] } {
  return {
    mouth: sequence.map((p) => (p ? mouthOpening(p) : Number.NaN)),
    eyes: sequence.map((p) => (p ? eyeOpenness(p) : Number.NaN)),
  };
}
