// Where the attention face-mesh model's region outputs land in the 478-point MediaPipe mesh.
// The model (face_landmark_with_attention.tflite) predicts the 468-point mesh plus refined lips,
// eyes and irises as separate tensors; MediaPipe's LandmarksRefinement step overwrites the mesh
// points listed here (x, y only) and appends the irises (468..477), whose depth is the mean depth of
// the surrounding eye contour. These index lists are the mesh topology MediaPipe documents for that
// step; regions are applied in this order and a later region wins on a shared index.

export const MESH_POINT_COUNT = 468;
export const MESH_WITH_IRIS_POINT_COUNT = 478;

const LIPS = [
  // Lower outer.
  61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291,
  // Upper outer (excluding corners).
  185, 40, 39, 37, 0, 267, 269, 270, 409,
  // Lower inner.
  78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308,
  // Upper inner (excluding corners).
  191, 80, 81, 82, 13, 312, 311, 310, 415,
  // Lower semi-outer.
  76, 77, 90, 180, 85, 16, 315, 404, 320, 307, 306,
  // Upper semi-outer (excluding corners).
  184, 74, 73, 72, 11, 302, 303, 304, 408,
  // Lower semi-inner.
  62, 96, 89, 179, 86, 15, 316, 403, 319, 325, 292,
  // Upper semi-inner (excluding corners).
  183, 42, 41, 38, 12, 268, 271, 272, 407,
];

const LEFT_EYE = [
  // Lower contour.
  33, 7, 163, 144, 145, 153, 154, 155, 133,
  // Upper contour (excluding corners).
  246, 161, 160, 159, 158, 157, 173,
  // Halo x2 lower contour.
  130, 25, 110, 24, 23, 22, 26, 112, 243,
  // Halo x2 upper contour (excluding corners).
  247, 30, 29, 27, 28, 56, 190,
  // Halo x3 lower contour.
  226, 31, 228, 229, 230, 231, 232, 233, 244,
  // Halo x3 upper contour (excluding corners).
  113, 225, 224, 223, 222, 221, 189,
  // Halo x4 upper contour (no lower because of mesh structure) or eyebrow inner contour.
  35, 124, 46, 53, 52, 65,
  // Halo x5 lower contour.
  143, 111, 117, 118, 119, 120, 121, 128, 245,
  // Halo x5 upper contour (excluding corners) or eyebrow outer contour.
  156, 70, 63, 105, 66, 107, 55, 193,
];

const RIGHT_EYE = [
  263, 249, 390, 373, 374, 380, 381, 382, 362, 466, 388, 387, 386, 385, 384, 398, 359, 255, 339, 254, 253, 252, 256, 341, 463, 467, 260,
  259, 257, 258, 286, 414, 446, 261, 448, 449, 450, 451, 452, 453, 464, 342, 445, 444, 443, 442, 441, 413, 265, 353, 276, 283, 282, 295,
  372, 340, 346, 347, 348, 349, 350, 357, 465, 383, 300, 293, 334, 296, 336, 285, 417,
];

// Center, then right, top, left and bottom edge.
const LEFT_IRIS = [468, 469, 470, 471, 472];
const RIGHT_IRIS = [473, 474, 475, 476, 477];

// Eye contours (lower contour, then upper contour without corners): the first 16 eye points.
const LEFT_EYE_CONTOUR = LEFT_EYE.slice(0, 16);
const RIGHT_EYE_CONTOUR = RIGHT_EYE.slice(0, 16);

/**
 * The model's output tensors in the order the refinement applies them. `target` lists the mesh
 * index each predicted point overwrites; `depthFrom` (irises) lists the mesh points whose mean z
 * becomes the iris depth. The mesh output itself carries x, y, z; the others only x, y.
 */
export const REFINEMENT_REGIONS = [
  { tensor: 'output_mesh_identity', dims: 3, target: Array.from({ length: MESH_POINT_COUNT }, (_, i) => i) },
  { tensor: 'output_lips', dims: 2, target: LIPS },
  { tensor: 'output_left_eye', dims: 2, target: LEFT_EYE },
  { tensor: 'output_right_eye', dims: 2, target: RIGHT_EYE },
  { tensor: 'output_left_iris', dims: 2, target: LEFT_IRIS, depthFrom: LEFT_EYE_CONTOUR },
  { tensor: 'output_right_iris', dims: 2, target: RIGHT_IRIS, depthFrom: RIGHT_EYE_CONTOUR },
];

export const FACE_PRESENCE_TENSOR = 'conv_faceflag';
