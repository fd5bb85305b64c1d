// The evaluation loop, independent of how the browser is reached: scripts/eval.ts hands it a proxy
// of window.lab.evaluation (the app's detector, crop, model worker and metric networks in Chromium),
// and this module does the protocol, the baselines and the per-frame metrics.
import { cropTransformFromBox, resampleCrop } from '../landmarks/crop';
import { boundingBox } from '../landmarks/geometry';
import type { Landmarks, Point, RgbaImage } from '../landmarks/types';
import { warpImage } from '../landmarks/warp';
import type { EvalFace, EvalImage, LabEvaluationApi } from '../lab/evaluate';
import type { ModelInfo } from '../workers/avatar-protocol';
import { evenlySpaced, type FrameRef, type PersonPlan } from './eval-dataset';
import { averageKeypointDistance } from './keypoint-distance';
import { ssim } from './ssim';

export type Method = 'copy' | 'warp' | 'ff' | 'ft';
export type Mode = 'ff' | 'ft';

export interface EvalSettings {
  Ts: readonly number[];
  modes: readonly Mode[];
  /** Fine-tuning steps for T few-shot frames. */
  ftSteps(T: number): number;
  ftContentLoss: boolean;
  /** Side of the crops, the network's resolution. */
  size: number;
}

/** One generated (or baseline) frame compared with its ground truth. */
export interface FrameScore {
  person: string;
  method: Method;
  /** Few-shot frames the method saw (copy and warp use one). */
  T: number;
  target: number;
  ssim: number;
  /** mobilefacenet cosine on tight face crops (the paper's CSIM role). */
  csim: number;
  /** faceres cosine on whole crops (the trainer's held-out identity metric). */
  idcos: number;
  /** Null when the detector finds no face in the generated frame. */
  akd: number | null;
}

export interface PersonTiming {
  person: string;
  T: number;
  ffSetupMs: number;
  ffRenderMs: number[];
  ftMs?: number;
  ftSteps?: number;
  ftRenderMs?: number[];
  ftUsedContentLoss?: boolean;
  ftLoss?: { g: number | null; d: number | null };
}

export interface PersonOutcome {
  person: string;
  /** Why it was skipped, or which Ts it lacked frames for. */
  notes: string[];
  sourcesWithFace: number;
  targetsWithFace: number;
  scores: FrameScore[];
  timings: PersonTiming[];
  /** Pooled features per "method@T" key and for the ground truth, for the FID proxy. */
  features: Record<string, number[][]>;
  /** source | ground truth | warp | FF | FT at the largest T run, for the report's grid. */
  gridRow: (RgbaImage | null)[];
}

export const GROUND_TRUTH_KEY = 'ground-truth';
export const methodKey = (method: Method, T: number) => `${method}@${T}`;

export interface EvaluationHooks {
  /** A URL the page can fetch for this frame (scripts/eval.ts serves files and extracted video frames). */
  frameUrl(ref: FrameRef): Promise<string>;
  log(message: string): void;
}

function toPoints(flat: readonly number[]): Point[] {
  const points: Point[] = [];
  for (let i = 0; i + 2 < flat.length; i += 3) points.push({ x: flat[i], y: flat[i + 1], z: flat[i + 2] });
  return points;
}

