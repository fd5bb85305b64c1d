// Writes weights with deterministic random values for a preset (default: tiny) in the app's weights
// format, so e2e tests can run the whole avatar pipeline in seconds on SwiftShader. They are not
// trained: frames look like noise, which is all a pipeline test needs (a mouth generator's head is
// set so that its pass shows).
// Run: node -e "import('vite').then((v) => v.runnerImport('./scripts/make-test-weights.ts'))" -- --config tiny --out DIR
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { loadPreset } from '../src/nn/config.ts';
import { createModel, namedWeightsOf } from '../src/nn/model.ts';
import { MOUTH_PREFIX } from '../src/nn/plan.ts';
import { encodeWeights } from '../src/nn/weights-io.ts';
import { saveWeightsToFile } from '../src/nn/weights-io-node.ts';

const { values } = parseArgs({
  options: { config: { type: 'string', default: 'tiny' }, out: { type: 'string' }, force: { type: 'boolean', default: false } },
  allowPositionals: true,
});
const preset = values.config;
const out = values.out ?? `public/weights/test-${preset}`;
const manifestPath = join(out, 'manifest.json');
if (existsSync(manifestPath) && !values.force) {
  console.log(`test weights: ${manifestPath} exists`);
} else {
  await tf.setBackend('cpu');
  const config = loadPreset(preset);
  const model = createModel(config);
  if (config.mouth) {
    // The mouth generator's zero head would paste nothing: a constant Δ (+R, −G, +B) with α near 1
    // inside the square makes its pass visible to the e2e tests (a magenta mouth).
    model.generator.params.get(`${MOUTH_PREFIX}/output/conv/bias`).assign(tf.tensor1d([1, -1, 1, 4]));
  }
  const encoded = await encodeWeights(namedWeightsOf(model), {
    dtype: 'float16',
    config,
    meta: { note: 'untrained, deterministic random weights for tests', created: new Date().toISOString() },
  });
  model.dispose();
  await saveWeightsToFile(manifestPath, encoded);
  console.log(`test weights: wrote ${manifestPath}`);
}
