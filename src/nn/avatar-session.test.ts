import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { computeFaceCrop, mapLandmarksToCrop } from '../landmarks/crop.ts';
import { loadRealFaceFixture } from '../landmarks/real-face-fixture.ts';
import type { Landmarks, RgbaImage } from '../landmarks/types.ts';
import { sampleBilinearPixels, warpGrid, warpImage } from '../landmarks/warp.ts';
import { AVATAR_MOUTH_PSI, AVATAR_PSI, AVATAR_SOURCE_CROPS, AvatarSession, WARP_DISPLAY_SIZE, type AvatarPhoto } from './avatar-session.ts';
import { interOcularDistance } from '../landmarks/expression.ts';
import { mouthBox, openingGate } from '../landmarks/mouth-region.ts';
import { MOUTH_PREFIX } from './plan.ts';
import { displacePositions } from './compose.ts';
import { FLOW_RANGE } from './generator.ts';
import { decodeWeights, encodeWeights } from './weights-io.ts';
import { loadPreset, validateConfig } from './config.ts';
import { createModel, type TalkingHeadModel } from './model.ts';
import { setAttentionGammas, useCpuBackend } from './testing.ts';
import { ADOPTION_MARGIN } from './finetune-validation.ts';

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
    await session.adoptFineTuned();
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
    await session.adoptFineTuned();
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
    await session.adoptFineTuned();
    session.clear();
    expect(tf.memory().numTensors).toBe(start);
  });
});

