// Runs the front of a Keras functional CNN (MobileNet-style layers) as a FROZEN function: weights
// become constant tensors (batch norm folded to scale + offset) and every layer is executed with
// plain tf.js ops.
//
// Why not LayersModel.apply: tf-layers runs Conv2D through tf.fused.conv2d, whose gradient is a
// customGrad that always computes the filter gradient as well. For a frozen perceptual network that
// is pure waste: measured on CPU, Conv2DBackpropFilter took 61 of 78 s of a content-loss gradient
// through MobileNetV2's first blocks. With plain tf.conv2d the tape prunes gradients to the input
// path only. It also leaves no tf.Variable behind, so optimizer.minimize() can never train it.
import * as tf from '@tensorflow/tfjs';

/** The layer classes this interpreter knows (enough for Keras MobileNet V1/V2 fronts). */
const SUPPORTED = new Set(['InputLayer', 'ZeroPadding2D', 'Conv2D', 'DepthwiseConv2D', 'BatchNormalization', 'ReLU', 'Add']);

type Padding = 'same' | 'valid';

type FrozenOp =
  | { kind: 'input' }
  | { kind: 'pad'; paddings: [[number, number], [number, number]] }
  | { kind: 'conv'; filter: tf.Tensor4D; bias?: tf.Tensor1D; strides: [number, number]; padding: Padding; dilations: [number, number] }
  | { kind: 'depthwise'; filter: tf.Tensor4D; bias?: tf.Tensor1D; strides: [number, number]; padding: Padding; dilations: [number, number] }
  | { kind: 'affine'; scale: tf.Tensor1D; offset: tf.Tensor1D }
  | { kind: 'relu'; maxValue: number | null }
  | { kind: 'add' };

interface FrozenLayer {
  readonly name: string;
  readonly inputs: readonly string[];
  readonly op: FrozenOp;
}

export interface FrozenKerasFunction {
  /** Activations of `outputs` (layer names) for a batch input, in order. */
  run(input: tf.Tensor4D): tf.Tensor[];
  /** The layer names it returns. */
  readonly outputs: readonly string[];
  dispose(): void;
}

/**
 * Freezes the part of `model` needed to compute the `outputs` layers. The weights are copied, so
 * the caller may (and should) dispose `model` afterwards.
 */
export function freezeKerasModel(model: tf.LayersModel, outputs: readonly string[]): FrozenKerasFunction {
  const needed = layersNeededFor(model, outputs);
  const frozen = model.layers.filter((layer) => needed.has(layer.name)).map(freezeLayer);
  const weights = frozen.flatMap((layer) => opTensors(layer.op));
  const inputName = frozen.find((layer) => layer.op.kind === 'input')?.name;
  if (!inputName) throw new Error('frozen keras: the model has no InputLayer');
  return {
    outputs,
    run: (input) =>
      tf.tidy(() => {
        const values = new Map<string, tf.Tensor4D>([[inputName, input]]);
        for (const layer of frozen) {
          if (layer.op.kind === 'input') continue;
          const args = layer.inputs.map((name) => values.get(name)!);
          values.set(layer.name, runOp(layer.op, args));
        }
        return outputs.map((name) => values.get(name)!);
      }),
    dispose: () => tf.dispose(weights),
  };
}

/** Names of the layers on some path from the input to any of `outputs`. */
function layersNeededFor(model: tf.LayersModel, outputs: readonly string[]): Set<string> {
  const needed = new Set<string>();
  const pending = [...outputs];
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (needed.has(name)) continue;
    let layer: tf.layers.Layer;
    try {
      layer = model.getLayer(name);
    } catch (err) {
      throw new Error(`frozen keras: no layer "${name}"`, { cause: err });
    }
    needed.add(name);
    pending.push(...inboundLayerNames(layer));
  }
  return needed;
}

function inboundLayerNames(layer: tf.layers.Layer): string[] {
  if (layer.inboundNodes.length > 1) {
    throw new Error(`frozen keras: layer "${layer.name}" is shared (${layer.inboundNodes.length} call sites)`);
  }
  return (layer.inboundNodes[0]?.inboundLayers ?? []).map((l) => l.name);
}

