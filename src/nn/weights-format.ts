// The "talking-heads-weights" file format (version 1): a JSON manifest plus binary shards.
// This module is a boundary shared with the PyTorch exporter (train/) and the app's IndexedDB
// store, so it only holds the types, the error type and the structural validation of a manifest
// read from untrusted JSON. Byte-level encoding/decoding lives in weights-io.ts; the format is
// documented for the Python side in weights-format.md.

export const WEIGHTS_FORMAT = 'talking-heads-weights';
export const WEIGHTS_FORMAT_VERSION = 1;

export type WeightDtype = 'float16' | 'float32';

export const BYTES_PER_ELEMENT: Readonly<Record<WeightDtype, number>> = { float16: 2, float32: 4 };

/** One stored tensor: a little-endian, row-major (C order) byte range inside one shard. */
export interface WeightsTensorEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: WeightDtype;
  /** Index into `shards`. */
  readonly shard: number;
  readonly byteOffset: number;
  readonly byteLength: number;
}

export interface WeightsShardEntry {
  /** File name relative to the manifest's location. */
  readonly file: string;
  readonly byteLength: number;
  /** Lower-case hex SHA-256 of the shard's bytes. */
  readonly sha256: string;
}

/** Free-form provenance: training steps, creation time, notes, data sets used, ... */
export type WeightsMeta = Readonly<Record<string, unknown>>;

export interface WeightsManifest {
  readonly format: typeof WEIGHTS_FORMAT;
  readonly version: typeof WEIGHTS_FORMAT_VERSION;
  /** The network configuration (a preset name plus overrides, or the full config object). */
  readonly config: unknown;
  readonly meta?: WeightsMeta;
  readonly tensors: readonly WeightsTensorEntry[];
  readonly shards: readonly WeightsShardEntry[];
}

/** A named float tensor as the app holds it: values always float32, whatever the stored dtype. */
export interface NamedWeight {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export type NamedWeights = Map<string, NamedWeight>;

/** Any failure to read or write weights; the message names the shard/tensor and the problem. */
export class WeightsError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'WeightsError';
  }
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((product, dim) => product * dim, 1);
}

/**
 * Checks that `json` is a structurally valid version-1 manifest (types, shard indices, byte ranges
 * inside their shard, byte lengths matching shape × dtype, unique names) and returns it typed.
 * Hashes are checked when the shard bytes are read (weights-io.ts).
 */
export function validateManifest(json: unknown): WeightsManifest {
  const m = asRecord(json, 'manifest');
  if (m.format !== WEIGHTS_FORMAT) {
    throw new WeightsError(`manifest: format is ${JSON.stringify(m.format)}, expected "${WEIGHTS_FORMAT}"`);
  }
  if (m.version !== WEIGHTS_FORMAT_VERSION) {
    throw new WeightsError(`manifest: unsupported version ${JSON.stringify(m.version)} (this reader knows 1)`);
  }
  if (!('config' in m)) throw new WeightsError('manifest: missing "config"');
  if (m.meta !== undefined) asRecord(m.meta, 'manifest.meta');
  if (!Array.isArray(m.shards)) throw new WeightsError('manifest: "shards" must be an array');
  if (!Array.isArray(m.tensors)) throw new WeightsError('manifest: "tensors" must be an array');

  const shards = m.shards.map((s, i) => validateShard(s, i));
  const names = new Set<string>();
  for (const [i, t] of m.tensors.entries()) {
    const entry = validateTensor(t, i, shards);
    if (names.has(entry.name)) throw new WeightsError(`tensor "${entry.name}": duplicate name`);
    names.add(entry.name);
  }
  return json as WeightsManifest;
}

function validateShard(value: unknown, index: number): WeightsShardEntry {
  const where = `shard ${index}`;
  const s = asRecord(value, where);
  if (typeof s.file !== 'string' || s.file === '' || s.file.includes('/') || s.file.includes('\\')) {
    throw new WeightsError(`${where}: "file" must be a plain file name, got ${JSON.stringify(s.file)}`);
  }
  requireNonNegativeInteger(s.byteLength, `${where} (${s.file}): byteLength`);
  if (typeof s.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(s.sha256)) {
    throw new WeightsError(`${where} (${s.file}): sha256 must be 64 lower-case hex digits`);
  }
  return s as unknown as WeightsShardEntry;
}

function validateTensor(value: unknown, index: number, shards: readonly WeightsShardEntry[]): WeightsTensorEntry {
  const t = asRecord(value, `tensor ${index}`);
  if (typeof t.name !== 'string' || t.name === '') {
    throw new WeightsError(`tensor ${index}: "name" must be a non-empty string`);
  }
  const where = `tensor "${t.name}"`;
  if (!Array.isArray(t.shape)) throw new WeightsError(`${where}: "shape" must be an array`);
  t.shape.forEach((d, i) => requireNonNegativeInteger(d, `${where}: shape[${i}]`));
  if (t.dtype !== 'float16' && t.dtype !== 'float32') {
    throw new WeightsError(`${where}: dtype ${JSON.stringify(t.dtype)} is not "float16" or "float32"`);
  }
  requireNonNegativeInteger(t.shard, `${where}: shard`);
  const shard = shards[t.shard as number];
  if (!shard) throw new WeightsError(`${where}: shard index ${t.shard} out of range (${shards.length} shards)`);
  requireNonNegativeInteger(t.byteOffset, `${where}: byteOffset`);
  requireNonNegativeInteger(t.byteLength, `${where}: byteLength`);
  const expected = elementCount(t.shape as number[]) * BYTES_PER_ELEMENT[t.dtype];
  if (t.byteLength !== expected) {
    throw new WeightsError(`${where}: byteLength ${t.byteLength} does not match shape [${t.shape}] × ${t.dtype} (${expected} bytes)`);
  }
  const end = (t.byteOffset as number) + expected;
  if (end > shard.byteLength) {
    throw new WeightsError(
      `${where}: bytes ${t.byteOffset}..${end} lie outside shard ${t.shard} (${shard.file}, ${shard.byteLength} bytes)`,
    );
  }
  return t as unknown as WeightsTensorEntry;
}

function asRecord(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new WeightsError(`${where}: expected an object`);
  }
  return value as Record<string, unknown>;
}

function requireNonNegativeInteger(value: unknown, where: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new WeightsError(`${where} must be a non-negative integer, got ${JSON.stringify(value)}`);
  }
}
