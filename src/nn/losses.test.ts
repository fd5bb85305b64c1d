import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { advLossG, contentLoss, embeddingMatchLoss, featureMatchingLoss, hingeLossD, weightedL1Sum } from './losses.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const value = (t: tf.Tensor): number => t.dataSync()[0];

describe('hingeLossD', () => {
  it('matches the hand-computed value', () => {
    // real: max(0,1-2)=0, max(0,1-0.5)=0.5, max(0,1+1)=2 → mean 2.5/3
    // fake: max(0,1-3)=0, max(0,1+0)=1 → mean 0.5
    const loss = hingeLossD(tf.tensor1d([2, 0.5, -1]), tf.tensor1d([-3, 0]));
    expect(value(loss)).toBeCloseTo(2.5 / 3 + 0.5, 6);
    expect(loss.shape).toEqual([]);
  });

  it('is zero when the discriminator is confidently right', () => {
    expect(value(hingeLossD(tf.tensor1d([1, 5]), tf.tensor1d([-1, -7])))).toBe(0);
  });
});

describe('advLossG', () => {
  it('is minus the mean score', () => {
    expect(
      value(
        advLossG(
          tf.tensor2d([
            [1, 2],
            [3, -10],
          ]),
        ),
      ),
    ).toBeCloseTo(1, 6);
  });

  it('pushes fake scores up (gradient is -1/n)', () => {
    const g = tf.grad((r: tf.Tensor) => advLossG(r))(tf.tensor1d([0.3, -0.2, 4, 1]));
    expect(Array.from(g.dataSync())).toEqual([-0.25, -0.25, -0.25, -0.25]);
  });
});

describe('featureMatchingLoss', () => {
  it('sums the per-layer mean absolute differences', () => {
    const real = [
      tf.tensor1d([1, 2, 3, 4]),
      tf.tensor2d([
        [0, 0],
        [0, 0],
      ]),
    ];
    const fake = [
      tf.tensor1d([1, 0, 3, 8]),
      tf.tensor2d([
        [1, -1],
        [2, 0],
      ]),
    ];
    // layer 0: (0+2+0+4)/4 = 1.5; layer 1: (1+1+2+0)/4 = 1
    expect(value(featureMatchingLoss(real, fake))).toBeCloseTo(2.5, 6);
  });

  it('has no gradient into the real features when they are computed outside the closure', () => {
    const real = [tf.tensor1d([0, 0])];
    const grads = tf.grad((f: tf.Tensor) => featureMatchingLoss(real, [f]))(tf.tensor1d([2, -2]));
    expect(Array.from(grads.dataSync())).toEqual([0.5, -0.5]);
  });

  it('rejects mismatched layer lists and shapes', () => {
    expect(() => featureMatchingLoss([tf.zeros([2])], [])).toThrow(/1 real activations vs 0 fake/);
    expect(() => featureMatchingLoss([tf.zeros([2])], [tf.zeros([3])])).toThrow(/shape mismatch/);
  });
});

describe('embeddingMatchLoss', () => {
  it('is the mean L1 distance', () => {
    const e = tf.tensor2d([[1, 2, 3, 4]]);
    const w = tf.tensor2d([[0, 2, 5, 4]]);
    expect(value(embeddingMatchLoss(e, w))).toBeCloseTo(0.75, 6);
  });
});

describe('contentLoss', () => {
  it('weights each network term and each layer', () => {
    const terms = [
      {
        real: [tf.tensor1d([0, 0]), tf.tensor1d([1])],
        fake: [tf.tensor1d([2, 4]), tf.tensor1d([0])],
        weight: 0.15,
        layerWeights: [1, 10],
      },
      { real: [tf.tensor1d([1, 1])], fake: [tf.tensor1d([0, 3])], weight: 0.025 },
    ];
    // term 0: (3·1 + 1·10)·0.15 = 1.95 ; term 1: 1.5·0.025 = 0.0375
    expect(value(contentLoss(terms))).toBeCloseTo(1.9875, 5);
  });

  it('is zero for no terms and for identical activations', () => {
    expect(value(contentLoss([]))).toBe(0);
    const a = tf.randomNormal([2, 3]);
    expect(value(contentLoss([{ real: [a], fake: [a], weight: 1 }]))).toBe(0);
  });

  it('rejects a layer-weight list of the wrong length', () => {
    expect(() => weightedL1Sum([tf.zeros([1])], [tf.zeros([1])], [1, 2])).toThrow(/2 layer weights/);
  });
});

describe('memory', () => {
  it('leaves no intermediate tensors behind', () => {
    const a = tf.ones([4]);
    const b = tf.zeros([4]);
    const before = tf.memory().numTensors;
    const losses = [hingeLossD(a, b), advLossG(a), featureMatchingLoss([a], [b]), embeddingMatchLoss(a, b)];
    expect(tf.memory().numTensors).toBe(before + losses.length);
    tf.dispose(losses);
  });
});
