// The evaluation loop, independent of how the browser is reached: scripts/eval.ts hands it a proxy
// of window.lab.evaluation (the app's detector, crop, model workers and metric networks in Chromium),
// and this module does the protocol, the baselines and the per-frame metrics.
//
// Everything is compared at what the user sees: faces are cropped at cropSize (WARP_DISPLAY_SIZE,
// 256 px, the size of the app's photo crops and of the warp-guided avatar's frames), every
// generator's frames are brought to it (the paper generator's 64 px frames upsampled bilinearly), and
// metrics are taken at metricSize (default the same). Several generators run side by side, each in
// its own model worker, on the same few-shot and hold-out frames.
import { cropTransformFromBox, resampleCrop } from '../landmarks/crop.ts';
import { boundingBox, scalePoints } from '../landmarks/geometry.ts';
import { rasterizeLandmarks } from '../landmarks/rasterize.ts';
import type { Landmarks, RgbaImage } from '../landmarks/types.ts';
import { heldSource, nearestSource, warpImage } from '../landmarks/warp.ts';
import type { EvalFace, LabEvaluationApi } from '../lab/evaluate.ts';
import type { FineTuneValidation } from '../nn/finetune-validation.ts';
import type { ModelInfo } from '../workers/avatar-protocol.ts';
import { evenlySpaced, type FrameRef, type PersonPlan } from './eval-dataset.ts';
import {
  adaptationFollow,
  adaptDriving,
  scoreCrossPair,
  sideBySideCells,
  type CrossFrames,
  type CrossScore,
  type DrivingClip,
} from './cross-identity.ts';
import { decode, encode, toPoints } from './eval-image.ts';
import { cosine } from './cross-metrics.ts';
import { featureDistance } from './frechet.ts';
import { averageKeypointDistance } from './keypoint-distance.ts';
import { mouthOpening } from '../landmarks/expression.ts';
import { widestMouthOverRuns } from './mouth-opening.ts';
import { resizeForComparison } from './resize.ts';
import { faceBox, relativeSharpness } from './sharpness.ts';
import { ssim } from './ssim.ts';
import { compositeFace, faceOvalWeights } from './face-composite.ts';

export type Method = 'copy' | 'warp' | 'ff' | 'ft' | 'composite';
export type Mode = 'ff' | 'ft';

/** One generator under evaluation: its label in the report and the model worker that runs it. */
export interface GeneratorRun {
  label: string;
  /** Name of its model worker in the lab page (LabEvaluationApi's `worker` argument). */
  worker: string;
  /** Side of the frames it returns (ModelInfo.frameSize). */
  frameSize: number;
}

export interface EvalSettings {
  Ts: readonly number[];
  modes: readonly Mode[];
  /** Fine-tuning steps for T few-shot frames. */
  ftSteps(T: number): number;
  ftContentLoss: boolean;
  /** The generators, in report order. */
  generators: readonly GeneratorRun[];
  /**
   * Side of the face crops (few-shot photos, ground truth, copy and warp baselines) and of the
   * sample grid: what the app shows, WARP_DISPLAY_SIZE. Generated frames are brought to it.
   */
  cropSize: number;
  /** Side at which frames are compared (resize.ts: bilinear up, area down). */
  metricSize: number;
  /**
   * Cross-identity: another person's tracked clip to drive this person's avatars with as well (every
   * method, every T, the same avatars as self-reenactment), scored by cross-identity.ts; `video`
   * keeps the side-by-side frames at the largest T.
   */
  cross?: { clip: DrivingClip; video: boolean };
  /**
   * Also score face composites (face-composite.ts; method 'composite', the generator field names the
   * two pictures): the real face on the warp, the warp on the real background, and per generator its
   * FF face on the warp. Self-reenactment only.
   */
  composites?: boolean;
}

/** One generated (or baseline) frame compared with its ground truth. */
export interface FrameScore {
  person: string;
  method: Method;
  /** The generator's label for ff and ft; null for the copy and warp baselines. */
  generator: string | null;
  /** Few-shot frames the method saw (the copy uses one; the warp the one nearest the target's pose of T). */
  T: number;
  target: number;
  ssim: number;
  /** SSIM weighted by the ground truth's face oval (face-composite.ts faceOvalWeights): the face, not the background. */
  faceSsim: number;
  /** mobilefacenet cosine on tight face crops (the paper's CSIM role). */
  csim: number;
  /** faceres cosine on whole crops (the trainer's held-out identity metric). */
  idcos: number;
  /** Null when the detector finds no face in the generated frame. */
  akd: number | null;
  /** Laplacian variance of luma in the face box, this frame ÷ ground truth (sharpness.ts). */
  sharpness: number;
  /** Squared distance of this frame's FID-proxy features from its ground truth's (frechet.ts featureDistance). */
  featureDistance: number;
}

