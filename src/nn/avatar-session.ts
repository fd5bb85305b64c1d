// One avatar's life in the model worker: photos → ê and ψ̂ (FF, instant), frames rendered from
// driving landmarks, and optional fine-tuning (FT) on the same photos. Platform-neutral (browser
// worker or Node tests); the worker adds messaging, scheduling and cancellation around it.
//
// Warp-guided generators (config generator.input "landmarks+warp") also keep the photos themselves:
// per driving frame the photo nearest the driver's pose (landmarks/warp.ts nearestSource) is warped
// onto the driving landmarks twice, at G's resolution as G's input and at WARP_DISPLAY_SIZE from the
// photo's own 256 px crop; G's α and Δ are upsampled and the frame shown is warp₂₅₆ + α↑·Δ↑, sharp
// wherever the photo's pixels are reused. The paper's generator renders at its own resolution.
import * as tf from '@tensorflow/tfjs';
import { cropTransformFromBox, resampleCrop } from '../landmarks/crop.ts';
import { scalePoints } from '../landmarks/geometry.ts';
import { rasterizeLandmarks } from '../landmarks/rasterize.ts';
import type { Landmarks, RgbaImage } from '../landmarks/types.ts';
import { createDiscriminator, type Discriminator } from './discriminator.ts';
import { computeEmbedding, createRenderer, rgbaToTensor, tensorToRgba, type Renderer } from './ff.ts';
import { createFineTuner, type ContentLossFn, type FineTuneRecipe, type FineTuner, type FineTuneStepResult } from './finetune.ts';
import {
  ADOPTION_MARGIN,
  disposeValidationSet,
  improvesEnough,
  validationError,
  validationPhotos,
  validationTerms,
  type FineTuneValidation,
  type ValidationSet,
  type ValidationTerms,
} from './finetune-validation.ts';
import { createGenerator, type Generator } from './generator.ts';
import { usesWarp } from './config.ts';
import type { TalkingHeadModel } from './model.ts';
import { WeightsError, type NamedWeights } from './weights-format.ts';
import { heldSource, nearestSource, sampleBilinearPixels, sampleWarpGrid, warpGrid, warpTensor } from '../landmarks/warp.ts';
import { tensorsInCpuMemory } from './backend.ts';
import { composeWarpGuidedValues, displacePositions, signedToRgba } from './compose.ts';
import { refineMouth, refineMouthValues, type MouthPass } from './mouth.ts';
import { MOUTH_PREFIX } from './plan.ts';
import type { ParamEntry } from './params.ts';

/** Name of ψ (the avatar's AdaIN parameters, [1, psiSize]) in saved avatar weights. */
export const AVATAR_PSI = 'avatar/psi';
/** Warp-guided avatars also save their photos: crops at WARP_DISPLAY_SIZE [T, D, D, 3] in [-1, 1]… */
export const AVATAR_SOURCE_CROPS = 'avatar/sources/crops';
/** …the same at G's resolution [T, r, r, 3] (G's warp input, exactly as when the avatar was made)… */
export const AVATAR_SOURCE_FRAMES = 'avatar/sources/frames';
/** …and their landmarks [T, 478, 3] in WARP_DISPLAY_SIZE pixels (store as float32). */
export const AVATAR_SOURCE_POINTS = 'avatar/sources/points';
/** The mouth generator's ψ_m = P_m ê ([1, psiSize of the mouth]; config.mouth), when the avatar has one. */
export const AVATAR_MOUTH_PSI = 'avatar/mouth/psi';
/** Fine-tuning's warp inputs (FineTuneInputs' warped, mask and shown). */
interface FineTuneWarps {
  warped: tf.Tensor4D;
  mask: tf.Tensor4D;
  shown?: { warped: tf.Tensor4D; real: tf.Tensor4D };
}

/** Rows `indices` of a batch of photos (a new tensor). */
function gatherPhotos(batch: tf.Tensor4D, indices: readonly number[]): tf.Tensor4D {
  return tf.tidy(() => tf.gather(batch, tf.tensor1d([...indices], 'int32')));
}

function disposeWarps(warps: FineTuneWarps): void {
  tf.dispose([warps.warped, warps.mask, ...(warps.shown ? [warps.shown.warped, warps.shown.real] : [])]);
}

