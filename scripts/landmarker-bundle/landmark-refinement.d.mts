import type { RefinementRegion } from './face-mesh-topology.mjs';
export interface RefinementPlan {
  regionOffsets: number[];
  concatSize: number;
  depthGathers: number[][];
  outputSources: number[];
}
export declare function planRefinement(regions?: RefinementRegion[]): RefinementPlan;
