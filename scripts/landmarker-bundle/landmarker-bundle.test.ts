import { unzipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_ENTRY, buildFaceDetectorModel, buildFaceLandmarkerBundle, buildFaceLandmarksModel } from './build-bundle.mjs';
import { readFaceMeshAssets } from './face-mesh-assets.mjs';
import { MESH_WITH_IRIS_POINT_COUNT, REFINEMENT_REGIONS } from './face-mesh-topology.mjs';
import { planRefinement } from './landmark-refinement.mjs';
import { FlatTableReader, OPERATOR_FIELD, readTfliteModel, type TfliteModelInfo } from './tflite-reader.mjs';

const GATHER = 36;
const LANDMARK_VALUES = MESH_WITH_IRIS_POINT_COUNT * 3;

/** Seeded pseudo-random values, so a failure reproduces. */
function randomValues(count: number, seed: number): Float32Array {
  let state = seed;
  return Float32Array.from({ length: count }, () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  });
}

function regionInputs(): Float32Array[] {
  return REFINEMENT_REGIONS.map((r, i) => randomValues(r.target.length * r.dims, i + 1));
}

/** The refinement written the direct way (overwrite mesh points, average eye-contour depth). */
function refineDirectly(inputs: Float32Array[]): Float32Array {
  const out = new Float32Array(LANDMARK_VALUES);
  out.set(inputs[0]);
  const meshZ = (p: number) => inputs[0][3 * p + 2];
  REFINEMENT_REGIONS.forEach((region, r) => {
    if (r === 0) return;
    region.target.forEach((point, j) => {
      out[3 * point] = inputs[r][2 * j];
      out[3 * point + 1] = inputs[r][2 * j + 1];
      if (region.depthFrom) out[3 * point + 2] = region.depthFrom.reduce((s, p) => s + meshZ(p), 0) / region.depthFrom.length;
    });
  });
  return out;
}

/** The refinement as the graph computes it: concat, mean of gathered depths, final gather. */
function refineWithPlan(inputs: Float32Array[]): Float32Array {
  const plan = planRefinement();
  const all = new Float32Array(plan.concatSize);
  inputs.forEach((values, r) => all.set(values, plan.regionOffsets[r]));
  const depths = plan.depthGathers.map((sources) => Math.fround(sources.reduce((s, i) => s + all[i], 0) / sources.length));
  const withDepths = Float32Array.from([...all, ...depths]);
  return Float32Array.from(plan.outputSources, (i) => withDepths[i]);
}

function operators(model: TfliteModelInfo) {
  const r = model.reader;
  return model.subgraphs[0].operatorPositions.map((pos) => ({
    builtinCode: model.operatorCodes[r.u32(pos, OPERATOR_FIELD.opcodeIndex)].builtinCode,
    inputs: r.int32Vector(pos, OPERATOR_FIELD.inputs),
    outputs: r.int32Vector(pos, OPERATOR_FIELD.outputs),
  }));
}

/** NormalizationOptions mean/std of the first input, read back from the model's TFLITE_METADATA. */
function inputNormalization(model: TfliteModelInfo) {
  const entry = model.metadata.find((m) => m.name === 'TFLITE_METADATA');
  if (!entry) throw new Error('no TFLITE_METADATA');
  const meta = new FlatTableReader(model.bufferData(entry.buffer).slice());
  const root = meta.rootTable();
  const input = meta.tableVector(meta.tableVector(root, 3)[0], 2)[0];
  const processUnit = meta.tableVector(input, 4)[0];
  const options = meta.refPos(processUnit, 1);
  return {
    identifier: meta.identifier(),
    unitType: meta.u8(processUnit, 0),
    mean: meta.floatVector(options, 0),
    std: meta.floatVector(options, 1),
  };
}

describe('landmark refinement plan', () => {
  it('sets every coordinate of the 478 points', () => {
    const plan = planRefinement();
    expect(plan.outputSources).toHaveLength(LANDMARK_VALUES);
    expect(plan.outputSources.every((s) => s >= 0 && s < plan.concatSize + plan.depthGathers.length)).toBe(true);
    expect(plan.depthGathers.map((g) => g.length)).toEqual([16, 16]);
  });

  it('computes the same landmarks as the direct refinement', () => {
    const inputs = regionInputs();
    const direct = refineDirectly(inputs);
    const planned = refineWithPlan(inputs);
    let maxDiff = 0;
    for (let i = 0; i < LANDMARK_VALUES; i++) maxDiff = Math.max(maxDiff, Math.abs(direct[i] - planned[i]));
    expect(maxDiff).toBeLessThan(1e-6);
    // Irises are new points: their x, y come from the iris tensors, not from the mesh.
    expect(planned[3 * 468]).toBe(inputs[4][0]);
    expect(planned[3 * 477 + 1]).toBe(inputs[5][9]);
  });
});