/** Side of the frames a warp-guided avatar shows: the warp runs at this size, G's α and Δ are upsampled to it. */
export const WARP_DISPLAY_SIZE = 256;

/** The photos a warp-guided avatar warps: at display size and at G's resolution, with landmarks. */
interface WarpSources {
  crops: tf.Tensor4D;
  frames: tf.Tensor4D;
  /** Per photo, in WARP_DISPLAY_SIZE px. */
  points: Landmarks[];
  /** The crops' values, read once, for the JS composition on CPU-memory backends (compose.ts). */
  cropValues?: Float32Array;
}

export interface RenderOptions {
  /**
   * The frame is one of a driving sequence: keep warping the photo the last held frame used until
   * another fits the pose clearly better (heldSource in warp.ts), so the background does not flicker
   * between photos. Off: each frame takes the nearest photo (the evaluation's self-reenactment).
   */
  readonly holdSource?: boolean;
  /**
   * Render without the mouth generator's pass (config.mouth), as the weights' G alone would: for
   * measurements (`npm run bench` times the pass as the difference), never the app's frames.
   */
  readonly skipMouth?: boolean;
}

/** A photo as the landmark pipeline delivers it: a square face crop and its landmarks in crop pixels. */
export interface AvatarPhoto {
  crop: RgbaImage;
  landmarks: Landmarks;
}

/** The landmark image the networks see: rasterised at their resolution, never resized after. */
export function landmarkImageAt(points: Landmarks, pointsFrameSize: number, resolution: number): RgbaImage {
  return rasterizeLandmarks(scalePoints(points, pointsFrameSize, resolution), resolution);
}

export interface FineTuneSetup extends FineTuneRecipe {
  contentLoss?: ContentLossFn;
}

export class AvatarSession {
  readonly resolution: number;
  /** Whether G blends with the warped photo (and so needs the photos to render). */
  readonly warpGuided: boolean;
  /** Side of the rendered frames: WARP_DISPLAY_SIZE when warp-guided, else G's resolution. */
  readonly frameSize: number;
  private frames: tf.Tensor4D | undefined;
  private sources: WarpSources | undefined;
  /** The photo the last held frame was warped from (render's holdSource), and of which sources. */
  private held: { sources: WarpSources; index: number } | undefined;
  private landmarkImages: tf.Tensor4D | undefined;
  private embedding: tf.Tensor1D | undefined;
  private renderer: Renderer | undefined;
  /** What renders: G (the meta-learned one, or an owned fine-tuned copy), ψ and the mouth generator's ψ_m. */
  private avatar:
    | { generator: Generator; ownsGenerator: boolean; psi: tf.Tensor2D; fineTuned: boolean; mouthPsi?: tf.Tensor2D }
    | undefined;
  private tuning:
    | {
        generator: Generator;
        discriminator: Discriminator;
        tuner: FineTuner;
        warps?: FineTuneWarps;
        /** Tensors made for this run only (the fine-tuned photos' frames and landmark images). */
        owned: tf.Tensor[];
        /** The held-out photos and the errors seen so far (finetune-validation.ts). */
        validation?: {
          set: ValidationSet;
          terms: ValidationTerms;
          photos: number;
          adopted: boolean;
          before?: number;
          last?: number;
          kept?: number;
        };
      }
    | undefined;

  constructor(private readonly model: TalkingHeadModel) {
    this.resolution = model.config.resolution;
    this.warpGuided = usesWarp(model.config);
    this.frameSize = this.warpGuided ? WARP_DISPLAY_SIZE : this.resolution;
  }

  get photoCount(): number {
    return this.frames?.shape[0] ?? 0;
  }

