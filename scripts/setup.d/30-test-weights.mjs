// The tiny untrained weights e2e tests load (public/weights/test-tiny/, git-ignored).
import { runnerImport } from 'vite';

process.argv.push('--config', 'tiny', '--out', 'public/weights/test-tiny');
await runnerImport('./scripts/make-test-weights.ts');
