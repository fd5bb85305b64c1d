// Forward pass of one planned block (src/nn/plan.ts). All residual blocks are pre-activation
// (norm → ReLU → conv, twice) except a down block with preActivation = false, whose raw input goes
// straight into the first conv. The output block ends in tanh, or, for the warp-guided G's blend
// head, returns its conv's raw 4 channels.
import * as tf from '@tensorflow/tfjs';
import type { AdainSlot, Block, DownBlock, ResBlock, UpBlock } from '../plan.ts';
import type { WeightSource } from '../spectral-norm.ts';
import { adaptiveInstanceNormRelu, averagePool2, conv2d, instanceNormRelu, selfAttention, upsampleNearest2 } from './ops.ts';

export interface BlockContext {
  readonly weights: WeightSource;
  /** AdaIN parameters [B or 1, psiSize]; required by blocks that use AdaIN. */
  readonly psi?: tf.Tensor2D;
  readonly adainSlots?: ReadonlyMap<string, AdainSlot>;
}

/**
 * One block's output. `encoder`: for an up block with lateralChannels (generator.encoderSkips), the
 * encoder's activation at the block's output size.
 */
export function applyBlock(block: Block, x: tf.Tensor4D, ctx: BlockContext, encoder?: tf.Tensor4D): tf.Tensor4D {
  switch (block.kind) {
    case 'down':
      return downBlock(block, x, ctx);
    case 'res':
      return resBlock(block, x, ctx);
    case 'up':
      return upBlock(block, x, ctx, encoder);
    case 'attention':
      return selfAttention(ctx.weights, block.name, x);
    case 'output': {
      // A blend head returns the raw conv (Δ before its tanh, α logit); generator.ts blends it with the warp.
      const raw = conv2d(ctx.weights, `${block.name}/conv`, adainRelu(ctx, `${block.name}/norm`, x));
      return block.blend ? raw : tf.tanh(raw);
    }
  }
}

/** relu(γ · IN(x) + β) with γ, β the slot's slices of ψ. */
function adainRelu(ctx: BlockContext, slotName: string, x: tf.Tensor4D): tf.Tensor4D {
  const slot = ctx.adainSlots?.get(slotName);
  if (slot === undefined || ctx.psi === undefined) throw new Error(`AdaIN "${slotName}" needs ψ`);
  if (slot.channels !== x.shape[3]) throw new Error(`AdaIN "${slotName}" has ${slot.channels} channels, its input ${x.shape[3]}`);
  return adaptiveInstanceNormRelu(x, ctx.psi, slot.offset);
}

/** Skip path: 1×1 conv when the channel count changes (it commutes with pooling / up-sampling). */
function skipConv(ctx: BlockContext, name: string, inChannels: number, outChannels: number, x: tf.Tensor4D): tf.Tensor4D {
  return inChannels === outChannels ? x : conv2d(ctx.weights, `${name}/skip`, x);
}

function downBlock(block: DownBlock, x: tf.Tensor4D, ctx: BlockContext): tf.Tensor4D {
  const w = ctx.weights;
  const normRelu = (name: string, t: tf.Tensor4D): tf.Tensor4D =>
    block.norm === 'instance' ? instanceNormRelu(w, `${block.name}/${name}`, t) : tf.relu(t);
  let h = block.preActivation ? normRelu('norm1', x) : x;
  h = conv2d(w, `${block.name}/conv1`, h);
  h = conv2d(w, `${block.name}/conv2`, normRelu('norm2', h));
  const skip = skipConv(ctx, block.name, block.inChannels, block.outChannels, averagePool2(x));
  return tf.add(averagePool2(h), skip);
}

function resBlock(block: ResBlock, x: tf.Tensor4D, ctx: BlockContext): tf.Tensor4D {
  const normRelu = (name: string, t: tf.Tensor4D): tf.Tensor4D =>
    block.norm === 'adain' ? adainRelu(ctx, `${block.name}/${name}`, t) : tf.relu(t);
  let h = conv2d(ctx.weights, `${block.name}/conv1`, normRelu('norm1', x));
  h = conv2d(ctx.weights, `${block.name}/conv2`, normRelu('norm2', h));
  return tf.add(x, h);
}

function upBlock(block: UpBlock, x: tf.Tensor4D, ctx: BlockContext, encoder?: tf.Tensor4D): tf.Tensor4D {
  let h = upsampleNearest2(adainRelu(ctx, `${block.name}/norm1`, x));
  h = conv2d(ctx.weights, `${block.name}/conv1`, h);
  h = conv2d(ctx.weights, `${block.name}/conv2`, adainRelu(ctx, `${block.name}/norm2`, h));
  const skip = upsampleNearest2(skipConv(ctx, block.name, block.inChannels, block.outChannels, x));
  const out = tf.add(h, skip) as tf.Tensor4D;
  if (block.lateralChannels === 0) return out;
  if (encoder === undefined) throw new Error(`${block.name} adds an encoder skip: pass the encoder's activation`);
  return tf.add(out, conv2d(ctx.weights, `${block.name}/lateral`, encoder));
}
