// Encoding named float tensors into the "talking-heads-weights" manifest + shards, and decoding
// them back with every byte checked (see weights-format.md). Platform-neutral: works in browsers,
// workers and Node 20 (crypto.subtle for SHA-256); fetch/fs loaders live in weights-io-fetch.ts and
// weights-io-node.ts.
import {
  BYTES_PER_ELEMENT,
  WEIGHTS_FORMAT,
  WEIGHTS_FORMAT_VERSION,
  WeightsError,
  elementCount,
  validateManifest,
  type NamedWeight,
  type NamedWeights,
  type WeightDtype,
  type WeightsManifest,
  type WeightsMeta,
  type WeightsShardEntry,
  type WeightsTensorEntry,
} from './weights-format.ts';
import { decodeFloat16, encodeFloat16 } from './weights-io-float16.ts';

/** Tensor byte ranges start on multiples of this, so float32 data can be viewed without copying twice. */
const TENSOR_ALIGNMENT = 4;

export const DEFAULT_SHARD_BYTES = 4 * 1024 * 1024;

export interface EncodeOptions {
  /** Storage type of every tensor, or a per-tensor choice (e.g. keep normalisation params float32). */
  readonly dtype: WeightDtype | ((name: string, shape: readonly number[]) => WeightDtype);
  /** Target shard size; a tensor never straddles shards, so a bigger tensor gets a shard of its own. */
  readonly shardBytes?: number;
  /** Shard file names are `${shardPrefix}.shard<N>.bin`. */
  readonly shardPrefix?: string;
  readonly config: unknown;
  readonly meta?: WeightsMeta;
}

export interface EncodedWeights {
  readonly manifest: WeightsManifest;
  /** Shard bytes, in manifest order (shards[i] is written to manifest.shards[i].file). */
  readonly shards: Uint8Array<ArrayBuffer>[];
}

export type ShardLoader = (file: string) => Promise<Uint8Array>;

export async function encodeWeights(named: ReadonlyMap<string, NamedWeight>, options: EncodeOptions): Promise<EncodedWeights> {
  const shardBytes = options.shardBytes ?? DEFAULT_SHARD_BYTES;
  if (!(shardBytes > 0)) throw new WeightsError(`encode: shardBytes must be positive, got ${shardBytes}`);
  const prefix = options.shardPrefix ?? 'weights';

  const placed: { entry: WeightsTensorEntry; bytes: Uint8Array }[] = [];
  const shardSizes: number[] = [];
  for (const [name, weight] of named) {
    const count = elementCount(weight.shape);
    if (weight.shape.some((d) => !Number.isSafeInteger(d) || d < 0) || count !== weight.data.length) {
      throw new WeightsError(`encode: tensor "${name}" has shape [${weight.shape}] but ${weight.data.length} values`);
    }
    const dtype = typeof options.dtype === 'function' ? options.dtype(name, weight.shape) : options.dtype;
    const bytes = tensorBytes(weight.data, dtype);
    let shard = shardSizes.length - 1;
    const wouldOverflow = shard >= 0 && alignUp(shardSizes[shard], TENSOR_ALIGNMENT) + bytes.byteLength > shardBytes;
    // An empty shard takes any tensor, however big.
    if (shard < 0 || (wouldOverflow && shardSizes[shard] > 0)) shard = shardSizes.push(0) - 1;
    const byteOffset = alignUp(shardSizes[shard], TENSOR_ALIGNMENT);
    shardSizes[shard] = byteOffset + bytes.byteLength;
    placed.push({
      entry: { name, shape: [...weight.shape], dtype, shard, byteOffset, byteLength: bytes.byteLength },
      bytes,
    });
  }

  const shards = shardSizes.map((size) => new Uint8Array(size));
  for (const { entry, bytes } of placed) shards[entry.shard].set(bytes, entry.byteOffset);
  const width = String(Math.max(shards.length - 1, 0)).length;
  const shardEntries: WeightsShardEntry[] = await Promise.all(
    shards.map(async (bytes, i) => ({
      file: `${prefix}.shard${String(i).padStart(width, '0')}.bin`,
      byteLength: bytes.byteLength,
      sha256: await sha256Hex(bytes),
    })),
  );
  const manifest: WeightsManifest = {
    format: WEIGHTS_FORMAT,
    version: WEIGHTS_FORMAT_VERSION,
    config: options.config,
    ...(options.meta ? { meta: options.meta } : {}),
    tensors: placed.map((p) => p.entry),
    shards: shardEntries,
  };
  return { manifest, shards };
}

