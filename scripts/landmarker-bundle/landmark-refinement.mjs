// Turns the attention face-mesh model's seven outputs into the two MediaPipe Tasks expects from a
// face landmarks model: one [1,1,1,1434] tensor of 478 (x, y, z) points and the face-presence logit.
// (Tasks' FaceLandmarksDetectorGraph reads output 0 as 478 landmarks and output 1 as presence; it no
// longer runs the legacy LandmarksRefinement calculator.) The refinement is expressed as in-graph ops:
//   all   = CONCAT(mesh, lips, left eye, right eye, left iris, right iris)        (axis 3)
//   zL/zR = MEAN(GATHER(all, eye-contour z indices))                               (iris depth)
//   out   = GATHER(CONCAT(all, zL, zR), per-coordinate source index)               (478 x 3)
import { FACE_PRESENCE_TENSOR, MESH_WITH_IRIS_POINT_COUNT, REFINEMENT_REGIONS } from './face-mesh-topology.mjs';
import { TENSOR_TYPE, int32Bytes } from './tflite-editor.mjs';

const BUILTIN = { CONCATENATION: 2, GATHER: 36, MEAN: 40 };
const BUILTIN_OPTIONS = { ConcatenationOptions: 10, GatherOptions: 23, ReducerOptions: 27 };
const CHANNEL_AXIS = 3; // every model output is [1, 1, 1, N]
const XYZ = 3;

/**
 * Pure index planning, shared by the graph builder and its tests.
 * @param {typeof REFINEMENT_REGIONS} regions
 * @returns {{regionOffsets: number[], concatSize: number,
 *   depthGathers: number[][], outputSources: number[]}}
 *   depthGathers[k]: flat indices (into the concatenated regions) to average for the k-th depth;
 *   outputSources[3*p + c]: flat index (into concat + appended depths) of coordinate c of point p.
 */
export function planRefinement(regions = REFINEMENT_REGIONS) {
  const regionOffsets = [];
  let concatSize = 0;
  for (const region of regions) {
    regionOffsets.push(concatSize);
    concatSize += region.target.length * region.dims;
  }
  const mesh = regions.findIndex((r) => r.dims === XYZ);
  if (mesh !== 0) throw new Error('the first refinement region must be the full xyz mesh');
  const meshZ = (point) => regionOffsets[mesh] + XYZ * point + 2;

  const outputSources = new Array(MESH_WITH_IRIS_POINT_COUNT * XYZ).fill(-1);
  const depthGathers = [];
  regions.forEach((region, r) => {
    const depthSlot = region.depthFrom ? concatSize + depthGathers.length : -1;
    if (region.depthFrom) depthGathers.push(region.depthFrom.map(meshZ));
    region.target.forEach((point, j) => {
      const src = regionOffsets[r] + region.dims * j;
      outputSources[XYZ * point] = src;
      outputSources[XYZ * point + 1] = src + 1;
      if (region.dims === XYZ) outputSources[XYZ * point + 2] = src + 2;
      else if (depthSlot >= 0) outputSources[XYZ * point + 2] = depthSlot;
    });
  });
  const missing = outputSources.findIndex((s) => s < 0);
  if (missing >= 0) throw new Error(`refinement leaves point ${Math.floor(missing / XYZ)} coordinate ${missing % XYZ} unset`);
  return { regionOffsets, concatSize, depthGathers, outputSources };
}

function axisOptions(fieldCount, axisField = 0) {
  return (b) => {
    b.startObject(fieldCount);
    b.addFieldInt32(axisField, CHANNEL_AXIS, -1);
    return b.endObject();
  };
}

function keepDimsOptions(b) {
  b.startObject(1);
  b.addFieldInt8(0, 1, 0);
  return b.endObject();
}

/**
 * Adds the refinement ops to the attention model and makes [landmarks478, presence] its outputs.
 * @param {import('./tflite-editor.mjs').TfliteModelEditor} editor
 */
export function addLandmarkRefinement(editor, regions = REFINEMENT_REGIONS) {
  const plan = planRefinement(regions);
  const regionTensors = regions.map((region) => {
    const index = editor.tensorIndex(region.tensor);
    const { shape } = editor.model.tensor(0, index);
    const expected = region.target.length * region.dims;
    if (shape.length !== 4 || shape[3] !== expected || shape[0] * shape[1] * shape[2] !== 1) {
      throw new Error(`tensor ${region.tensor}: expected [1,1,1,${expected}], found [${shape}]`);
    }
    return index;
  });
  const presence = editor.tensorIndex(FACE_PRESENCE_TENSOR);
  const f32 = (name, size) => editor.addTensor({ name, shape: [1, 1, 1, size], type: TENSOR_TYPE.FLOAT32 });

  const regionsConcat = f32('refinement/regions', plan.concatSize);
  editor.addOperator({
    builtinCode: BUILTIN.CONCATENATION,
    inputs: regionTensors,
    outputs: [regionsConcat],
    optionsType: BUILTIN_OPTIONS.ConcatenationOptions,
    writeOptions: axisOptions(2),
  });

  const reduceAxes = editor.addTensor({
    name: 'refinement/depth_axes',
    shape: [1],
    type: TENSOR_TYPE.INT32,
    data: int32Bytes([CHANNEL_AXIS]),
  });
  const depths = plan.depthGathers.map((sources, k) => {
    const indices = editor.addTensor({
      name: `refinement/depth_sources_${k}`,
      shape: [sources.length],
      type: TENSOR_TYPE.INT32,
      data: int32Bytes(sources),
    });
    const gathered = f32(`refinement/depth_samples_${k}`, sources.length);
    editor.addOperator({
      builtinCode: BUILTIN.GATHER,
      inputs: [regionsConcat, indices],
      outputs: [gathered],
      optionsType: BUILTIN_OPTIONS.GatherOptions,
      writeOptions: axisOptions(2),
    });
    const depth = f32(`refinement/depth_${k}`, 1);
    editor.addOperator({
      builtinCode: BUILTIN.MEAN,
      inputs: [gathered, reduceAxes],
      outputs: [depth],
      optionsType: BUILTIN_OPTIONS.ReducerOptions,
      writeOptions: keepDimsOptions,
    });
    return depth;
  });

  const withDepths = f32('refinement/regions_and_depths', plan.concatSize + depths.length);
  editor.addOperator({
    builtinCode: BUILTIN.CONCATENATION,
    inputs: [regionsConcat, ...depths],
    outputs: [withDepths],
    optionsType: BUILTIN_OPTIONS.ConcatenationOptions,
    writeOptions: axisOptions(2),
  });
  const sources = editor.addTensor({
    name: 'refinement/landmark_sources',
    shape: [plan.outputSources.length],
    type: TENSOR_TYPE.INT32,
    data: int32Bytes(plan.outputSources),
  });
  const landmarks = f32('face_landmarks_478', plan.outputSources.length);
  editor.addOperator({
    builtinCode: BUILTIN.GATHER,
    inputs: [withDepths, sources],
    outputs: [landmarks],
    optionsType: BUILTIN_OPTIONS.GatherOptions,
    writeOptions: axisOptions(2),
  });
  editor.setOutputs([landmarks, presence]);
  return { landmarks, presence };
}