export interface PersonTiming {
  person: string;
  generator: string;
  T: number;
  ffSetupMs: number;
  ffRenderMs: number[];
  ftMs?: number;
  ftSteps?: number;
  ftRenderMs?: number[];
  ftUsedContentLoss?: boolean;
  ftLoss?: { g: number | null; d: number | null };
  /** Fine-tuning's held-out photos: their error before and after, and whether the tuned weights were adopted. */
  ftValidation?: FineTuneValidation | null;
}

/** Which hold-out frame a sample-grid row shows, and how wide its driver opens the mouth. */
export interface GridSample {
  person: string;
  target: number;
  /** The T run the row's frames come from: the largest, or for the widest mouth the run it was found in. */
  T: number;
  /** mouthOpening (mouth-opening.ts) of the driver and of the source photo the row warps. */
  targetOpening: number;
  sourceOpening: number;
  /** The person's hold-out frame and T run with the largest targetOpening − sourceOpening. */
  widestMouth: boolean;
  /** Cells at cropSize, in the order of gridColumns(). */
  cells: (RgbaImage | null)[];
}

export interface PersonOutcome {
  person: string;
  /** Why it was skipped, or which Ts it lacked frames for. */
  notes: string[];
  sourcesWithFace: number;
  targetsWithFace: number;
  scores: FrameScore[];
  timings: PersonTiming[];
  /** Pooled features per methodKey and for the ground truth, for the FID proxy. */
  features: Record<string, number[][]>;
  /**
   * Sample-grid rows: the first hold-out frame at the largest T run, and the widest mouth over all T
   * runs when another (a T = 1 photo with closed lips is where a warp can only stretch them).
   */
  grid: GridSample[];
  /** Cross-identity scores of this person's avatars driven by another person's clip (settings.cross). */
  cross?: CrossOutcome;
}

export interface CrossOutcome {
  driver: string;
  /** Driving frames rendered (the tracked frames with a face). */
  frames: number;
  /** How well the adapted driving landmarks themselves follow the driver (adaptationFollow). */
  adapted: { mouthCorr: number; eyeCorr: number };
  scores: CrossScore[];
  /** Side-by-side video frames (driver | landmarks | copy | warp | FF … | FT …) at the largest T, when asked for. */
  video?: { columns: string[]; fps: number; frames: RgbaImage[][] };
}

export const GROUND_TRUTH_KEY = 'ground-truth';
/** Composite rows' generator field: inside the face oval, then around it. */
export const COMPOSITE_REAL_FACE = 'real face, warp around';
export const COMPOSITE_REAL_BACKGROUND = 'warp face, real around';
export const compositeOfFace = (generator: string) => `FF ${generator} face, warp around`;
/** "copy", "warp", "ff-warp", "ft-paper", …: the method and, for learned ones, the generator. */
export const methodName = (method: Method, generator: string | null = null) => (generator ? `${method}-${generator}` : method);
export const methodKey = (method: Method, T: number, generator: string | null = null) => `${methodName(method, generator)}@${T}`;

/** Column titles of the sample grid: source | driver | warp | FF per generator | FT per generator | ground truth. */
export function gridColumns(generators: readonly string[], modes: readonly Mode[]): string[] {
  return [
    'source',
    'driver landmarks',
    'warp',
    ...(modes.includes('ff') ? generators.map((g) => `FF ${g}`) : []),
    ...(modes.includes('ft') ? generators.map((g) => `FT ${g}`) : []),
    'ground truth',
  ];
}

export interface EvaluationHooks {
  /** A URL the page can fetch for this frame (scripts/eval.ts serves files and extracted video frames). */
  frameUrl(ref: FrameRef): Promise<string>;
  log(message: string): void;
}

/** Tight face square around the landmarks (ArcFace-style inputs show the face, not the head). */
const IDENTITY_INPUT = 112;
const IDENTITY_BOX_FACTOR = 1.1;
export function identityCrop(image: RgbaImage, points: Landmarks): RgbaImage {
  const { minX, minY, maxX, maxY } = boundingBox(points);
  const side = IDENTITY_BOX_FACTOR * Math.max(maxX - minX, maxY - minY);
  const box = { cx: (minX + maxX) / 2, cy: (minY + maxY) / 2, side };
  return resampleCrop(image, cropTransformFromBox(box, IDENTITY_INPUT), IDENTITY_INPUT, 'edge');
}

