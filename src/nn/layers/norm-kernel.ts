// Instance norm, its affine (γ, β, or AdaIN's slices of ψ) and ReLU as one kernel, for the backends
// whose tensors live in CPU memory (WASM, CPU). Every norm of E, G and the mouth generator is followed
// by a ReLU; as tf.js ops that pair is about a dozen kernels (moments' cast, means, subtraction and
// square, then ε, √, ÷, ×, +, ReLU, and the slices of ψ), and on WASM each kernel's dispatch costs
// about as much as its arithmetic on the half-width G's small tensors. Here one JS pass over the heap
// computes the statistics (in float64) and a second writes relu((x − μ)·γ/√(σ² + ε) + β), about
// 4.8 ns an element (src/nn/README.md has the timings). It has no gradient: ops.ts uses it only while
// no gradient tape records (driving, previews, evaluation), and the tf.js ops otherwise (training,
// fine-tuning).
import * as tf from '@tensorflow/tfjs';

export const NORM_AFFINE_RELU = 'TalkingHeadsNormAffineRelu';

/** Backends the kernel is registered for: their tensors' values are plain typed arrays. */
const HOST_BACKENDS = ['wasm', 'cpu'] as const;

export interface NormAffineReluAttrs {
  /** γ = scale[row, scaleOffset … scaleOffset + C) and β = bias[row, biasOffset … biasOffset + C). */
  scaleOffset: number;
  biasOffset: number;
  epsilon: number;
  relu: boolean;
}

/** A backend's tensor memory as typed arrays (BackendWasm's heap views, MathBackendCPU's arrays). */
interface HostMemory {
  read(info: tf.TensorInfo): Float32Array;
  output(shape: number[]): { info: tf.TensorInfo; values: Float32Array };
}

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

