// The mouth generator's region (mouth-region.ts): the box follows the inner lips and the face's
// scale, crop and paste place the square where the box says, the lips' soft polygons are 1 inside
// and 0 outside, and the indices are the landmark image's lip contours. The torch twin's values are
// compared in src/nn/parity.test.ts (tiny-warp-mouth).
import { describe, expect, it } from 'vitest';
import { CONTOUR_PARTS } from './contours.ts';
import { seededRandom } from '../util/random.ts';
import {
  cropPositions,
  INNER_LIPS,
  lipMasks,
  mouthBox,
  openingGate,
  OUTER_LIPS,
  pastePositions,
  pasteWindow,
  polygonMask,
  zeroRing,
} from './mouth-region.ts';
import { loadRealFaceFixture } from './real-face-fixture.ts';
import { sampleBilinearPixels } from './warp.ts';
import type { Vec2 } from './geometry.ts';

const face = (): Vec2[] => loadRealFaceFixture().landmarks.map((p) => ({ x: p.x, y: p.y }));

describe('mouthBox', () => {
  it('centres on the inner lips, moves with them and scales with the face', () => {
    const points = face();
    const box = mouthBox(points, 0.25);
    const lips = [78, 308, 13, 14].map((i) => points[i]);
    expect(box.x).toBeCloseTo(lips.reduce((s, p) => s + p.x, 0) / 4, 9);
    expect(box.y).toBeCloseTo(lips.reduce((s, p) => s + p.y, 0) / 4, 9);
    const moved = mouthBox(
      points.map((p) => ({ x: p.x + 10, y: p.y - 4 })),
      0.25,
    );
    expect([moved.x - box.x, moved.y - box.y, moved.side - box.side].map((v) => Math.round(v * 1e6) / 1e6)).toEqual([10, -4, 0]);
    const doubled = mouthBox(
      points.map((p) => ({ x: 2 * p.x, y: 2 * p.y })),
      0.25,
    );
    expect(doubled.side / box.side).toBeCloseTo(2, 9);
    const eyes = Math.hypot(points[263].x - points[33].x, points[263].y - points[33].y);
    expect(mouthBox(points, 0.5).side - box.side).toBeCloseTo(0.5 * eyes, 6);
  });

  it('refuses points that are not MediaPipe landmarks', () => {
    expect(() => mouthBox(face().slice(0, 68), 0.25)).toThrow(/478 landmarks, got 68/);
  });
});

describe('opening gate', () => {
  it('ramps from 0 at lo to 1 at hi of how much wider the driving mouth opens than the photo’s; 1 without a ramp', () => {
    const points = face();
    const eyes = Math.hypot(points[263].x - points[33].x, points[263].y - points[33].y);
    const midline = (points[13].y + points[14].y) / 2;
    const gap = points[14].y - points[13].y;
    const opened = (opening: number) => points.map((p) => (p.y > midline ? { ...p, y: p.y + opening * eyes - gap } : p));
    const closed = opened(0);
    const gates = [0.05, 0.1, 0.15, 0.3].map((o) => openingGate(opened(o), closed, [0.1, 0.2]));
    expect(gates[0]).toBe(0);
    expect(gates[1]).toBeCloseTo(0, 2);
    expect(gates[2]).toBeCloseTo(0.5, 2);
    expect(gates[3]).toBe(1);
    // Against a photo whose mouth is as open, nothing (the warp shows its own teeth); any units.
    const half = (points: Vec2[]) => points.map((p) => ({ x: p.x / 2, y: p.y / 2 }));
    expect(openingGate(opened(0.3), half(opened(0.3)), [0.1, 0.2])).toBe(0);
    expect(openingGate(opened(0.3), half(opened(0.15)), [0.1, 0.2])).toBeCloseTo(0.5, 2);
    expect(openingGate(opened(0), opened(0.3), undefined)).toBe(1);
  });
});

