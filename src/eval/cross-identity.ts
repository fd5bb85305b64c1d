// Cross-identity evaluation (`npm run eval -- --cross`): what users do with the app. Each source
// person's avatar (the same T few-shot frames as self-reenactment) is driven by ANOTHER person's
// clip through the app's driving path: the clip's frames are tracked as the drive loop does (VIDEO-mode
// detector, CropSmoother, window.lab.evaluation.track) and the driver's landmarks adapted to the
// avatar's face (createNeutralSeekingAdapter: the reference starts at the first driving frame and moves
// to any more closed mouth, the avatar's first photo as the target: the app's default, adaptation on). Every method renders the
// same adapted landmarks: copy (the first photo, frozen), warp (nearest photo warped), FF and FT per
// generator.
//
// This module pairs sources with drivers, adapts the driving landmarks, scores one pair's frames
// (cross-metrics.ts; identity with faceres, expression and pose with the project's FaceLandmarker on
// the generated frames) and summarises pairs into rows (mean ± 95 % CI over pairs).
import { createNeutralSeekingAdapter } from '../landmarks/adapt.ts';
import { scalePoints } from '../landmarks/geometry.ts';
import { rasterizeLandmarks } from '../landmarks/rasterize.ts';
import type { Landmarks, Point, RgbaImage } from '../landmarks/types.ts';
import type { LabEvaluationApi } from '../lab/evaluate.ts';
import { backgroundFlicker, expressionSignals, followCorrelation, identitySimilarity, landmarkJitter, poseError } from './cross-metrics.ts';
import { encode, toPoints } from './eval-image.ts';
import { resizeForComparison } from './resize.ts';
import { faceBox, laplacianVariance } from './sharpness.ts';
import { summarize } from './summary-stats.ts';
import type { Method } from './run-evaluation.ts';

/** Driving clips are sampled every CROSS_FRAME_STEP frames (at 25–30 fps: 12–15 driving frames a second). */
export const CROSS_FRAME_STEP = 2;

/** Which clip drives which source's avatar (null: no clip of another person). */
export interface CrossPair {
  source: string;
  driver: string | null;
}

/**
 * Deterministic pairing: the k-th source (in evaluation order) is driven by the k-th clip (cyclically)
 * among the driver clips that are not the source itself, so the drivers are spread over the sources.
 */
export function pairDrivers(sources: readonly string[], drivers: readonly string[]): CrossPair[] {
  return sources.map((source, k) => {
    const others = drivers.filter((d) => d !== source);
    return { source, driver: others.length ? others[k % others.length] : null };
  });
}

/**
 * Frame indices of a clip's driving sequence: `count` frames `step` apart, starting at the middle of
 * the clip (the part self-reenactment holds out) or earlier when the second half is too short.
 */
export function drivingFrameIndices(frameCount: number, count: number, step = CROSS_FRAME_STEP): number[] {
  const start = Math.max(0, Math.min(Math.floor(frameCount / 2), frameCount - 1 - (count - 1) * step));
  const indices: number[] = [];
  for (let i = start; i < frameCount && indices.length < count; i += step) indices.push(i);
  return indices;
}

/** One driver clip, tracked: per kept frame its smoothed crop and the driver's landmarks in it. */
export interface DrivingClip {
  driver: string;
  /** Frame rate of the driving sequence (the clip's fps ÷ CROSS_FRAME_STEP). */
  fps: number;
  crops: RgbaImage[];
  /** Crop pixels, side = the crops' side. */
  points: Point[][];
  /** Frames where the detector found no usable face (the app skips them). */
  dropped: number;
}

/**
 * The landmarks the app renders for each driving frame: the driver's landmarks adapted to the avatar's
 * face (`avatar`: its first photo's landmarks, same pixel space) by the drive loop's adapter, whose
 * reference starts at the first frame and moves to more closed mouths as they come (adapt.ts).
 */
export function adaptDriving(avatar: Landmarks, driver: readonly Landmarks[]): Point[][] {
  const adapter = createNeutralSeekingAdapter(avatar);
  return driver.map((points) => adapter.adapt(points));
}

/**
 * How well the adapted driving landmarks themselves follow the driver's mouth and eyes (correlation
 * over time, as the outputs are scored): the ceiling for every method, since all render these
 * landmarks. Adaptation moves the avatar by the driver's change from its reference frame; with a fixed
 * open-mouthed reference the avatar's lips pressed together, even crossed, when the driver closed
 * (mouth correlation −1 to 1 across pairs), hence the reference that seeks the most closed mouth.
 */
