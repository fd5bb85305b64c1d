// Feed-forward use of the meta-learned networks (paper §3.2 "few-shot by feed-forward"):
// ê = mean_k E(x_k, y_k), ψ̂ = P ê, then one G pass per driving landmark image (with, for a
// warp-guided G, the source photo warped to those landmarks and its mask).
import * as tf from '@tensorflow/tfjs';
import type { RgbaImage } from '../landmarks/types.ts';
import type { Embedder } from './embedder.ts';
import type { Generator, GeneratorInputs, GeneratorOutput } from './generator.ts';
import type { MouthPass } from './mouth.ts';
import { freezeWeights, type WeightSource } from './spectral-norm.ts';
import { tensorsInCpuMemory } from './backend.ts';

/** Frames embedded per E call: bounds peak memory for K = 32 at paper resolution. */
const EMBED_CHUNK = 8;

/** ê [N]: the mean of E over K frames and their landmark images ([K, H, W, 3] each, in [-1, 1]). */
export function computeEmbedding(
  embedder: Embedder,
  frames: tf.Tensor4D,
  landmarkImages: tf.Tensor4D,
  weights?: WeightSource,
): tf.Tensor1D {
  const k = frames.shape[0];
  if (k === 0 || landmarkImages.shape[0] !== k) {
    throw new Error(`computeEmbedding needs K ≥ 1 frames and as many landmark images (got ${k} and ${landmarkImages.shape[0]})`);
  }
  return tf.tidy(() => {
    const sums: tf.Tensor[] = [];
    for (let start = 0; start < k; start += EMBED_CHUNK) {
      const size = Math.min(EMBED_CHUNK, k - start);
      const chunk = embedder.embed(
        tf.slice(frames, [start, 0, 0, 0], [size, -1, -1, -1]),
        tf.slice(landmarkImages, [start, 0, 0, 0], [size, -1, -1, -1]),
        weights,
      );
      sums.push(tf.sum(chunk, 0));
    }
    return tf.div(tf.addN(sums), k) as tf.Tensor1D;
  });
}

/**
 * G's inputs for one or more frames: like GeneratorInputs, but a single frame may also be given
 * without its batch axis ([H, W, 3] landmark image and warp, [H, W, 1] mask).
 */
export interface FrameInputs {
  readonly landmarks: tf.Tensor3D | tf.Tensor4D;
  readonly warped?: tf.Tensor3D | tf.Tensor4D;
  readonly mask?: tf.Tensor3D | tf.Tensor4D;
}

/** Adds the batch axis to 3-D inputs (inside a tidy: the expanded tensors are the caller's scope's). */
function asBatch(inputs: FrameInputs): GeneratorInputs {
  const batch = (t: tf.Tensor3D | tf.Tensor4D): tf.Tensor4D => (t.rank === 3 ? tf.expandDims(t, 0) : t) as tf.Tensor4D;
  return {
    landmarks: batch(inputs.landmarks),
    ...(inputs.warped && { warped: batch(inputs.warped) }),
    ...(inputs.mask && { mask: batch(inputs.mask) }),
  };
}

/**
 * Everything G computes (frame, and α and Δ when warp-guided) from ψ [1 or B, psiSize] and the
 * named inputs; every returned tensor is the caller's to dispose.
 */
export function renderOutput(generator: Generator, psi: tf.Tensor2D, inputs: FrameInputs, weights?: WeightSource): GeneratorOutput {
  // Spread: tf.tidy wants an index-signature object, which an interface type is not.
  return tf.tidy(() => ({ ...generator.render(psi, asBatch(inputs), weights) }));
}

/** The frame [B, H, W, 3] (B = 1 for 3-D inputs) from ψ and the named inputs; α and Δ are freed. */
export function renderFrame(generator: Generator, psi: tf.Tensor2D, inputs: FrameInputs, weights?: WeightSource): tf.Tensor4D {
  return tf.tidy(() => generator.render(psi, asBatch(inputs), weights).frame);
}

export interface Renderer {
  readonly psi: tf.Tensor2D;
  /** The frame for the driving inputs (what the driving loop shows); nothing else to dispose. */
  render(inputs: FrameInputs): tf.Tensor4D;
  /** Frame, α and Δ (warp-guided G), e.g. to show the blend mask; the caller disposes each. */
  renderOutput(inputs: FrameInputs): GeneratorOutput;
  /** The mouth generator's pass (mouth.ts), with its ψ_m and the frozen weights; absent without one. */
  readonly mouth?: MouthPass;
  dispose(): void;
}

/**
 * Driving loop helper: ψ (and the mouth generator's ψ_m, when given) and the spectral-normalised
 * weights are computed once, so each frame costs one G pass. Build a new renderer after the
 * generator's weights change (e.g. after fine-tuning).
 */
