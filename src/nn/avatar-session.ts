// One avatar's life in the model worker: photos → ê and ψ̂ (FF, instant), frames rendered from
// driving landmarks, and optional fine-tuning (FT) on the same photos. Platform-neutral (browser
// worker or Node tests); the worker adds messaging, scheduling and cancellation around it.
import * as tf from '@tensorflow/tfjs';
import { cropTransformFromBox, resampleCrop } from '../landmarks/crop.ts';
import { rasterizeLandmarks } from '../landmarks/rasterize.ts';
import type { Landmarks, RgbaImage } from '../landmarks/types.ts';
import { createDiscriminator, type Discriminator } from './discriminator.ts';
import { computeEmbedding, createRenderer, rgbaToTensor, type Renderer } from './ff.ts';
import { createFineTuner, type ContentLossFn, type FineTuneOptions, type FineTuner, type FineTuneStepResult } from './finetune.ts';
import { createGenerator, type Generator } from './generator.ts';
import type { TalkingHeadModel } from './model.ts';
import { WeightsError, type NamedWeights } from './weights-format.ts';

/** Name of ψ (the avatar's AdaIN parameters, [1, psiSize]) in saved avatar weights. */
export const AVATAR_PSI = 'avatar/psi';

/** A photo as the landmark pipeline delivers it: a square face crop and its landmarks in crop pixels. */
export interface AvatarPhoto {
  crop: RgbaImage;
  landmarks: Landmarks;
}

/** Scales landmarks given in a square of side `fromSize` to one of side `toSize`. */
function scalePoints(points: Landmarks, fromSize: number, toSize: number): Landmarks {
  const s = toSize / fromSize;
  return points.map((p) => ({ x: p.x * s, y: p.y * s, z: p.z * s }));
}

/** The landmark image the networks see: rasterised at their resolution, never resized after. */
export function landmarkImageAt(points: Landmarks, pointsFrameSize: number, resolution: number): RgbaImage {
  return rasterizeLandmarks(scalePoints(points, pointsFrameSize, resolution), resolution);
}

/** [1, H, W, 3] in [-1, 1] → [1, H, W, 4] opaque RGBA bytes (as int32 values 0–255). */
function toRgbaBytes(frame: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const rgb = tf.round(tf.mul(tf.add(tf.clipByValue(frame, -1, 1), 1), 127.5));
    const alpha = tf.fill([...frame.shape.slice(0, 3), 1] as [number, number, number, number], 255);
    return tf.cast(tf.concat([rgb, alpha], 3), 'int32') as tf.Tensor4D;
  });
}

export interface FineTuneSetup extends FineTuneOptions {
  contentLoss?: ContentLossFn;
}

export class AvatarSession {
  readonly resolution: number;
  private frames: tf.Tensor4D | undefined;
  private landmarkImages: tf.Tensor4D | undefined;
  private embedding: tf.Tensor1D | undefined;
  private renderer: Renderer | undefined;
  /** What renders: G (the meta-learned one, or an owned fine-tuned copy) and ψ. */
  private avatar: { generator: Generator; ownsGenerator: boolean; psi: tf.Tensor2D; fineTuned: boolean } | undefined;
  private tuning: { generator: Generator; discriminator: Discriminator; tuner: FineTuner } | undefined;

  constructor(private readonly model: TalkingHeadModel) {
    this.resolution = model.config.resolution;
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
    this.useAvatar(this.model.generator, false, this.model.generator.psiFromEmbedding(this.embedding), false);
  }

  /** Takes ownership of `psi` (and of `generator` when `owns`); the renderer is rebuilt. */
  private useAvatar(generator: Generator, owns: boolean, psi: tf.Tensor2D, fineTuned: boolean): void {
    this.releaseAvatar();
    this.avatar = { generator, ownsGenerator: owns, psi, fineTuned };
    this.renderer = createRenderer(generator, psi);
  }

  private releaseAvatar(): void {
    this.renderer?.dispose();
    this.renderer = undefined;
    if (!this.avatar) return;
    this.avatar.psi.dispose();
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
    return named;
  }

