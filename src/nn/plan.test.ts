import { describe, expect, it } from 'vitest';
import { loadPreset, PRESET_NAMES, validateConfig } from './config.ts';
import { countParams, generatorGflopsPerFrame, summarize } from './cost.ts';
import { adainSlots, discriminatorPlan, embedderPlan, generatorPlan, psiSize, type Block } from './plan.ts';

/** Walks a plan's blocks and returns the [size, channels] of its final feature map. */
function outputShape(blocks: readonly Block[], inputSize: number, inputChannels: number): [number, number] {
  let size = inputSize;
  let channels = inputChannels;
  for (const block of blocks) {
    switch (block.kind) {
      case 'down':
        expect([block.inputSize, block.inChannels]).toEqual([size, channels]);
        size /= 2;
        channels = block.outChannels;
        break;
      case 'up':
        expect([block.inputSize, block.inChannels]).toEqual([size, channels]);
        size *= 2;
        channels = block.outChannels;
        break;
      case 'res':
      case 'attention':
        expect([block.size, block.channels]).toEqual([size, channels]);
        break;
      case 'output':
        expect([block.size, block.inChannels]).toEqual([size, channels]);
        channels = block.outChannels;
        break;
    }
  }
  return [size, channels];
}

describe.each(PRESET_NAMES)('preset %s', (name) => {
  const config = loadPreset(name);

  it('chains block shapes: E → N at the final size, G → 3-channel image at full resolution', () => {
    const eFinal = config.resolution / 2 ** config.embedder.downBlocks;
    expect(outputShape(embedderPlan(config).blocks, config.resolution, 6)).toEqual([eFinal, config.embedDim]);
    const dFinal = config.resolution / 2 ** config.discriminator.downBlocks;
    expect(outputShape(discriminatorPlan(config).blocks, config.resolution, 6)).toEqual([dFinal, config.embedDim]);
    expect(outputShape(generatorPlan(config).blocks, config.resolution, 3)).toEqual([config.resolution, 3]);
  });

  it('lays ψ out as consecutive [scale, bias] slices covering psiSize exactly', () => {
    const plan = generatorPlan(config);
    const slots = adainSlots(plan);
    let offset = 0;
    for (const slot of slots) {
      expect(slot.offset).toBe(offset);
      offset += 2 * slot.channels;
    }
    expect(psiSize(plan)).toBe(offset);
    // Two AdaINs per bottleneck and up block, one in the output head.
    expect(slots).toHaveLength(2 * config.generator.bottleneckBlocks + 2 * config.generator.downBlocks + 1);
  });
});

describe('paper preset', () => {
  const paper = loadPreset('paper');

  it.each([
    ['embedder', 15e6],
    ['generator', 38e6],
    ['discriminator', 20e6],
  ] as const)('%s has the paper parameter count within 15%%', (network, target) => {
    const count = countParams(paper, network);
    expect(Math.abs(count - target) / target).toBeLessThan(0.15);
  });

  it('puts self-attention at 32×32 in E and V and where the paper says in G', () => {
    const attention = (blocks: readonly Block[]): Block[] => blocks.filter((b) => b.kind === 'attention');
    expect(attention(embedderPlan(paper).blocks).map((b) => (b.kind === 'attention' ? b.size : 0))).toEqual([32]);
    expect(attention(discriminatorPlan(paper).blocks).map((b) => (b.kind === 'attention' ? b.size : 0))).toEqual([32]);
    const g = generatorPlan(paper).blocks;
    const names = g.map((b) => b.name);
    // Before the last down block, and right after the second up block.
    expect(names.indexOf('generator/attention_down')).toBe(names.indexOf('generator/down3') - 1);
    expect(names.indexOf('generator/attention_up')).toBe(names.indexOf('generator/up1') + 1);
  });

  it('the app preset needs at least 10× less compute per frame than the paper one', () => {
    expect(generatorGflopsPerFrame(paper)).toBeGreaterThan(10 * generatorGflopsPerFrame(loadPreset('default')));
    expect(summarize(paper).gflops_generator_per_frame).toBeGreaterThan(30);
  });
});

describe('validateConfig', () => {
  const tiny = loadPreset('tiny');

  it('rejects an N that differs from the embedder output channels', () => {
    expect(() => validateConfig({ ...tiny, embedDim: 32 })).toThrow(/embedDim 32 differs/);
  });

  it('rejects an attention index past the last block', () => {
    expect(() => validateConfig({ ...tiny, embedder: { downBlocks: 2, attentionAfterBlock: 2 } })).toThrow(
      /embedder.attentionAfterBlock/,
    );
  });

  it('rejects a resolution the down blocks cannot halve evenly', () => {
    expect(() => validateConfig({ ...tiny, resolution: 18 })).toThrow(/not divisible/);
  });

  it('rejects unknown presets by name', () => {
    expect(() => loadPreset('huge')).toThrow(/Unknown network preset "huge"/);
  });
});
