// Node-only loading of the perceptual networks from public/models/perceptual/ (tests, scripts).
// Never import from browser code: it pulls in node:fs.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  CONTENT_INPUT_SIZE,
  PERCEPTUAL_MODELS,
  contentLossConfig,
  createPerceptualNetworks,
  type ContentLossConfig,
  type PerceptualNetworks,
} from './perceptual.ts';

/** Where scripts/setup.d/20-perceptual-models.mjs puts the networks. */
export const DEFAULT_PERCEPTUAL_DIR = resolve(import.meta.dirname, '..', '..', 'public', 'models', 'perceptual');

/** Why the networks can't be loaded from `dir` (missing files), or null when they can. */
export function missingPerceptualModels(dir = DEFAULT_PERCEPTUAL_DIR): string | null {
  const missing = Object.values(PERCEPTUAL_MODELS)
    .map((spec) => join(dir, spec.dir, 'model.json'))
    .filter((path) => !existsSync(path));
  return missing.length === 0
    ? null
    : `perceptual models not found (${missing.join(', ')}): run scripts/setup.sh (step scripts/setup.d/20-perceptual-models.mjs)`;
}

/** A tf.js model.json and its weight files, read into memory as an IOHandler. */
export async function readModelArtifacts(modelDir: string): Promise<tf.io.IOHandler> {
  const json = JSON.parse(await readFile(join(modelDir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
  const groups = json.weightsManifest;
  const buffers = await Promise.all(groups.flatMap((g) => g.paths).map((p) => readFile(join(modelDir, p))));
  const weightData = new Uint8Array(buffers.reduce((n, b) => n + b.byteLength, 0));
  let offset = 0;
  for (const b of buffers) {
    weightData.set(b, offset);
    offset += b.byteLength;
  }
  return tf.io.fromMemory({
    modelTopology: json.modelTopology,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    signature: json.signature,
    userDefinedMetadata: json.userDefinedMetadata,
    weightSpecs: groups.flatMap((g) => g.weights),
    weightData: weightData.buffer,
  });
}

export async function loadPerceptualNetworksFromDir(
  dir = DEFAULT_PERCEPTUAL_DIR,
  config: ContentLossConfig = contentLossConfig,
  inputSize: number = CONTENT_INPUT_SIZE,
): Promise<PerceptualNetworks> {
  const missing = missingPerceptualModels(dir);
  if (missing) throw new Error(missing);
  const [imagenet, face] = await Promise.all([
    readModelArtifacts(join(dir, PERCEPTUAL_MODELS.imagenet.dir)).then((io) => tf.loadLayersModel(io)),
    readModelArtifacts(join(dir, PERCEPTUAL_MODELS.face.dir)).then((io) => tf.loadGraphModel(io)),
  ]);
  return createPerceptualNetworks({ imagenet, face }, config, inputSize);
}
