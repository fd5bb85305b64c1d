// parseEvalOptions (util.parseArgs underneath): defaults, values, and errors that name the option.
import { describe, expect, it } from 'vitest';
import { WARP_DISPLAY_SIZE } from '../nn/avatar-session.ts';
import { GENERATORS } from '../nn/registry.ts';
import { CONTENT_INPUT_SIZE } from '../nn/perceptual.ts';
import { describeFineTune, EVAL_DISPLAY_SIZE, parseEvalOptions, parseWeightsList, resolveWeightLabels, stepsFor } from './eval-options.ts';

describe('parseEvalOptions', () => {
  it('has the documented defaults', () => {
    const o = parseEvalOptions(['--videos', 'v', '--out', 'o']);
    expect(o).toMatchObject({
      videos: 'v',
      identities: null,
      out: 'o',
      Ts: [1, 8, 32],
      modes: ['ff', 'ft'],
      frames: 8,
      people: null,
      ftSteps: 'quick',
      ftContentLoss: true,
      contentSize: null,
      backends: null,
      metricsBackends: null,
      split: null,
      report: null,
      cross: false,
      crossFrames: 24,
      composites: false,
    });
    // Both shipped generators, the app's default (warp-guided) first; compared at what the app shows.
    expect(o.weights).toEqual([
      { label: 'warp', url: GENERATORS.warp.weightsUrl },
      { label: 'paper', url: GENERATORS.paper.weightsUrl },
    ]);
    expect(o.metricSize).toBe(256);
    expect(EVAL_DISPLAY_SIZE).toBe(WARP_DISPLAY_SIZE);
  });

  it('takes labelled and bare weights, and a metric size', () => {
    const o = parseEvalOptions([
      '--videos',
      'v',
      '--out',
      'o',
      '--weights',
      'warp=/weights/test-tiny-warp/manifest.json,paper=/weights/test-tiny/manifest.json',
      '--metric-size=64',
    ]);
    expect(o.weights).toEqual([
      { label: 'warp', url: '/weights/test-tiny-warp/manifest.json' },
      { label: 'paper', url: '/weights/test-tiny/manifest.json' },
    ]);
    expect(o.metricSize).toBe(64);
    expect(parseEvalOptions(['--videos', 'v', '--out', 'o', '--weights', '/weights/paper/manifest.json']).weights).toEqual([
      { label: null, url: '/weights/paper/manifest.json' },
    ]);
  });

  it('parses lists, numbers and both --name value and --name=value', () => {
    const o = parseEvalOptions([
      '--identities=ids',
      '--out',
      'o',
      '--T',
      '8,1,8',
      '--mode=ff',
      '--frames',
      '3',
      '--people',
      '5',
      '--ft-steps',
      '12',
      '--no-content-loss',
      '--backend',
      'webgl,cpu',
    ]);
    expect(o.Ts).toEqual([1, 8]);
    expect(o.modes).toEqual(['ff']);
    expect(o.frames).toBe(3);
    expect(o.people).toBe(5);
    expect(o.ftSteps).toBe(12);
    expect(o.ftContentLoss).toBe(false);
    expect(o.backends).toEqual(['webgl', 'cpu']);
    expect(parseEvalOptions(['--videos', 'v', '--out', 'o', '--metrics-backend', 'wasm']).metricsBackends).toEqual(['wasm']);
    expect(() => parseEvalOptions(['--videos', 'v', '--out', 'o', '--metrics-backend', 'gpu'])).toThrow(/--metrics-backend takes/);
  });

  it('refuses bad input with a message that names the option', () => {
    expect(() => parseEvalOptions(['--out', 'o'])).toThrow(/--videos and\/or --identities/);
    expect(() => parseEvalOptions(['--videos', 'v'])).toThrow(/--out/);
    expect(() => parseEvalOptions(['--videos', 'v', '--out', 'o', '--T', '0'])).toThrow(/--T must be a positive integer/);
    expect(() => parseEvalOptions(['--videos', 'v', '--out', 'o', '--mode', 'fx'])).toThrow(/--mode/);
    expect(() => parseEvalOptions(['--videos', 'v', '--out', 'o', '--backend', 'metal'])).toThrow(/--backend/);
    expect(() => parseEvalOptions(['--videos', 'v', '--out', 'o', '--bogus', '1'])).toThrow(/unknown option --bogus/);
    expect(() => parseEvalOptions(['--videos', '--out', 'o'])).toThrow(/--videos needs a value/);
    expect(() => parseEvalOptions(['--videos', 'v', '--out', 'o', '--metric-size', '0'])).toThrow(
      /--metric-size must be a positive integer/,
    );
    expect(() => parseEvalOptions(['--videos', 'v', '--out'])).toThrow(/^--out needs a value$/);
    expect(() => parseEvalOptions(['--videos', 'v', '--out', 'o', 'stray'])).toThrow(/unexpected argument "stray"/);
    expect(() => parseEvalOptions(['--videos', 'v', '--out', 'o', '--no-content-loss=yes'])).toThrow(/--no-content-loss takes no value/);
    // Unknown options and missing inputs end with the usage.
    expect(() => parseEvalOptions(['--videos', 'v', '--out', 'o', '--bogus'])).toThrow(/npm run eval -- --videos DIR/);
  });

  it('takes the cross-identity mode, which needs driving clips', () => {
    const o = parseEvalOptions(['--videos', 'v', '--identities', 'i', '--out', 'o', '--cross', '--cross-frames', '6']);
    expect(o.cross).toBe(true);
    expect(o.crossFrames).toBe(6);
    expect(parseEvalOptions(['--videos', 'v', '--out', 'o', '--composites']).composites).toBe(true);
    expect(() => parseEvalOptions(['--videos', 'v', '--out', 'o', '--composites=yes'])).toThrow(/--composites takes no value/);
    expect(() => parseEvalOptions(['--identities', 'i', '--out', 'o', '--cross'])).toThrow(/--cross needs --videos/);
    expect(() => parseEvalOptions(['--videos', 'v', '--out', 'o', '--cross-frames', '6'])).toThrow(/--cross-frames needs --cross/);
    expect(() => parseEvalOptions(['--videos', 'v', '--out', 'o', '--cross', '--cross-frames', '0'])).toThrow(
      /--cross-frames must be a positive integer/,
    );
  });
});

