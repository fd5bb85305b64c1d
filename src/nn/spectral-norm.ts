// Spectral normalisation (Miyato et al. 2018) with persistent power-iteration vectors.
//
// Convention (shared with the PyTorch twin, see README.md): a kernel K of shape [..., out]
// (conv HWIO [kh, kw, in, out] or linear [in, out]) is viewed as the matrix W = reshape(K, [-1, out])ᵀ
// of shape [out, in·kh·kw]. With the stored unit vector u (length out):
//   v = normalize(Wᵀ u),   σ = uᵀ W v = ‖Wᵀ u‖₂,   K_sn = K / σ.
// σ depends only on K and u (not on the order of W's columns), so a PyTorch [out, in, kh, kw]
// weight with the same u gives the same σ. u changes only in powerIterate(), called once per
// training step; inference never updates it.
import * as tf from '@tensorflow/tfjs';
import { SN_U_SUFFIX, type ParamRegistry } from './params.ts';

/** Resolves a parameter name to the tensor a forward pass should use (kernels already divided by σ). */
export type WeightSource = (name: string) => tf.Tensor;

const EPSILON = 1e-12;

/** K reshaped to [in·kh·kw, out], i.e. Wᵀ. */
function asMatrixT(kernel: tf.Tensor): tf.Tensor2D {
  const out = kernel.shape[kernel.shape.length - 1];
  return tf.reshape(kernel, [-1, out]);
}

function normalize(x: tf.Tensor): tf.Tensor {
  return tf.div(x, tf.add(tf.norm(x), EPSILON));
}

/** σ = ‖Wᵀ u‖₂ for the stored u. */
export function spectralSigma(kernel: tf.Tensor, u: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.norm(tf.matMul(asMatrixT(kernel), tf.reshape(u, [-1, 1]))) as tf.Scalar);
}

export function spectrallyNormalized(kernel: tf.Tensor, u: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.div(kernel, spectralSigma(kernel, u)));
}

/** Names of the kernels that carry a u vector. */
export function spectralKernelNames(registry: ParamRegistry): string[] {
  return registry
    .list()
    .map((e) => e.name)
    .filter((name) => registry.has(`${name}${SN_U_SUFFIX}`));
}

/** One power-iteration step u ← normalize(W normalize(Wᵀ u)); returns the new u (kernel untouched). */
export function powerIterationStep(kernel: tf.Tensor, u: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    const wT = asMatrixT(kernel);
    const v = normalize(tf.matMul(wT, tf.reshape(u, [-1, 1])));
    return tf.reshape(normalize(tf.matMul(wT, v, true, false)), [-1]) as tf.Tensor1D;
  });
}

/** Advances every u vector of `registry` (a training step; never during inference). */
export function powerIterate(registry: ParamRegistry, iterations = 1): void {
  for (const name of spectralKernelNames(registry)) {
    const kernel = registry.get(name);
    const u = registry.get(`${name}${SN_U_SUFFIX}`);
    for (let i = 0; i < iterations; i++) {
      tf.tidy(() => u.assign(powerIterationStep(kernel, u)));
    }
  }
}

/**
 * Weights computed on demand from the variables, K / σ for spectral kernels. Use inside gradient
 * closures: the gradient reaches K through both K and σ, as in PyTorch's spectral_norm.
 */
export function liveWeights(registry: ParamRegistry): WeightSource {
  return (name) => {
    const variable = registry.get(name);
    const uName = `${name}${SN_U_SUFFIX}`;
    return registry.has(uName) ? spectrallyNormalized(variable, registry.get(uName)) : variable;
  };
}

export interface FrozenWeights {
  readonly get: WeightSource;
  dispose(): void;
}

/**
 * Every weight computed once (kernels divided by σ) for repeated inference, e.g. rendering frames
 * while driving: saves one matmul and a division per conv per frame. Dispose when the registry changes.
 */
export function freezeWeights(registry: ParamRegistry): FrozenWeights {
  const live = liveWeights(registry);
  const tensors = new Map<string, tf.Tensor>();
  for (const entry of registry.list()) {
    if (entry.name.endsWith(SN_U_SUFFIX) && registry.has(entry.name.slice(0, -SN_U_SUFFIX.length))) continue;
    const value = live(entry.name);
    // A non-spectral weight is the variable itself; clone so disposing the frozen set leaves it alive.
    tensors.set(entry.name, value === entry.variable ? tf.clone(value) : value);
  }
  return {
    get: (name) => {
      const tensor = tensors.get(name);
      if (tensor === undefined) throw new Error(`Unknown parameter "${name}"`);
      return tensor;
    },
    dispose: () => {
      for (const tensor of tensors.values()) tensor.dispose();
      tensors.clear();
    },
  };
}
