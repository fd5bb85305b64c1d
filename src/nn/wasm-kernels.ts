// Training kernels that tf.js 4.22's WASM backend lacks, registered for it so that fine-tuning (and
// any tf.grads through our networks or the perceptual ones) runs there:
// - Conv2DBackpropFilter (tfjs issue 8474): the filter gradient, computed as one forward convolution
//   of transposed tensors on the WASM Conv2D kernel (XNNPACK), so it is as fast as a forward conv;
// - DepthwiseConv2dNativeBackpropInput / …BackpropFilter (MobileNetV2 in the content loss): plain
//   loops over the WASM heap; depthwise convolutions are cheap, a few ms at 224 px.
// tf.js asks for dilations of 1 in every conv gradient (it asserts so before calling these), so only
// strides and padding ('same', 'valid', explicit numbers) vary here.
import * as tf from '@tensorflow/tfjs';

/** What these kernels use of the WASM backend (BackendWasm of @tensorflow/tfjs-backend-wasm). */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
  disposeData(dataId: object, force?: boolean): boolean;
}

type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;

interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}

/** Runs another WASM kernel from inside a kernel (no tape, no engine bookkeeping). */
function runWasm(name: string, backend: WasmBackendLike, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap): tf.TensorInfo {
  const kernel = tf.getKernel(name, 'wasm');
  if (!kernel) throw new Error(`wasm kernel ${name} is not registered`);
  return kernel.kernelFunc({ inputs, backend: backend as unknown as tf.KernelBackend, attrs }) as tf.TensorInfo;
}

function requireChannelsLast(dataFormat: unknown, kernel: string): void {
  if (dataFormat !== undefined && dataFormat !== 'NHWC')
    throw new Error(`wasm ${kernel}: only NHWC is supported (got ${String(dataFormat)})`);
}

/**
 * dW[i, j, c, o] = Σ_{b, y, x} x_pad[b, y·sh + i, x·sw + j, c] · dy[b, y, x, o]: a "valid" convolution
 * of x_pad as [C, Hp, Wp, B] (batch as channels) by dy as the filter [OH, OW, B, O], with the
 * forward stride as its dilation; its output [C, ≥kh, ≥kw, O] is cut to the kernel size and
 * transposed back to HWIO.
 */
function conv2DBackpropFilter({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const wasm = backend as WasmBackendLike;
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as {
    strides: [number, number] | number;
    pad: Pad;
    dataFormat?: string;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    filterShape: [number, number, number, number];
  };
  requireChannelsLast(dataFormat, 'Conv2DBackpropFilter');
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const { top, bottom, left, right } = info.padInfo;
  const [kh, kw] = filterShape;
  const temporaries: tf.TensorInfo[] = [];
  const keep = (t: tf.TensorInfo) => (temporaries.push(t), t);
  try {
    const xT = keep(runWasm('Transpose', wasm, { x }, { perm: [3, 1, 2, 0] }));
    const dyT = keep(runWasm('Transpose', wasm, { x: dy }, { perm: [1, 2, 0, 3] }));
    const explicit: tf.backend_util.ExplicitPadding = [
      [0, 0],
      [top, bottom],
      [left, right],
      [0, 0],
    ];
    const conv = keep(
      runWasm(
        'Conv2D',
        wasm,
        { x: xT, filter: dyT },
        {
          strides: [1, 1],
          pad: explicit as unknown as tf.NamedAttrMap[string],
          dataFormat: 'NHWC',
          dilations: [info.strideHeight, info.strideWidth],
          dimRoundingMode: null as unknown as string,
        },
      ),
    );
    const [, gh, gw] = conv.shape;
    if (gh < kh || gw < kw) throw new Error(`wasm Conv2DBackpropFilter: ${gh}×${gw} from a ${kh}×${kw} kernel`);
    const cut = gh === kh && gw === kw ? conv : keep(runWasm('Slice', wasm, { x: conv }, { begin: [0, 0, 0, 0], size: [-1, kh, kw, -1] }));
    return runWasm('Transpose', wasm, { x: cut }, { perm: [1, 2, 0, 3] });
  } finally {
    for (const t of temporaries) wasm.disposeData(t.dataId);
  }
}

interface DepthwiseAttrs {
  strides: [number, number] | number;
  dilations: [number, number] | number;
  pad: Pad;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** The geometry of a depthwise conv: tf.js's own conv info, filter [kh, kw, C, M]. */
function depthwiseInfo(inShape: number[], filterShape: number[], attrs: DepthwiseAttrs): tf.backend_util.Conv2DInfo {
  const dilations = attrs.dilations ?? 1;
  if (!tf.backend_util.tupleValuesAreOne(dilations)) throw new Error('wasm depthwise conv gradients: dilations must be 1');
  return tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
}

/**
 * Visits every (input pixel, output pixel, filter tap) triple of a depthwise conv:
 * visit(xOffset, dyOffset, filterOffset) at the first channel; channels run inside the caller.
 */
function forEachDepthwiseTap(info: tf.backend_util.Conv2DInfo, visit: (xOffset: number, dyOffset: number, wOffset: number) => void): void {
  const {
    batchSize,
    inHeight,
    inWidth,
    inChannels,
    outHeight,
    outWidth,
    outChannels,
    filterHeight,
    filterWidth,
    strideHeight,
    strideWidth,
  } = info;
  const { top, left } = info.padInfo;
  const multiplier = outChannels / inChannels;
  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        const dyOffset = ((b * outHeight + oy) * outWidth + ox) * outChannels;
        for (let i = 0; i < filterHeight; i++) {
          const y = oy * strideHeight + i - top;
          if (y < 0 || y >= inHeight) continue;
          for (let j = 0; j < filterWidth; j++) {
            const xx = ox * strideWidth + j - left;
            if (xx < 0 || xx >= inWidth) continue;
            visit(((b * inHeight + y) * inWidth + xx) * inChannels, dyOffset, (i * filterWidth + j) * inChannels * multiplier);
          }
        }
      }
    }
  }
}

