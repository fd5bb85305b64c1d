// Prints one JSON line with the parameter counts of E, G (with P) and V and G's per-frame GFLOPs
// for a preset of src/nn/configs.json, computed from shapes without allocating any tensor.
// Run: node -e "import('vite').then((v) => v.runnerImport('./scripts/nn-summary.ts'))" -- --config paper
import { loadPreset } from '../src/nn/config.ts';
import { summarize } from '../src/nn/cost.ts';

/** The value after `--config` (or `--config=NAME`) anywhere in argv; "default" when absent. */
export function presetFromArgs(argv: readonly string[]): string {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--config' && i + 1 < argv.length) return argv[i + 1];
    if (argv[i].startsWith('--config=')) return argv[i].slice('--config='.length);
  }
  return 'default';
}

console.log(JSON.stringify(summarize(loadPreset(presetFromArgs(process.argv)))));
