export interface TfliteTensorInfo {
  index: number;
  name: string | null;
  shape: number[];
  type: string;
  buffer: number;
}
export interface TfliteSubgraphInfo {
  pos: number;
  tensorPositions: number[];
  operatorPositions: number[];
  inputs: number[];
  outputs: number[];
  name: string | null;
}
export declare class FlatTableReader {
  constructor(bytes: Uint8Array);
  readonly bytes: Uint8Array;
  rootTable(): number;
  identifier(): string;
  fieldPos(table: number, fieldId: number): number;
  has(table: number, fieldId: number): boolean;
  refPos(table: number, fieldId: number): number;
  u32(table: number, fieldId: number, fallback?: number): number;
  i32(table: number, fieldId: number, fallback?: number): number;
  i8(table: number, fieldId: number, fallback?: number): number;
  u8(table: number, fieldId: number, fallback?: number): number;
  f32(table: number, fieldId: number, fallback?: number): number;
  string(table: number, fieldId: number): string | null;
  tableVector(table: number, fieldId: number): number[];
  int32Vector(table: number, fieldId: number): number[];
  floatVector(table: number, fieldId: number): number[];
  byteVector(table: number, fieldId: number): Uint8Array;
}
export interface TfliteModelInfo {
  reader: FlatTableReader;
  modelPos: number;
  version: number;
  subgraphs: TfliteSubgraphInfo[];
  tensor(subgraph: number, index: number): TfliteTensorInfo;
  operatorCodes: { pos: number; builtinCode: number; customCode: string | null; version: number }[];
  bufferPositions: number[];
  bufferData(index: number): Uint8Array;
  metadata: { pos: number; name: string | null; buffer: number }[];
}
export declare const OPERATOR_FIELD: { opcodeIndex: number; inputs: number; outputs: number };
export declare function readTfliteModel(bytes: Uint8Array): TfliteModelInfo;