  /** FF avatar (paper §3.2): ê = mean E over the photos, ψ̂ = P ê. Replaces any previous avatar. */
  setPhotos(photos: readonly AvatarPhoto[]): void {
    if (photos.length === 0) throw new Error('An avatar needs at least one photo');
    this.clear();
    const r = this.resolution;
    const frames = photos.map((p) =>
      rgbaToTensor(resampleCrop(p.crop, cropTransformFromBox({ cx: p.crop.width / 2, cy: p.crop.height / 2, side: p.crop.width }, r), r)),
    );
    const landmarkImages = photos.map((p) => rgbaToTensor(landmarkImageAt(p.landmarks, p.crop.width, r)));
    this.frames = tf.stack(frames) as tf.Tensor4D;
    this.landmarkImages = tf.stack(landmarkImages) as tf.Tensor4D;
    tf.dispose([...frames, ...landmarkImages]);
    this.embedding = computeEmbedding(this.model.embedder, this.frames, this.landmarkImages);
    if (this.warpGuided) {
      const d = WARP_DISPLAY_SIZE;
      const crops = photos.map((p) =>
        rgbaToTensor(
          p.crop.width === d
            ? p.crop
            : resampleCrop(p.crop, cropTransformFromBox({ cx: p.crop.width / 2, cy: p.crop.height / 2, side: p.crop.width }, d), d),
        ),
      );
      this.sources = {
        crops: tf.stack(crops) as tf.Tensor4D,
        frames: tf.clone(this.frames),
        // float32 like their saved copy, so a reloaded avatar renders bit for bit the same.
        points: photos.map((p) =>
          scalePoints(p.landmarks, p.crop.width, d).map((q) => ({ x: Math.fround(q.x), y: Math.fround(q.y), z: Math.fround(q.z) })),
        ),
      };
      tf.dispose(crops);
    }
    this.useFeedForward(this.embedding);
  }

  /** The meta-learned G with ψ̂ = P ê (and ψ_m = P_m ê): the FF avatar of embedding ê. */
  private useFeedForward(embedding: tf.Tensor1D): void {
    const generator = this.model.generator;
    this.useAvatar(generator, false, generator.psiFromEmbedding(embedding), false, generator.mouth?.psiFromEmbedding(embedding));
  }

  /** Takes ownership of `psi` and `mouthPsi` (and of `generator` when `owns`); the renderer is rebuilt. */
  private useAvatar(generator: Generator, owns: boolean, psi: tf.Tensor2D, fineTuned: boolean, mouthPsi?: tf.Tensor2D): void {
    this.releaseAvatar();
    this.avatar = { generator, ownsGenerator: owns, psi, fineTuned, mouthPsi };
    this.renderer = createRenderer(generator, psi, mouthPsi);
  }

  private releaseAvatar(): void {
    this.renderer?.dispose();
    this.renderer = undefined;
    if (!this.avatar) return;
    this.avatar.psi.dispose();
    this.avatar.mouthPsi?.dispose();
    if (this.avatar.ownsGenerator) this.avatar.generator.dispose();
    this.avatar = undefined;
  }

  get isFineTuned(): boolean {
    return this.avatar?.fineTuned ?? false;
  }

  /**
   * The avatar as named weights (G's parameters and ψ under AVATAR_PSI), for saving in the
   * project's weights format. Reads are asynchronous: WebGPU cannot read tensors synchronously.
   */
  async exportAvatar(): Promise<NamedWeights> {
    if (!this.avatar) throw new Error('No avatar yet: add photos first');
    const named: NamedWeights = new Map();
    for (const entry of this.avatar.generator.params.list()) {
      named.set(entry.name, { shape: [...entry.variable.shape], data: (await entry.variable.data()) as Float32Array });
    }
    named.set(AVATAR_PSI, { shape: [...this.avatar.psi.shape], data: (await this.avatar.psi.data()) as Float32Array });
    const mouthPsi = this.avatar.mouthPsi;
    if (mouthPsi) named.set(AVATAR_MOUTH_PSI, { shape: [...mouthPsi.shape], data: (await mouthPsi.data()) as Float32Array });
    if (this.sources) {
      const { crops, frames, points } = this.sources;
      named.set(AVATAR_SOURCE_CROPS, { shape: [...crops.shape], data: (await crops.data()) as Float32Array });
      named.set(AVATAR_SOURCE_FRAMES, { shape: [...frames.shape], data: (await frames.data()) as Float32Array });
      named.set(AVATAR_SOURCE_POINTS, {
        shape: [points.length, points[0].length, 3],
        data: Float32Array.from(points.flatMap((ps) => ps.flatMap((p) => [p.x, p.y, p.z]))),
      });
    }
    return named;
  }