export function adaptationFollow(driver: readonly Landmarks[], driving: readonly Landmarks[]): { mouthCorr: number; eyeCorr: number } {
  const d = expressionSignals(driver);
  const a = expressionSignals(driving);
  return { mouthCorr: followCorrelation(d.mouth, a.mouth), eyeCorr: followCorrelation(d.eyes, a.eyes) };
}

/** One method's frames for the driving sequence (generators at their frameSize, the rest at the crop size). */
export interface CrossFrames {
  method: Method;
  generator: string | null;
  T: number;
  frames: RgbaImage[];
}

/** One pair (source, driver) and one method: every metric averaged over the driving frames. */
export interface CrossScore {
  source: string;
  driver: string;
  method: Method;
  generator: string | null;
  T: number;
  frames: number;
  /** Share of frames where the FaceLandmarker found a face in the output. */
  faceFound: number;
  /** faceres cosine of the mean output embedding to the mean of the source's hold-out frames. */
  idSource: number;
  /** The same to the driver's (smoothed-crop) frames. */
  idDriver: number;
  /** Pearson correlation over time of the driver's and the output's mouth opening / eye openness. */
  mouthCorr: number;
  eyeCorr: number;
  /** Mean |yaw|, |pitch|, |roll| (degrees) of the rotation from the adapted driving landmarks to the output's. */
  poseErr: number;
  poseYaw: number;
  posePitch: number;
  poseRoll: number;
  /** Output landmark motion beyond the driving landmarks', per frame step, in inter-ocular distances. */
  jitter: number;
  /** Background luma change (0–255) between consecutive frames. */
  flicker: number;
  /** Face-box Laplacian variance of the output ÷ the mean of the source's real hold-out frames'. */
  sharpness: number;
}

export interface CrossInput {
  source: string;
  clip: DrivingClip;
  /** Adapted driving landmarks (adaptDriving), crop pixels at the clip crops' side. */
  driving: readonly Landmarks[];
  /** Side of the crops and of `driving`'s pixel space. */
  cropSize: number;
  metricSize: number;
  /** The source's real hold-out frames at metricSize and their faceres embeddings. */
  sourceFrames: readonly RgbaImage[];
  sourcePoints: readonly Landmarks[];
  sourceEmbeddings: readonly (readonly number[])[];
  generated: readonly CrossFrames[];
}

const mean = (values: readonly number[]) => {
  const finite = values.filter((v) => Number.isFinite(v));
  return finite.length ? finite.reduce((s, v) => s + v, 0) / finite.length : Number.NaN;
};

/** Scores every method's frames of one pair (identity and landmarks from the lab page). */
export async function scoreCrossPair(api: LabEvaluationApi, input: CrossInput): Promise<CrossScore[]> {
  const { clip, cropSize, metricSize } = input;
  const atMetric = (image: RgbaImage) => resizeForComparison(image, metricSize);
  const drivingM = input.driving.map((points) => scalePoints(points, cropSize, metricSize));
  const driverEmbeddings = await api.faceresIdentity(clip.crops.map((crop) => encode(atMetric(crop))));
  const driverSignals = expressionSignals(clip.points);
  const sourceSharpness = mean(
    input.sourceFrames.map((frame, i) => laplacianVariance(frame, faceBox(input.sourcePoints[i], metricSize, metricSize))),
  );
  const scores: CrossScore[] = [];
  for (const { method, generator, T, frames } of input.generated) {
    // A frozen output (the copy: one image object repeated) is detected and embedded once.
    const frozen = frames.every((frame) => frame === frames[0]);
    const images = frozen ? frames.map(() => atMetric(frames[0])) : frames.map(atMetric);
    const distinct = frozen ? images.slice(0, 1) : images;
    const embeddings = await api.faceresIdentity(distinct.map(encode));
    const found: (Point[] | null)[] = [];
    for (const image of distinct) {
      const detected = await api.detect(encode(image));
      found.push(detected ? toPoints(detected) : null);
    }
    const outputPoints = frozen ? images.map(() => found[0]) : found;
    const outputEmbeddings = frozen ? images.map(() => embeddings[0]) : embeddings;
    const signals = expressionSignals(outputPoints);
    const poses = outputPoints.map((points, t) => (points ? poseError(drivingM[t], points) : null));
    const posed = poses.filter((p): p is NonNullable<typeof p> => p !== null);
    scores.push({
      source: input.source,
      driver: clip.driver,
      method,
      generator,
      T,
      frames: images.length,
      faceFound: images.length ? posed.length / images.length : 0,
      idSource: identitySimilarity(outputEmbeddings, input.sourceEmbeddings),
      idDriver: identitySimilarity(outputEmbeddings, driverEmbeddings),
      mouthCorr: followCorrelation(driverSignals.mouth, signals.mouth),
      eyeCorr: followCorrelation(driverSignals.eyes, signals.eyes),
      poseErr: mean(posed.map((p) => p.mean)),
      poseYaw: mean(posed.map((p) => p.yaw)),
      posePitch: mean(posed.map((p) => p.pitch)),
      poseRoll: mean(posed.map((p) => p.roll)),
      jitter: landmarkJitter(drivingM, outputPoints),
      flicker: backgroundFlicker(images, drivingM),
      sharpness:
        sourceSharpness > 0
          ? mean(images.map((image, t) => laplacianVariance(image, faceBox(drivingM[t], metricSize, metricSize)))) / sourceSharpness
          : Number.NaN,
    });
  }
  return scores;
}

