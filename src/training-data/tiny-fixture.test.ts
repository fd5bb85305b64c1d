import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TINY_SET_DIR, writeTinyTrainingSet } from './tiny-fixture.ts';

// The committed fixture is what train/tests/test_dataset_io.py reads; rebuilding it here and
// comparing bytes catches any encoder change that the Python reader has not been told about.
describe('tiny training-set fixture', () => {
  const rebuilt = mkdtempSync(join(tmpdir(), 'tiny-set-'));
  afterAll(() => rmSync(rebuilt, { recursive: true, force: true }));

  it('matches the committed bytes', () => {
    if (process.env.WRITE_TRAINING_FIXTURE) writeTinyTrainingSet(TINY_SET_DIR);
    writeTinyTrainingSet(rebuilt);
    const files = readdirSync(rebuilt).sort();
    expect(files).toEqual([
      'expected.json',
      'manifest.json',
      'shard-000.bin',
      'shard-000.landmarks.bin',
      'shard-001.bin',
      'shard-001.landmarks.bin',
    ]);
    for (const file of files) {
      expect(readFileSync(join(rebuilt, file)).equals(readFileSync(join(TINY_SET_DIR, file))), file).toBe(true);
    }
  });

  it('keeps held-out people in their own shard', () => {
    const manifest = JSON.parse(readFileSync(join(TINY_SET_DIR, 'manifest.json'), 'utf8'));
    expect(manifest.shards.map((s: { heldout: boolean; frames: number }) => [s.heldout, s.frames])).toEqual([
      [false, 2],
      [true, 1],
    ]);
    expect(manifest.counts.total).toMatchObject({ people: 2, heldoutPeople: 1, frames: 3, heldoutFrames: 1, framesWithFill: 1 });
    expect(manifest.counts.total.dropped).toEqual({ 'no-face': 1, upscale: 1 });
  });
});
