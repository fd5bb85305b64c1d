// Builds the TFLite Model Metadata flatbuffer (tflite-support metadata_schema.fbs, identifier "M001")
// that MediaPipe Tasks reads from the model's "TFLITE_METADATA" buffer. Tasks needs, for a float
// image input, ImageProperties (RGB) and NormalizationOptions (mean/std) to turn pixels into the
// tensor range the network was trained on; output entries only describe the tensors.
import * as flatbuffers from 'flatbuffers';

export const METADATA_BUFFER_NAME = 'TFLITE_METADATA';
const METADATA_FILE_IDENTIFIER = 'M001';
const MIN_PARSER_VERSION = '1.0.0';

const MODEL_METADATA_FIELD = { name: 0, description: 1, subgraphMetadata: 3, minParserVersion: 7 };
const SUBGRAPH_METADATA_FIELD = { inputTensorMetadata: 2, outputTensorMetadata: 3 };
const TENSOR_METADATA_FIELD = { name: 0, description: 1, content: 3, processUnits: 4, stats: 5 };
const CONTENT_FIELD = { propertiesType: 0, properties: 1 };
const CONTENT_PROPERTIES = { FeatureProperties: 1, ImageProperties: 2 };
const IMAGE_PROPERTIES_FIELD = { colorSpace: 0 };
const COLOR_SPACE_RGB = 1;
const PROCESS_UNIT_FIELD = { optionsType: 0, options: 1 };
const PROCESS_UNIT_OPTIONS = { NormalizationOptions: 1 };
const NORMALIZATION_FIELD = { mean: 0, std: 1 };
const STATS_FIELD = { max: 0, min: 1 };

function floatVector(builder, values) {
  builder.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) builder.addFloat32(values[i]);
  return builder.endVector();
}

function offsetVector(builder, offsets) {
  builder.startVector(4, offsets.length, 4);
  for (let i = offsets.length - 1; i >= 0; i--) builder.addOffset(offsets[i]);
  return builder.endVector();
}

function emptyTable(builder) {
  builder.startObject(0);
  return builder.endObject();
}

function content(builder, propertiesType, properties) {
  builder.startObject(3);
  builder.addFieldInt8(CONTENT_FIELD.propertiesType, propertiesType, 0);
  builder.addFieldOffset(CONTENT_FIELD.properties, properties, 0);
  return builder.endObject();
}

function stats(builder, { min, max }) {
  const maxVec = floatVector(builder, max);
  const minVec = floatVector(builder, min);
  builder.startObject(2);
  builder.addFieldOffset(STATS_FIELD.max, maxVec, 0);
  builder.addFieldOffset(STATS_FIELD.min, minVec, 0);
  return builder.endObject();
}

/** @param {{name: string, description: string, mean: number, std: number}} input */
function imageInputTensor(builder, { name, description, mean, std }) {
  const nameStr = builder.createString(name);
  const descStr = builder.createString(description);
  builder.startObject(1);
  builder.addFieldInt8(IMAGE_PROPERTIES_FIELD.colorSpace, COLOR_SPACE_RGB, 0);
  const imageProperties = builder.endObject();
  const contentTable = content(builder, CONTENT_PROPERTIES.ImageProperties, imageProperties);
  const meanVec = floatVector(builder, [mean]);
  const stdVec = floatVector(builder, [std]);
  builder.startObject(2);
  builder.addFieldOffset(NORMALIZATION_FIELD.mean, meanVec, 0);
  builder.addFieldOffset(NORMALIZATION_FIELD.std, stdVec, 0);
  const normalization = builder.endObject();
  builder.startObject(2);
  builder.addFieldInt8(PROCESS_UNIT_FIELD.optionsType, PROCESS_UNIT_OPTIONS.NormalizationOptions, 0);
  builder.addFieldOffset(PROCESS_UNIT_FIELD.options, normalization, 0);
  const processUnits = offsetVector(builder, [builder.endObject()]);
  // The value range the network sees after normalisation, for tools that validate inputs.
  const statsTable = stats(builder, { min: [(0 - mean) / std], max: [(255 - mean) / std] });
  builder.startObject(6);
  builder.addFieldOffset(TENSOR_METADATA_FIELD.name, nameStr, 0);
  builder.addFieldOffset(TENSOR_METADATA_FIELD.description, descStr, 0);
  builder.addFieldOffset(TENSOR_METADATA_FIELD.content, contentTable, 0);
  builder.addFieldOffset(TENSOR_METADATA_FIELD.processUnits, processUnits, 0);
  builder.addFieldOffset(TENSOR_METADATA_FIELD.stats, statsTable, 0);
  return builder.endObject();
}

/** @param {{name: string, description: string}} output */
function featureOutputTensor(builder, { name, description }) {
  const nameStr = builder.createString(name);
  const descStr = builder.createString(description);
  const contentTable = content(builder, CONTENT_PROPERTIES.FeatureProperties, emptyTable(builder));
  const statsTable = stats(builder, { min: [], max: [] });
  builder.startObject(6);
  builder.addFieldOffset(TENSOR_METADATA_FIELD.name, nameStr, 0);
  builder.addFieldOffset(TENSOR_METADATA_FIELD.description, descStr, 0);
  builder.addFieldOffset(TENSOR_METADATA_FIELD.content, contentTable, 0);
  builder.addFieldOffset(TENSOR_METADATA_FIELD.stats, statsTable, 0);
  return builder.endObject();
}

/**
 * Metadata for a single-subgraph model with one RGB image input.
 * @param {{name: string, description: string,
 *   input: {name: string, description: string, mean: number, std: number},
 *   outputs: {name: string, description: string}[]}} spec
 * @returns {Uint8Array}
 */
export function buildImageModelMetadata(spec) {
  const builder = new flatbuffers.Builder(1024);
  const inputs = offsetVector(builder, [imageInputTensor(builder, spec.input)]);
  const outputs = offsetVector(
    builder,
    spec.outputs.map((o) => featureOutputTensor(builder, o)),
  );
  builder.startObject(7);
  builder.addFieldOffset(SUBGRAPH_METADATA_FIELD.inputTensorMetadata, inputs, 0);
  builder.addFieldOffset(SUBGRAPH_METADATA_FIELD.outputTensorMetadata, outputs, 0);
  const subgraphs = offsetVector(builder, [builder.endObject()]);
  const nameStr = builder.createString(spec.name);
  const descStr = builder.createString(spec.description);
  const versionStr = builder.createString(MIN_PARSER_VERSION);
  builder.startObject(8);
  builder.addFieldOffset(MODEL_METADATA_FIELD.name, nameStr, 0);
  builder.addFieldOffset(MODEL_METADATA_FIELD.description, descStr, 0);
  builder.addFieldOffset(MODEL_METADATA_FIELD.subgraphMetadata, subgraphs, 0);
  builder.addFieldOffset(MODEL_METADATA_FIELD.minParserVersion, versionStr, 0);
  builder.finish(builder.endObject(), METADATA_FILE_IDENTIFIER);
  return builder.asUint8Array().slice();
}
