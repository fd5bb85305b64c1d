import { describe, expect, it } from 'vitest';
import presets from './configs.json';
import { loadPreset, PRESET_NAMES, usesWarp, validateConfig } from './config.ts';
import { countParams, generatorGflopsPerFrame, summarize } from './cost.ts';
import {
  adainSlots,
  blockParamSpecs,
  BLEND_OUTPUT_CHANNELS,
  discriminatorPlan,
  FLOW_CHANNELS,
  embedderPlan,
  generatorInputChannels,
  generatorPlan,
  IMAGE_CHANNELS,
  LIP_CHANNELS,
  MOUTH_PREFIX,
  MOUTH_PROJECTION_KERNEL,
  mouthPlan,
  networkParamSpecs,
  psiSize,
  type Block,
} from './plan.ts';

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

  /** The warp-guided head's outputs: Δ, the α logit and, with generator.flow, the flow's x and y. */
  const blendChannels = BLEND_OUTPUT_CHANNELS + (config.generator.flow === true ? FLOW_CHANNELS : 0);

  it('chains block shapes: E → N at the final size, G → image (warp-guided: Δ, α logit, flow) at full resolution', () => {
    const eFinal = config.resolution / 2 ** config.embedder.downBlocks;
    expect(outputShape(embedderPlan(config).blocks, config.resolution, 6)).toEqual([eFinal, config.embedDim]);
    const dFinal = config.resolution / 2 ** config.discriminator.downBlocks;
    expect(outputShape(discriminatorPlan(config).blocks, config.resolution, 6)).toEqual([dFinal, config.embedDim]);
    const g = generatorPlan(config);
    const warp = usesWarp(config);
    expect(g.inputChannels).toBe(warp ? 7 : 3);
    expect(g.inputChannels).toBe(generatorInputChannels(config));
    expect(outputShape(g.blocks, config.resolution, g.inputChannels)).toEqual([config.resolution, warp ? blendChannels : 3]);
    expect(blendChannels).toBe(config.generator.flow === true ? 6 : 4);
  });

  it('gives G a zero-initialised, non-spectral blend head exactly when warp-guided', () => {
    const g = generatorPlan(config);
    const head = g.blocks[g.blocks.length - 1];
    expect(head.kind).toBe('output');
    if (head.kind !== 'output') return;
    expect(head.blend).toBe(usesWarp(config));
    const specs = blockParamSpecs(head);
    expect(specs.map((spec) => spec.name)).toEqual(['generator/output/conv/kernel', 'generator/output/conv/bias']);
    expect(specs[0].shape).toEqual([3, 3, head.inChannels, head.blend ? blendChannels : IMAGE_CHANNELS]);
    expect(specs[0].spectralNorm).toBe(!head.blend);
    expect(specs[0].init).toBe(head.blend ? 'zeros' : 'glorot');
    expect(specs[1].init).toBe('zeros');
    // Everything but the head and the first conv's input is the same as without the warp.
    const paperG = generatorPlan({ ...config, generator: { ...config.generator, input: 'landmarks' } });
    expect(g.blocks.map((b) => b.name)).toEqual(paperG.blocks.map((b) => b.name));
    expect(psiSize(g)).toBe(psiSize(paperG));
  });

  it('counts parameters and FLOPs from the plan (the warp adds 4 input channels and one head channel, the flow two)', () => {
    const g = generatorPlan(config);
    const fromSpecs = networkParamSpecs(config, g, 0).reduce((sum, spec) => sum + spec.shape.reduce((p, d) => p * d, 1), 0);
    expect(countParams(config, 'generator')).toBe(fromSpecs);
    if (!usesWarp(config)) return;
    const paper = { ...config, generator: { ...config.generator, input: 'landmarks' as const, encoderSkips: false, flow: false } };
    const first = g.blocks[0].kind === 'down' ? g.blocks[0].outChannels : 0;
    const head = g.blocks[g.blocks.length - 1];
    const headIn = head.kind === 'output' ? head.inChannels : 0;
    // Encoder skips: a 3×3 lateral conv (with bias) per up block.
    const laterals = g.blocks.reduce(
      (sum, b) => sum + (b.kind === 'up' ? (9 * b.lateralChannels + 1) * b.outChannels * Number(b.lateralChannels > 0) : 0),
      0,
    );
    expect(laterals > 0).toBe(config.generator.encoderSkips === true);
    // down0: conv1 (3×3) and skip (1×1) read 4 more channels; the head has one (flow: three) more output channels.
    const extra = (9 + 1) * 4 * first + (9 * headIn + 1) * (blendChannels - IMAGE_CHANNELS) + laterals;
    expect(countParams(config, 'generator') - countParams(paper, 'generator')).toBe(extra);
    expect(generatorGflopsPerFrame(config)).toBeGreaterThan(generatorGflopsPerFrame(paper));
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

describe('PRESET_NAMES', () => {
  it('lists every preset of configs.json, in file order', () => {
    expect(PRESET_NAMES).toEqual(Object.keys(presets));
    expect(PRESET_NAMES).toEqual(expect.arrayContaining(['paper', 'default', 'tiny', 'cpu64', 'warp64', 'tiny-warp']));
  });

  it('has encoder-skip presets that differ from their warp-guided base only in encoderSkips', () => {
    for (const [skipsName, baseName] of [
      ['warp64s', 'warp64'],
      ['tiny-warp-skips', 'tiny-warp'],
    ] as const) {
      const { encoderSkips, ...rest } = loadPreset(skipsName).generator;
      expect(encoderSkips).toBe(true);
      expect(rest).toEqual(loadPreset(baseName).generator);
      const up = generatorPlan(loadPreset(skipsName)).blocks.filter((b) => b.kind === 'up');
      // The last up block reads G's raw input (landmarks, warp, mask) at full size.
      expect(up.map((b) => (b.kind === 'up' ? b.lateralChannels : -1)).at(-1)).toBe(7);
    }
  });

  it('accepts generator.flow only as a boolean on a warp-guided generator', () => {
    const warp = loadPreset('tiny-warp');
    const paper = loadPreset('tiny');
    expect(validateConfig({ ...warp, generator: { ...warp.generator, flow: true } }).generator.flow).toBe(true);
    expect(() => validateConfig({ ...paper, generator: { ...paper.generator, flow: true } })).toThrow(
      /generator.flow needs generator.input landmarks\+warp/,
    );
    expect(() => validateConfig({ ...warp, generator: { ...warp.generator, flow: 1 } })).toThrow(/generator.flow must be true or false/);
  });

  it('has learned-flow presets that differ from their encoder-skip base only in generator.flow', () => {
    for (const [flowName, baseName] of [
      ['warp64sf', 'warp64s'],
      ['tiny-warp-flow', 'tiny-warp-skips'],
    ] as const) {
      const { flow, ...rest } = loadPreset(flowName).generator;
      expect(flow).toBe(true);
      expect(rest).toEqual(loadPreset(baseName).generator);
    }
  });

  it('has α-border presets that differ from their encoder-skip base only in generator.alphaBorder', () => {
    for (const [borderName, baseName, width] of [
      ['warp64sb', 'warp64s', 3],
      ['tiny-warp-border', 'tiny-warp-skips', 2],
    ] as const) {
      const { alphaBorder, ...rest } = loadPreset(borderName).generator;
      expect(alphaBorder).toBe(width);
      expect(rest).toEqual(loadPreset(baseName).generator);
      // No weights of its own: the plan (and so the weight layout) is the base's.
      expect(generatorPlan(loadPreset(borderName))).toEqual(generatorPlan(loadPreset(baseName)));
    }
  });

  it('accepts generator.alphaBorder only as an integer ≥ 0, above 0 only on a warp-guided generator', () => {
    const warp = loadPreset('tiny-warp');
    const paper = loadPreset('tiny');
    expect(validateConfig({ ...warp, generator: { ...warp.generator, alphaBorder: 3 } }).generator.alphaBorder).toBe(3);
    expect(validateConfig({ ...paper, generator: { ...paper.generator, alphaBorder: 0 } }).generator.alphaBorder).toBe(0);
    expect(() => validateConfig({ ...paper, generator: { ...paper.generator, alphaBorder: 2 } })).toThrow(
      /generator.alphaBorder needs generator.input landmarks\+warp/,
    );
    for (const alphaBorder of [-1, 1.5, '2', true, null, Number.NaN]) {
      expect(() => validateConfig({ ...warp, generator: { ...warp.generator, alphaBorder } })).toThrow(
        'generator.alphaBorder must be an integer ≥ 0',
      );
    }
  });

  it('has mouth presets that add only the mouth generator: its blocks, its projection and its FLOPs', () => {
    for (const [mouthName, baseName] of [
      ['warp64sm', 'warp64sb'],
      ['tiny-warp-mouth', 'tiny-warp-border'],
    ] as const) {
      const { mouth, description: _d, name: _n, ...rest } = loadPreset(mouthName);
      const { description: _bd, name: _bn, ...base } = loadPreset(baseName);
      expect(rest).toEqual(base);
      const plan = mouthPlan(loadPreset(mouthName))!;
      expect(plan.inputChannels).toBe(IMAGE_CHANNELS + LIP_CHANNELS);
      expect(plan.blocks.every((b) => b.name.startsWith(`${MOUTH_PREFIX}/`))).toBe(true);
      expect(plan.blocks.at(-1)).toMatchObject({
        kind: 'output',
        blend: true,
        outChannels: BLEND_OUTPUT_CHANNELS,
        size: mouth!.resolution,
      });
      // G's own plan is the base's: its weights load unchanged, the mouth's come on top.
      expect(generatorPlan(loadPreset(mouthName))).toEqual(generatorPlan(loadPreset(baseName)));
      const specs = networkParamSpecs(loadPreset(mouthName), generatorPlan(loadPreset(mouthName)));
      const baseSpecs = networkParamSpecs(loadPreset(baseName), generatorPlan(loadPreset(baseName)));
      expect(specs.slice(0, baseSpecs.length)).toEqual(baseSpecs);
      const extra = specs.slice(baseSpecs.length);
      expect(extra.every((spec) => spec.name.startsWith(`${MOUTH_PREFIX}/`))).toBe(true);
      expect(extra.at(-1)).toMatchObject({ name: MOUTH_PROJECTION_KERNEL, shape: [base.embedDim, psiSize(plan)] });
      expect(generatorGflopsPerFrame(loadPreset(mouthName))).toBeGreaterThan(generatorGflopsPerFrame(loadPreset(baseName)));
    }
    expect(mouthPlan(loadPreset('warp64sb'))).toBeUndefined();
  });

  it('has warp64sm48: warp64sm with its mouth generator run at 48 px, same weights, fewer FLOPs', () => {
    const small = loadPreset('warp64sm48');
    const { mouth, description: _d, name: _n, ...rest } = small;
    const { mouth: baseMouth, description: _bd, name: _bn, ...base } = loadPreset('warp64sm');
    expect(rest).toEqual(base);
    expect(mouth).toEqual({ ...baseMouth, resolution: 48, alphaBorder: 6 });
    // A fully convolutional network: the same tensors, so warp64sm weights load into it unchanged.
    expect(networkParamSpecs(small, generatorPlan(small))).toEqual(
      networkParamSpecs(loadPreset('warp64sm'), generatorPlan(loadPreset('warp64sm'))),
    );
    const mouthFlops = (name: string) => generatorGflopsPerFrame(loadPreset(name)) - generatorGflopsPerFrame(loadPreset('warp64sb'));
    expect(mouthFlops('warp64sm48') / mouthFlops('warp64sm')).toBeCloseTo((48 / 64) ** 2, 2);
  });

  it('has warp64sm32: warp64sm with its mouth generator at 32 px and confined to the lips, same weights, a quarter of its FLOPs', () => {
    const { mouth, description: _d, name: _n, ...rest } = loadPreset('warp64sm32');
    const { mouth: baseMouth, description: _bd, name: _bn, ...base } = loadPreset('warp64sm');
    expect(rest).toEqual(base);
    expect(mouth).toEqual({ ...baseMouth, resolution: 32, alphaBorder: 4, alphaLipRegion: 0 });
    const mouthFlops = (name: string) => generatorGflopsPerFrame(loadPreset(name)) - generatorGflopsPerFrame(loadPreset('warp64sb'));
    expect(mouthFlops('warp64sm32') / mouthFlops('warp64sm')).toBeCloseTo((32 / 64) ** 2, 2);
  });

  it('has warp64sm32n: warp64sm32 with a narrow mouth generator (8 → 32 channels, one bottleneck block), confined to the lips grown by a pixel', () => {
    const { mouth, description: _d, name: _n, ...rest } = loadPreset('warp64sm32n');
    const { mouth: baseMouth, description: _bd, name: _bn, ...base } = loadPreset('warp64sm32');
    expect(rest).toEqual(base);
    expect(mouth).toEqual({ ...baseMouth, minChannels: 8, maxChannels: 32, bottleneckBlocks: 1, alphaLipRegion: 1 });
    const mouthFlops = (name: string) => generatorGflopsPerFrame(loadPreset(name)) - generatorGflopsPerFrame(loadPreset('warp64sb'));
    expect(mouthFlops('warp64sm32n') / mouthFlops('warp64sm32')).toBeLessThan(0.3);
  });

  it("has warp64nsm32n: warp64sm32n with G at half width (its own channels 16 → 128), E and D unchanged, a quarter of G's FLOPs", () => {
    const narrow = loadPreset('warp64nsm32n');
    const { generator, description: _d, name: _n, ...rest } = narrow;
    const { generator: baseG, description: _bd, name: _bn, ...base } = loadPreset('warp64sm32n');
    expect(rest).toEqual(base);
    expect(generator).toEqual({ ...baseG, minChannels: 16, maxChannels: 128 });
    const wide = generatorPlan(loadPreset('warp64sm32n'));
    const plan = generatorPlan(narrow);
    expect(plan.blocks.map((b) => b.name)).toEqual(wide.blocks.map((b) => b.name));
    expect(psiSize(plan)).toBe(psiSize(wide) / 2);
    expect(plan.blocks[0]).toMatchObject({ kind: 'down', inChannels: 7, outChannels: 16 });
    expect(embedderPlan(narrow)).toEqual(embedderPlan(loadPreset('warp64sm32n')));
    expect(mouthPlan(narrow)).toEqual(mouthPlan(loadPreset('warp64sm32n')));
    // G's own FLOPs: the preset's minus its mouth generator's (warp64sm32n's over warp64sb's).
    const faceFlops = (name: string) =>
      generatorGflopsPerFrame(loadPreset(name)) -
      generatorGflopsPerFrame(loadPreset('warp64sm32n')) +
      generatorGflopsPerFrame(loadPreset('warp64sb'));
    expect(faceFlops('warp64nsm32n') / generatorGflopsPerFrame(loadPreset('warp64sb'))).toBeLessThan(0.3);
  });

  it("checks G's own channel range as the trainer does (config.py, same messages)", () => {
    const raw = loadPreset('tiny-warp-narrow');
    const cases: [Record<string, unknown>, string][] = [
      [{ minChannels: 0 }, 'generator.minChannels must be an integer ≥ 1'],
      [{ maxChannels: 2.5 }, 'generator.maxChannels must be an integer ≥ 1'],
      [{ minChannels: 16 }, 'generator.minChannels exceeds generator.maxChannels'],
      [{ minChannels: undefined, maxChannels: 4 }, 'generator.minChannels exceeds generator.maxChannels'],
    ];
    for (const [change, message] of cases) {
      expect(() => validateConfig({ ...raw, generator: { ...raw.generator, ...change } })).toThrow(message);
    }
    const { minChannels: _min, maxChannels: _max, ...shared } = raw.generator;
    expect(generatorPlan(validateConfig({ ...raw, generator: shared })).blocks[0]).toMatchObject({ outChannels: raw.minChannels });
  });

  it('checks the mouth section as the trainer does (config.py, same messages)', () => {
    const raw = loadPreset('tiny-warp-mouth');
    const m = raw.mouth!;
    const cases: [Record<string, unknown>, string][] = [
      [{ alphaBorder: 8 }, 'mouth.alphaBorder must be less than half of mouth.resolution'],
      [{ pad: -1 }, 'mouth.pad must be a finite number ≥ 0'],
      [{ downBlocks: 5 }, 'mouth.resolution 16 is not divisible by 2^mouth.downBlocks'],
      [{ alphaLipGain: '4' }, 'mouth.alphaLipGain must be a finite number'],
      [{ minChannels: 16 }, 'mouth.minChannels exceeds mouth.maxChannels'],
      [{ resolution: 0 }, 'mouth.resolution must be an integer ≥ 1'],
      [{ openingRamp: [0.2, 0.1] }, 'mouth.openingRamp must be [lo, hi] with 0 ≤ lo < hi'],
      [{ openingRamp: [0.1] }, 'mouth.openingRamp must be [lo, hi] with 0 ≤ lo < hi'],
      [{ alphaLipRegion: -1 }, 'mouth.alphaLipRegion must be an integer ≥ 0'],
      [{ alphaLipRegion: 1.5 }, 'mouth.alphaLipRegion must be an integer ≥ 0'],
    ];
    for (const [change, message] of cases) {
      expect(() => validateConfig({ ...raw, mouth: { ...m, ...change } })).toThrow(message);
    }
    expect(() => validateConfig({ ...raw, mouth: null })).toThrow('mouth must be an object');
    const paper = loadPreset('tiny');
    expect(() => validateConfig({ ...paper, mouth: m })).toThrow(/mouth needs generator.input landmarks\+warp/);
    expect(validateConfig({ ...raw }).mouth).toEqual(m);
  });

  it('has warp-guided presets that differ from their base only in the generator input', () => {
    for (const [warpName, baseName] of [
      ['warp64', 'cpu64'],
      ['tiny-warp', 'tiny'],
    ] as const) {
      const warp = loadPreset(warpName);
      const base = loadPreset(baseName);
      expect(usesWarp(warp)).toBe(true);
      expect(usesWarp(base)).toBe(false);
      expect(warp.generator.alphaBias).toBe(-3);
      const { input: _input, alphaBias: _bias, alphaMaskGain: _gain, ...warpG } = warp.generator;
      expect(warpG).toEqual(base.generator);
      expect([warp.embedder, warp.discriminator, warp.resolution]).toEqual([base.embedder, base.discriminator, base.resolution]);
    }
  });
});

describe('validateConfig', () => {
  const tiny = loadPreset('tiny');

  it('defaults generator.input to landmarks and accepts landmarks+warp with a finite alphaBias', () => {
    expect(usesWarp(tiny)).toBe(false);
    expect(tiny.generator.input).toBeUndefined();
    const warp = validateConfig({ ...tiny, generator: { ...tiny.generator, input: 'landmarks+warp', alphaBias: 0 } });
    expect(usesWarp(warp)).toBe(true);
    expect(usesWarp(validateConfig({ ...tiny, generator: { ...tiny.generator, input: 'landmarks' } }))).toBe(false);
  });

  it("rejects an unknown generator input and a missing or non-finite alphaBias, with the twin's messages", () => {
    expect(() => validateConfig({ ...tiny, generator: { ...tiny.generator, input: 'warp' } })).toThrow(
      'generator.input must be one of landmarks, landmarks+warp',
    );
    for (const alphaBias of [undefined, Number.NaN, Number.POSITIVE_INFINITY, '-3', true]) {
      expect(() => validateConfig({ ...tiny, generator: { ...tiny.generator, input: 'landmarks+warp', alphaBias } })).toThrow(
        'generator.alphaBias must be a finite number when generator.input is landmarks+warp',
      );
    }
  });

  it('rejects an N that differs from the embedder output channels', () => {
    expect(() => validateConfig({ ...tiny, embedDim: 32 })).toThrow(/embedDim 32 differs/);
  });

  it('rejects an attention index past the last block', () => {
    expect(() => validateConfig({ ...tiny, embedder: { downBlocks: 2, attentionAfterBlock: 2 } })).toThrow(/embedder.attentionAfterBlock/);
  });

  it('rejects a resolution the down blocks cannot halve evenly', () => {
    expect(() => validateConfig({ ...tiny, resolution: 18 })).toThrow(/not divisible/);
  });

  it('rejects unknown presets by name', () => {
    expect(() => loadPreset('huge')).toThrow(/Unknown network preset "huge"/);
  });
});
