/** Photo analysis off the main thread: decoding, face landmarks and resampling take 100s of ms. */
import * as Comlink from 'comlink';
import { analyzePhoto, type AnalyzedPhoto } from '../landmarks/analyze-photo.ts';
import { toFaceErrorInfo, type FaceErrorInfo } from '../landmarks/errors.ts';

export type PhotoAnalysisResult = { ok: true; photo: AnalyzedPhoto } | { ok: false; error: FaceErrorInfo };

const api = {
  async analyze(file: Blob, size: number): Promise<PhotoAnalysisResult> {
    try {
      const photo = await analyzePhoto(file, size);
      // Pixel buffers move to the main thread instead of being copied.
      return Comlink.transfer({ ok: true, photo }, [photo.crop.data.buffer, photo.landmarkImage.data.buffer]);
    } catch (error) {
      // Typed errors lose their class across postMessage; send their plain-data form.
      return { ok: false, error: toFaceErrorInfo(error) };
    }
  },
};

export type PhotoAnalysisApi = typeof api;
Comlink.expose(api);