describe('--weights', () => {
  it('splits on commas, labels on the first =, and trims', () => {
    expect(parseWeightsList(' a=/x/manifest.json , /y/manifest.json,b.2=/z?v=1,/q/manifest.json?v=2 ')).toEqual([
      { label: 'a', url: '/x/manifest.json' },
      { label: null, url: '/y/manifest.json' },
      { label: 'b.2', url: '/z?v=1' },
      { label: null, url: '/q/manifest.json?v=2' },
    ]);
  });

  it('refuses bad labels, a label without URL, a label twice and an empty list', () => {
    expect(() => parseWeightsList('ff-warp=/x')).toThrow(/label "ff-warp"/);
    expect(() => parseWeightsList('=/x')).toThrow(/label ""/);
    expect(() => parseWeightsList('a=')).toThrow(/a= needs a manifest URL/);
    expect(() => parseWeightsList('a=/x,a=/y')).toThrow(/"a" is used twice/);
    expect(() => parseWeightsList(' , ')).toThrow(/at least one/);
  });

  it("labels bare URLs by their manifest's generator kind, and refuses two alike", () => {
    expect(
      resolveWeightLabels(
        [
          { label: null, url: '/w' },
          { label: 'old', url: '/p' },
        ],
        ['warp', 'paper'],
      ),
    ).toEqual(['warp', 'old']);
    expect(
      resolveWeightLabels(
        [
          { label: null, url: '/w' },
          { label: null, url: '/p' },
        ],
        ['warp', 'paper'],
      ),
    ).toEqual(['warp', 'paper']);
    expect(() =>
      resolveWeightLabels(
        [
          { label: null, url: '/a' },
          { label: null, url: '/b' },
        ],
        ['paper', 'paper'],
      ),
    ).toThrow(/both be labelled "paper".*label them/);
    expect(() =>
      resolveWeightLabels(
        [
          { label: 'warp', url: '/a' },
          { label: null, url: '/b' },
        ],
        ['paper', 'warp'],
      ),
    ).toThrow(/"warp"/);
  });
});

describe('fine-tuning steps', () => {
  it("follows the app's preset schedule, or a fixed count", () => {
    const preset = parseEvalOptions(['--videos', 'v', '--out', 'o']);
    expect(stepsFor(preset, 1)).toBe(20);
    expect(stepsFor(preset, 32)).toBeGreaterThan(stepsFor(preset, 8));
    expect(stepsFor({ ftSteps: 7 }, 32)).toBe(7);
    expect(describeFineTune(preset)).toMatch(/T=1: 20, T=8: \d+, T=32: \d+ \(the app's "quick" preset\); content loss on/);
    expect(describeFineTune({ ...preset, modes: ['ff'] })).toMatch(/not run/);
    expect(describeFineTune(preset)).toContain(`networks at ${CONTENT_INPUT_SIZE} px (the app's)`);
    const sized = parseEvalOptions(['--videos', 'v', '--out', 'o', '--content-size', '224']);
    expect(sized.contentSize).toBe(224);
    expect(describeFineTune(sized)).toContain('networks at 224 px (--content-size)');
    expect(() => parseEvalOptions(['--videos', 'v', '--out', 'o', '--content-size', '0'])).toThrow(/--content-size/);
  });
});
