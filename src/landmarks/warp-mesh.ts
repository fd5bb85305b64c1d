/**
 * The warp's fixed triangle mesh (warp-mesh.json, made by scripts/make-warp-mesh.ts), typed, plus the
 * constants that shape it. The PyTorch twin (train/talking_heads/warp.py) reads the same JSON.
 *
 * Vertex order: the 478 landmarks, then the ring points (warp-mesh.json `ring`), then BORDER_ANCHORS.
 * Coordinates in the JSON are crop units: multiply by the crop side in pixels.
 */
import mesh from './warp-mesh.json';

/** Ring points sit this many times farther from the face oval's centre than the oval itself. */
export const RING_SCALE = 1.3;

/**
 * Corners and edge midpoints of the crop, in crop units, mapped to themselves: they pin the frame's
 * border so the mesh covers the whole crop.
 */
export const BORDER_ANCHORS: readonly (readonly [number, number])[] = [
  [0, 0],
  [0.5, 0],
  [1, 0],
  [1, 0.5],
  [1, 1],
  [0.5, 1],
  [0, 1],
  [0, 0.5],
];

export interface WarpMesh {
  /** Mean face, 478 × [x, y] in crop units. */
  readonly canonical: readonly (readonly number[])[];
  /** Ring template, R × [x, y] in crop units (the same frame as canonical). */
  readonly ring: readonly (readonly number[])[];
  /** Vertex indices, three per triangle. */
  readonly triangles: readonly (readonly number[])[];
}

export const WARP_MESH: WarpMesh = mesh as WarpMesh;
