// The tiny untrained weights e2e tests load (public/weights/test-tiny/ and test-tiny-warp/, git-ignored):
// the paper's generator and the warp-guided one.
import { runnerImport } from 'vite';

const base = process.argv.length;
for (const preset of ['tiny', 'tiny-warp']) {
  process.argv.splice(base, process.argv.length - base, '--config', preset, '--out', `public/weights/test-${preset}`);
  await runnerImport('./scripts/make-test-weights.ts?' + preset);
}