/**
 * Reads every shard through `loadShard`, checks its length and SHA-256, and returns the tensors as
 * float32. `manifest` may be raw parsed JSON: it is validated first. Throws WeightsError.
 */
export async function decodeWeights(manifest: unknown, loadShard: ShardLoader): Promise<NamedWeights> {
  const checked = validateManifest(manifest);
  const shardBytes = await Promise.all(checked.shards.map((shard, i) => loadVerifiedShard(shard, i, loadShard)));
  const named: NamedWeights = new Map();
  for (const entry of checked.tensors) {
    const bytes = shardBytes[entry.shard].subarray(entry.byteOffset, entry.byteOffset + entry.byteLength);
    named.set(entry.name, { shape: [...entry.shape], data: tensorValues(bytes, entry.dtype) });
  }
  return named;
}

async function loadVerifiedShard(shard: WeightsShardEntry, index: number, loadShard: ShardLoader): Promise<Uint8Array> {
  const where = `shard ${index} (${shard.file})`;
  let bytes: Uint8Array;
  try {
    bytes = await loadShard(shard.file);
  } catch (err) {
    throw new WeightsError(`${where}: could not be read: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
  if (bytes.byteLength !== shard.byteLength) {
    const what = bytes.byteLength < shard.byteLength ? 'truncated' : 'too long';
    throw new WeightsError(`${where}: ${what}: ${bytes.byteLength} bytes, manifest says ${shard.byteLength}`);
  }
  const actual = await sha256Hex(bytes);
  if (actual !== shard.sha256) {
    throw new WeightsError(`${where}: SHA-256 mismatch (corrupt or wrong file): got ${actual}, manifest says ${shard.sha256}`);
  }
  return bytes;
}

/** Little-endian bytes of `data` stored as `dtype`. */
function tensorBytes(data: Float32Array, dtype: WeightDtype): Uint8Array {
  const typed = dtype === 'float16' ? encodeFloat16(data) : Float32Array.from(data);
  if (!LITTLE_ENDIAN) swapBytes(typed);
  return new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
}

/** float32 values of little-endian `bytes` stored as `dtype` (always a fresh, owned array). */
function tensorValues(bytes: Uint8Array, dtype: WeightDtype): Float32Array {
  // Copy into a fresh aligned buffer: the shard offset may not be aligned, and the result must not
  // alias the shard (callers keep weights, not shards).
  const copy = bytes.slice();
  const count = bytes.byteLength / BYTES_PER_ELEMENT[dtype];
  if (dtype === 'float16') {
    const halves = new Uint16Array(copy.buffer, 0, count);
    if (!LITTLE_ENDIAN) swapBytes(halves);
    return decodeFloat16(halves);
  }
  const floats = new Float32Array(copy.buffer, 0, count);
  if (!LITTLE_ENDIAN) swapBytes(floats);
  return floats;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function swapBytes(typed: Uint16Array | Float32Array): void {
  const bytes = new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
  const width = typed.BYTES_PER_ELEMENT;
  for (let i = 0; i < bytes.length; i += width) bytes.subarray(i, i + width).reverse();
}

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

/** Lower-case hex SHA-256 (Web Crypto: browsers, workers, Node 20). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const owned = bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', owned));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}
