// The command line of scripts/prepare-training-set.ts (`npm run data:prep -- ...`), parsed and
// checked apart from the run itself so it can be tested without a browser.
//
// `--size 64,128` prepares several sizes in one pass: each photo is decoded and detected once and
// cropped at every size, each size written to its own set (`--out data/a,data/b`, one folder per size,
// or the default names below).
import { parseArgs } from 'node:util';
import { loadPreset } from '../src/nn/config.ts';
import { DEFAULT_SOURCES, SOURCE_NAMES, type SourceName } from '../src/training-data/sources.ts';

/**
 * Chromium's JPEG quality. The full 128 px set then has 49.0 MiB of training shards (held-out people
 * and landmark files excluded; 0.75 gave 53 MiB): the landmark images, stored losslessly, take about
 * 2.6 KB a frame, so the crops get what is left of the 50 MiB that may travel to a GPU machine.
 */
export const DEFAULT_JPEG_QUALITY = 0.65;

export interface PrepareOptions {
  /** Crop sizes, each written to the set at the same index of `outs`. */
  sizes: number[];
  outs: string[];
  limitPeople: number | null;
  sources: SourceName[];
  jpegQuality: number;
  mirror: boolean;
}

function positiveNumber(text: string, name: string): number {
  const value = Number(text);
  if (!(value > 0)) throw new Error(`--${name} must be a positive number, got ${JSON.stringify(text)}`);
  return value;
}

const list = (text: string) => text.split(',').map((s) => s.trim());

/**
 * Where a size's set goes when `--out` is not given: data/train-<size>, data/videos-<size> for the
 * videos alone, with `-mirrored` appended for a mirrored set.
 */
export function defaultOut(size: number, sources: readonly SourceName[], mirror: boolean): string {
  const name = sources.length === 1 && sources[0] === 'videos' ? 'videos' : 'train';
  return `data/${name}-${size}${mirror ? '-mirrored' : ''}`;
}

/** The command line (`--name value` or `--name=value`); `args` defaults to this process's arguments. */
export function parseOptions(args?: string[]): PrepareOptions {
  const { values } = parseArgs({
    args,
    options: {
      size: { type: 'string' },
      out: { type: 'string' },
      'limit-people': { type: 'string' },
      sources: { type: 'string' },
      'jpeg-quality': { type: 'string' },
      mirror: { type: 'boolean' },
    },
    // The script's own path, when it is run as a file rather than through `node -e`.
    allowPositionals: true,
  });
  const sizes = list(values.size ?? String(loadPreset('default').resolution)).map(Number);
  for (const size of sizes) {
    if (!Number.isInteger(size) || size < 8) throw new Error(`--size must be integers ≥ 8, got ${JSON.stringify(values.size)}`);
  }
  if (new Set(sizes).size !== sizes.length) throw new Error(`--size lists a size twice: ${values.size}`);
  const limit = values['limit-people'];
  const sources = list(values.sources ?? DEFAULT_SOURCES.join(','));
  for (const source of sources) {
    if (!SOURCE_NAMES.includes(source as SourceName))
      throw new Error(`--sources: unknown source ${source} (known: ${SOURCE_NAMES.join(', ')})`);
  }
  const jpegQuality = positiveNumber(values['jpeg-quality'] ?? String(DEFAULT_JPEG_QUALITY), 'jpeg-quality');
  if (jpegQuality > 1) throw new Error("--jpeg-quality is Chromium's 0..1 scale");
  const mirror = values.mirror ?? false;
  const outs = values.out === undefined ? sizes.map((size) => defaultOut(size, sources as SourceName[], mirror)) : list(values.out);
  if (outs.length !== sizes.length)
    throw new Error(`--out names ${outs.length} folder(s) for ${sizes.length} size(s): give one per size, in the order of --size`);
  if (new Set(outs).size !== outs.length) throw new Error(`--out names a folder twice: ${values.out}`);
  return {
    sizes,
    outs,
    limitPeople: limit === undefined ? null : Math.floor(positiveNumber(limit, 'limit-people')),
    sources: sources as SourceName[],
    jpegQuality,
    mirror,
  };
}