async function analyzeAll(api: LabEvaluationApi, hooks: EvaluationHooks, refs: readonly FrameRef[], size: number) {
  const faces: EvalFace[] = [];
  const failures: string[] = [];
  for (const ref of refs) {
    const result = await api.analyze(await hooks.frameUrl(ref), size);
    if ('error' in result) failures.push(result.error.code);
    else faces.push(result);
  }
  return { faces, failures };
}

/** Frames of one method (as the method returned them: generators at their frameSize, the rest at cropSize). */
interface Generated {
  method: Method;
  generator: string | null;
  T: number;
  frames: RgbaImage[];
}

export async function evaluatePerson(
  api: LabEvaluationApi,
  plan: PersonPlan,
  settings: EvalSettings,
  hooks: EvaluationHooks,
): Promise<PersonOutcome> {
  const outcome: PersonOutcome = {
    person: plan.id,
    notes: [],
    sourcesWithFace: 0,
    targetsWithFace: 0,
    scores: [],
    timings: [],
    features: {},
    grid: [],
  };
  const { cropSize, metricSize } = settings;
  const sources = await analyzeAll(api, hooks, plan.sources, cropSize);
  const targets = await analyzeAll(api, hooks, plan.targets, cropSize);
  outcome.sourcesWithFace = sources.faces.length;
  outcome.targetsWithFace = targets.faces.length;
  if (sources.failures.length + targets.failures.length > 0) {
    outcome.notes.push(`frames without a usable face: ${[...sources.failures, ...targets.failures].join(', ')}`);
  }
  if (sources.faces.length === 0 || targets.faces.length === 0) {
    outcome.notes.push('skipped: no few-shot or no hold-out frame with a face');
    return outcome;
  }

  // Everything here is at cropSize (what the app shows); points in crop pixels.
  const truth = targets.faces.map((face) => decode(face.image));
  const truthPoints = targets.faces.map((face) => toPoints(face.landmarks));
  const sourceCrops = sources.faces.map((face) => decode(face.image));
  const sourcePoints = sources.faces.map((face) => toPoints(face.landmarks));
  const generated = new Map<string, Generated>();

  // Baselines: the first few-shot frame as is; per T, the few-shot frame nearest each target's pose
  // (as the warp-guided avatar picks its photo) warped onto the target's landmarks.
  generated.set(methodKey('copy', 1), { method: 'copy', generator: null, T: 1, frames: truth.map(() => sourceCrops[0]) });

  // Cross-identity: the other person's clip adapted to this avatar's first photo, as the app drives it.
  const clip = settings.cross?.clip;
  const driving = clip ? adaptDriving(sourcePoints[0], clip.points) : [];
  const crossGenerated = new Map<string, CrossFrames>();
  if (clip) crossGenerated.set(methodKey('copy', 1), { method: 'copy', generator: null, T: 1, frames: driving.map(() => sourceCrops[0]) });
  const renderDriving = async (worker: string) => {
    const frames: RgbaImage[] = [];
    for (const points of driving) {
      const flat = points.flatMap((p) => [p.x, p.y, p.z]);
      frames.push(decode((await api.render(flat, cropSize, worker, { holdSource: true })).image));
    }
    return frames;
  };

  /** Per T run, per target, the few-shot frame the warp used (the grid's source column). */
  const warpSources = new Map<number, number[]>();
  let largestT = 0;
  const allSources = sourceCrops.map((_, k) => k);
  for (const T of settings.Ts) {
    if (T > sources.faces.length) {
      outcome.notes.push(`T=${T}: only ${sources.faces.length} few-shot frames with a face`);
      continue;
    }
    const shots = evenlySpaced(allSources, T);
    const nearest = truthPoints.map(
      (points) =>
        shots[
          nearestSource(
            shots.map((k) => sourcePoints[k]),
            points,
          )
        ],
    );
    generated.set(methodKey('warp', T), {
      method: 'warp',
      generator: null,
      T,
      frames: truthPoints.map((points, i) => warpImage(sourceCrops[nearest[i]], sourcePoints[nearest[i]], points).image),
    });

    if (settings.composites) {
      const warpFrames = generated.get(methodKey('warp', T))!.frames;
      const composite = (generator: string, frames: RgbaImage[]) =>
        generated.set(methodKey('composite', T, generator), { method: 'composite', generator, T, frames });
      composite(
        COMPOSITE_REAL_FACE,
        warpFrames.map((frame, i) => compositeFace(truth[i], frame, truthPoints[i])),
      );
      composite(
        COMPOSITE_REAL_BACKGROUND,
        warpFrames.map((frame, i) => compositeFace(frame, truth[i], truthPoints[i])),
      );
    }
    if (clip) {
      // Held as the drive loop holds them: a photo stays until another fits the pose clearly better.
      let held = -1;
      const picks = driving.map((points) => {
        held = heldSource(
          shots.map((k) => sourcePoints[k]),
          points,
          held,
        );
        return shots[held];
      });
      crossGenerated.set(methodKey('warp', T), {
        method: 'warp',
        generator: null,
        T,
        frames: driving.map((points, t) => warpImage(sourceCrops[picks[t]], sourcePoints[picks[t]], points).image),
      });
    }

    for (const generator of settings.generators) {
      const { ms: ffSetupMs } = await api.createAvatar(
        shots.map((k) => sources.faces[k]),
        generator.worker,
      );
      const timing: PersonTiming = { person: plan.id, generator: generator.label, T, ffSetupMs, ffRenderMs: [] };
      const ffFrames: RgbaImage[] = [];
      for (const face of targets.faces) {
        const { image, ms } = await api.render(face.landmarks, cropSize, generator.worker);
        ffFrames.push(decode(image));
        timing.ffRenderMs.push(ms);
      }
      if (settings.composites) {
        const warpFrames = generated.get(methodKey('warp', T))!.frames;
        const label = compositeOfFace(generator.label);
        generated.set(methodKey('composite', T, label), {
          method: 'composite',
          generator: label,
          T,
          frames: ffFrames.map((frame, i) => compositeFace(resizeForComparison(frame, cropSize), warpFrames[i], truthPoints[i])),
        });
      }
      if (settings.modes.includes('ff')) {
        generated.set(methodKey('ff', T, generator.label), { method: 'ff', generator: generator.label, T, frames: ffFrames });
        if (clip) {
          const frames = await renderDriving(generator.worker);
          crossGenerated.set(methodKey('ff', T, generator.label), { method: 'ff', generator: generator.label, T, frames });
        }
      }
      if (settings.modes.includes('ft')) {
        const steps = settings.ftSteps(T);
        hooks.log(`  ${plan.id} T=${T} ${generator.label}: fine-tuning ${steps} steps`);
        const ft = await api.fineTune(steps, settings.ftContentLoss, generator.worker);
        Object.assign(timing, {
          ftMs: ft.ms,
          ftSteps: ft.stepsDone,
          ftUsedContentLoss: ft.usedContentLoss,
          ftLoss: { g: ft.lossG, d: ft.lossD },
          ftValidation: ft.validation,
          ftRenderMs: [],
        });
        const ftFrames: RgbaImage[] = [];
        for (const face of targets.faces) {
          const { image, ms } = await api.render(face.landmarks, cropSize, generator.worker);
          ftFrames.push(decode(image));
          timing.ftRenderMs!.push(ms);
        }
        generated.set(methodKey('ft', T, generator.label), { method: 'ft', generator: generator.label, T, frames: ftFrames });
        if (clip) {
          const frames = await renderDriving(generator.worker);
          crossGenerated.set(methodKey('ft', T, generator.label), { method: 'ft', generator: generator.label, T, frames });
        }
      }
      outcome.timings.push(timing);
    }
    largestT = T;
    warpSources.set(T, nearest);
  }

  // Metrics at metricSize. Identity embeddings of all crops in one batch per method keep the page round trips few.
  const atMetric = (image: RgbaImage) => resizeForComparison(image, metricSize);
  const truthM = truth.map(atMetric);
  const truthPointsM = truthPoints.map((points) => scalePoints(points, cropSize, metricSize));
  const boxes = truthPointsM.map((points) => faceBox(points, metricSize, metricSize));
  const faceOvals = truthPointsM.map((points) => faceOvalWeights(points, metricSize));
  const truthIdentity = await api.identity(truthM.map((image, i) => encode(identityCrop(image, truthPointsM[i]))));
  const truthFaceres = await api.faceresIdentity(truthM.map(encode));
  outcome.features[GROUND_TRUTH_KEY] = await api.features(truthM.map(encode));
  for (const [key, { method, generator, T, frames }] of generated) {
    // The copy is one image repeated: its whole-frame embeddings are computed once (the identity
    // crops differ, being cut at each target's face box).
    const frozen = frames.every((frame) => frame === frames[0]);
    const first = frozen ? atMetric(frames[0]) : null;
    const images = first ? frames.map(() => first) : frames.map(atMetric);
    const distinct = first ? [first] : images;
    const repeated = (rows: number[][]) => (first ? images.map(() => rows[0]) : rows);
    const identity = await api.identity(images.map((image, i) => encode(identityCrop(image, truthPointsM[i]))));
    const faceres = repeated(await api.faceresIdentity(distinct.map(encode)));
    outcome.features[key] = repeated(await api.features(distinct.map(encode)));
    for (let i = 0; i < images.length; i++) {
      let akd: number | null;
      if (method === 'copy') {
        // The copy is a real photo in the source pose: its landmarks are the source frame's.
        akd = averageKeypointDistance(sourcePoints[0], truthPoints[i]);
      } else {
        const detected = await api.detect(encode(images[i]));
        akd = detected ? averageKeypointDistance(toPoints(detected), truthPointsM[i]) : null;
      }
      outcome.scores.push({
        person: plan.id,
        method,
        generator,
        T,
        target: i,
        ssim: ssim(images[i], truthM[i]),
        faceSsim: ssim(images[i], truthM[i], faceOvals[i]),
        csim: cosine(identity[i], truthIdentity[i]),
        idcos: cosine(faceres[i], truthFaceres[i]),
        akd,
        sharpness: relativeSharpness(images[i], truthM[i], boxes[i]),
        featureDistance: featureDistance(outcome.features[key][i], outcome.features[GROUND_TRUTH_KEY][i]),
      });
    }
  }

  // Sample-grid rows at cropSize: the first hold-out frame at the largest T, and the frame and T run
  // whose driver opens the mouth most beyond its source photo's (the first T on ties).
  const labels = settings.generators.map((g) => g.label);
  const widest = widestMouthOverRuns(
    truthPoints,
    new Map([...warpSources].map(([T, nearest]) => [T, nearest.map((k) => sourcePoints[k])])),
  );
  const rows = largestT ? [{ T: largestT, index: 0 }] : [];
  if (widest && (widest.T !== largestT || widest.index !== 0)) rows.push({ T: widest.T, index: widest.index });
  for (const { T, index: i } of rows) {
    const sourceOf = warpSources.get(T)![i];
    const shown = (method: Method, generator: string | null) => {
      const frame = generated.get(methodKey(method, T, generator))?.frames[i];
      return frame ? resizeForComparison(frame, cropSize) : null;
    };
    outcome.grid.push({
      person: plan.id,
      target: i,
      T,
      targetOpening: mouthOpening(truthPoints[i]),
      sourceOpening: mouthOpening(sourcePoints[sourceOf]),
      widestMouth: widest !== null && T === widest.T && i === widest.index,
      cells: [
        sourceCrops[sourceOf],
        rasterizeLandmarks(truthPoints[i], cropSize),
        shown('warp', null),
        ...(settings.modes.includes('ff') ? labels.map((g) => shown('ff', g)) : []),
        ...(settings.modes.includes('ft') ? labels.map((g) => shown('ft', g)) : []),
        truth[i],
      ],
    });
  }
  if (clip && settings.cross) {
    const scores = await scoreCrossPair(api, {
      source: plan.id,
      clip,
      driving,
      cropSize,
      metricSize,
      sourceFrames: truthM,
      sourcePoints: truthPointsM,
      sourceEmbeddings: truthFaceres,
      generated: [...crossGenerated.values()],
    });
    outcome.cross = { driver: clip.driver, frames: driving.length, adapted: adaptationFollow(clip.points, driving), scores };
    if (settings.cross.video && largestT) {
      // copy, then warp, FF and FT at the largest T run.
      const shownCross = [...crossGenerated.values()].filter((g) => g.method === 'copy' || g.T === largestT);
      outcome.cross.video = {
        columns: [
          'driver',
          'driving landmarks (adapted)',
          ...shownCross.map((g) => (g.generator ? `${g.method.toUpperCase()} ${g.generator}` : g.method)),
        ],
        fps: clip.fps,
        frames: sideBySideCells(clip, driving, shownCross, cropSize),
      };
    }
  }
  return outcome;
}

export interface EvaluationEnvironment {
  /** Per generator, in report order. */
  models: (ModelInfo & { label: string })[];
  metricsBackend: string;
}
