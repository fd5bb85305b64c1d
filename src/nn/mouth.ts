// The mouth generator's pass over a shown frame (config.mouth): the square around the driving mouth
// is cut from the frame, the mouth generator repaints it from the crop and the lips' polygons, and its
// α·Δ is pasted back (src/landmarks/mouth-region.ts has the geometry; nets.py MouthGenerator.refine
// is the twin). Two forms of one computation: on tensors (GPU backends: the crop and the paste are
// gathers there) and on a frame's float values (WASM / CPU, where compose.ts builds the frame in JS).
import * as tf from '@tensorflow/tfjs';
import type { Vec2 } from '../landmarks/geometry.ts';
import { cropPositions, lipMasks, mouthBox, openingGate, pastePositions, pasteWindow, zeroRing } from '../landmarks/mouth-region.ts';
import { sampleBilinearPixels, sampleWarpGrid } from '../landmarks/warp.ts';
import type { MouthGenerator } from './generator.ts';
import { IMAGE_CHANNELS, LIP_CHANNELS } from './plan.ts';
import type { WeightSource } from './spectral-norm.ts';

/** The mouth generator with its ψ_m [1, psiSize] (and frozen weights, for the driving loop). */
export interface MouthPass {
  readonly generator: MouthGenerator;
  readonly psi: tf.Tensor2D;
  readonly weights?: WeightSource;
}

/** The residual gate·α·Δ [1, R, R, 3] for a crop [1, R, R, 3] and the lips. */
function residual(pass: MouthPass, crop: tf.Tensor4D, lips: tf.Tensor4D, gate: number): tf.Tensor4D {
  const out = pass.generator.render(pass.psi, { landmarks: lips, warped: crop }, pass.weights);
  const r = tf.mul(out.alpha as tf.Tensor4D, out.delta as tf.Tensor4D) as tf.Tensor4D;
  return gate === 1 ? r : (tf.mul(r, gate) as tf.Tensor4D);
}

/**
 * `frame` [1, F, F, 3] (in [-1, 1]) with the mouth repainted around `points` (the driving landmarks
 * in the frame's pixels), on the frame's backend; `sourcePoints` are the landmarks of the photo the
 * frame was warped from (any units), for the opening gate. The caller owns the result, which is
 * `frame` itself where the gate is 0 (a mouth the warp draws from the photo: no pass runs).
 */
export function refineMouth(pass: MouthPass, frame: tf.Tensor4D, points: readonly Vec2[], sourcePoints: readonly Vec2[]): tf.Tensor4D {
  const frameSize = frame.shape[1];
  const size = pass.generator.config.resolution;
  const gate = openingGate(points, sourcePoints, pass.generator.openingRamp);
  if (gate === 0) return frame;
  return tf.tidy(() => {
    const box = mouthBox(points, pass.generator.pad);
    const lips = tf.tensor4d(lipMasks(points, box, size), [1, size, size, LIP_CHANNELS]);
    const crop = sampleWarpGrid(frame, cropPositions(box, size));
    const ringed = tf.pad(residual(pass, crop, lips, gate), [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ]) as tf.Tensor4D;
    // Only the paste's window can change: its patch is padded into place (zeros elsewhere).
    const window = pasteWindow(box, frameSize, size);
    const patch = sampleWarpGrid(ringed, pastePositions(box, frameSize, size, window));
    const after = (start: number) => frameSize - start - window.side;
    return tf.add(
      frame,
      tf.pad(patch, [
        [0, 0],
        [window.y, after(window.y)],
        [window.x, after(window.x)],
        [0, 0],
      ]),
    ) as tf.Tensor4D;
  });
}

/**
 * The same on a frame's values ([F, F, 3] row-major, in [-1, 1]), changed in place: the crop and the
 * paste in JS, the mouth generator on the model's backend (WASM / CPU).
 */
export function refineMouthValues(
  pass: MouthPass,
  values: Float32Array,
  frameSize: number,
  points: readonly Vec2[],
  sourcePoints: readonly Vec2[],
): void {
  const size = pass.generator.config.resolution;
  const gate = openingGate(points, sourcePoints, pass.generator.openingRamp);
  if (gate === 0) return;
  const box = mouthBox(points, pass.generator.pad);
  const out = tf.tidy(() => {
    const crop = tf.tensor4d(sampleBilinearPixels(values, frameSize, IMAGE_CHANNELS, cropPositions(box, size)), [1, size, size, 3]);
    return residual(pass, crop, tf.tensor4d(lipMasks(points, box, size), [1, size, size, LIP_CHANNELS]), gate);
  });
  let ringed: Float32Array;
  try {
    ringed = zeroRing(out.dataSync(), size, IMAGE_CHANNELS);
  } finally {
    out.dispose();
  }
  const window = pasteWindow(box, frameSize, size);
  const pasted = sampleBilinearPixels(ringed, size + 2, IMAGE_CHANNELS, pastePositions(box, frameSize, size, window));
  const n = window.side;
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n * IMAGE_CHANNELS; i++) {
      const at = ((window.y + j) * frameSize + window.x) * IMAGE_CHANNELS + i;
      values[at] = Math.fround(values[at] + pasted[j * n * IMAGE_CHANNELS + i]);
    }
  }
}