function freezeLayer(layer: tf.layers.Layer): FrozenLayer {
  const className = layer.getClassName();
  if (!SUPPORTED.has(className)) throw new Error(`frozen keras: layer "${layer.name}" has unsupported class ${className}`);
  const config = layer.getConfig() as Record<string, unknown>;
  const weights = layer.getWeights();
  const where = `frozen keras: layer "${layer.name}"`;
  const requireLinear = () => {
    if (config.activation !== undefined && config.activation !== 'linear') {
      throw new Error(`${where}: fused activation ${String(config.activation)} is not supported`);
    }
  };
  const inputs = inboundLayerNames(layer);
  switch (className) {
    case 'InputLayer':
      return { name: layer.name, inputs, op: { kind: 'input' } };
    case 'ZeroPadding2D':
      return { name: layer.name, inputs, op: { kind: 'pad', paddings: config.padding as [[number, number], [number, number]] } };
    case 'Conv2D':
    case 'DepthwiseConv2D': {
      requireLinear();
      if (className === 'DepthwiseConv2D' && config.depthMultiplier !== undefined && config.depthMultiplier !== 1) {
        // Supported by tf.depthwiseConv2d too; kept strict because it was never exercised here.
        throw new Error(`${where}: depth multiplier ${String(config.depthMultiplier)} is not supported`);
      }
      const [filter, bias] = weights.map((w) => tf.clone(w));
      return {
        name: layer.name,
        inputs,
        op: {
          kind: className === 'Conv2D' ? 'conv' : 'depthwise',
          filter: filter as tf.Tensor4D,
          bias: bias as tf.Tensor1D | undefined,
          strides: pair(config.strides),
          padding: config.padding as Padding,
          dilations: pair(config.dilationRate),
        },
      };
    }
    case 'BatchNormalization':
      return { name: layer.name, inputs, op: foldBatchNorm(config, weights, where) };
    case 'ReLU':
      if ((config.negativeSlope ?? 0) !== 0 || (config.threshold ?? 0) !== 0) {
        throw new Error(`${where}: leaky/thresholded ReLU is not supported`);
      }
      return { name: layer.name, inputs, op: { kind: 'relu', maxValue: (config.maxValue as number | null | undefined) ?? null } };
    default:
      return { name: layer.name, inputs, op: { kind: 'add' } };
  }
}

/** Inference-mode batch norm as y = x · scale + offset. */
function foldBatchNorm(config: Record<string, unknown>, weights: tf.Tensor[], where: string): FrozenOp {
  if (config.axis !== -1 && config.axis !== 3) throw new Error(`${where}: batch norm over axis ${String(config.axis)}`);
  const epsilon = config.epsilon as number;
  const [scale, offset] = tf.tidy(() => {
    const queue = [...weights];
    const channels = weights[weights.length - 1].shape[0];
    const gamma = config.scale === false ? tf.ones([channels]) : queue.shift()!;
    const beta = config.center === false ? tf.zeros([channels]) : queue.shift()!;
    const [movingMean, movingVariance] = queue;
    const folded = tf.div(gamma, tf.sqrt(tf.add(movingVariance, epsilon)));
    return [folded, tf.sub(beta, tf.mul(movingMean, folded))] as tf.Tensor1D[];
  });
  return { kind: 'affine', scale, offset };
}

function runOp(op: FrozenOp, args: tf.Tensor4D[]): tf.Tensor4D {
  const [x] = args;
  switch (op.kind) {
    case 'input':
      return x;
    case 'pad':
      return tf.pad(x, [[0, 0], op.paddings[0], op.paddings[1], [0, 0]]);
    case 'conv': {
      const y = tf.conv2d(x, op.filter, op.strides, op.padding, 'NHWC', op.dilations);
      return op.bias ? tf.add(y, op.bias) : y;
    }
    case 'depthwise': {
      const y = tf.depthwiseConv2d(x, op.filter, op.strides, op.padding, 'NHWC', op.dilations);
      return op.bias ? tf.add(y, op.bias) : y;
    }
    case 'affine':
      return tf.add(tf.mul(x, op.scale), op.offset);
    case 'relu':
      return op.maxValue === null ? tf.relu(x) : tf.clipByValue(x, 0, op.maxValue);
    case 'add':
      return tf.addN(args);
  }
}

function opTensors(op: FrozenOp): tf.Tensor[] {
  switch (op.kind) {
    case 'conv':
    case 'depthwise':
      return op.bias ? [op.filter, op.bias] : [op.filter];
    case 'affine':
      return [op.scale, op.offset];
    default:
      return [];
  }
}

function pair(value: unknown): [number, number] {
  if (Array.isArray(value) && value.length === 2) return [value[0], value[1]];
  if (typeof value === 'number') return [value, value];
  return [1, 1];
}
