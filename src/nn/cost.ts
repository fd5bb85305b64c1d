// Parameter counts and per-frame compute of the planned networks, from shapes alone (no tensors),
// so the paper-size networks can be summarised instantly.
import type { NetConfig } from './config.ts';
import { mouthPlan, networkParamSpecs, planFor, type Block, type NetworkName, type ParamSpec } from './plan.ts';

export function specSize(spec: Pick<ParamSpec, 'shape'>): number {
  return spec.shape.reduce((product, dim) => product * dim, 1);
}

/**
 * Trainable parameters of one network. Spectral-norm u vectors are buffers and are not counted;
 * nor is D's per-video matrix W (its size depends on the training set, not on the architecture):
 * the paper's "V ≈ 20 M" is the ConvNet plus w0 and b. G includes P, as in the paper's 38 M.
 */
export function countParams(config: NetConfig, network: NetworkName): number {
  return networkParamSpecs(config, planFor(config, network), 0).reduce((sum, spec) => sum + specSize(spec), 0);
}

/** Multiply-accumulates of one conv producing an outSize×outSize map. */
function convMacs(outSize: number, kernel: number, inChannels: number, outChannels: number): number {
  return outSize * outSize * kernel * kernel * inChannels * outChannels;
}

/** Multiply-accumulates of one block for one frame (convs and attention matmuls; element-wise ops ignored). */
export function blockMacs(block: Block): number {
  switch (block.kind) {
    case 'down': {
      const s = block.inputSize;
      const skip = block.inChannels !== block.outChannels ? convMacs(s / 2, 1, block.inChannels, block.outChannels) : 0;
      return convMacs(s, 3, block.inChannels, block.outChannels) + convMacs(s, 3, block.outChannels, block.outChannels) + skip;
    }
    case 'res':
      return 2 * convMacs(block.size, 3, block.channels, block.channels);
    case 'up': {
      const s = block.inputSize * 2;
      const skip = block.inChannels !== block.outChannels ? convMacs(block.inputSize, 1, block.inChannels, block.outChannels) : 0;
      const lateral = convMacs(s, 3, block.lateralChannels, block.outChannels);
      return convMacs(s, 3, block.inChannels, block.outChannels) + convMacs(s, 3, block.outChannels, block.outChannels) + skip + lateral;
    }
    case 'attention': {
      const n = block.size * block.size;
      const projections = n * block.channels * (2 * block.keyChannels + block.channels);
      return projections + n * n * block.keyChannels + n * n * block.channels;
    }
    case 'output':
      return convMacs(block.size, 3, block.inChannels, block.outChannels);
  }
}

/**
 * GFLOPs (2 × multiply-accumulates) of G rendering one frame from a fixed ψ, the mouth generator
 * (config.mouth) included. P ê is excluded: it runs once per avatar, not per frame.
 */
export function generatorGflopsPerFrame(config: NetConfig): number {
  const plans = [planFor(config, 'generator'), mouthPlan(config)];
  const macs = plans.reduce((sum, plan) => sum + (plan?.blocks.reduce((s, block) => s + blockMacs(block), 0) ?? 0), 0);
  return (2 * macs) / 1e9;
}

export interface NetworkSummary {
  embedder: number;
  generator: number;
  discriminator: number;
  gflops_generator_per_frame: number;
}

export function summarize(config: NetConfig): NetworkSummary {
  return {
    embedder: countParams(config, 'embedder'),
    generator: countParams(config, 'generator'),
    discriminator: countParams(config, 'discriminator'),
    gflops_generator_per_frame: Number(generatorGflopsPerFrame(config).toFixed(3)),
  };
}