  /** Restores an avatar saved by exportAvatar (e.g. after a page reload); photos are not needed. */
  importAvatar(named: NamedWeights, fineTuned = true): void {
    const psi = named.get(AVATAR_PSI);
    if (!psi) throw new WeightsError(`avatar weights: "${AVATAR_PSI}" is missing`);
    const generator = createGenerator(this.model.config);
    try {
      const values = new Map<string, tf.Tensor>();
      for (const entry of generator.params.list()) {
        const w = named.get(entry.name);
        if (!w) throw new WeightsError(`avatar weights: "${entry.name}" is missing`);
        values.set(entry.name, tf.tensor(w.data, [...w.shape]));
      }
      try {
        generator.params.assign(values);
      } finally {
        tf.dispose([...values.values()]);
      }
    } catch (error) {
      generator.dispose();
      throw error;
    }
    this.useAvatar(generator, true, tf.tensor2d(psi.data, psi.shape as [number, number]), fineTuned);
  }

  /**
   * One frame for driving landmarks given in a square crop of side `frameSize` px. The read-back is
   * asynchronous: tf.js's synchronous GPU reads stall the worker and, on WebGPU, exhaust mapped
   * staging memory over a few hundred frames.
   */
  async render(points: Landmarks, frameSize: number): Promise<RgbaImage> {
    if (!this.renderer) throw new Error('No avatar yet: add photos first');
    const renderer = this.renderer;
    const bytes = tf.tidy(() => {
      const landmarkImage = rgbaToTensor(landmarkImageAt(points, frameSize, this.resolution));
      const frame = renderer.render({ landmarks: landmarkImage });
      return toRgbaBytes(frame);
    });
    const [, height, width] = bytes.shape;
    const values = await bytes.data();
    bytes.dispose();
    return { width, height, data: new Uint8ClampedArray(values) };
  }

  /**
   * Starts fine-tuning (paper §3.3) on copies of G and D: the meta-learned networks stay intact, so
   * another avatar can be made from them later.
   */
  startFineTune(setup: FineTuneSetup = {}): void {
    if (!this.frames || !this.landmarkImages || !this.embedding) throw new Error('No avatar yet: add photos first');
    this.stopFineTune();
    const { config } = this.model;
    const generator = createGenerator(config);
    generator.params.assign(new Map(this.model.generator.params.list().map((e) => [e.name, e.variable as tf.Tensor])));
    const discriminator = createDiscriminator(config, 0);
    discriminator.params.assign(new Map(this.model.discriminator.params.list().map((e) => [e.name, e.variable as tf.Tensor])));
    const tuner = createFineTuner(
      { generator, discriminator, embedding: this.embedding, frames: this.frames, landmarkImages: this.landmarkImages },
      setup,
    );
    this.tuning = { generator, discriminator, tuner };
  }

  fineTuneStep(): Promise<FineTuneStepResult> {
    if (!this.tuning) throw new Error('Fine-tuning has not been started');
    return this.tuning.tuner.step();
  }

  /**
   * Renders with the fine-tuned G and ψ′ from now on. The avatar keeps its own copy of them, so
   * training may go on (or stop) without changing what is shown until the next adopt.
   */
  adoptFineTuned(): void {
    if (!this.tuning) throw new Error('Fine-tuning has not been started');
    const generator = createGenerator(this.model.config);
    generator.params.assign(new Map(this.tuning.generator.params.list().map((e) => [e.name, e.variable as tf.Tensor])));
    this.useAvatar(generator, true, tf.clone(this.tuning.tuner.psi) as tf.Tensor2D, true);
  }

  stopFineTune(): void {
    if (!this.tuning) return;
    this.tuning.tuner.dispose();
    this.tuning.generator.dispose();
    this.tuning.discriminator.dispose();
    this.tuning = undefined;
  }

  clear(): void {
    this.stopFineTune();
    this.releaseAvatar();
    for (const t of [this.frames, this.landmarkImages, this.embedding]) t?.dispose();
    this.frames = this.landmarkImages = this.embedding = undefined;
  }
}
