export interface RefinementRegion {
  tensor: string;
  dims: 2 | 3;
  target: number[];
  depthFrom?: number[];
}
export declare const MESH_POINT_COUNT: number;
export declare const MESH_WITH_IRIS_POINT_COUNT: number;
export declare const REFINEMENT_REGIONS: RefinementRegion[];
export declare const FACE_PRESENCE_TENSOR: string;
