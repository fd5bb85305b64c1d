import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WeightsError, validateManifest, type NamedWeights, type WeightsManifest } from './weights-format.ts';
import { quantizeToFloat16 } from './weights-io-float16.ts';
import { loadWeightsFromUrl } from './weights-io-fetch.ts';
import { loadWeightsFromFile, saveWeightsToFile } from './weights-io-node.ts';
import { decodeWeights, encodeWeights, sha256Hex, type EncodedWeights } from './weights-io.ts';

/** Deterministic pseudo-random floats spanning many magnitudes (incl. subnormal-half territory). */
function sampleValues(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u = s / 2 ** 32;
    out[i] = (u - 0.5) * 2 ** ((i % 40) - 28);
  }
  return out;
}

function sampleWeights(): NamedWeights {
  return new Map([
    ['conv1.weight', { shape: [8, 3, 3, 3], data: sampleValues(8 * 27, 1) }],
    ['conv1.bias', { shape: [7], data: sampleValues(7, 2) }], // odd length: exercises alignment padding
    ['norm.gamma', { shape: [5], data: new Float32Array([1, -0, 65504, 1e-8, 3.14159]) }],
    ['scalar', { shape: [], data: new Float32Array([42.5]) }],
    ['empty', { shape: [0, 4], data: new Float32Array(0) }],
    ['big', { shape: [300], data: sampleValues(300, 3) }],
  ]);
}

function loaderFor(encoded: EncodedWeights) {
  const byFile = new Map(encoded.manifest.shards.map((s, i) => [s.file, encoded.shards[i]]));
  return async (file: string) => {
    const bytes = byFile.get(file);
    if (!bytes) throw new Error(`no such shard ${file}`);
    return bytes;
  };
}

