// Appends tensors, operators, buffers and metadata entries to a TFLite model without re-serialising
// the tables we do not understand (operator options, quantisation, signatures...).
//
// How: FlatBuffers offsets are unsigned and point towards higher addresses, and every offset is
// relative. So the original model can be kept byte-for-byte as the *tail* of the new file, and a new
// root Model table, built in front of it, can refer to any original table or vector as well as to
// the new objects. The original root table simply becomes unreferenced. The tail starts at a
// multiple of 64 bytes, so every original alignment (at most 16, for buffer data) is preserved.
import * as flatbuffers from 'flatbuffers';
import {
  BUFFER_FIELD,
  METADATA_FIELD,
  MODEL_FIELD,
  OPERATOR_CODE_FIELD,
  OPERATOR_FIELD,
  SUBGRAPH_FIELD,
  TENSOR_FIELD,
  readTfliteModel,
} from './tflite-reader.mjs';

const TAIL_ALIGNMENT = 64;
const BUFFER_DATA_ALIGNMENT = 16; // schema: Buffer.data (force_align: 16)
const OPERATOR_OPTIONS_FIELD = { builtinOptionsType: 3, builtinOptions: 4 };

export const TENSOR_TYPE = { FLOAT32: 0, INT32: 2 };

/** Writes `bytes` as a [ubyte] vector with the given alignment; returns its builder offset. */
function createAlignedByteVector(builder, bytes, alignment) {
  builder.startVector(1, bytes.length, alignment);
  for (let i = bytes.length - 1; i >= 0; i--) builder.writeInt8(bytes[i]);
  return builder.endVector();
}

function createInt32Vector(builder, values) {
  builder.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) builder.addInt32(values[i]);
  return builder.endVector();
}

function createOffsetVector(builder, offsets) {
  builder.startVector(4, offsets.length, 4);
  for (let i = offsets.length - 1; i >= 0; i--) builder.addOffset(offsets[i]);
  return builder.endVector();
}

export function int32Bytes(values) {
  return new Uint8Array(Int32Array.from(values).buffer);
}

/**
 * Collects additions to subgraph 0 of a model and serialises the edited model.
 * Indices returned by the add* methods are final indices in the edited model.
 */
export class TfliteModelEditor {
  constructor(bytes) {
    this.original = bytes;
    this.model = readTfliteModel(bytes);
    if (this.model.subgraphs.length !== 1) throw new Error(`expected 1 subgraph, found ${this.model.subgraphs.length}`);
    this.newBuffers = [];
    this.newTensors = [];
    this.newOperatorCodes = [];
    this.newOperators = [];
    this.newMetadata = [];
    this.outputs = null;
  }

  get subgraph() {
    return this.model.subgraphs[0];
  }

  /** Index of the subgraph-0 tensor with this name (throws when absent). */
  tensorIndex(name) {
    const index = this.subgraph.tensorPositions.findIndex((_, i) => this.model.tensor(0, i).name === name);
    if (index < 0) throw new Error(`tensor "${name}" not found`);
    return index;
  }

  addBuffer(data) {
    this.newBuffers.push(data);
    return this.model.bufferPositions.length + this.newBuffers.length - 1;
  }

  /** @param {{name: string, shape: number[], type: number, data?: Uint8Array}} tensor */
  addTensor({ name, shape, type, data }) {
    const buffer = data ? this.addBuffer(data) : 0; // buffer 0 is the schema's "no data" buffer
    this.newTensors.push({ name, shape, type, buffer });
    return this.subgraph.tensorPositions.length + this.newTensors.length - 1;
  }

  /** Reuses an existing builtin operator code when the model already has one. */
  operatorCode(builtinCode) {
    const existing = this.model.operatorCodes.findIndex((c) => c.customCode === null && c.builtinCode === builtinCode && c.version === 1);
    if (existing >= 0) return existing;
    const added = this.newOperatorCodes.indexOf(builtinCode);
    if (added >= 0) return this.model.operatorCodes.length + added;
    this.newOperatorCodes.push(builtinCode);
    return this.model.operatorCodes.length + this.newOperatorCodes.length - 1;
  }

  /**
   * @param {{builtinCode: number, inputs: number[], outputs: number[],
   *   optionsType: number, writeOptions: (b: flatbuffers.Builder) => number}} op
   */
  addOperator(op) {
    this.newOperators.push({ ...op, opcodeIndex: this.operatorCode(op.builtinCode) });
  }

  setOutputs(tensorIndices) {
    this.outputs = tensorIndices;
  }

  addMetadata(name, data) {
    this.newMetadata.push({ name, buffer: this.addBuffer(data) });
  }