/** The metrics a cross-identity row summarises, in report order, with the direction that is better. */
export const CROSS_METRICS = [
  { key: 'idSource', title: 'ID source', better: 'higher' },
  { key: 'idDriver', title: 'ID driver', better: 'lower' },
  { key: 'mouthCorr', title: 'mouth corr', better: 'higher' },
  { key: 'eyeCorr', title: 'eye corr', better: 'higher' },
  { key: 'poseErr', title: 'pose err (°)', better: 'lower' },
  { key: 'jitter', title: 'jitter (IOD)', better: 'lower' },
  { key: 'flicker', title: 'bg flicker (0–255)', better: 'lower' },
  { key: 'sharpness', title: 'sharpness (1 = source)', better: 'closer to 1' },
] as const;

export type CrossMetricKey = (typeof CROSS_METRICS)[number]['key'];

export interface CrossMetricSummary {
  n: number;
  mean: number;
  std: number;
  ci95: number;
}

/** One method, generator and T over every pair: each metric's mean ± ci95 over pairs (each pair averaged over its frames first). */
export type CrossRow = {
  method: Method;
  generator: string | null;
  T: number;
  pairs: number;
  frames: number;
  faceFound: number;
} & Record<CrossMetricKey, CrossMetricSummary>;

const METHOD_ORDER: Method[] = ['copy', 'warp', 'ff', 'ft'];

/** Rows sorted as the self-reenactment table: T, then copy, warp, FF and FT, generators in `generators` order. */
export function summarizeCross(scores: readonly CrossScore[], generators: readonly string[]): CrossRow[] {
  const rank = (g: string | null) => (g === null ? -1 : generators.includes(g) ? generators.indexOf(g) : generators.length);
  const keys = [...new Map(scores.map((s) => [`${s.method}|${s.generator}|${s.T}`, s])).values()].sort(
    (a, b) => a.T - b.T || METHOD_ORDER.indexOf(a.method) - METHOD_ORDER.indexOf(b.method) || rank(a.generator) - rank(b.generator),
  );
  return keys.map(({ method, generator, T }) => {
    const mine = scores.filter((s) => s.method === method && s.generator === generator && s.T === T);
    const metrics = Object.fromEntries(
      CROSS_METRICS.map(({ key }) => {
        const s = summarize(mine.map((score) => score[key]));
        return [key, { n: s.n, mean: s.mean, std: s.std, ci95: s.ci95 }];
      }),
    ) as Record<CrossMetricKey, CrossMetricSummary>;
    const frames = mine.reduce((sum, s) => sum + s.frames, 0);
    return {
      method,
      generator,
      T,
      pairs: mine.length,
      frames,
      faceFound: frames ? mine.reduce((sum, s) => sum + s.faceFound * s.frames, 0) / frames : 0,
      ...metrics,
    };
  });
}

/**
 * Frames of a side-by-side video: per driving frame, the driver's crop | the adapted landmark image |
 * each method's frame (brought to cropSize), in the order of `generated`.
 */
export function sideBySideCells(
  clip: DrivingClip,
  driving: readonly Landmarks[],
  generated: readonly CrossFrames[],
  cropSize: number,
): RgbaImage[][] {
  return clip.crops.map((crop, t) => [
    crop,
    rasterizeLandmarks(driving[t], cropSize),
    ...generated.map(({ frames }) => resizeForComparison(frames[t], cropSize)),
  ]);
}
