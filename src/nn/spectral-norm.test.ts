import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPreset } from './config.ts';
import { createGenerator } from './generator.ts';
import { createParams, ParamRegistry, SN_U_SUFFIX } from './params.ts';
import { freezeWeights, liveWeights, powerIterate, spectralKernelNames, spectralSigma } from './spectral-norm.ts';
import { randomImages, useCpuBackend } from './testing.ts';

beforeAll(useCpuBackend);

/**
 * Largest singular value of W (kernel viewed as [out, in·kh·kw]) in float64 plain JS: the square
 * root of the largest eigenvalue of the smaller Gram matrix (W Wᵀ or Wᵀ W) by a long power
 * iteration, independent of the code under test.
 */
function referenceSigma(kernel: tf.Tensor): number {
  const cols = kernel.shape[kernel.shape.length - 1];
  const values = kernel.dataSync();
  const rows = values.length / cols; // the kernel flattened as [rows, cols] is Wᵀ
  const n = Math.min(rows, cols);
  const at = (r: number, c: number): number => values[r * cols + c];
  const gram = new Float64Array(n * n);
  for (let a = 0; a < n; a++) {
    for (let b = 0; b < n; b++) {
      let sum = 0;
      if (n === cols) for (let r = 0; r < rows; r++) sum += at(r, a) * at(r, b);
      else for (let c = 0; c < cols; c++) sum += at(a, c) * at(b, c);
      gram[a * n + b] = sum;
    }
  }
  let vector = new Float64Array(n).map((_, i) => 1 + i / n);
  let eigenvalue = 0;
  for (let iteration = 0; iteration < 5000; iteration++) {
    const next = new Float64Array(n);
    for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) next[a] += gram[a * n + b] * vector[b];
    eigenvalue = Math.hypot(...next);
    vector = next.map((x) => x / eigenvalue);
  }
  return Math.sqrt(eigenvalue);
}

describe('spectral normalisation', () => {
  it('brings σ_max of every kernel of the tiny generator to 1 after enough power iterations', () => {
    const generator = createGenerator(loadPreset('tiny'), 7);
    powerIterate(generator.params, 300);
    const weights = liveWeights(generator.params);
    const names = spectralKernelNames(generator.params);
    expect(names.length).toBeGreaterThan(20);
    for (const name of names) {
      const kernel = generator.params.get(name);
      const estimate = spectralSigma(kernel, generator.params.get(`${name}${SN_U_SUFFIX}`));
      expect(estimate.dataSync()[0] / referenceSigma(kernel)).toBeCloseTo(1, 3);
      const normalized = weights(name);
      expect(referenceSigma(normalized)).toBeCloseTo(1, 3);
      tf.dispose([estimate, normalized]);
    }
    generator.dispose();
  });

  it('underestimates σ before iterating and never updates u during forward passes', () => {
    const params = createParams([{ name: 'w/kernel', shape: [3, 3, 4, 6], init: 'glorot', spectralNorm: true }], 3);
    const u = params.get(`w/kernel${SN_U_SUFFIX}`);
    const before = Array.from(u.dataSync());
    const sigma = spectralSigma(params.get('w/kernel'), u);
    // ‖Wᵀu‖ ≤ σ_max for any unit u: the first estimate is a lower bound.
    expect(sigma.dataSync()[0]).toBeLessThanOrEqual(referenceSigma(params.get('w/kernel')) + 1e-5);
    tf.tidy(() => liveWeights(params)('w/kernel'));
    expect(Array.from(u.dataSync())).toEqual(before);
    powerIterate(params);
    expect(Array.from(u.dataSync())).not.toEqual(before);
    expect(tf.norm(u).dataSync()[0]).toBeCloseTo(1, 5);
    sigma.dispose();
    params.dispose();
  });

  it('frozen weights render what live weights render, and free their tensors on dispose', () => {
    const generator = createGenerator(loadPreset('tiny'), 8);
    const before = tf.memory().numTensors;
    const frozen = freezeWeights(generator.params);
    tf.tidy(() => {
      const psi = tf.randomNormal([1, generator.psiSize], 0, 1, 'float32', 1) as tf.Tensor2D;
      const landmarks = randomImages(1, 16, 2);
      const live = generator.render(psi, { landmarks }).frame;
      const fast = generator.render(psi, { landmarks }, frozen.get).frame;
      expect(tf.max(tf.abs(tf.sub(live, fast))).dataSync()[0]).toBeLessThan(1e-5);
    });
    frozen.dispose();
    expect(tf.memory().numTensors).toBe(before);
    generator.dispose();
  });
});

describe('ParamRegistry', () => {
  it('clones into independent variables and assigns by name with shape checks', () => {
    const original = createParams([{ name: 'a/kernel', shape: [2, 3], init: 'glorot', spectralNorm: true }], 1);
    const copy = original.clone();
    copy.assign({ 'a/kernel': tf.ones([2, 3]) });
    expect(Array.from(original.get('a/kernel').dataSync())).not.toEqual([1, 1, 1, 1, 1, 1]);
    expect(Array.from(copy.get('a/kernel').dataSync())).toEqual([1, 1, 1, 1, 1, 1]);
    expect(() => copy.assign({ 'a/kernel': tf.ones([3, 2]) })).toThrow(/shape/);
    expect(copy.logicalName(copy.get('a/kernel_u'))).toBe('a/kernel_u');
    expect(copy.countTrainable()).toBe(6);
    original.dispose();
    copy.dispose();
    expect(new ParamRegistry().list()).toEqual([]);
  });
});