  serialize() {
    const r = this.model.reader;
    const tail = new Uint8Array(Math.ceil(this.original.length / TAIL_ALIGNMENT) * TAIL_ALIGNMENT);
    tail.set(this.original);
    const builder = new flatbuffers.Builder(tail.length + 64 * 1024);
    // Written first, so it ends up last; its vector length prefix is harmless padding.
    createAlignedByteVector(builder, tail, TAIL_ALIGNMENT);
    // Builder offsets count bytes from the end of the file, so an original object at position p is at tail.length - p.
    const original = (pos) => tail.length - pos;
    const originalRef = (table, fieldId) => {
      const pos = r.refPos(table, fieldId);
      return pos === 0 ? 0 : original(pos);
    };

    const bufferTables = this.newBuffers.map((data) => {
      const dataVec = data.length > 0 ? createAlignedByteVector(builder, data, BUFFER_DATA_ALIGNMENT) : 0;
      builder.startObject(3);
      if (dataVec) builder.addFieldOffset(BUFFER_FIELD.data, dataVec, 0);
      return builder.endObject();
    });

    const tensorTables = this.newTensors.map(({ name, shape, type, buffer }) => {
      const shapeVec = createInt32Vector(builder, shape);
      const nameStr = builder.createString(name);
      builder.startObject(4);
      builder.addFieldOffset(TENSOR_FIELD.shape, shapeVec, 0);
      builder.addFieldInt8(TENSOR_FIELD.type, type, -1);
      builder.addFieldInt32(TENSOR_FIELD.buffer, buffer, -1);
      builder.addFieldOffset(TENSOR_FIELD.name, nameStr, 0);
      return builder.endObject();
    });

    const operatorCodeTables = this.newOperatorCodes.map((code) => {
      builder.startObject(4);
      // Old runtimes read the int8 field, new ones take the max of both (codes < 127 fit in both).
      builder.addFieldInt8(OPERATOR_CODE_FIELD.deprecatedBuiltinCode, Math.min(code, 127), -1);
      builder.addFieldInt32(OPERATOR_CODE_FIELD.version, 1, -1);
      builder.addFieldInt32(OPERATOR_CODE_FIELD.builtinCode, code, -1);
      return builder.endObject();
    });

    const operatorTables = this.newOperators.map((op) => {
      const inputs = createInt32Vector(builder, op.inputs);
      const outputs = createInt32Vector(builder, op.outputs);
      const options = op.writeOptions(builder);
      builder.startObject(5);
      builder.addFieldInt32(OPERATOR_FIELD.opcodeIndex, op.opcodeIndex, -1);
      builder.addFieldOffset(OPERATOR_FIELD.inputs, inputs, 0);
      builder.addFieldOffset(OPERATOR_FIELD.outputs, outputs, 0);
      builder.addFieldInt8(OPERATOR_OPTIONS_FIELD.builtinOptionsType, op.optionsType, -1);
      builder.addFieldOffset(OPERATOR_OPTIONS_FIELD.builtinOptions, options, 0);
      return builder.endObject();
    });

    const metadataTables = this.newMetadata.map(({ name, buffer }) => {
      const nameStr = builder.createString(name);
      builder.startObject(2);
      builder.addFieldOffset(METADATA_FIELD.name, nameStr, 0);
      builder.addFieldInt32(METADATA_FIELD.buffer, buffer, -1);
      return builder.endObject();
    });

    const sg = this.subgraph;
    const tensorsVec = createOffsetVector(builder, [...sg.tensorPositions.map(original), ...tensorTables]);
    const operatorsVec = createOffsetVector(builder, [...sg.operatorPositions.map(original), ...operatorTables]);
    const outputsVec = this.outputs ? createInt32Vector(builder, this.outputs) : originalRef(sg.pos, SUBGRAPH_FIELD.outputs);
    builder.startObject(5);
    builder.addFieldOffset(SUBGRAPH_FIELD.tensors, tensorsVec, 0);
    builder.addFieldOffset(SUBGRAPH_FIELD.inputs, originalRef(sg.pos, SUBGRAPH_FIELD.inputs), 0);
    builder.addFieldOffset(SUBGRAPH_FIELD.outputs, outputsVec, 0);
    builder.addFieldOffset(SUBGRAPH_FIELD.operators, operatorsVec, 0);
    builder.addFieldOffset(SUBGRAPH_FIELD.name, originalRef(sg.pos, SUBGRAPH_FIELD.name), 0);
    const subgraphTable = builder.endObject();

    const m = this.model;
    const subgraphsVec = createOffsetVector(builder, [subgraphTable]);
    const operatorCodesVec = createOffsetVector(builder, [...m.operatorCodes.map((c) => original(c.pos)), ...operatorCodeTables]);
    const buffersVec = createOffsetVector(builder, [...m.bufferPositions.map(original), ...bufferTables]);
    const metadataVec = createOffsetVector(builder, [...m.metadata.map((e) => original(e.pos)), ...metadataTables]);
    builder.startObject(8);
    builder.addFieldInt32(MODEL_FIELD.version, m.version, -1);
    builder.addFieldOffset(MODEL_FIELD.operatorCodes, operatorCodesVec, 0);
    builder.addFieldOffset(MODEL_FIELD.subgraphs, subgraphsVec, 0);
    builder.addFieldOffset(MODEL_FIELD.description, originalRef(m.modelPos, MODEL_FIELD.description), 0);
    builder.addFieldOffset(MODEL_FIELD.buffers, buffersVec, 0);
    builder.addFieldOffset(MODEL_FIELD.metadataBuffer, originalRef(m.modelPos, MODEL_FIELD.metadataBuffer), 0);
    builder.addFieldOffset(MODEL_FIELD.metadata, metadataVec, 0);
    builder.addFieldOffset(MODEL_FIELD.signatureDefs, originalRef(m.modelPos, MODEL_FIELD.signatureDefs), 0);
    const modelTable = builder.endObject();
    builder.finish(modelTable, 'TFL3');
    return builder.asUint8Array().slice();
  }
}
