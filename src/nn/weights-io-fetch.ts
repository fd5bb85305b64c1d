// Loading weights over HTTP(S) in the browser or a worker: the manifest URL's folder holds the
// shards (the layout the set-up scripts and the Python exporter write).
import { WeightsError, type NamedWeights } from './weights-format.ts';
import { decodeWeights } from './weights-io.ts';

export type FetchLike = (url: string) => Promise<Response>;

/** Fetches `manifestUrl` and its shards (resolved relative to it) and decodes them, fully verified. */
export async function loadWeightsFromUrl(manifestUrl: string, fetchImpl: FetchLike = (u) => fetch(u)): Promise<NamedWeights> {
  const manifest = await fetchOk(fetchImpl, manifestUrl).then((r) => r.json() as Promise<unknown>);
  const base = new URL(manifestUrl, globalThis.location?.href ?? 'http://localhost/');
  return decodeWeights(manifest, async (file) => {
    const response = await fetchOk(fetchImpl, new URL(file, base).href);
    return new Uint8Array(await response.arrayBuffer());
  });
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