  /**
   * Restores an avatar saved by exportAvatar (e.g. after a page reload); photos are not needed.
   * Returns whether it was rebuilt: a warp-guided avatar whose G no longer fits the loaded weights
   * (saved under an earlier G, e.g. a wider one) is made again from its saved photos, as a new avatar
   * would be (the meta-learned G, ψ = P ê; its fine-tuning is lost, so it loads as not fine-tuned).
   */
  importAvatar(named: NamedWeights, fineTuned = true): { rebuilt: boolean } {
    const psi = named.get(AVATAR_PSI);
    if (!psi) throw new WeightsError(`avatar weights: "${AVATAR_PSI}" is missing`);
    const sources = this.warpGuided ? this.sourcesFrom(named) : undefined;
    const generator = createGenerator(this.model.config);
    const fits = (entry: ParamEntry) => tf.util.arraysEqual([...(named.get(entry.name)?.shape ?? [])], entry.variable.shape);
    const psiFits = tf.util.arraysEqual([...psi.shape], [1, generator.psiSize]);
    const ownG =
      psiFits &&
      generator.params.list().every((entry) => entry.name.startsWith(`${MOUTH_PREFIX}/`) || !named.has(entry.name) || fits(entry));
    if (!ownG && sources) {
      generator.dispose();
      this.rebuildFromSources(sources);
      return { rebuilt: true };
    }
    // An avatar saved before the weights had a mouth generator renders without one, as it did. One
    // saved with another mouth generator (older weights whose mouth network had other shapes) gets
    // this model's, with its ψ_m from the avatar's saved photos, as a new avatar would.
    const savedMouthPsi = generator.mouth ? named.get(AVATAR_MOUTH_PSI) : undefined;
    const ownMouth =
      savedMouthPsi !== undefined && generator.params.list().every((entry) => !entry.name.startsWith(`${MOUTH_PREFIX}/`) || fits(entry));
    let mouthPsi: tf.Tensor2D | undefined;
    try {
      if (!psiFits) {
        throw new WeightsError(
          `avatar weights: "${AVATAR_PSI}" has shape [${psi.shape}], the loaded generator needs [1, ${generator.psiSize}]`,
        );
      }
      const values = new Map<string, tf.Tensor>();
      for (const entry of generator.params.list()) {
        if (!ownMouth && entry.name.startsWith(`${MOUTH_PREFIX}/`)) {
          values.set(entry.name, tf.clone(this.model.generator.params.get(entry.name)));
          continue;
        }
        const w = named.get(entry.name);
        if (!w) throw new WeightsError(`avatar weights: "${entry.name}" is missing`);
        if (!fits(entry)) {
          throw new WeightsError(
            `avatar weights: "${entry.name}" has shape [${w.shape}], the loaded generator needs [${entry.variable.shape}] ` +
              '(this avatar was saved with other weights and has no photos to be rebuilt from)',
          );
        }
        values.set(entry.name, tf.tensor(w.data, [...w.shape]));
      }
      if (ownMouth) {
        const expected = generator.mouth!.psiSize;
        if (savedMouthPsi.shape.length !== 2 || savedMouthPsi.shape[1] !== expected) {
          throw new WeightsError(
            `avatar weights: "${AVATAR_MOUTH_PSI}" has shape [${savedMouthPsi.shape}], the mouth generator needs [1, ${expected}]`,
          );
        }
      }
      try {
        generator.params.assign(values);
      } finally {
        tf.dispose([...values.values()]);
      }
      if (ownMouth) mouthPsi = tf.tensor2d(savedMouthPsi.data, savedMouthPsi.shape as [number, number]);
      else if (savedMouthPsi && sources) mouthPsi = tf.tidy(() => generator.mouth!.psiFromEmbedding(this.embeddingOf(sources)));
    } catch (error) {
      generator.dispose();
      if (sources) tf.dispose([sources.crops, sources.frames]);
      throw error;
    }
    if (sources) {
      if (this.sources) tf.dispose([this.sources.crops, this.sources.frames]);
      this.sources = sources;
    }
    this.useAvatar(generator, true, tf.tensor2d(psi.data, psi.shape as [number, number]), fineTuned, mouthPsi);
    return { rebuilt: false };
  }