describe('crop and paste', () => {
  it('the crop samples the box: a ramp in x reads back as the box’s x range', () => {
    const size = 32;
    const frame = 128;
    const values = Float32Array.from({ length: frame * frame }, (_, p) => (p % frame) + 0.5);
    const box = { x: 60, y: 70, side: 40 };
    const crop = sampleBilinearPixels(values, frame, 1, cropPositions(box, size));
    for (let i = 0; i < size; i++) expect(crop[5 * size + i]).toBeCloseTo(40 + ((i + 0.5) * 40) / size, 4);
  });

  it('a constant residual pasted back covers the box and nothing beyond a crop pixel of it', () => {
    const size = 16;
    const frame = 100;
    const box = { x: 50, y: 40, side: 30 };
    const ringed = zeroRing(new Float32Array(size * size).fill(1), size, 1);
    expect(ringed.length).toBe((size + 2) ** 2);
    const pasted = sampleBilinearPixels(ringed, size + 2, 1, pastePositions(box, frame, size));
    const sum = pasted.reduce((s, v) => s + v, 0);
    expect(Math.abs(sum - box.side ** 2)).toBeLessThan(30);
    expect(pasted[40 * frame + 50]).toBe(1);
    expect(pasted[40 * frame + 80]).toBe(0);
    expect(pasted[5 * frame + 50]).toBe(0);
  });

  it('the paste’s window holds every pixel it changes, with the same values, wherever the box lies', () => {
    const size = 16;
    const frame = 100;
    const residual = zeroRing(
      Float32Array.from({ length: size * size * 3 }, (_, k) => 1 + Math.sin(k)),
      size,
      3,
    );
    const boxes = [
      { x: 50.3, y: 40.7, side: 30.2 },
      { x: 3, y: 97, side: 25 }, // over the frame's corner
      { x: 50, y: 50, side: 180 }, // larger than the frame
      { x: 20.5, y: 60.25, side: 7.5 }, // crop pixels under half a frame pixel
    ];
    for (const box of boxes) {
      const full = sampleBilinearPixels(residual, size + 2, 3, pastePositions(box, frame, size));
      const window = pasteWindow(box, frame, size);
      expect(window.side).toBeLessThanOrEqual(frame);
      expect(Math.min(window.x, window.y)).toBeGreaterThanOrEqual(0);
      expect(Math.max(window.x, window.y) + window.side).toBeLessThanOrEqual(frame);
      const part = sampleBilinearPixels(residual, size + 2, 3, pastePositions(box, frame, size, window));
      let changed = 0;
      for (let y = 0; y < frame; y++) {
        for (let x = 0; x < frame; x++) {
          const inside = x >= window.x && x < window.x + window.side && y >= window.y && y < window.y + window.side;
          for (let c = 0; c < 3; c++) {
            const value = full[(y * frame + x) * 3 + c];
            if (value !== 0) changed++;
            if (inside) expect(part[((y - window.y) * window.side + x - window.x) * 3 + c]).toBe(value);
            else expect(value).toBe(0);
          }
        }
      }
      expect(changed).toBeGreaterThan(0);
    }
    // A box well inside the frame gets a window about its own size, not the frame.
    expect(pasteWindow(boxes[0], frame, size).side).toBeLessThan(40);
  });
});

/** polygonMask's definition as the plain double loop (every pixel against every edge). */
function polygonMaskReference(vertices: readonly Vec2[], size: number, feather = 0.5): Float32Array {
  const mask = new Float32Array(size * size);
  const n = vertices.length;
  for (let j = 0; j < size; j++) {
    const py = j + 0.5;
    for (let i = 0; i < size; i++) {
      const px = i + 0.5;
      let nearest = Infinity;
      let inside = false;
      for (let k = 0; k < n; k++) {
        const a = vertices[k];
        const b = vertices[(k + 1) % n];
        const ex = b.x - a.x;
        const ey = b.y - a.y;
        const t = Math.min(Math.max(((px - a.x) * ex + (py - a.y) * ey) / Math.max(ex * ex + ey * ey, 1e-12), 0), 1);
        nearest = Math.min(nearest, Math.hypot(px - a.x - t * ex, py - a.y - t * ey));
        if (a.y > py !== b.y > py && px < a.x + ((py - a.y) * ex) / ey) inside = !inside;
      }
      mask[j * size + i] = Math.min(Math.max(0.5 + (inside ? nearest : -nearest) / (2 * feather), 0), 1);
    }
  }
  return mask;
}

