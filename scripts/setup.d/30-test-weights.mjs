// The tiny untrained weights e2e tests load (public/weights/test-tiny/, test-tiny-warp/ and
// test-tiny-warp-mouth/, git-ignored): the paper's generator, the warp-guided one, and that with a mouth generator.
import { runnerImport } from 'vite';

const base = process.argv.length;
for (const preset of ['tiny', 'tiny-warp', 'tiny-warp-mouth']) {
  process.argv.splice(base, process.argv.length - base, '--config', preset, '--out', `public/weights/test-${preset}`);
  await runnerImport('./scripts/make-test-weights.ts?' + preset);
}
