// Builds MediaPipe's FaceLandmarker model bundle (a stored zip, as Tasks requires) from the models in
// @mediapipe/face_mesh plus metadata written here. Nothing comes from Google's published bundle.
import { zipSync } from 'fflate';
import { readFaceMeshAssets } from './face-mesh-assets.mjs';
import { addLandmarkRefinement } from './landmark-refinement.mjs';
import { METADATA_BUFFER_NAME, buildImageModelMetadata } from './model-metadata.mjs';
import { TfliteModelEditor } from './tflite-editor.mjs';

// File names FaceLandmarkerGraph looks up inside the bundle.
export const BUNDLE_ENTRY = {
  faceDetector: 'face_detector.tflite',
  faceLandmarks: 'face_landmarks_detector.tflite',
  geometry: 'geometry_pipeline_metadata_landmarks.binarypb',
};

// A fixed timestamp keeps the bundle byte-identical across builds.
const ZIP_MTIME = new Date('2020-01-01T00:00:00Z');

/** BlazeFace short range: input pixels scaled to [-1, 1]. */
export function buildFaceDetectorModel(assets) {
  const editor = new TfliteModelEditor(assets.get('face_detection_short_range.tflite'));
  editor.addMetadata(
    METADATA_BUFFER_NAME,
    buildImageModelMetadata({
      name: 'BlazeFace short range',
      description: 'Finds faces (boxes and 6 keypoints) in a 128x128 RGB image.',
      input: { name: 'image', description: 'RGB image, values scaled to [-1, 1].', mean: 127.5, std: 127.5 },
      outputs: [
        { name: 'raw_boxes', description: 'Anchor-relative boxes and keypoints, 896 anchors x 16 values.' },
        { name: 'scores', description: 'Face score logits, one per anchor.' },
      ],
    }),
  );
  return editor.serialize();
}

/** Attention face mesh, refined in-graph to 478 points; input pixels scaled to [0, 1]. */
export function buildFaceLandmarksModel(assets) {
  const editor = new TfliteModelEditor(assets.get('face_landmark_with_attention.tflite'));
  addLandmarkRefinement(editor);
  editor.addMetadata(
    METADATA_BUFFER_NAME,
    buildImageModelMetadata({
      name: 'Face mesh with attention, 478 points',
      description: 'Predicts 468 face mesh points with refined lips and eyes plus 10 iris points.',
      input: { name: 'image', description: 'RGB face crop, values scaled to [0, 1].', mean: 0, std: 255 },
      outputs: [
        { name: 'face_landmarks', description: '478 x (x, y, z) in input-crop pixels.' },
        { name: 'presence', description: 'Face presence logit.' },
      ],
    }),
  );
  return editor.serialize();
}

/** @returns {Uint8Array} the .task bundle */
export function buildFaceLandmarkerBundle(assets = readFaceMeshAssets()) {
  const stored = (bytes) => [bytes, { level: 0, mtime: ZIP_MTIME }];
  return zipSync(
    {
      [BUNDLE_ENTRY.faceDetector]: stored(buildFaceDetectorModel(assets)),
      [BUNDLE_ENTRY.faceLandmarks]: stored(buildFaceLandmarksModel(assets)),
      [BUNDLE_ENTRY.geometry]: stored(assets.get(BUNDLE_ENTRY.geometry)),
    },
    { level: 0, mtime: ZIP_MTIME },
  );
}