  /** The landmark images of a saved avatar's photos, at G's resolution. */
  private landmarkImagesOf(sources: WarpSources): tf.Tensor4D {
    const r = this.resolution;
    return tf.tidy(() => tf.stack(sources.points.map((p) => rgbaToTensor(landmarkImageAt(p, WARP_DISPLAY_SIZE, r)))) as tf.Tensor4D);
  }

  /** ê = mean E over a saved avatar's photos (their frames and landmarks), as setPhotos computes it. */
  private embeddingOf(sources: WarpSources): tf.Tensor1D {
    return tf.tidy(() => computeEmbedding(this.model.embedder, sources.frames, this.landmarkImagesOf(sources)));
  }

  /** The FF avatar of a saved avatar's photos (setPhotos's, from the stored crops and landmarks). */
  private rebuildFromSources(sources: WarpSources): void {
    this.clear();
    this.sources = sources;
    this.frames = tf.clone(sources.frames);
    this.landmarkImages = this.landmarkImagesOf(sources);
    this.embedding = computeEmbedding(this.model.embedder, this.frames, this.landmarkImages);
    this.useFeedForward(this.embedding);
  }

  /** The photos stored in a saved warp-guided avatar, checked against this model. */
  private sourcesFrom(named: NamedWeights): WarpSources {
    const crops = named.get(AVATAR_SOURCE_CROPS);
    const frames = named.get(AVATAR_SOURCE_FRAMES);
    const points = named.get(AVATAR_SOURCE_POINTS);
    if (!crops || !frames || !points) {
      throw new WeightsError(
        'avatar weights: this avatar has no photos, so the warp-guided generator cannot render it (it was made with the paper generator)',
      );
    }
    const d = WARP_DISPLAY_SIZE;
    const r = this.resolution;
    const t = crops.shape[0];
    const expect = (label: string, shape: readonly number[], want: number[]) => {
      if (!tf.util.arraysEqual([...shape], want))
        throw new WeightsError(`avatar weights: "${label}" has shape [${shape}], expected [${want}]`);
    };
    expect(AVATAR_SOURCE_CROPS, crops.shape, [t, d, d, 3]);
    expect(AVATAR_SOURCE_FRAMES, frames.shape, [t, r, r, 3]);
    expect(AVATAR_SOURCE_POINTS, points.shape, [t, points.shape[1], 3]);
    const perPhoto = points.shape[1] * 3;
    const list: Landmarks[] = Array.from({ length: t }, (_, i) =>
      Array.from({ length: points.shape[1] }, (_, k) => {
        const o = i * perPhoto + k * 3;
        return { x: points.data[o], y: points.data[o + 1], z: points.data[o + 2] };
      }),
    );
    return { crops: tf.tensor4d(crops.data, [t, d, d, 3]), frames: tf.tensor4d(frames.data, [t, r, r, 3]), points: list };
  }

  /** The photo a frame warps (held over a driving sequence, else the nearest) and the target in D px. */
  private pickSource(sources: WarpSources, points: Landmarks, frameSize: number, hold: boolean): { j: number; target: Landmarks } {
    const target = scalePoints(points, frameSize, WARP_DISPLAY_SIZE);
    const previous = hold && this.held?.sources === sources ? this.held.index : -1;
    const j = hold ? heldSource(sources.points, target, previous) : nearestSource(sources.points, target);
    this.held = hold ? { sources, index: j } : undefined;
    return { j, target };
  }

