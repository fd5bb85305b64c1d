/** detectInImageUrl with fetch and createImageBitmap stubbed: results, plain-data errors, mirroring, the bitmaps closed. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DetectionResult, FaceDetector } from '../landmarks/detector.ts';
import { NoFaceError } from '../landmarks/errors.ts';
import { detectInImageUrl } from './detect-url.ts';

const detection = { landmarks: [], box: { x: 0, y: 0, width: 1, height: 1 }, width: 4, height: 3, warnings: ['w'] } as DetectionResult;

function stubBrowser(status = 200) {
  const bitmap = { width: 4, height: 3, close: vi.fn() };
  vi.stubGlobal(
    'fetch',
    vi.fn(() => Promise.resolve(new Response(new Blob([new Uint8Array(8)]), { status }))),
  );
  vi.stubGlobal(
    'createImageBitmap',
    vi.fn(() => Promise.resolve(bitmap)),
  );
  return bitmap;
}

function detector(detect: FaceDetector['detect']): () => Promise<FaceDetector> {
  return () => Promise.resolve({ mode: 'IMAGE', detect, close: vi.fn() });
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('detectInImageUrl', () => {
  it('hands the detection and the decoded image on, then closes the bitmap', async () => {
    const bitmap = stubBrowser();
    const result = await detectInImageUrl(
      detector(() => detection),
      '/face.jpg',
      async (found, decoded) => {
        expect(bitmap.close).not.toHaveBeenCalled();
        return { warnings: found.warnings, width: decoded.originalWidth };
      },
    );
    expect(result).toEqual({ warnings: ['w'], width: 4 });
    expect(bitmap.close).toHaveBeenCalledTimes(1);
  });

  it('returns an HTTP failure as a plain-data error', async () => {
    stubBrowser(404);
    const take = vi.fn();
    expect(
      await detectInImageUrl(
        detector(() => detection),
        '/missing.jpg',
        take,
      ),
    ).toEqual({
      error: { code: 'unknown', message: '/missing.jpg: HTTP 404' },
    });
    expect(take).not.toHaveBeenCalled();
  });

  it('returns a detector error with its code, and still closes the bitmap', async () => {
    const bitmap = stubBrowser();
    const result = await detectInImageUrl(
      detector(() => {
        throw new NoFaceError();
      }),
      '/empty.jpg',
      () => 'unused',
    );
    expect(result).toMatchObject({ error: { code: 'no-face' } });
    expect(bitmap.close).toHaveBeenCalledTimes(1);
  });

  it('mirrors the image before detection on request, and closes both bitmaps', async () => {
    const original = stubBrowser();
    const mirrored = { width: 4, height: 3, close: vi.fn() };
    const ctx = { imageSmoothingEnabled: true, setTransform: vi.fn(), drawImage: vi.fn() };
    vi.stubGlobal(
      'OffscreenCanvas',
      class {
        getContext = () => ctx;
        transferToImageBitmap = () => mirrored;
      },
    );
    const seen: unknown[] = [];
    const result = await detectInImageUrl(
      detector((image) => {
        seen.push(image);
        return detection;
      }),
      '/face.jpg',
      (_, decoded) => decoded.image,
      { mirror: true },
    );
    expect(seen).toEqual([mirrored]);
    expect(result).toBe(mirrored);
    // x → width − x: a whole-pixel reflection, without smoothing.
    expect(ctx.setTransform).toHaveBeenCalledWith(-1, 0, 0, 1, 4, 0);
    expect(ctx.imageSmoothingEnabled).toBe(false);
    expect(ctx.drawImage).toHaveBeenCalledWith(original, 0, 0);
    expect(original.close).toHaveBeenCalledTimes(1);
    expect(mirrored.close).toHaveBeenCalledTimes(1);
  });

  it('returns a detector that failed to start as an error', async () => {
    stubBrowser();
    const result = await detectInImageUrl(
      () => Promise.reject(new Error('no model')),
      '/face.jpg',
      () => 'unused',
    );
    expect(result).toEqual({ error: { code: 'unknown', message: 'no model' } });
  });
});
