export declare const BUNDLE_ENTRY: { faceDetector: string; faceLandmarks: string; geometry: string };
export declare function buildFaceDetectorModel(assets: Map<string, Uint8Array>): Uint8Array;
export declare function buildFaceLandmarksModel(assets: Map<string, Uint8Array>): Uint8Array;
export declare function buildFaceLandmarkerBundle(assets?: Map<string, Uint8Array>): Uint8Array;