  /** G's α, Δ (and flow) [1, r, r, ·] for photo j warped onto `target` (D px), at G's resolution (inside a tidy). */
  private generatorBlend(
    renderer: Renderer,
    sources: WarpSources,
    j: number,
    target: Landmarks,
  ): { alpha: tf.Tensor4D; delta: tf.Tensor4D; flow?: tf.Tensor4D } {
    const d = WARP_DISPLAY_SIZE;
    const r = this.resolution;
    const frame = tf.slice(sources.frames, [j, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D;
    const small = warpTensor(frame, scalePoints(sources.points[j], d, r), scalePoints(target, d, r));
    const out = renderer.renderOutput({ landmarks: rgbaToTensor(landmarkImageAt(target, d, r)), warped: small.warped, mask: small.mask });
    if (!out.alpha || !out.delta) throw new Error('a warp-guided generator returned no α / Δ');
    return { alpha: out.alpha, delta: out.delta, flow: out.flow };
  }

  /**
   * Where the display frame samples photo j for `target` (D px): the warp's grid, moved by G's flow
   * (`displacePositions`) when G has one, so the photo is sampled once.
   */
  private displayPositions(sources: WarpSources, j: number, target: Landmarks, flow?: ArrayLike<number>): Float32Array {
    const d = WARP_DISPLAY_SIZE;
    const positions = warpGrid(sources.points[j], target, d).positions;
    return flow ? displacePositions(positions, d, flow, this.resolution) : positions;
  }

  /** The warp-guided frame [1, D, D, 3] on a GPU backend: the photo sampled there, α↑·Δ↑ added. */
  private async warpGuidedFrame(
    renderer: Renderer,
    sources: WarpSources,
    j: number,
    target: Landmarks,
    mouth: MouthPass | undefined,
  ): Promise<tf.Tensor4D> {
    const d = WARP_DISPLAY_SIZE;
    const out = tf.tidy(() => this.generatorBlend(renderer, sources, j, target));
    try {
      // The flow's values steer the gathers' taps (computed in JS): an asynchronous read, as the frame's.
      const flow = out.flow ? await out.flow.data() : undefined;
      return tf.tidy(() => {
        const photo = tf.slice(sources.crops, [j, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D;
        const warped = sampleWarpGrid(photo, this.displayPositions(sources, j, target, flow));
        const up = (t: tf.Tensor4D) => (t.shape[1] === d ? t : tf.image.resizeBilinear(t, [d, d], false, true));
        const frame = tf.add(warped, tf.mul(up(out.alpha), up(out.delta))) as tf.Tensor4D;
        return mouth ? refineMouth(mouth, frame, target, sources.points[j]) : frame;
      });
    } finally {
      tf.dispose([out.alpha, out.delta, ...(out.flow ? [out.flow] : [])]);
    }
  }

  /**
   * G's warp inputs for photos `targets` (indices into the sources): for photo k, the photo of `pool`
   * nearest its pose warped onto its landmarks (never k itself while the pool has another), at G's
   * resolution: [n, r, r, 3] and [n, r, r, 1]; with `shownSize` S > 0 also the frames as shown at S
   * (FineTuneInputs.shown): the same warp of the photo at S and photo k at S (the 256 px crops
   * resized bilinearly).
   */
  private photoWarps(sources: WarpSources, targets: readonly number[], pool: readonly number[], shownSize: number): FineTuneWarps {
    const d = WARP_DISPLAY_SIZE;
    const r = this.resolution;
    return tf.tidy(() => {
      const warped: tf.Tensor4D[] = [];
      const masks: tf.Tensor4D[] = [];
      const shownWarped: tf.Tensor4D[] = [];
      const photos =
        shownSize > 0 ? (tf.image.resizeBilinear(sources.crops, [shownSize, shownSize], false, true) as tf.Tensor4D) : undefined;
      for (const k of targets) {
        const target = sources.points[k];
        const others = pool.some((i) => i !== k) ? pool.filter((i) => i !== k) : [k];
        const candidates = others.map((i) => sources.points[i]);
        const j = others[nearestSource(candidates, target)];
        const w = warpTensor(
          tf.slice(sources.frames, [j, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D,
          scalePoints(sources.points[j], d, r),
          scalePoints(target, d, r),
        );
        warped.push(w.warped);
        masks.push(w.mask);
        if (photos) {
          const shown = warpTensor(
            tf.slice(photos, [j, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D,
            scalePoints(sources.points[j], d, shownSize),
            scalePoints(target, d, shownSize),
          );
          shownWarped.push(shown.warped);
        }
      }
      const real = photos && gatherPhotos(photos, targets);
      return {
        warped: tf.concat(warped, 0) as tf.Tensor4D,
        mask: tf.concat(masks, 0) as tf.Tensor4D,
        ...(real && { shown: { warped: tf.concat(shownWarped, 0) as tf.Tensor4D, real } }),
      };
    });
  }

  /**
   * One frame for driving landmarks given in a square crop of side `frameSize` px. The read-back is
   * asynchronous: tf.js's synchronous GPU reads stall the worker and, on WebGPU, exhaust mapped
   * staging memory over a few hundred frames.
   */
  async render(points: Landmarks, frameSize: number, options: RenderOptions = {}): Promise<RgbaImage> {
    if (!this.renderer) throw new Error('No avatar yet: add photos first');
    const renderer = this.renderer;
    const sources = this.sources;
    const mouth = options.skipMouth ? undefined : renderer.mouth;
    if (this.warpGuided && !sources) throw new Error('This avatar has no photos to warp');
    if (sources && tensorsInCpuMemory()) {
      // WASM / CPU: the display-size warp, α↑·Δ↑ and the bytes in one JS pass (compose.ts).
      const d = WARP_DISPLAY_SIZE;
      const { j, target } = this.pickSource(sources, points, frameSize, options.holdSource === true);
      const { alpha, delta, flow } = tf.tidy(() => this.generatorBlend(renderer, sources, j, target));
      try {
        sources.cropValues ??= sources.crops.dataSync() as Float32Array;
        const crop = sources.cropValues.subarray(j * d * d * 3, (j + 1) * d * d * 3);
        const warped = sampleBilinearPixels(crop, d, 3, this.displayPositions(sources, j, target, flow?.dataSync()));
        const frame = composeWarpGuidedValues(warped, d, alpha.dataSync(), delta.dataSync(), this.resolution);
        if (mouth) refineMouthValues(mouth, frame, d, target, sources.points[j]);
        return signedToRgba(frame, d);
      } finally {
        tf.dispose([alpha, delta, ...(flow ? [flow] : [])]);
      }
    }
    let frame: tf.Tensor4D;
    if (sources) {
      const { j, target } = this.pickSource(sources, points, frameSize, options.holdSource === true);
      frame = await this.warpGuidedFrame(renderer, sources, j, target, mouth);
    } else {
      frame = tf.tidy(() => renderer.render({ landmarks: rgbaToTensor(landmarkImageAt(points, frameSize, this.resolution)) }));
    }
    try {
      return await tensorToRgba(frame);
    } finally {
      frame.dispose();
    }
  }

  /**
   * Starts fine-tuning (paper §3.3) on copies of G and D: the meta-learned networks stay intact, so
   * another avatar can be made from them later. With VALIDATION_MIN_PHOTOS photos or more, a few are
   * held out of it (finetune-validation.ts): adoptFineTuned then adopts only what reconstructs them better.
   */
  startFineTune(setup: FineTuneSetup = {}): void {
    if (!this.frames || !this.landmarkImages || !this.embedding) throw new Error('No avatar yet: add photos first');
    this.stopFineTune();
    const { config } = this.model;
    const count = this.frames.shape[0];
    const held = validationPhotos(count);
    const trained = Array.from({ length: count }, (_, i) => i).filter((i) => !held.includes(i));
    const generator = createGenerator(config);
    generator.params.assign(new Map(this.model.generator.params.list().map((e) => [e.name, e.variable as tf.Tensor])));
    const discriminator = createDiscriminator(config, 0);
    discriminator.params.assign(new Map(this.model.discriminator.params.list().map((e) => [e.name, e.variable as tf.Tensor])));
    const owned: tf.Tensor[] = [];
    let warps: FineTuneWarps | undefined;
    let validation: ValidationSet | undefined;
    try {
      warps = this.sources ? this.photoWarps(this.sources, trained, trained, setup.shownSize ?? 0) : undefined;
      const frames = held.length > 0 ? gatherPhotos(this.frames, trained) : this.frames;
      const landmarkImages = held.length > 0 ? gatherPhotos(this.landmarkImages, trained) : this.landmarkImages;
      if (held.length > 0) owned.push(frames, landmarkImages);
      if (held.length > 0) validation = this.validationSet(held, trained);
      const tuner = createFineTuner({ generator, discriminator, embedding: this.embedding, frames, landmarkImages, ...warps }, setup);
      this.tuning = {
        generator,
        discriminator,
        tuner,
        warps,
        owned,
        validation: validation && {
          set: validation,
          terms: validationTerms(setup.l1Weight, setup.contentLoss),
          photos: held.length,
          adopted: false,
        },
      };
    } catch (error) {
      generator.dispose();
      discriminator.dispose();
      if (warps) disposeWarps(warps);
      if (validation) disposeValidationSet(validation);
      tf.dispose(owned);
      throw error;
    }
  }

  /**
   * The held-out photos `held` as validation: each rendered from its landmarks with the nearest
   * photo of `trained` warped onto them, compared on the frame the app shows (the warp at
   * WARP_DISPLAY_SIZE plus α↑·Δ↑; G's own frame for the paper's generator and a learned flow).
   */
  private validationSet(held: readonly number[], trained: readonly number[]): ValidationSet {
    const landmarks = gatherPhotos(this.landmarkImages!, held);
    const sources = this.sources;
    if (!sources) return { inputs: { landmarks }, real: gatherPhotos(this.frames!, held) };
    const shownSize = this.model.config.generator.flow ? 0 : WARP_DISPLAY_SIZE;
    const warps = this.photoWarps(sources, held, trained, shownSize);
    const inputs = { landmarks, warped: warps.warped, mask: warps.mask };
    if (!warps.shown) return { inputs, real: gatherPhotos(this.frames!, held) };
    return { inputs, real: warps.shown.real, shownWarped: warps.shown.warped };
  }

  fineTuneStep(): Promise<FineTuneStepResult> {
    if (!this.tuning) throw new Error('Fine-tuning has not been started');
    return this.tuning.tuner.step();
  }

  /**
   * Renders with the fine-tuned G and ψ′ from now on, unless photos were held out and the tuned
   * weights do not reconstruct them clearly better than the avatar did (improvesEnough: then nothing
   * changes; resolves false). The avatar keeps its own copy, so training may go on (or stop) without
   * changing what is shown until the next adopt.
   */
  async adoptFineTuned(): Promise<boolean> {
    const tuning = this.tuning;
    if (!tuning) throw new Error('Fine-tuning has not been started');
    const check = tuning.validation;
    if (check && this.avatar) {
      check.before ??= await validationError(this.avatar.generator, this.avatar.psi, check.set, check.terms);
      check.kept ??= check.before;
      if (this.tuning !== tuning) throw new Error('Fine-tuning was stopped');
      check.last = await validationError(tuning.generator, tuning.tuner.psi, check.set, check.terms);
      if (this.tuning !== tuning) throw new Error('Fine-tuning was stopped');
      if (!improvesEnough(check.last, check.before, check.kept)) return false;
      check.kept = check.last;
      check.adopted = true;
    }
    const generator = createGenerator(this.model.config);
    generator.params.assign(new Map(tuning.generator.params.list().map((e) => [e.name, e.variable as tf.Tensor])));
    // Fine-tuning leaves the mouth generator and its ψ_m as they were (finetune.ts).
    const mouthPsi = this.avatar?.mouthPsi && tf.clone(this.avatar.mouthPsi);
    this.useAvatar(generator, true, tf.clone(tuning.tuner.psi) as tf.Tensor2D, true, mouthPsi);
    return true;
  }

  /** What the held-out photos said of the current fine-tuning run; undefined without any (or before the first adopt). */
  get fineTuneValidation(): FineTuneValidation | undefined {
    const check = this.tuning?.validation;
    if (!check || check.before === undefined || check.last === undefined || check.kept === undefined) return undefined;
    return {
      photos: check.photos,
      before: check.before,
      last: check.last,
      kept: check.kept,
      adopted: check.adopted,
      margin: ADOPTION_MARGIN,
    };
  }

  stopFineTune(): void {
    if (!this.tuning) return;
    this.tuning.tuner.dispose();
    this.tuning.generator.dispose();
    this.tuning.discriminator.dispose();
    if (this.tuning.warps) disposeWarps(this.tuning.warps);
    if (this.tuning.validation) disposeValidationSet(this.tuning.validation.set);
    tf.dispose(this.tuning.owned);
    this.tuning = undefined;
  }

  clear(): void {
    this.stopFineTune();
    this.releaseAvatar();
    for (const t of [this.frames, this.landmarkImages, this.embedding, this.sources?.crops, this.sources?.frames]) t?.dispose();
    this.frames = this.landmarkImages = this.embedding = undefined;
    this.sources = undefined;
  }
}