const bitsOf = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe('encodeWeights/decodeWeights', () => {
  it('round-trips float32 bit-exactly', async () => {
    const weights = sampleWeights();
    const encoded = await encodeWeights(weights, { dtype: 'float32', config: { preset: 'tiny' }, meta: { steps: 3 } });
    expect(encoded.manifest.format).toBe('talking-heads-weights');
    expect(encoded.manifest.version).toBe(1);
    expect(encoded.manifest.meta).toEqual({ steps: 3 });
    const decoded = await decodeWeights(JSON.parse(JSON.stringify(encoded.manifest)), loaderFor(encoded));
    expect([...decoded.keys()]).toEqual([...weights.keys()]);
    for (const [name, w] of weights) {
      expect(decoded.get(name)!.shape).toEqual(w.shape);
      expect(bitsOf(decoded.get(name)!.data)).toEqual(bitsOf(w.data));
    }
  });

  it('round-trips float16 to exactly the float16 quantisation, with per-tensor dtype choice', async () => {
    const weights = sampleWeights();
    const encoded = await encodeWeights(weights, {
      dtype: (name) => (name.startsWith('norm.') ? 'float32' : 'float16'),
      config: 'tiny',
    });
    const dtypes = Object.fromEntries(encoded.manifest.tensors.map((t) => [t.name, t.dtype]));
    expect(dtypes['norm.gamma']).toBe('float32');
    expect(dtypes['conv1.weight']).toBe('float16');
    expect(encoded.manifest.tensors.find((t) => t.name === 'conv1.weight')!.byteLength).toBe(8 * 27 * 2);
    const decoded = await decodeWeights(encoded.manifest, loaderFor(encoded));
    for (const [name, w] of weights) {
      const expected = dtypes[name] === 'float16' ? quantizeToFloat16(w.data) : w.data;
      expect(bitsOf(decoded.get(name)!.data)).toEqual(bitsOf(expected));
    }
    // The quantisation is real: float16 changed at least one value.
    expect(bitsOf(decoded.get('big')!.data)).not.toEqual(bitsOf(weights.get('big')!.data));
  });

  it('splits into shards without straddling, aligned to 4 bytes, and hashes each shard', async () => {
    const encoded = await encodeWeights(sampleWeights(), { dtype: 'float16', shardBytes: 256, config: {} });
    const { tensors, shards } = encoded.manifest;
    expect(shards.length).toBeGreaterThan(2);
    for (const t of tensors) {
      expect(t.byteOffset % 4).toBe(0);
      expect(t.byteOffset + t.byteLength).toBeLessThanOrEqual(shards[t.shard].byteLength);
    }
    // 'conv1.weight' (432 bytes) is bigger than a shard: it gets one to itself.
    const conv = tensors.find((t) => t.name === 'conv1.weight')!;
    expect(tensors.filter((t) => t.shard === conv.shard && t.byteLength > 0)).toHaveLength(1);
    for (const [i, s] of shards.entries()) {
      expect(s.byteLength).toBe(encoded.shards[i].byteLength);
      expect(s.sha256).toBe(await sha256Hex(encoded.shards[i]));
    }
    expect(new Set(shards.map((s) => s.file)).size).toBe(shards.length);
    expect(validateManifest(JSON.parse(JSON.stringify(encoded.manifest)))).toBeTruthy();
  });

  it('computes the standard SHA-256', async () => {
    expect(await sha256Hex(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('rejects data whose length does not match its shape', async () => {
    const bad = new Map([['w', { shape: [2, 2], data: new Float32Array(3) }]]);
    await expect(encodeWeights(bad, { dtype: 'float32', config: {} })).rejects.toThrow(/"w" has shape \[2,2\] but 3 values/);
  });
});

describe('decodeWeights failures', () => {
  async function encoded() {
    return encodeWeights(sampleWeights(), { dtype: 'float32', shardBytes: 512, config: {} });
  }

  it('detects a hash mismatch and names the shard', async () => {
    const e = await encoded();
    const corrupt = e.shards.map((s) => s.slice());
    corrupt[1][10] ^= 0x01;
    const error = await decodeWeights(e.manifest, loaderFor({ ...e, shards: corrupt })).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(WeightsError);
    expect((error as Error).message).toMatch(new RegExp(`shard 1 \\(${e.manifest.shards[1].file}\\): SHA-256 mismatch`));
  });

  it('detects a truncated shard and an over-long one', async () => {
    const e = await encoded();
    const truncated = e.shards.map((s, i) => (i === 0 ? s.slice(0, s.byteLength - 3) : s));
    await expect(decodeWeights(e.manifest, loaderFor({ ...e, shards: truncated }))).rejects.toThrow(
      /shard 0 .*: truncated: \d+ bytes, manifest says \d+/,
    );
    const padded = e.shards.map((s, i) => (i === 0 ? new Uint8Array([...s, 0]) : s));
    await expect(decodeWeights(e.manifest, loaderFor({ ...e, shards: padded }))).rejects.toThrow(/shard 0 .*: too long/);
  });

  it('reports a shard that cannot be loaded', async () => {
    const e = await encoded();
    await expect(decodeWeights(e.manifest, async () => Promise.reject(new Error('404')))).rejects.toThrow(
      /shard 0 .*could not be read: 404/,
    );
  });

  it('rejects tampered manifests with a message naming the tensor', async () => {
    const e = await encoded();
    const tamper = (edit: (m: { tensors: Record<string, unknown>[]; [k: string]: unknown }) => void) => {
      const m = JSON.parse(JSON.stringify(e.manifest));
      edit(m);
      return decodeWeights(m, loaderFor(e));
    };
    await expect(tamper((m) => (m.tensors[0].shape = [8, 3, 3, 4]))).rejects.toThrow(
      /tensor "conv1.weight": byteLength 864 does not match shape \[8,3,3,4\] × float32 \(1152 bytes\)/,
    );
    await expect(tamper((m) => (m.tensors[1].byteOffset = 10_000))).rejects.toThrow(/tensor "conv1.bias": bytes .* lie outside shard/);
    await expect(tamper((m) => (m.tensors[1].dtype = 'int8'))).rejects.toThrow(/tensor "conv1.bias": dtype "int8"/);
    await expect(tamper((m) => (m.tensors[1].shard = 99))).rejects.toThrow(/tensor "conv1.bias": shard index 99 out of range/);
    await expect(tamper((m) => (m.tensors[2].name = 'conv1.weight'))).rejects.toThrow(/"conv1.weight": duplicate name/);
    await expect(tamper((m) => (m.version = 2))).rejects.toThrow(/unsupported version 2/);
    await expect(tamper((m) => (m.format = 'tfjs'))).rejects.toThrow(/format is "tfjs"/);
    await expect(tamper((m) => delete m.config)).rejects.toThrow(/missing "config"/);
    await expect(tamper((m) => ((m.shards as { file: string }[])[0].file = '../etc/passwd'))).rejects.toThrow(/plain file name/);
    await expect(tamper((m) => ((m.shards as { sha256: string }[])[0].sha256 = 'XYZ'))).rejects.toThrow(/sha256 must be 64/);
    await expect(decodeWeights(null, loaderFor(e))).rejects.toThrow(WeightsError);
  });
});

describe('file and URL loaders', () => {
  it('saves to and loads from files, and serves the same bytes over fetch', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'weights-'));
    try {
      const weights = sampleWeights();
      const encoded = await encodeWeights(weights, { dtype: 'float32', shardBytes: 512, config: { preset: 'x' } });
      const manifestPath = join(dir, 'avatar', 'weights.json');
      const written = await saveWeightsToFile(manifestPath, encoded);
      expect(written).toHaveLength(encoded.shards.length + 1);
      const fromFile = await loadWeightsFromFile(manifestPath);
      expect(bitsOf(fromFile.get('big')!.data)).toEqual(bitsOf(weights.get('big')!.data));

      const requested: string[] = [];
      const fakeFetch = async (url: string) => {
        requested.push(url);
        const path = join(dir, new URL(url).pathname);
        return readFile(path).then(
          (b) => new Response(new Uint8Array(b)),
          () => new Response('missing', { status: 404, statusText: 'Not Found' }),
        );
      };
      const fromUrl = await loadWeightsFromUrl('http://host/avatar/weights.json', fakeFetch);
      expect(bitsOf(fromUrl.get('conv1.weight')!.data)).toEqual(bitsOf(weights.get('conv1.weight')!.data));
      expect(requested).toContain(`http://host/avatar/${encoded.manifest.shards[0].file}`);

      await writeFile(join(dir, 'avatar', encoded.manifest.shards[0].file), new Uint8Array(3));
      await expect(loadWeightsFromFile(manifestPath)).rejects.toThrow(/truncated/);
      await expect(loadWeightsFromUrl('http://host/nowhere/weights.json', fakeFetch)).rejects.toThrow(/HTTP 404/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('validateManifest', () => {
  it('accepts a hand-written manifest, as the Python exporter writes it (also a compile-time type check)', () => {
    const manifest: WeightsManifest = {
      format: 'talking-heads-weights',
      version: 1,
      config: { preset: 'small' },
      tensors: [{ name: 'w', shape: [2], dtype: 'float16', shard: 0, byteOffset: 0, byteLength: 4 }],
      shards: [{ file: 'weights.shard0.bin', byteLength: 4, sha256: '0'.repeat(64) }],
    };
    expect(validateManifest(manifest)).toBe(manifest);
  });
});
