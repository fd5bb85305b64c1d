// Node-only weights files (scripts, tests, the CLI side of training): never import this from code
// bundled for the browser, it pulls in node:fs.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { NamedWeights } from './weights-format.ts';
import { decodeWeights, type EncodedWeights } from './weights-io.ts';

/** Reads a manifest file and the shards next to it, fully verified. */
export async function loadWeightsFromFile(manifestPath: string): Promise<NamedWeights> {
  const manifest: unknown = JSON.parse(await readFile(manifestPath, 'utf8'));
  const folder = dirname(manifestPath);
  return decodeWeights(manifest, async (file) => new Uint8Array(await readFile(join(folder, file))));
}

/** Writes the manifest to `manifestPath` and the shards next to it; returns the written paths. */
export async function saveWeightsToFile(manifestPath: string, encoded: EncodedWeights): Promise<string[]> {
  const folder = dirname(manifestPath);
  await mkdir(folder, { recursive: true });
  const shardPaths = encoded.manifest.shards.map((shard) => join(folder, shard.file));
  await Promise.all(shardPaths.map((path, i) => writeFile(path, encoded.shards[i])));
  // The manifest goes last so a reader never sees a manifest whose shards are still being written.
  await writeFile(manifestPath, JSON.stringify(encoded.manifest, null, 1));
  return [...shardPaths, manifestPath];
}