describe('face landmarker bundle', () => {
  let assets: Map<string, Uint8Array>;
  beforeAll(() => {
    assets = readFaceMeshAssets();
  });

  it('gives the landmarks model the two outputs Tasks reads: 478 x 3 landmarks, then presence', () => {
    const original = readTfliteModel(assets.get('face_landmark_with_attention.tflite')!);
    const edited = readTfliteModel(buildFaceLandmarksModel(assets));
    const [landmarks, presence] = edited.subgraphs[0].outputs.map((i) => edited.tensor(0, i));
    expect(edited.subgraphs[0].outputs).toHaveLength(2);
    expect(landmarks.shape).toEqual([1, 1, 1, LANDMARK_VALUES]);
    expect(presence.name).toBe('conv_faceflag');
    expect(edited.subgraphs[0].inputs).toEqual(original.subgraphs[0].inputs);

    const finalGather = operators(edited).find((op) => op.outputs[0] === edited.subgraphs[0].outputs[0])!;
    expect(finalGather.builtinCode).toBe(GATHER);
    const indices = edited.tensor(0, finalGather.inputs[1]);
    const stored = new Int32Array(edited.bufferData(indices.buffer).slice().buffer);
    expect(Array.from(stored)).toEqual(planRefinement().outputSources);
  });

  it('keeps every original weight buffer intact and 16-byte aligned', () => {
    const originalBytes = assets.get('face_landmark_with_attention.tflite')!;
    const original = readTfliteModel(originalBytes);
    const editedBytes = buildFaceLandmarksModel(assets);
    const edited = readTfliteModel(editedBytes);
    expect(edited.bufferPositions.length).toBeGreaterThan(original.bufferPositions.length);
    for (let i = 0; i < original.bufferPositions.length; i++) {
      const before = original.bufferData(i);
      const after = edited.bufferData(i);
      expect(Buffer.from(after).equals(Buffer.from(before))).toBe(true);
    }
    for (let i = 0; i < edited.bufferPositions.length; i++) {
      const data = edited.bufferData(i);
      if (data.length > 0) expect((data.byteOffset - editedBytes.byteOffset) % 16).toBe(0);
    }
    // Original operators are all still there, in order, before the added ones.
    expect(operators(edited).slice(0, original.subgraphs[0].operatorPositions.length)).toEqual(operators(original));
  });

  it('writes the input normalisation each network was trained with', () => {
    const detector = inputNormalization(readTfliteModel(buildFaceDetectorModel(assets)));
    expect(detector).toEqual({ identifier: 'M001', unitType: 1, mean: [127.5], std: [127.5] });
    const mesh = inputNormalization(readTfliteModel(buildFaceLandmarksModel(assets)));
    expect(mesh).toEqual({ identifier: 'M001', unitType: 1, mean: [0], std: [255] });
  });

  it('zips the models uncompressed under the names Tasks looks up, byte-identically on every build', () => {
    const bundle = buildFaceLandmarkerBundle(assets);
    expect(Buffer.from(buildFaceLandmarkerBundle(assets)).equals(Buffer.from(bundle))).toBe(true);
    const entries = unzipSync(bundle);
    expect(Object.keys(entries).sort()).toEqual([BUNDLE_ENTRY.faceDetector, BUNDLE_ENTRY.faceLandmarks, BUNDLE_ENTRY.geometry].sort());
    // Local file headers: signature PK\3\4, compression method (offset 8) must be 0 = stored.
    const view = new DataView(bundle.buffer, bundle.byteOffset, bundle.byteLength);
    let headers = 0;
    for (let pos = 0; pos + 30 <= bundle.length; ) {
      if (view.getUint32(pos, true) !== 0x04034b50) break;
      expect(view.getUint16(pos + 8, true)).toBe(0);
      headers++;
      pos += 30 + view.getUint16(pos + 26, true) + view.getUint16(pos + 28, true) + view.getUint32(pos + 18, true);
    }
    expect(headers).toBe(3);
    for (const name of [BUNDLE_ENTRY.faceDetector, BUNDLE_ENTRY.faceLandmarks]) {
      expect(new TextDecoder().decode(entries[name].subarray(4, 8))).toBe('TFL3');
    }
  });
});
