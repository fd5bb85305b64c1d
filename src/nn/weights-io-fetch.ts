// Loading weights over HTTP(S) in the browser or a worker: the manifest URL's folder holds the
// shards (the layout the set-up scripts and the Python exporter write).
import { WeightsError, type NamedWeights } from './weights-format.ts';
import { decodeWeights, type ShardLoader } from './weights-io.ts';

export type FetchLike = (url: string) => Promise<Response>;

/** The manifest JSON at `manifestUrl` (unvalidated) and a loader for the shards next to it. */
export async function fetchWeightsFiles(
  manifestUrl: string,
  fetchImpl: FetchLike = (u) => fetch(u),
): Promise<{ manifest: unknown; loadShard: ShardLoader }> {
  const base = new URL(manifestUrl, globalThis.location?.href ?? 'http://localhost/');
  const response = await fetchOk(fetchImpl, base.href);
  let manifest: unknown;
  try {
    manifest = await response.json();
  } catch (err) {
    const type = response.headers.get('content-type') ?? 'unknown type';
    throw new WeightsError(`${base.href}: not a weights manifest (${type}); are the weights installed?`, { cause: err });
  }
  const loadShard: ShardLoader = async (file) => {
    const response = await fetchOk(fetchImpl, new URL(file, base).href);
    return new Uint8Array(await response.arrayBuffer());
  };
  return { manifest, loadShard };
}

/** Fetches `manifestUrl` and its shards (resolved relative to it) and decodes them, fully verified. */
export async function loadWeightsFromUrl(manifestUrl: string, fetchImpl: FetchLike = (u) => fetch(u)): Promise<NamedWeights> {
  const { manifest, loadShard } = await fetchWeightsFiles(manifestUrl, fetchImpl);
  return decodeWeights(manifest, loadShard);
}

async function fetchOk(fetchImpl: FetchLike, url: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetchImpl(url);
  } catch (err) {
    throw new WeightsError(`${url}: fetch failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (!response.ok) throw new WeightsError(`${url}: HTTP ${response.status} ${response.statusText}`);
  return response;
}
