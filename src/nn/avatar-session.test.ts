import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { computeFaceCrop, mapLandmarksToCrop } from '../landmarks/crop.ts';
import { loadRealFaceFixture } from '../landmarks/realFaceFixture.ts';
import type { Landmarks, RgbaImage } from '../landmarks/types.ts';
import { AVATAR_PSI, AvatarSession, type AvatarPhoto } from './avatar-session.ts';
import { decodeWeights, encodeWeights } from './weights-io.ts';
import { loadPreset } from './config.ts';
import { createModel, type TalkingHeadModel } from './model.ts';
import { setAttentionGammas, useCpuBackend } from './testing.ts';

const CROP = 64;

function photo(seed: number, landmarks: Landmarks): AvatarPhoto {
  const data = new Uint8ClampedArray(CROP * CROP * 4);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    data[i] = i % 4 === 3 ? 255 : s % 256;
  }
  return { crop: { width: CROP, height: CROP, data }, landmarks };
}

function differs(a: RgbaImage, b: RgbaImage): number {
  let n = 0;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) n++;
  return n;
}

describe('AvatarSession (tiny config, CPU)', () => {
  let model: TalkingHeadModel;
  let face: Landmarks;
  let mouthOpen: Landmarks;

  beforeAll(async () => {
    await useCpuBackend();
    model = createModel(loadPreset('tiny'));
    setAttentionGammas(model.generator.params, 0.5);
    const fixture = loadRealFaceFixture();
    face = mapLandmarksToCrop(fixture.landmarks, computeFaceCrop(fixture.landmarks, CROP));
    // Lower lip and jaw points moved down: a different driving pose.
    mouthOpen = face.map((p) => (p.y > CROP * 0.62 ? { ...p, y: p.y + CROP * 0.06 } : p));
  });

  it('renders an avatar frame at the model resolution, and the pose changes it', async () => {
    const session = new AvatarSession(model);
    session.setPhotos([photo(1, face), photo(2, face)]);
    expect(session.photoCount).toBe(2);
    const a = await session.render(face, CROP);
    const b = await session.render(mouthOpen, CROP);
    expect([a.width, a.height, a.data.length]).toEqual([16, 16, 16 * 16 * 4]);
    expect(differs(a, b)).toBeGreaterThan(0);
    session.clear();
  });

  it('different photos give a different avatar (ê reaches G through P)', async () => {
    const session = new AvatarSession(model);
    session.setPhotos([photo(1, face)]);
    const a = await session.render(face, CROP);
    session.setPhotos([photo(99, face)]);
    const b = await session.render(face, CROP);
    expect(differs(a, b)).toBeGreaterThan(0);
    session.clear();
  });

  it('fine-tuning trains copies: adopting changes the avatar, the meta-learned weights stay', async () => {
    const before = model.generator.params.list().map((e) => e.variable.dataSync().slice());
    const session = new AvatarSession(model);
    session.setPhotos([photo(3, face)]);
    const ff = await session.render(face, CROP);
    session.startFineTune({ seed: 7 });
    for (let i = 0; i < 3; i++) {
      const r = await session.fineTuneStep();
      expect(Number.isFinite(r.lossG)).toBe(true);
      expect(Number.isFinite(r.lossD)).toBe(true);
    }
    session.adoptFineTuned();
    const ft = await session.render(face, CROP);
    expect(differs(ff, ft)).toBeGreaterThan(0);
    session.stopFineTune();
    // The adopted renderer holds its own weights: it still renders after the tuner is gone.
    expect((await session.render(face, CROP)).data).toEqual(ft.data);
    const after = model.generator.params.list().map((e) => e.variable.dataSync());
    after.forEach((values, i) => expect(values).toEqual(before[i]));
    session.clear();
  });

  it('a fine-tuned avatar saved in the weights format renders the same after loading', async () => {
    const session = new AvatarSession(model);
    session.setPhotos([photo(5, face)]);
    session.startFineTune({ seed: 3 });
    await session.fineTuneStep();
    session.adoptFineTuned();
    session.stopFineTune();
    const expected = await session.render(mouthOpen, CROP);
    const encoded = await encodeWeights(await session.exportAvatar(), { dtype: 'float32', config: model.config });
    expect(encoded.manifest.tensors.map((t) => t.name)).toContain(AVATAR_PSI);
    const decoded = await decodeWeights(encoded.manifest, async (file) => {
      const i = encoded.manifest.shards.findIndex((s) => s.file === file);
      return encoded.shards[i];
    });
    session.clear();

    const restored = new AvatarSession(model);
    restored.importAvatar(decoded);
    expect(restored.isFineTuned).toBe(true);
    expect((await restored.render(mouthOpen, CROP)).data).toEqual(expected.data);
    restored.clear();
  });

  it('leaks no tensors across renders, fine-tuning and clearing', async () => {
    const session = new AvatarSession(model);
    const start = tf.memory().numTensors;
    session.setPhotos([photo(4, face)]);
    await session.render(face, CROP);
    const afterFirst = tf.memory().numTensors;
    for (let i = 0; i < 60; i++) await session.render(i % 2 ? face : mouthOpen, CROP);
    expect(tf.memory().numTensors).toBe(afterFirst);
    session.startFineTune();
    await session.fineTuneStep();
    const tuning = tf.memory().numTensors;
    for (let i = 0; i < 2; i++) await session.fineTuneStep();
    expect(tf.memory().numTensors).toBe(tuning);
    session.adoptFineTuned();
    session.clear();
    expect(tf.memory().numTensors).toBe(start);
  });
});