interface CpuBackendLike {
  data: { get(dataId: object): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

function hostMemory(backendName: (typeof HOST_BACKENDS)[number], backend: unknown): HostMemory {
  if (backendName === 'wasm') {
    const wasm = backend as WasmBackendLike;
    return {
      read: (info) => wasm.typedArrayFromHeap(info),
      output: (shape) => {
        const info = wasm.makeOutput(shape, 'float32');
        return { info, values: wasm.typedArrayFromHeap(info) };
      },
    };
  }
  const cpu = backend as CpuBackendLike;
  return {
    read: (info) => {
      const values = cpu.data.get(info.dataId).values;
      if (!(values instanceof Float32Array)) throw new Error(`${NORM_AFFINE_RELU}: expected float32 values on the CPU backend`);
      return values;
    },
    output: (shape) => {
      const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
      return { info: cpu.makeTensorInfo(shape, 'float32', values), values };
    },
  };
}

/**
 * relu((x − μ)·γ/√(σ² + ε) + β) over x [B, H, W, C] (channels last; μ, σ² per sample and channel,
 * biased), γ and β read from `scale` and `bias` [R, P] or [P] (R = 1: every sample; R = B: one row
 * each) at the attrs' offsets. Pure: the kernel's arithmetic, on arrays.
 */
export function normAffineReluValues(
  x: Float32Array,
  shape: readonly number[],
  scale: Float32Array,
  scaleShape: readonly number[],
  bias: Float32Array,
  biasShape: readonly number[],
  attrs: NormAffineReluAttrs,
  out: Float32Array,
): void {
  const [batch, height, width, channels] = shape;
  const n = height * width;
  const rowOf = (rowShape: readonly number[], name: string) => {
    const rows = rowShape.length === 1 ? 1 : rowShape[0];
    const stride = rowShape[rowShape.length - 1];
    if (rowShape.length > 2 || (rows !== 1 && rows !== batch))
      throw new Error(`${NORM_AFFINE_RELU}: ${name} of shape [${rowShape}] for ${batch} samples`);
    return (sample: number) => (rows === 1 ? 0 : sample) * stride;
  };
  const scaleRow = rowOf(scaleShape, 'scale');
  const biasRow = rowOf(biasShape, 'bias');
  if (attrs.scaleOffset + channels > scaleShape[scaleShape.length - 1] || attrs.biasOffset + channels > biasShape[biasShape.length - 1])
    throw new Error(`${NORM_AFFINE_RELU}: ${channels} channels past the end of scale [${scaleShape}] or bias [${biasShape}]`);
  // Sums and sums of squares in one pass, in float64 (σ² = E[x²] − μ² loses nothing that matters
  // there); then x·a + b with a = γ/√(σ² + ε) and b = β − μ·a, and a branch-free ReLU ((v + |v|)/2:
  // a branch on the sign mispredicts half the time and made the pass twice as slow).
  const sums = new Float64Array(channels);
  const squares = new Float64Array(channels);
  const gain = new Float64Array(channels);
  const shift = new Float64Array(channels);
  const keep = attrs.relu ? 0.5 : 1;
  const mirror = attrs.relu ? 0.5 : 0;
  for (let b = 0; b < batch; b++) {
    const base = b * n * channels;
    const end = base + n * channels;
    sums.fill(0);
    squares.fill(0);
    for (let i = base; i < end; i += channels) {
      for (let c = 0; c < channels; c++) {
        const v = x[i + c];
        sums[c] += v;
        squares[c] += v * v;
      }
    }
    const s0 = scaleRow(b) + attrs.scaleOffset;
    const b0 = biasRow(b) + attrs.biasOffset;
    for (let c = 0; c < channels; c++) {
      const mean = sums[c] / n;
      const variance = Math.max(0, squares[c] / n - mean * mean);
      gain[c] = scale[s0 + c] / Math.sqrt(variance + attrs.epsilon);
      shift[c] = bias[b0 + c] - mean * gain[c];
    }
    for (let i = base; i < end; i += channels) {
      for (let c = 0; c < channels; c++) {
        const v = x[i + c] * gain[c] + shift[c];
        out[i + c] = keep * v + mirror * Math.abs(v);
      }
    }
  }
}

function kernelFor(backendName: (typeof HOST_BACKENDS)[number]): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, scale, bias } = inputs as { x: tf.TensorInfo; scale: tf.TensorInfo; bias: tf.TensorInfo };
    if (x.shape.length !== 4 || [x, scale, bias].some((t) => t.dtype !== 'float32'))
      throw new Error(`${NORM_AFFINE_RELU}: needs float32 x [B, H, W, C], scale and bias`);
    const memory = hostMemory(backendName, backend);
    const out = memory.output([...x.shape]);
    normAffineReluValues(
      memory.read(x),
      x.shape,
      memory.read(scale),
      scale.shape,
      memory.read(bias),
      bias.shape,
      attrs as unknown as NormAffineReluAttrs,
      out.values,
    );
    return out.info;
  };
}

let registered = false;

/** Whether the active backend has the kernel (registered on the first call). It has no gradient: run it only while no tape records. */
export function hasNormKernel(): boolean {
  if (!registered) {
    registered = true;
    for (const backendName of HOST_BACKENDS) {
      if (!tf.getKernel(NORM_AFFINE_RELU, backendName))
        tf.registerKernel({ kernelName: NORM_AFFINE_RELU, backendName, kernelFunc: kernelFor(backendName) });
    }
  }
  return (HOST_BACKENDS as readonly string[]).includes(tf.getBackend());
}

/** The fused kernel (hasNormKernel() must hold, and no tape record): relu(γ·IN(x) + β), γ and β at offsets of `scale` and `bias`. */
export function runNormAffineRelu(x: tf.Tensor4D, scale: tf.Tensor, bias: tf.Tensor, attrs: NormAffineReluAttrs): tf.Tensor4D {
  return tf.engine().runKernel(NORM_AFFINE_RELU, { x, scale, bias }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}
