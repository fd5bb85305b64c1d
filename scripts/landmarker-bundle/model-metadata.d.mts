export declare const METADATA_BUFFER_NAME: string;
export declare function buildImageModelMetadata(spec: {
  name: string;
  description: string;
  input: { name: string; description: string; mean: number; std: number };
  outputs: { name: string; description: string }[];
}): Uint8Array;
