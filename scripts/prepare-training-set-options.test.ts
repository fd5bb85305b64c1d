// The data-preparation command line: several sizes in one pass, one set per size, defaults that
// never put the videos or a mirrored set where the plain photos go.
import { describe, expect, it } from 'vitest';
import { loadPreset } from '../src/nn/config.ts';
import { DEFAULT_SOURCES } from '../src/training-data/sources.ts';
import { DEFAULT_JPEG_QUALITY, parseOptions } from './prepare-training-set-options.ts';

describe('parseOptions', () => {
  it('defaults to the default preset size, the default sources and data/train-<size>', () => {
    const size = loadPreset('default').resolution;
    expect(parseOptions([])).toEqual({
      sizes: [size],
      outs: [`data/train-${size}`],
      limitPeople: null,
      sources: DEFAULT_SOURCES,
      jpegQuality: DEFAULT_JPEG_QUALITY,
      mirror: false,
    });
  });

  it('takes several sizes, each to its own default set', () => {
    expect(parseOptions(['--size', '64,128']).outs).toEqual(['data/train-64', 'data/train-128']);
    expect(parseOptions(['--size=64,128', '--sources', 'videos']).outs).toEqual(['data/videos-64', 'data/videos-128']);
    const mirrored = parseOptions(['--size', '64,128', '--sources', 'ytf,videos', '--mirror']);
    expect(mirrored.outs).toEqual(['data/train-64-mirrored', 'data/train-128-mirrored']);
    expect(mirrored.sources).toEqual(['ytf', 'videos']);
  });

  it('pairs --out folders with sizes in order', () => {
    const options = parseOptions(['--size', '128, 64', '--out', 'a/x,b/y', '--limit-people', '3.7']);
    expect(options.sizes).toEqual([128, 64]);
    expect(options.outs).toEqual(['a/x', 'b/y']);
    expect(options.limitPeople).toBe(3);
  });

  it('refuses what it cannot honour, saying why', () => {
    expect(() => parseOptions(['--size', '64,128', '--out', 'only-one'])).toThrow(/one per size/);
    expect(() => parseOptions(['--size', '64,64'])).toThrow(/twice/);
    expect(() => parseOptions(['--size', '64', '--out', 'a,b'])).toThrow(/names 2 folder/);
    expect(() => parseOptions(['--size', '64,128', '--out', 'a,a'])).toThrow(/folder twice/);
    expect(() => parseOptions(['--size', '64,x'])).toThrow(/integers ≥ 8/);
    expect(() => parseOptions(['--size', '4'])).toThrow(/integers ≥ 8/);
    expect(() => parseOptions(['--sources', 'ytf,flickr'])).toThrow(/unknown source flickr/);
    expect(() => parseOptions(['--jpeg-quality', '80'])).toThrow(/0\.\.1/);
  });
});
