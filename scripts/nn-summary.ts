// Prints one JSON line with the parameter counts of E, G (with P) and V and G's per-frame GFLOPs
// for a preset of src/nn/configs.json, computed from shapes without allocating any tensor.
// Run: node -e "import('vite').then((v) => v.runnerImport('./scripts/nn-summary.ts'))" -- --config paper
import { parseArgs } from 'node:util';
import { loadPreset } from '../src/nn/config.ts';
import { summarize } from '../src/nn/cost.ts';

const { values } = parseArgs({ options: { config: { type: 'string', default: 'default' } }, allowPositionals: true });
console.log(JSON.stringify(summarize(loadPreset(values.config))));