describe('lips', () => {
  it('are the landmark image’s lip contours', () => {
    expect(CONTOUR_PARTS.find((p) => p.name === 'innerLips')?.indices).toEqual(INNER_LIPS);
    expect(CONTOUR_PARTS.find((p) => p.name === 'outerLips')?.indices).toEqual(OUTER_LIPS);
  });

  it('a polygon mask equals its plain definition (every pixel against every edge), bit for bit', () => {
    const random = seededRandom(7);
    const size = 40;
    for (let trial = 0; trial < 20; trial++) {
      // Star-shaped loops around a random centre, partly outside the crop, some with repeated vertices.
      const n = 3 + Math.floor(random() * 20);
      const cx = size * (0.2 + 0.6 * random());
      const cy = size * (0.2 + 0.6 * random());
      const loop = Array.from({ length: n }, (_, k) => {
        const r = size * (0.05 + 0.5 * random());
        const angle = (2 * Math.PI * k) / n;
        return { x: cx + r * Math.cos(angle), y: cy + r * Math.sin(angle) };
      });
      if (trial % 5 === 0) loop.splice(1, 0, { ...loop[1] });
      expect(polygonMask(loop, size)).toEqual(polygonMaskReference(loop, size));
      // A wider edge (the eval's face composites) searches further from each edge: the same values.
      const feather = [2, 0.75, 3.5][trial % 3];
      const wide = polygonMask(loop, size, feather);
      const reference = polygonMaskReference(loop, size, feather);
      for (let p = 0; p < size * size; p++) expect(Math.abs(wide[p] - reference[p])).toBeLessThan(1e-6);
    }
    const lips = face();
    const box = mouthBox(lips, 0.25);
    const crop = (loop: readonly number[]) =>
      loop.map((k) => ({
        x: ((lips[k].x - box.x + box.side / 2) * 64) / box.side,
        y: ((lips[k].y - box.y + box.side / 2) * 64) / box.side,
      }));
    for (const loop of [INNER_LIPS, OUTER_LIPS]) expect(polygonMask(crop(loop), 64)).toEqual(polygonMaskReference(crop(loop), 64));
  });

  it('a polygon mask is 1 inside, 0 outside and ½ on the edge, whatever its orientation', () => {
    const square = [
      { x: 4, y: 4 },
      { x: 12, y: 4 },
      { x: 12, y: 12 },
      { x: 4, y: 12 },
    ];
    const mask = polygonMask(square, 16);
    expect(mask[8 * 16 + 8]).toBe(1);
    expect(mask[16 + 1]).toBe(0);
    expect(mask[8 * 16 + 4]).toBeCloseTo(1, 9); // centre 4.5: half a pixel inside
    expect(mask[8 * 16 + 3]).toBeCloseTo(0, 9); // centre 3.5: half a pixel outside
    expect(Array.from(polygonMask([...square].reverse(), 16))).toEqual(Array.from(mask));
  });

  it('a feathered polygon mask ramps monotonically over twice the feather across an edge', () => {
    const square = [
      { x: 8, y: 8 },
      { x: 24, y: 8 },
      { x: 24, y: 24 },
      { x: 8, y: 24 },
    ];
    const w = polygonMask(square, 32, 2);
    expect(w[16 * 32 + 16]).toBe(1);
    expect(w[0]).toBe(0);
    expect(w[16 * 32 + 4]).toBe(0);
    // Along row 16, from outside to inside the left edge at x = 8: monotone, ½ on the edge's pixel pair.
    const row = [5, 6, 7, 8, 9, 10].map((x) => w[16 * 32 + x]);
    for (let i = 1; i < row.length; i++) expect(row[i]).toBeGreaterThanOrEqual(row[i - 1]);
    expect(row[0]).toBe(0);
    expect(row[5]).toBe(1);
    expect(row[2]).toBeCloseTo(0.375, 6); // centre 7.5: half a pixel outside, ÷ (2 · 2)
    expect((w[16 * 32 + 7] + w[16 * 32 + 8]) / 2).toBeCloseTo(0.5, 5);
  });

  it('of a real face: the outer lips enclose the inner ones, both inside the crop', () => {
    const points = face();
    const size = 64;
    const masks = lipMasks(points, mouthBox(points, 0.25), size);
    let inner = 0;
    let outer = 0;
    for (let p = 0; p < size * size; p++) {
      inner += masks[2 * p];
      outer += masks[2 * p + 1];
      expect(masks[2 * p + 1] + 1e-9).toBeGreaterThanOrEqual(masks[2 * p] > 0.99 ? 0.99 : 0);
    }
    expect(outer).toBeGreaterThan(inner);
    expect(outer).toBeGreaterThan(0.05 * size * size);
    // Nothing of the lips on the crop's outer ring: the box holds the whole mouth.
    for (let i = 0; i < size; i++)
      for (const p of [i, (size - 1) * size + i, i * size, i * size + size - 1]) expect(masks[2 * p + 1]).toBe(0);
  });
});
