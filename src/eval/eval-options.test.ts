import { describe, expect, it } from 'vitest';
import { describeFineTune, parseEvalOptions, stepsFor } from './eval-options';

describe('parseEvalOptions', () => {
  it('has the documented defaults', () => {
    const o = parseEvalOptions(['--videos', 'v', '--out', 'o']);
    expect(o).toMatchObject({ videos: 'v', identities: null, out: 'o', Ts: [1, 8, 32], modes: ['ff', 'ft'], frames: 8, people: null, ftSteps: 'quick', ftContentLoss: true, weights: '/weights/paper/manifest.json', backends: null, split: null, report: null });
  });

  it('parses lists, numbers and both --name value and --name=value', () => {
    const o = parseEvalOptions(['--identities=ids', '--out', 'o', '--T', '8,1,8', '--mode=ff', '--frames', '3', '--people', '5', '--ft-steps', '12', '--no-content-loss', '--backend', 'webgl,cpu']);
    expect(o.Ts).toEqual([1, 8]);
    expect(o.modes).toEqual(['ff']);
    expect(o.frames).toBe(3);
    expect(o.people).toBe(5);
    expect(o.ftSteps).toBe(12);
    expect(o.ftContentLoss).toBe(false);
    expect(o.backends).toEqual(['webgl', 'cpu']);
  });

  it('refuses bad input with a message that names the option', () => {
    expect(() => parseEvalOptions(['--out', 'o'])).toThrow(/--videos and\/or --identities/);
    expect(() => parseEvalOptions(['--videos', 'v'])).toThrow(/--out/);
    expect(() => parseEvalOptions(['--videos', 'v', '--out', 'o', '--T', '0'])).toThrow(/--T must be a positive integer/);
    expect(() => parseEvalOptions(['--videos', 'v', '--out', 'o', '--mode', 'fx'])).toThrow(/--mode/);
    expect(() => parseEvalOptions(['--videos', 'v', '--out', 'o', '--backend', 'metal'])).toThrow(/--backend/);
    expect(() => parseEvalOptions(['--videos', 'v', '--out', 'o', '--bogus', '1'])).toThrow(/unknown option --bogus/);
    expect(() => parseEvalOptions(['--videos', '--out', 'o'])).toThrow(/--videos needs a value/);
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
  });
});
