// The three networks as one unit, and their mapping to the named-weights format: what the app loads
// from public/weights/, what it saves after fine-tuning, and what the PyTorch exporter writes.
import * as tf from '@tensorflow/tfjs';
import { validateConfig, type NetConfig } from './config.ts';
import { createDiscriminator, EMBEDDING_MATRIX, type Discriminator } from './discriminator.ts';
import { createEmbedder, type Embedder } from './embedder.ts';
import { createGenerator, type Generator } from './generator.ts';
import type { ParamRegistry } from './params.ts';
import { validateManifest, WeightsError, type NamedWeights, type WeightsManifest } from './weights-format.ts';
import { decodeWeights, type ShardLoader } from './weights-io.ts';
import { fetchWeightsFiles } from './weights-io-fetch.ts';

export interface TalkingHeadModel {
  readonly config: NetConfig;
  readonly embedder: Embedder;
  readonly generator: Generator;
  readonly discriminator: Discriminator;
  dispose(): void;
}

/**
 * Fresh networks for `config`. The app builds D without the per-video matrix W (numVideos 0): it
 * is only used in meta-learning, and fine-tuning replaces W_i + w0 by w′.
 */
export function createModel(config: NetConfig, numVideos = 0): TalkingHeadModel {
  const embedder = createEmbedder(config);
  const generator = createGenerator(config);
  const discriminator = createDiscriminator(config, numVideos);
  return {
    config,
    embedder,
    generator,
    discriminator,
    dispose() {
      embedder.dispose();
      generator.dispose();
      discriminator.dispose();
    },
  };
}

function registries(model: TalkingHeadModel): ParamRegistry[] {
  return [model.embedder.params, model.generator.params, model.discriminator.params];
}

/** Every parameter and spectral-norm u vector of the model, by name, as float32 copies. */
export function namedWeightsOf(model: TalkingHeadModel): NamedWeights {
  const named: NamedWeights = new Map();
  for (const registry of registries(model)) {
    for (const entry of registry.list()) {
      named.set(entry.name, { shape: [...entry.variable.shape], data: entry.variable.dataSync() as Float32Array });
    }
  }
  return named;
}

/**
 * Loads `named` into the model. Every parameter must be present with its shape, except W when the
 * file has it and the model does not (a meta-learning checkpoint loaded into the app).
 */
export function assignNamedWeights(model: TalkingHeadModel, named: NamedWeights): void {
  const missing: string[] = [];
  for (const registry of registries(model)) {
    const values = new Map<string, tf.Tensor>();
    try {
      for (const entry of registry.list()) {
        const weight = named.get(entry.name);
        if (!weight) {
          missing.push(entry.name);
          continue;
        }
        if (!tf.util.arraysEqual([...weight.shape], entry.variable.shape)) {
          throw new WeightsError(`weights: "${entry.name}" has shape [${weight.shape}], the network needs [${entry.variable.shape}]`);
        }
        values.set(entry.name, tf.tensor(weight.data, [...weight.shape], 'float32'));
      }
      if (missing.length === 0) registry.assign(values);
    } finally {
      for (const t of values.values()) t.dispose();
    }
  }
  if (missing.length > 0) {
    throw new WeightsError(`weights: ${missing.length} tensors missing, e.g. ${missing.slice(0, 3).join(', ')}`);
  }
  const known = new Set(registries(model).flatMap((r) => r.list().map((e) => e.name)));
  const unknown = [...named.keys()].filter((n) => !known.has(n) && n !== EMBEDDING_MATRIX);
  if (unknown.length > 0) {
    throw new WeightsError(`weights: ${unknown.length} tensors the network does not have, e.g. ${unknown.slice(0, 3).join(', ')}`);
  }
}

/** Builds the model a manifest describes and loads its verified weights into it. */
export async function modelFromManifest(
  manifestJson: unknown,
  loadShard: ShardLoader,
): Promise<{ model: TalkingHeadModel; manifest: WeightsManifest }> {
  const manifest = validateManifest(manifestJson);
  let config: NetConfig;
  try {
    config = validateConfig(manifest.config);
  } catch (error) {
    throw new WeightsError(`weights: the manifest's network config is invalid: ${error instanceof Error ? error.message : String(error)}`);
  }
  const named = await decodeWeights(manifest, loadShard);
  const model = createModel(config);
  try {
    assignNamedWeights(model, named);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return { model, manifest };
}

/** Fetches a manifest and its shards (relative to it) and builds the model. */
export async function loadModelFromUrl(manifestUrl: string): Promise<{ model: TalkingHeadModel; manifest: WeightsManifest }> {
  const { manifest, loadShard } = await fetchWeightsFiles(manifestUrl);
  return modelFromManifest(manifest, loadShard);
}