export function createRenderer(generator: Generator, psi: tf.Tensor2D, mouthPsi?: tf.Tensor2D): Renderer {
  const frozen = freezeWeights(generator.params);
  const ownPsi = tf.clone(psi);
  const mouth = generator.mouth && mouthPsi ? { generator: generator.mouth, psi: tf.clone(mouthPsi), weights: frozen.get } : undefined;
  return {
    psi: ownPsi,
    render: (inputs) => renderFrame(generator, ownPsi, inputs, frozen.get),
    renderOutput: (inputs) => renderOutput(generator, ownPsi, inputs, frozen.get),
    mouth,
    dispose: () => {
      frozen.dispose();
      ownPsi.dispose();
      mouth?.psi.dispose();
    },
  };
}

/** RGBA bytes → [H, W, 3] float32 tensor of the RGB bytes, 0–255 (alpha dropped). */
function rgbFloat(image: RgbaImage): tf.Tensor3D {
  return tf.tidy(() => {
    const rgba = tf.tensor3d(Uint8Array.from(image.data), [image.height, image.width, 4], 'int32');
    return tf.cast(tf.slice(rgba, [0, 0, 0], [-1, -1, 3]), 'float32');
  });
}

/** RGBA bytes → [H, W, 3] float tensor in [-1, 1] (alpha dropped): the networks' image range. */
export function rgbaToTensor(image: RgbaImage): tf.Tensor3D {
  return tf.tidy(() => tf.sub(tf.div(rgbFloat(image), 127.5), 1));
}

/** RGBA bytes → [H, W, 3] float tensor in [0, 1] (alpha dropped): the metric networks' range. */
export function rgbaToUnitTensor(image: RgbaImage): tf.Tensor3D {
  return tf.tidy(() => tf.div(rgbFloat(image), 255));
}

/**
 * [..., H, W, 3] tensor in [-1, 1] → [..., H, W, 4] int32 tensor of opaque RGBA bytes (values
 * clipped), still on the backend: the read-back can then be one asynchronous data() call.
 */
export function toRgbaBytes<T extends tf.Tensor3D | tf.Tensor4D>(image: T): T {
  return tf.tidy(() => {
    const rgb = tf.round(tf.mul(tf.add(tf.clipByValue(image, -1, 1), 1), 127.5));
    const alpha = tf.fill([...image.shape.slice(0, -1), 1], 255);
    return tf.cast(tf.concat([rgb, alpha], image.rank - 1), 'int32') as T;
  });
}

/**
 * One value in [-1, 1] → its byte as toRgbaBytes computes it: clipped, (v + 1)·127.5 in float32
 * steps, rounded half to even (tf.round); NaN gives 0 as the int32 cast does.
 */
export function signedToByte(v: number): number {
  if (Number.isNaN(v)) return 0;
  const clipped = v < -1 ? -1 : v > 1 ? 1 : v;
  const scaled = Math.fround(Math.fround(clipped + 1) * 127.5);
  const rounded = Math.round(scaled);
  return rounded - scaled === 0.5 && rounded % 2 === 1 ? rounded - 1 : rounded;
}

/**
 * [H, W, 3] or [1, H, W, 3] tensor in [-1, 1] → opaque RGBA bytes (values clipped). Asynchronous
 * because WebGPU cannot read tensors back synchronously.
 */
export async function tensorToRgba(image: tf.Tensor3D | tf.Tensor4D): Promise<RgbaImage> {
  const [height, width] = image.rank === 4 ? image.shape.slice(1, 3) : image.shape.slice(0, 2);
  if (tensorsInCpuMemory()) {
    // One JS pass over the floats: on WASM, toRgbaBytes's ops cost 30+ ms at 256 px (its channel
    // concat alone 20 ms), this loop about 1 ms. Same bytes (ff.test.ts).
    const values = await image.data();
    const data = new Uint8ClampedArray(width * height * 4);
    // Uint8ClampedArray clamps and rounds half to even (ToUint8Clamp): signedToByte's bytes, without its calls.
    for (let p = 0, o = 0; p < width * height; p++, o += 4) {
      data[o] = Math.fround(Math.fround(values[3 * p] + 1) * 127.5);
      data[o + 1] = Math.fround(Math.fround(values[3 * p + 1] + 1) * 127.5);
      data[o + 2] = Math.fround(Math.fround(values[3 * p + 2] + 1) * 127.5);
      data[o + 3] = 255;
    }
    return { width, height, data };
  }
  const bytes = tf.tidy(() => toRgbaBytes(tf.reshape(image, [height, width, 3]) as tf.Tensor3D));
  try {
    return { width, height, data: new Uint8ClampedArray(await bytes.data()) };
  } finally {
    bytes.dispose();
  }
}