function decode(image: EvalImage): RgbaImage {
  const bytes = Buffer.from(image.rgbaBase64, 'base64');
  return { width: image.width, height: image.height, data: new Uint8ClampedArray(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}

function encode(image: RgbaImage): EvalImage {
  return { width: image.width, height: image.height, rgbaBase64: Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength).toString('base64') };
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

export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.sqrt(na * nb);
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

export async function evaluatePerson(api: LabEvaluationApi, plan: PersonPlan, settings: EvalSettings, hooks: EvaluationHooks): Promise<PersonOutcome> {
  const outcome: PersonOutcome = {
    person: plan.id,
    notes: [],
    sourcesWithFace: 0,
    targetsWithFace: 0,
    scores: [],
    timings: [],
    features: {},
    gridRow: [],
  };
  const sources = await analyzeAll(api, hooks, plan.sources, settings.size);
  const targets = await analyzeAll(api, hooks, plan.targets, settings.size);
  outcome.sourcesWithFace = sources.faces.length;
  outcome.targetsWithFace = targets.faces.length;
  if (sources.failures.length + targets.failures.length > 0) {
    outcome.notes.push(`frames without a usable face: ${[...sources.failures, ...targets.failures].join(', ')}`);
  }
  if (sources.faces.length === 0 || targets.faces.length === 0) {
    outcome.notes.push('skipped: no few-shot or no hold-out frame with a face');
    return outcome;
  }

  const truth = targets.faces.map((face) => decode(face.image));
  const truthPoints = targets.faces.map((face) => toPoints(face.landmarks));
  const generated = new Map<string, { method: Method; T: number; images: RgbaImage[] }>();

  // Baselines: the first few-shot frame as is, and warped onto each target's landmarks.
  const source0 = decode(sources.faces[0].image);
  const source0Points = toPoints(sources.faces[0].landmarks);
  generated.set(methodKey('copy', 1), { method: 'copy', T: 1, images: truth.map(() => source0) });
  generated.set(methodKey('warp', 1), { method: 'warp', T: 1, images: truthPoints.map((points) => warpImage(source0, source0Points, points).image) });

  let largestT = 0;
  for (const T of settings.Ts) {
    if (T > sources.faces.length) {
      outcome.notes.push(`T=${T}: only ${sources.faces.length} few-shot frames with a face`);
      continue;
    }
    const shots = evenlySpaced(sources.faces, T);
    const { ms: ffSetupMs } = await api.createAvatar(shots);
    const timing: PersonTiming = { person: plan.id, T, ffSetupMs, ffRenderMs: [] };
    const ffImages: RgbaImage[] = [];
    for (const face of targets.faces) {
      const { image, ms } = await api.render(face.landmarks, settings.size);
      ffImages.push(decode(image));
      timing.ffRenderMs.push(ms);
    }
    if (settings.modes.includes('ff')) generated.set(methodKey('ff', T), { method: 'ff', T, images: ffImages });
    if (settings.modes.includes('ft')) {
      const steps = settings.ftSteps(T);
      hooks.log(`  ${plan.id} T=${T}: fine-tuning ${steps} steps`);
      const ft = await api.fineTune(steps, settings.ftContentLoss);
      Object.assign(timing, { ftMs: ft.ms, ftSteps: ft.stepsDone, ftUsedContentLoss: ft.usedContentLoss, ftLoss: { g: ft.lossG, d: ft.lossD }, ftRenderMs: [] });
      const ftImages: RgbaImage[] = [];
      for (const face of targets.faces) {
        const { image, ms } = await api.render(face.landmarks, settings.size);
        ftImages.push(decode(image));
        timing.ftRenderMs!.push(ms);
      }
      generated.set(methodKey('ft', T), { method: 'ft', T, images: ftImages });
    }
    outcome.timings.push(timing);
    largestT = T;
  }

  // Metrics. Identity embeddings of all crops in one batch per method keep the page round trips few.
  const truthIdentity = await api.identity(truth.map((image, i) => encode(identityCrop(image, truthPoints[i]))));
  const truthFaceres = await api.faceresIdentity(truth.map(encode));
  outcome.features[GROUND_TRUTH_KEY] = await api.features(truth.map(encode));
  for (const [key, { method, T, images }] of generated) {
    const identity = await api.identity(images.map((image, i) => encode(identityCrop(image, truthPoints[i]))));
    const faceres = await api.faceresIdentity(images.map(encode));
    outcome.features[key] = await api.features(images.map(encode));
    for (let i = 0; i < images.length; i++) {
      const detected = method === 'copy' ? null : await api.detect(encode(images[i]));
      let akd: number | null;
      if (method === 'copy') {
        // The copy is a real photo in the source pose: its landmarks are the source frame's.
        akd = averageKeypointDistance(source0Points, truthPoints[i]);
      } else {
        akd = detected ? averageKeypointDistance(toPoints(detected), truthPoints[i]) : null;
      }
      outcome.scores.push({ person: plan.id, method, T, target: i, ssim: ssim(images[i], truth[i]), csim: cosine(identity[i], truthIdentity[i]), idcos: cosine(faceres[i], truthFaceres[i]), akd });
    }
  }

  const at = (method: Method, T: number) => generated.get(methodKey(method, T))?.images[0] ?? null;
  outcome.gridRow = [source0, truth[0], at('warp', 1), largestT ? at('ff', largestT) : null, largestT ? at('ft', largestT) : null];
  return outcome;
}

export interface EvaluationEnvironment {
  model: ModelInfo;
  metricsBackend: string;
}