describe('AvatarSession, warp-guided (tiny-warp config, CPU)', () => {
  let model: TalkingHeadModel;
  let face: Landmarks;
  let mouthOpen: Landmarks;
  const D = WARP_DISPLAY_SIZE;

  /** A 256-px photo crop of smooth random colour fields (so a warp visibly moves it). */
  function bigPhoto(seed: number, landmarks: Landmarks): AvatarPhoto {
    const data = new Uint8ClampedArray(D * D * 4);
    for (let y = 0; y < D; y++) {
      for (let x = 0; x < D; x++) {
        const i = (y * D + x) * 4;
        data[i] = 128 + 100 * Math.sin((x + seed * 7) / 9);
        data[i + 1] = 128 + 100 * Math.cos((y + seed * 3) / 7);
        data[i + 2] = (x * y + seed * 31) % 256;
        data[i + 3] = 255;
      }
    }
    return { crop: { width: D, height: D, data }, landmarks: landmarks.map((p) => ({ x: (p.x * D) / CROP, y: (p.y * D) / CROP, z: p.z })) };
  }

  function meanAbs(a: RgbaImage, b: RgbaImage): number {
    let sum = 0;
    let n = 0;
    for (let i = 0; i < a.data.length; i++) {
      if (i % 4 === 3) continue;
      sum += Math.abs(a.data[i] - b.data[i]);
      n++;
    }
    return sum / n;
  }

  beforeAll(async () => {
    await useCpuBackend();
    model = createModel(loadPreset('tiny-warp'));
    setAttentionGammas(model.generator.params, 0.5);
    const fixture = loadRealFaceFixture();
    face = mapLandmarksToCrop(fixture.landmarks, computeFaceCrop(fixture.landmarks, CROP));
    mouthOpen = face.map((p) => (p.y > CROP * 0.62 ? { ...p, y: p.y + CROP * 0.06 } : p));
  });

  it('the untrained G renders the 256-px warp of the photo nearest the driver', async () => {
    const session = new AvatarSession(model);
    expect(session.frameSize).toBe(D);
    const closed = bigPhoto(1, face);
    const open = bigPhoto(2, mouthOpen);
    session.setPhotos([closed, open]);
    const driver = mouthOpen.map((p) => ({ ...p, x: p.x + 1 }));
    const frame = await session.render(driver, CROP);
    expect([frame.width, frame.height]).toEqual([D, D]);
    // Nearest is the open-mouth photo: the frame is its warp (the zero head adds nothing).
    const target = driver.map((p) => ({ x: (p.x * D) / CROP, y: (p.y * D) / CROP, z: p.z }));
    const fromOpen = warpImage(open.crop, open.landmarks, target).image;
    const fromClosed = warpImage(closed.crop, closed.landmarks, target).image;
    expect(meanAbs(frame, fromOpen)).toBeLessThan(1);
    expect(meanAbs(frame, fromClosed)).toBeGreaterThan(10);
    session.clear();
  });

  it('holds the warped photo over a driving sequence (holdSource) and takes the nearest without it', async () => {
    const session = new AvatarSession(model);
    const closed = bigPhoto(1, face);
    const open = bigPhoto(2, mouthOpen);
    session.setPhotos([closed, open]);
    const scaled = (points: Landmarks) => points.map((p) => ({ x: (p.x * D) / CROP, y: (p.y * D) / CROP, z: p.z }));
    // A driver a little nearer the open photo than the closed one: held after the closed pose, it stays closed.
    const between = face.map((p, i) => ({ ...p, y: p.y + 0.5 * (mouthOpen[i].y - p.y) }));
    const fromClosed = warpImage(closed.crop, closed.landmarks, scaled(between)).image;
    const fromOpen = warpImage(open.crop, open.landmarks, scaled(between)).image;
    await session.render(face, CROP, { holdSource: true });
    expect(meanAbs(await session.render(between, CROP, { holdSource: true }), fromClosed)).toBeLessThan(1);
    expect(meanAbs(await session.render(between, CROP), fromOpen)).toBeLessThan(1);
    // Clearly nearer the open photo: a held sequence switches too.
    await session.render(face, CROP, { holdSource: true });
    expect(
      meanAbs(await session.render(mouthOpen, CROP, { holdSource: true }), warpImage(open.crop, open.landmarks, scaled(mouthOpen)).image),
    ).toBeLessThan(1);
    session.clear();
  });

  it('fine-tunes on warps of the other photos, and a saved avatar (with its photos) renders the same', async () => {
    const session = new AvatarSession(model);
    session.setPhotos([bigPhoto(3, face), bigPhoto(4, mouthOpen)]);
    const ff = await session.render(face, CROP);
    session.startFineTune({ seed: 5, learningRateG: 1e-2 });
    for (let i = 0; i < 2; i++) expect(Number.isFinite((await session.fineTuneStep()).lossG)).toBe(true);
    await session.adoptFineTuned();
    session.stopFineTune();
    const ft = await session.render(face, CROP);
    expect(differs(ff, ft)).toBeGreaterThan(0);

    const named = await session.exportAvatar();
    expect(named.get(AVATAR_SOURCE_CROPS)?.shape).toEqual([2, D, D, 3]);
    session.clear();
    const restored = new AvatarSession(model);
    restored.importAvatar(named);
    expect((await restored.render(face, CROP)).data).toEqual(ft.data);
    restored.clear();
  });

  it('fine-tunes on the frames as shown (a weights recipe with shownSize and l1Weight) without leaking', async () => {
    const session = new AvatarSession(model);
    const start = tf.memory().numTensors;
    session.setPhotos([bigPhoto(3, face), bigPhoto(4, mouthOpen)]);
    const ff = await session.render(face, CROP);
    session.startFineTune({ seed: 5, learningRateG: 1e-2, shownSize: 64, l1Weight: 10, adversarialWeight: 0, featureMatchingWeight: 0 });
    for (let i = 0; i < 3; i++) {
      const { terms } = await session.fineTuneStep();
      expect(terms.l1).toBeGreaterThan(0);
      expect(Math.abs(terms.adversarial)).toBe(0);
    }
    await session.adoptFineTuned();
    session.stopFineTune();
    expect(differs(ff, await session.render(face, CROP))).toBeGreaterThan(0);
    session.clear();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('refuses a saved avatar without photos with a clear message', () => {
    const session = new AvatarSession(model);
    const named = new Map([[AVATAR_PSI, { shape: [1, 4], data: new Float32Array(4) }]]);
    expect(() => session.importAvatar(named)).toThrow(/no photos.*paper generator/);
  });

  it('refuses a saved paper avatar whose ψ or G no longer fits the loaded weights, with a clear message', async () => {
    const paper = createModel(loadPreset('tiny'));
    const session = new AvatarSession(paper);
    session.setPhotos([photo(1, face)]);
    const named = await session.exportAvatar();
    session.clear();
    const start = tf.memory().numTensors;
    const psi = named.get(AVATAR_PSI)!;
    expect(() =>
      session.importAvatar(new Map([...named, [AVATAR_PSI, { shape: [1, psi.shape[1] + 2], data: new Float32Array(psi.shape[1] + 2) }]])),
    ).toThrow(/"avatar\/psi" has shape \[1,\d+\], the loaded generator needs/);
    const kernel = named.get('generator/down0/conv1/kernel')!;
    const wider = { shape: [...kernel.shape.slice(0, 3), kernel.shape[3] * 2], data: new Float32Array(kernel.data.length * 2) };
    expect(() => session.importAvatar(new Map([...named, ['generator/down0/conv1/kernel', wider]]))).toThrow(
      /has no photos to be rebuilt from/,
    );
    expect(tf.memory().numTensors).toBe(start);
    paper.dispose();
  });

  it('with a learned flow (tiny-warp-flow), samples the photo once at the warp positions moved by the flow', async () => {
    const flowModel = createModel(loadPreset('tiny-warp-flow'));
    const r = flowModel.config.resolution;
    const bias = flowModel.generator.params.get('generator/output/conv/bias');
    // Zero Δ, a constant flow of 3 display pixels to the right: raw = atanh(flow / FLOW_RANGE).
    const flowX = 3 / D;
    bias.assign(tf.tensor1d([0, 0, 0, 0, Math.atanh(flowX / FLOW_RANGE), 0]));
    const session = new AvatarSession(flowModel);
    const photo = bigPhoto(8, face);
    session.setPhotos([photo]);
    const driver = mouthOpen;
    const frame = await session.render(driver, CROP);
    const target = driver.map((p) => ({ x: (p.x * D) / CROP, y: (p.y * D) / CROP, z: p.z }));
    const grid = warpGrid(photo.landmarks, target, D);
    const flow = Float32Array.from({ length: r * r * 2 }, (_, k) => (k % 2 === 0 ? Math.fround(flowX) : 0));
    const rgba = Float32Array.from(photo.crop.data);
    const moved = sampleBilinearPixels(rgba, D, 4, displacePositions(grid.positions, D, flow, r));
    const expected: RgbaImage = { width: D, height: D, data: new Uint8ClampedArray(moved) };
    expect(meanAbs(frame, expected)).toBeLessThan(1);
    expect(meanAbs(frame, warpImage(photo.crop, photo.landmarks, target).image)).toBeGreaterThan(3);
    session.clear();
    flowModel.dispose();
  });

  it('with a mouth generator (tiny-warp-mouth): repaints only around the driving mouth, and fine-tunes, saves and reloads with it', async () => {
    const mouthModel = createModel(loadPreset('tiny-warp-mouth'));
    const session = new AvatarSession(mouthModel);
    const photo = bigPhoto(9, face);
    // Lips parted by a third of the eye-corner distance: past the preset's opening ramp (gate 1).
    const midline = (face[13].y + face[14].y) / 2;
    const part = interOcularDistance(face) / 3;
    const wide = face.map((p) => (p.y > midline ? { ...p, y: p.y + part } : p));
    expect(openingGate(wide, face, mouthModel.config.mouth!.openingRamp)).toBe(1);
    expect(openingGate(face, face, mouthModel.config.mouth!.openingRamp)).toBe(0);
    const target = wide.map((p) => ({ x: (p.x * D) / CROP, y: (p.y * D) / CROP, z: p.z }));
    session.setPhotos([photo]);
    // Zero heads: the frame is the warp, the mouth generator adds nothing.
    const plain = await session.render(wide, CROP);
    expect(meanAbs(plain, warpImage(photo.crop, photo.landmarks, target).image)).toBeLessThan(1);

    // A constant Δ with α well above 0 (a zero kernel, a bias): the mouth's square changes, nothing else.
    mouthModel.generator.params.get(`${MOUTH_PREFIX}/output/conv/bias`).assign(tf.tensor1d([1, -1, 1, 3]));
    session.setPhotos([photo]);
    const painted = await session.render(wide, CROP);
    const box = mouthBox(target, mouthModel.config.mouth!.pad);
    const reach = box.side / 2 + box.side / mouthModel.config.mouth!.resolution + 1; // a crop pixel of bilinear spill
    let inside = 0;
    let outside = 0;
    for (let p = 0; p < D * D; p++) {
      if (painted.data[4 * p] === plain.data[4 * p] && painted.data[4 * p + 1] === plain.data[4 * p + 1]) continue;
      const far = Math.max(Math.abs((p % D) + 0.5 - box.x), Math.abs(Math.floor(p / D) + 0.5 - box.y)) > reach;
      if (far) outside++;
      else inside++;
    }
    expect(outside).toBe(0);
    expect(inside).toBeGreaterThan(0.3 * box.side ** 2);
    // skipMouth (the bench's measurement of the pass) renders the same frame without it.
    expect((await session.render(wide, CROP, { skipMouth: true })).data).toEqual(plain.data);
    // A closed mouth is below the ramp: no pass runs, the frame is the warp's.
    const closed = await session.render(face, CROP);
    const still = face.map((p) => ({ x: (p.x * D) / CROP, y: (p.y * D) / CROP, z: p.z }));
    expect(meanAbs(closed, warpImage(photo.crop, photo.landmarks, still).image)).toBeLessThan(1);

    // Fine-tuning keeps the mouth generator and ψ_m; the saved avatar reloads to the same frame.
    const mouthPsi = Array.from((await session.exportAvatar()).get(AVATAR_MOUTH_PSI)!.data);
    session.startFineTune({ seed: 5, learningRateG: 1e-2 });
    for (let i = 0; i < 2; i++) await session.fineTuneStep();
    await session.adoptFineTuned();
    session.stopFineTune();
    const tuned = await session.render(wide, CROP);
    const named = await session.exportAvatar();
    expect(Array.from(named.get(AVATAR_MOUTH_PSI)!.data)).toEqual(mouthPsi);
    const kernel = mouthModel.generator.params.get(`${MOUTH_PREFIX}/down0/conv1/kernel`).dataSync();
    expect(Array.from(named.get(`${MOUTH_PREFIX}/down0/conv1/kernel`)!.data)).toEqual(Array.from(kernel));
    session.clear();
    const restored = new AvatarSession(mouthModel);
    restored.importAvatar(named);
    expect((await restored.render(wide, CROP)).data).toEqual(tuned.data);

    // An avatar saved before the weights had a mouth generator loads and renders without one.
    const old = new Map([...named].filter(([name]) => !name.startsWith(`${MOUTH_PREFIX}/`) && name !== AVATAR_MOUTH_PSI));
    restored.importAvatar(old);
    const withoutMouth = await restored.render(wide, CROP);
    expect(differs(withoutMouth, tuned)).toBeGreaterThan(0);
    restored.importAvatar(named);
    await restored.render(wide, CROP);
    const start = tf.memory().numTensors;
    restored.importAvatar(named);
    await restored.render(wide, CROP);
    expect(tf.memory().numTensors).toBe(start);
    restored.clear();

    // An avatar whose mouth generator fits renders with its own saved ψ_m, not one recomputed.
    const saved = named.get(AVATAR_MOUTH_PSI)!;
    const own = { shape: saved.shape, data: saved.data.map((v) => 2 * v + 0.5) };
    restored.importAvatar(new Map([...named, [AVATAR_MOUTH_PSI, own]]));
    expect(Array.from((await restored.exportAvatar()).get(AVATAR_MOUTH_PSI)!.data)).toEqual(Array.from(own.data));
    restored.clear();

    // An avatar saved with another mouth generator (here the loaded weights' is narrower) gets the
    // loaded one, with ψ_m from its saved photos: what a new avatar from the same photo gets.
    const base = loadPreset('tiny-warp-mouth');
    const narrowModel = createModel(validateConfig({ ...base, mouth: { ...base.mouth!, minChannels: 2, maxChannels: 4 } }));
    const fresh = new AvatarSession(narrowModel);
    fresh.setPhotos([photo]);
    const freshMouthPsi = (await fresh.exportAvatar()).get(AVATAR_MOUTH_PSI)!;
    fresh.clear();
    const moved = new AvatarSession(narrowModel);
    const before = tf.memory().numTensors;
    moved.importAvatar(named);
    const movedNamed = await moved.exportAvatar();
    const movedMouthPsi = movedNamed.get(AVATAR_MOUTH_PSI)!;
    expect(movedMouthPsi.shape).toEqual(freshMouthPsi.shape);
    expect(movedMouthPsi.shape).not.toEqual(named.get(AVATAR_MOUTH_PSI)!.shape);
    const gap = Math.max(...Array.from(movedMouthPsi.data, (v, i) => Math.abs(v - freshMouthPsi.data[i])));
    expect(gap).toBeLessThan(1e-4);
    const narrowKernel = narrowModel.generator.params.get(`${MOUTH_PREFIX}/down0/conv1/kernel`);
    expect(Array.from(movedNamed.get(`${MOUTH_PREFIX}/down0/conv1/kernel`)!.data)).toEqual(Array.from(narrowKernel.dataSync()));
    // G's own (fine-tuned) weights come from the avatar, as before.
    const tunedKernel = named.get('generator/down0/conv1/kernel')!.data;
    expect(Array.from(movedNamed.get('generator/down0/conv1/kernel')!.data)).toEqual(Array.from(tunedKernel));
    await moved.render(wide, CROP);
    moved.clear();
    expect(tf.memory().numTensors).toBe(before);
    narrowModel.dispose();
    mouthModel.dispose();
  });

  it('rebuilds from its photos an avatar saved under a wider G than the loaded one (tiny-warp-narrow), as a new avatar', async () => {
    const wideModel = createModel(loadPreset('tiny-warp-mouth-region'));
    const narrowModel = createModel(loadPreset('tiny-warp-narrow'));
    // Non-zero heads, so both G and the mouth generator change the frame.
    for (const m of [wideModel, narrowModel]) {
      m.generator.params.get('generator/output/conv/bias').assign(tf.tensor1d([0.5, -0.5, 0.5, 1]));
      m.generator.params.get(`${MOUTH_PREFIX}/output/conv/bias`).assign(tf.tensor1d([1, -1, 1, 3]));
    }
    const photos = [bigPhoto(3, face), bigPhoto(4, mouthOpen)];
    const wide = new AvatarSession(wideModel);
    wide.setPhotos(photos);
    wide.startFineTune({ seed: 5, learningRateG: 1e-2 });
    await wide.fineTuneStep();
    await wide.adoptFineTuned();
    wide.stopFineTune();
    const named = await wide.exportAvatar();
    wide.clear();
    const fresh = new AvatarSession(narrowModel);
    fresh.setPhotos(photos);
    const expected = await fresh.render(mouthOpen, CROP);
    const freshNamed = await fresh.exportAvatar();
    fresh.clear();

    const before = tf.memory().numTensors;
    const moved = new AvatarSession(narrowModel);
    expect(moved.importAvatar(named)).toEqual({ rebuilt: true });
    expect(moved.isFineTuned).toBe(false);
    expect(meanAbs(await moved.render(mouthOpen, CROP), expected)).toBeLessThan(0.01);
    const movedNamed = await moved.exportAvatar();
    expect(movedNamed.get(AVATAR_PSI)!.shape).toEqual(freshNamed.get(AVATAR_PSI)!.shape);
    const gap = Math.max(...Array.from(movedNamed.get(AVATAR_PSI)!.data, (v, i) => Math.abs(v - freshNamed.get(AVATAR_PSI)!.data[i])));
    expect(gap).toBeLessThan(1e-4);
    // It can be fine-tuned again, as a new avatar can.
    moved.startFineTune({ seed: 5, learningRateG: 1e-2 });
    expect(Number.isFinite((await moved.fineTuneStep()).lossG)).toBe(true);
    moved.stopFineTune();
    // An avatar that fits is not rebuilt.
    expect(moved.importAvatar(movedNamed)).toEqual({ rebuilt: false });
    moved.clear();
    expect(tf.memory().numTensors).toBe(before);
    wideModel.dispose();
    narrowModel.dispose();
  });

  it('with four photos or more, holds one out and keeps the avatar when fine-tuning makes it worse there', async () => {
    const session = new AvatarSession(model);
    const start = tf.memory().numTensors;
    // Photo 2 (held out) is photo 0 again: its warp from photo 0 is the photo itself, so the FF
    // avatar reconstructs it almost exactly, and whatever fine-tuning on the others adds is an error.
    session.setPhotos([bigPhoto(3, face), bigPhoto(4, mouthOpen), bigPhoto(3, face), bigPhoto(6, mouthOpen)]);
    const ff = await session.render(face, CROP);
    session.startFineTune({ seed: 5, learningRateG: 0.1, l1Weight: 10, adversarialWeight: 0, featureMatchingWeight: 0 });
    for (let i = 0; i < 3; i++) await session.fineTuneStep();
    expect(await session.adoptFineTuned()).toBe(false);
    const v = session.fineTuneValidation!;
    expect(v.photos).toBe(1);
    expect(v.adopted).toBe(false);
    expect(v.last).toBeGreaterThan(v.before);
    expect(v.kept).toBe(v.before);
    session.stopFineTune();
    expect(session.isFineTuned).toBe(false);
    expect((await session.render(face, CROP)).data).toEqual(ff.data);
    session.clear();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('adopts a fine-tuned state only when it beats the best so far, and the avatar by a margin, on the held-out photo', async () => {
    // G's head starts with a colour cast that every photo says is wrong: fine-tuning can clearly
    // improve the held-out photo (an untouched head adds nothing, and the patterns are not learnable).
    const cast = createModel(loadPreset('tiny-warp'));
    setAttentionGammas(cast.generator.params, 0.5);
    const bias = cast.generator.params.list().find((e) => e.name === 'generator/output/conv/bias')!.variable;
    tf.tidy(() => bias.assign(tf.tensor1d([1.2, -1.2, 1.2, 3])));
    const session = new AvatarSession(cast);
    const start = tf.memory().numTensors;
    session.setPhotos([bigPhoto(3, face), bigPhoto(4, mouthOpen), bigPhoto(5, face), bigPhoto(6, mouthOpen)]);
    const ff = await session.render(face, CROP);
    session.startFineTune({ seed: 5, learningRateG: 0.1, l1Weight: 10, adversarialWeight: 0, featureMatchingWeight: 0 });
    const seen: boolean[] = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 3; i++) await session.fineTuneStep();
      const best = session.fineTuneValidation?.kept;
      const adopted = await session.adoptFineTuned();
      const v = session.fineTuneValidation!;
      seen.push(adopted);
      // Adopted only below the best so far and clearly below the avatar's own error (ADOPTION_MARGIN).
      expect(adopted).toBe(v.last < (best ?? v.before) && v.last <= v.before * (1 - ADOPTION_MARGIN));
      expect(v.kept).toBe(adopted ? v.last : (best ?? v.before));
    }
    expect(seen).toContain(true);
    session.stopFineTune();
    expect(session.isFineTuned).toBe(true);
    expect(differs(ff, await session.render(face, CROP))).toBeGreaterThan(0);
    session.clear();
    expect(tf.memory().numTensors).toBe(start);
    cast.dispose();
  });

  it('leaks no tensors across warp-guided renders, fine-tuning and clearing', async () => {
    const session = new AvatarSession(model);
    const start = tf.memory().numTensors;
    session.setPhotos([bigPhoto(6, face), bigPhoto(7, mouthOpen)]);
    await session.render(face, CROP);
    const afterFirst = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) await session.render(i % 2 ? face : mouthOpen, CROP);
    expect(tf.memory().numTensors).toBe(afterFirst);
    session.startFineTune();
    await session.fineTuneStep();
    await session.adoptFineTuned();
    session.clear();
    expect(tf.memory().numTensors).toBe(start);
  });
});