/** dx[b, y, x, c] = Σ dy[b, oy, ox, c·M + m] · w[i, j, c, m] over the taps that read (y, x). */
function depthwiseBackpropInput({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const wasm = backend as WasmBackendLike;
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const a = attrs as unknown as DepthwiseAttrs & { inputShape: number[] };
  const info = depthwiseInfo(a.inputShape, filter.shape, a);
  const channels = info.inChannels;
  const multiplier = info.outChannels / channels;
  const out = wasm.makeOutput(info.inShape, 'float32');
  const dx = wasm.typedArrayFromHeap(out);
  dx.fill(0);
  const g = wasm.typedArrayFromHeap(dy);
  const w = wasm.typedArrayFromHeap(filter);
  forEachDepthwiseTap(info, (xo, dyo, wo) => {
    for (let c = 0; c < channels; c++) {
      let sum = 0;
      for (let m = 0; m < multiplier; m++) sum += g[dyo + c * multiplier + m] * w[wo + c * multiplier + m];
      dx[xo + c] += sum;
    }
  });
  return out;
}

/** dW[i, j, c, m] = Σ x[b, y, x, c] · dy[b, oy, ox, c·M + m] over the output pixels tap (i, j) reads for. */
function depthwiseBackpropFilter({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const wasm = backend as WasmBackendLike;
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const a = attrs as unknown as DepthwiseAttrs & { filterShape: number[] };
  const info = depthwiseInfo(x.shape, a.filterShape, a);
  const channels = info.inChannels;
  const multiplier = info.outChannels / channels;
  const out = wasm.makeOutput(a.filterShape, 'float32');
  const dw = wasm.typedArrayFromHeap(out);
  dw.fill(0);
  const xs = wasm.typedArrayFromHeap(x);
  const g = wasm.typedArrayFromHeap(dy);
  forEachDepthwiseTap(info, (xo, dyo, wo) => {
    for (let c = 0; c < channels; c++) {
      const v = xs[xo + c];
      for (let m = 0; m < multiplier; m++) dw[wo + c * multiplier + m] += v * g[dyo + c * multiplier + m];
    }
  });
  return out;
}

/** The kernels this file adds to the WASM backend, by name. */
export const WASM_TRAINING_KERNELS: Readonly<Record<string, (args: KernelArgs) => tf.TensorInfo>> = {
  Conv2DBackpropFilter: conv2DBackpropFilter,
  DepthwiseConv2dNativeBackpropInput: depthwiseBackpropInput,
  DepthwiseConv2dNativeBackpropFilter: depthwiseBackpropFilter,
};

/**
 * Registers the missing training kernels for the 'wasm' backend (once; a kernel the backend has
 * gained by then, in a later tf.js, is left alone). Call after importing @tensorflow/tfjs-backend-wasm.
 */
export function registerWasmTrainingKernels(): string[] {
  const added: string[] = [];
  for (const [kernelName, kernelFunc] of Object.entries(WASM_TRAINING_KERNELS)) {
    if (tf.getKernel(kernelName, 'wasm')) continue;
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: kernelFunc as unknown as tf.KernelFunc });
    added.push(kernelName);
  }
  return added;
}
