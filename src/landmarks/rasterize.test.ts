import { describe, expect, it } from 'vitest';
import { CONTOUR_PARTS, IRIS_PARTS, JAW, PUPIL_COLOR, type Rgb } from './contours.ts';
import { defaultLineWidth, rasterizeLandmarks } from './rasterize.ts';
import { makeSyntheticFace } from './synthetic-face.ts';
import { NUM_LANDMARKS, type Point, type RgbaImage } from './types.ts';

function pixel(image: RgbaImage, x: number, y: number): number[] {
  const i = (y * image.width + x) * 4;
  return Array.from(image.data.subarray(i, i + 4));
}

function countColor(image: RgbaImage, color: Rgb): number {
  let n = 0;
  for (let i = 0; i < image.data.length; i += 4) {
    if (image.data[i] === color[0] && image.data[i + 1] === color[1] && image.data[i + 2] === color[2]) n++;
  }
  return n;
}

function colorCentroidX(image: RgbaImage, color: Rgb): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < image.data.length; i += 4) {
    if (image.data[i] === color[0] && image.data[i + 1] === color[1] && image.data[i + 2] === color[2]) {
      sum += (i / 4) % image.width;
      n++;
    }
  }
  return sum / n;
}

/** All points lost (NaN) except the jaw, which is laid on a horizontal line. */
function jawOnlyLine(y: number, x0: number, x1: number): Point[] {
  const points: Point[] = Array.from({ length: NUM_LANDMARKS }, () => ({ x: NaN, y: NaN, z: 0 }));
  JAW.forEach((index, k) => {
    points[index] = { x: x0 + ((x1 - x0) * k) / (JAW.length - 1), y, z: 0 };
  });
  return points;
}

const face256 = makeSyntheticFace({ centerX: 128, centerY: 132, halfWidth: 64 });

describe('rasterizeLandmarks', () => {
  it('draws an anti-aliased line of the documented width in the part colour on opaque black', () => {
    const jawColor = CONTOUR_PARTS[0].color;
    // Width 2 at 256 px: pixel centres within 0.5 px of the line are fully covered, 1 px away half.
    const image = rasterizeLandmarks(jawOnlyLine(100.5, 40, 200), 256);
    expect(defaultLineWidth(256)).toBe(2);
    expect(pixel(image, 120, 100)).toEqual([...jawColor, 255]);
    expect(pixel(image, 120, 99)).toEqual([...jawColor.map((c) => Math.round(c * 0.5)), 255]);
    expect(pixel(image, 120, 101)).toEqual([...jawColor.map((c) => Math.round(c * 0.5)), 255]);
    expect(pixel(image, 120, 98)).toEqual([0, 0, 0, 255]);
    expect(pixel(image, 120, 102)).toEqual([0, 0, 0, 255]);
    // Round caps reach lineWidth/2 + 0.5 px beyond the end points and no further.
    expect(pixel(image, 200, 100)[0]).toBeGreaterThan(0);
    expect(pixel(image, 202, 100)).toEqual([0, 0, 0, 255]);
  });

  it('skips segments with lost (NaN) points instead of drawing them to the origin', () => {
    const points = jawOnlyLine(30.5, 10, 50);
    points[JAW[5]] = { x: NaN, y: NaN, z: 0 };
    const image = rasterizeLandmarks(points, 64);
    expect(pixel(image, 0, 0)).toEqual([0, 0, 0, 255]);
    // The two segments touching the lost point are gone: a gap around its x position.
    const lostX = 10 + (40 * 5) / (JAW.length - 1);
    expect(pixel(image, Math.floor(lostX), 30)).toEqual([0, 0, 0, 255]);
    expect(pixel(image, 12, 30)[0]).toBeGreaterThan(0);
  });

  it('paints every part and both irises in their own colours', () => {
    const image = rasterizeLandmarks(face256, 256);
    for (const part of CONTOUR_PARTS) expect(countColor(image, part.color), part.name).toBeGreaterThan(10);
    for (const iris of IRIS_PARTS) expect(countColor(image, iris.ringColor), iris.name).toBeGreaterThan(10);
    expect(countColor(image, PUPIL_COLOR)).toBeGreaterThan(4);
    // Away from the face everything is background.
    expect(pixel(image, 2, 2)).toEqual([0, 0, 0, 255]);
    expect(pixel(image, 253, 253)).toEqual([0, 0, 0, 255]);
  });

  it("places the subject's right eye on the image left", () => {
    const image = rasterizeLandmarks(face256, 256);
    const right = CONTOUR_PARTS.find((p) => p.name === 'rightEye')!;
    const left = CONTOUR_PARTS.find((p) => p.name === 'leftEye')!;
    expect(colorCentroidX(image, right.color)).toBeLessThan(128);
    expect(colorCentroidX(image, left.color)).toBeGreaterThan(128);
  });

  it('represents gaze: the pupils move with the iris centres', () => {
    const ahead = rasterizeLandmarks(face256, 256);
    const looking = rasterizeLandmarks(makeSyntheticFace({ centerX: 128, centerY: 132, halfWidth: 64, gazeX: 0.5 }), 256);
    const shift = colorCentroidX(looking, PUPIL_COLOR) - colorCentroidX(ahead, PUPIL_COLOR);
    // gazeX 0.5 moves each iris by half an eye half-width: 0.5 * 0.2 * 64 = 6.4 px.
    expect(shift).toBeGreaterThan(5.5);
    expect(shift).toBeLessThan(7.5);
  });

  it('scales line width with the image so the drawing looks the same at every size', () => {
    const ink = (image: RgbaImage) => image.data.reduce((sum, v, i) => (i % 4 === 0 ? sum + v : sum), 0);
    const small = ink(rasterizeLandmarks(jawOnlyLine(100.5, 40, 200), 256));
    const large = ink(rasterizeLandmarks(jawOnlyLine(201, 80, 400), 512));
    // Twice the length and twice the width: four times the ink, up to the round caps.
    expect(large / small).toBeGreaterThan(3.8);
    expect(large / small).toBeLessThan(4.2);
  });

  it('is deterministic and rejects bad input', () => {
    const a = rasterizeLandmarks(face256, 128, { lineWidth: 1.5 });
    const b = rasterizeLandmarks(face256, 128, { lineWidth: 1.5 });
    expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(true);
    expect(() => rasterizeLandmarks(face256.slice(0, 468), 128)).toThrow(/478/);
    expect(() => rasterizeLandmarks(face256, 0)).toThrow(/size/);
  });

  it('can leave the irises out', () => {
    const image = rasterizeLandmarks(face256, 256, { drawIrises: false });
    expect(countColor(image, PUPIL_COLOR)).toBe(0);
    expect(countColor(image, IRIS_PARTS[0].ringColor)).toBe(0);
  });
});
