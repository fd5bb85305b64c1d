// Read-only view of the parts of a TFLite model flatbuffer (tensorflow/lite/schema/schema.fbs) that the
// bundle builder needs. Every accessor also reports absolute byte positions, because the rewriter
// re-references the original tables in place instead of re-serialising them.
import { TextDecoder } from 'node:util';
import * as flatbuffers from 'flatbuffers';

/** Field ids (vtable slots) of the TFLite schema tables we touch. */
export const MODEL_FIELD = {
  version: 0,
  operatorCodes: 1,
  subgraphs: 2,
  description: 3,
  buffers: 4,
  metadataBuffer: 5,
  metadata: 6,
  signatureDefs: 7,
};
export const SUBGRAPH_FIELD = { tensors: 0, inputs: 1, outputs: 2, operators: 3, name: 4 };
export const TENSOR_FIELD = { shape: 0, type: 1, buffer: 2, name: 3 };
export const METADATA_FIELD = { name: 0, buffer: 1 };
export const OPERATOR_CODE_FIELD = { deprecatedBuiltinCode: 0, customCode: 1, version: 2, builtinCode: 3 };
export const OPERATOR_FIELD = { opcodeIndex: 0, inputs: 1, outputs: 2 };
export const BUFFER_FIELD = { data: 0 };

export const TENSOR_TYPE_NAMES = ['FLOAT32', 'FLOAT16', 'INT32', 'UINT8', 'INT64', 'STRING', 'BOOL', 'INT16'];

/** Thin wrapper over flatbuffers.ByteBuffer with table/vector helpers that work on absolute positions. */
export class FlatTableReader {
  constructor(bytes) {
    this.bytes = bytes;
    this.bb = new flatbuffers.ByteBuffer(bytes);
  }

  rootTable() {
    return this.bb.readUint32(0);
  }

  identifier() {
    return String.fromCharCode(...this.bytes.subarray(4, 8));
  }

  /** Absolute position of a field inside a table, or 0 when the field is absent. */
  fieldPos(table, fieldId) {
    const rel = this.bb.__offset(table, 4 + 2 * fieldId);
    return rel === 0 ? 0 : table + rel;
  }

  has(table, fieldId) {
    return this.fieldPos(table, fieldId) !== 0;
  }

  /** Absolute position of the object (table, vector length prefix or string length prefix) a field refers to. */
  refPos(table, fieldId) {
    const pos = this.fieldPos(table, fieldId);
    return pos === 0 ? 0 : pos + this.bb.readUint32(pos);
  }

  u32(table, fieldId, fallback = 0) {
    const pos = this.fieldPos(table, fieldId);
    return pos === 0 ? fallback : this.bb.readUint32(pos);
  }

  i32(table, fieldId, fallback = 0) {
    const pos = this.fieldPos(table, fieldId);
    return pos === 0 ? fallback : this.bb.readInt32(pos);
  }

  i8(table, fieldId, fallback = 0) {
    const pos = this.fieldPos(table, fieldId);
    return pos === 0 ? fallback : this.bb.readInt8(pos);
  }

  u8(table, fieldId, fallback = 0) {
    const pos = this.fieldPos(table, fieldId);
    return pos === 0 ? fallback : this.bb.readUint8(pos);
  }

  f32(table, fieldId, fallback = 0) {
    const pos = this.fieldPos(table, fieldId);
    return pos === 0 ? fallback : this.bb.readFloat32(pos);
  }

  string(table, fieldId) {
    const pos = this.refPos(table, fieldId);
    if (pos === 0) return null;
    const len = this.bb.readUint32(pos);
    return new TextDecoder().decode(this.bytes.subarray(pos + 4, pos + 4 + len));
  }

  /** Positions of the tables of a vector-of-tables field. */
  tableVector(table, fieldId) {
    const vec = this.refPos(table, fieldId);
    if (vec === 0) return [];
    const len = this.bb.readUint32(vec);
    const out = [];
    for (let i = 0; i < len; i++) {
      const elem = vec + 4 + 4 * i;
      out.push(elem + this.bb.readUint32(elem));
    }
    return out;
  }

  int32Vector(table, fieldId) {
    const vec = this.refPos(table, fieldId);
    if (vec === 0) return [];
    const len = this.bb.readUint32(vec);
    return Array.from({ length: len }, (_, i) => this.bb.readInt32(vec + 4 + 4 * i));
  }

  floatVector(table, fieldId) {
    const vec = this.refPos(table, fieldId);
    if (vec === 0) return [];
    const len = this.bb.readUint32(vec);
    return Array.from({ length: len }, (_, i) => this.bb.readFloat32(vec + 4 + 4 * i));
  }

  byteVector(table, fieldId) {
    const vec = this.refPos(table, fieldId);
    if (vec === 0) return new Uint8Array(0);
    const len = this.bb.readUint32(vec);
    return this.bytes.subarray(vec + 4, vec + 4 + len);
  }
}

/** Structured summary of a TFLite model: enough to locate tensors, operators and metadata. */
export function readTfliteModel(bytes) {
  const r = new FlatTableReader(bytes);
  if (r.identifier() !== 'TFL3') throw new Error(`not a TFLite model (identifier "${r.identifier()}")`);
  const model = r.rootTable();
  const subgraphs = r.tableVector(model, MODEL_FIELD.subgraphs).map((sg) => ({
    pos: sg,
    tensorPositions: r.tableVector(sg, SUBGRAPH_FIELD.tensors),
    operatorPositions: r.tableVector(sg, SUBGRAPH_FIELD.operators),
    inputs: r.int32Vector(sg, SUBGRAPH_FIELD.inputs),
    outputs: r.int32Vector(sg, SUBGRAPH_FIELD.outputs),
    name: r.string(sg, SUBGRAPH_FIELD.name),
  }));
  const tensor = (subgraph, index) => {
    const pos = subgraphs[subgraph].tensorPositions[index];
    return {
      index,
      name: r.string(pos, TENSOR_FIELD.name),
      shape: r.int32Vector(pos, TENSOR_FIELD.shape),
      type: TENSOR_TYPE_NAMES[r.i8(pos, TENSOR_FIELD.type)] ?? `type${r.i8(pos, TENSOR_FIELD.type)}`,
      buffer: r.u32(pos, TENSOR_FIELD.buffer),
    };
  };
  const operatorCodes = r.tableVector(model, MODEL_FIELD.operatorCodes).map((pos) => ({
    pos,
    builtinCode: Math.max(r.i8(pos, OPERATOR_CODE_FIELD.deprecatedBuiltinCode), r.i32(pos, OPERATOR_CODE_FIELD.builtinCode)),
    customCode: r.string(pos, OPERATOR_CODE_FIELD.customCode),
    version: r.i32(pos, OPERATOR_CODE_FIELD.version, 1),
  }));
  const bufferPositions = r.tableVector(model, MODEL_FIELD.buffers);
  const metadata = r.tableVector(model, MODEL_FIELD.metadata).map((pos) => ({
    pos,
    name: r.string(pos, METADATA_FIELD.name),
    buffer: r.u32(pos, METADATA_FIELD.buffer),
  }));
  const bufferData = (index) => r.byteVector(bufferPositions[index], BUFFER_FIELD.data);
  return {
    reader: r,
    modelPos: model,
    version: r.u32(model, MODEL_FIELD.version),
    subgraphs,
    tensor,
    operatorCodes,
    bufferPositions,
    bufferData,
    metadata,
  };
}
