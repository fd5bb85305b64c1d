/** One face point in pixel coordinates of the image it was found in; z is MediaPipe's relative depth. */
export interface Point {
  x: number;
  y: number;
  z: number;
}

/** The 478 MediaPipe FaceLandmarker points (468 mesh + 10 iris) of one face. */
export type Landmarks = readonly Point[];

export const NUM_LANDMARKS = 478;

/** An RGBA image that works the same on the main thread, in a worker and in Node (tests, tooling). */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}
