/**
 * Validates the project's own FaceLandmarker bundle (public/models/face_landmarker.task, built by
 * scripts/landmarker-bundle from @mediapipe/face_mesh) against Google's published bundle: on every
 * portrait set, our 478 landmarks must lie within 3% of the inter-ocular distance of the reference's
 * (mean landmark error, averaged over the portraits; no single portrait above 4%).
 * The reference and the portraits are served through page.route straight from ../shared, never
 * copied into public/.
 *
 * WRITE_LANDMARK_FIXTURE=1 also (re)writes src/landmarks/__fixtures__/face478.json from our bundle.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import type { LabDetection, LabDetectResult } from '../src/lab/api.ts';
import { HAS_SHARED, NO_SHARED_REASON, SHARED, badInputs, portrait } from './fixtures.ts';
import { expect, test } from './test.ts';

const REFERENCE_BUNDLE = path.join(SHARED, 'reference', 'face_landmarker.task');
const PORTRAITS = path.join(SHARED, 'data', 'portraits');
const ROUTE_PREFIX = '/__validation__/';
const REFERENCE_URL = `${ROUTE_PREFIX}reference/face_landmarker.task`;
const OUR_BUNDLE_URL = '/models/face_landmarker.task';
// Mean over all portraits of the per-image mean landmark error: the 3% target. Per image, the
// two models legitimately differ more on extreme expressions (a wide-open scream, selfie_d9, is at
// ~3.4%), so single images get a ceiling of 4% that still catches any systematic bundle error
// (a wrong refinement mapping or normalisation costs far more than that).
const MAX_MEAN_ERROR_IOD = 0.03;
const MAX_IMAGE_ERROR_IOD = 0.04;
// Outer eye corners: the usual inter-ocular distance for face alignment benchmarks.
const RIGHT_EYE_OUTER = 33;
const LEFT_EYE_OUTER = 263;
const FIXTURE_IMAGE = 'photo_einstein.jpg';
const FIXTURE_PATH = path.resolve('src/landmarks/__fixtures__/face478.json');

function isDetection(result: LabDetectResult): result is LabDetection {
  return !('error' in result);
}

/** Mean 2-D distance between corresponding points, divided by the reference's inter-ocular distance. */
function meanErrorOverIod(ours: LabDetection, reference: LabDetection): number {
  const ref = reference.landmarks;
  const iod = Math.hypot(ref[RIGHT_EYE_OUTER].x - ref[LEFT_EYE_OUTER].x, ref[RIGHT_EYE_OUTER].y - ref[LEFT_EYE_OUTER].y);
  let sum = 0;
  for (let i = 0; i < ref.length; i++) sum += Math.hypot(ours.landmarks[i].x - ref[i].x, ours.landmarks[i].y - ref[i].y);
  return sum / ref.length / iod;
}

function writeFixture(detection: LabDetection) {
  const round = (v: number) => Math.round(v * 100) / 100;
  const fixture = {
    width: detection.width,
    height: detection.height,
    landmarks: detection.landmarks.map((p) => ({ x: round(p.x), y: round(p.y), z: round(p.z) })),
  };
  writeFileSync(FIXTURE_PATH, `${JSON.stringify(fixture)}\n`);
}

test.describe('face landmarker bundle', () => {
  test.skip(!HAS_SHARED, NO_SHARED_REASON);

  test('our bundle matches the reference bundle within 3% of the inter-ocular distance', async ({ page }) => {
    test.setTimeout(600_000);
    const portraits = readdirSync(PORTRAITS)
      .filter((f) => /\.(jpe?g|png|webp)$/i.test(f))
      .sort();
    expect(portraits.length).toBeGreaterThan(0);

    await page.route(`**${ROUTE_PREFIX}**`, async (route) => {
      const rel = decodeURIComponent(new URL(route.request().url()).pathname.slice(ROUTE_PREFIX.length));
      if (rel === 'reference/face_landmarker.task') {
        await route.fulfill({ body: readFileSync(REFERENCE_BUNDLE), contentType: 'application/octet-stream' });
      } else if (rel.startsWith('portraits/') && portraits.includes(rel.slice('portraits/'.length))) {
        await route.fulfill({ body: readFileSync(path.join(PORTRAITS, rel.slice('portraits/'.length))), contentType: 'image/jpeg' });
      } else {
        await route.fulfill({ status: 404, body: 'not found' });
      }
    });
    await page.goto('/lab.html');
    await page.waitForFunction(() => document.documentElement.dataset.labReady === 'true');

    const urls = portraits.map((name) => `${ROUTE_PREFIX}portraits/${encodeURIComponent(name)}`);
    const ours = await page.evaluate(([u, modelUrl]) => window.lab.detectMany(u, { modelUrl }), [urls, OUR_BUNDLE_URL] as const);
    const reference = await page.evaluate(([u, modelUrl]) => window.lab.detectMany(u, { modelUrl }), [urls, REFERENCE_URL] as const);

    const failures: string[] = [];
    const errors: number[] = [];
    portraits.forEach((name, i) => {
      const [o, r] = [ours[i], reference[i]];
      if (!isDetection(r)) {
        // Nothing to compare against; ours must not invent a face either.
        console.log(
          `${name}: reference found no usable face (${r.error.code}: ${r.error.message}); ours: ${isDetection(o) ? 'face' : o.error.code}`,
        );
        if (isDetection(o)) failures.push(`${name}: reference rejects the image (${r.error.code}) but ours found a face`);
        return;
      }
      if (!isDetection(o)) {
        failures.push(`${name}: ours failed (${o.error.code}: ${o.error.message})`);
        return;
      }
      expect(o.landmarks).toHaveLength(478);
      const error = meanErrorOverIod(o, r);
      errors.push(error);
      console.log(`${name}: mean landmark error ${(100 * error).toFixed(2)}% of inter-ocular distance`);
      if (error > MAX_IMAGE_ERROR_IOD) failures.push(`${name}: ${(100 * error).toFixed(2)}% > ${100 * MAX_IMAGE_ERROR_IOD}%`);
      if (name === FIXTURE_IMAGE && process.env.WRITE_LANDMARK_FIXTURE) writeFixture(o);
    });
    expect(errors.length).toBeGreaterThan(0);
    const mean = errors.reduce((a, b) => a + b, 0) / errors.length;
    const within3 = errors.filter((e) => e <= 0.03).length;
    console.log(
      `compared ${errors.length}/${portraits.length} images: mean ${(100 * mean).toFixed(2)}%, ` +
        `max ${(100 * Math.max(...errors)).toFixed(2)}%, ${within3} images within 3%`,
    );
    expect(failures).toEqual([]);
    expect(mean).toBeLessThanOrEqual(MAX_MEAN_ERROR_IOD);
  });
});

/**
 * A face the detector still finds but whose box is ~46 px: selfie_d8 scaled to 120 px on a 240 px
 * canvas. (Much smaller and the face detector misses it entirely: that is a no-face case.)
 */
function smallFaceImage(): string {
  const out = path.resolve('test-results', 'fixtures', 'small-face-46px.png');
  if (!existsSync(out)) {
    mkdirSync(path.dirname(out), { recursive: true });
    execFileSync('ffmpeg', [
      '-loglevel',
      'error',
      '-y',
      '-i',
      portrait('selfie_d8.jpg'),
      '-vf',
      'scale=120:-2,pad=240:240:60:60:gray',
      '-frames:v',
      '1',
      out,
    ]);
  }
  return out;
}

/** Serves local files at /__inputs__/<n> and returns their URLs. */
async function serveFiles(page: Page, files: string[]): Promise<string[]> {
  await page.route('**/__inputs__/**', async (route) => {
    const index = Number(new URL(route.request().url()).pathname.split('/').pop());
    await route.fulfill({ body: readFileSync(files[index]), contentType: 'application/octet-stream' });
  });
  return files.map((_, i) => `/__inputs__/${i}`);
}

test.describe('face detector inputs', () => {
  test.skip(!HAS_SHARED, NO_SHARED_REASON);

  test('bad inputs give typed errors, odd ones give warnings, and a worker gives the same landmarks', async ({ page }) => {
    const files = [
      badInputs.notAnImage(),
      badInputs.corruptJpeg(),
      badInputs.noFace(),
      smallFaceImage(),
      badInputs.severalFaces(),
      badInputs.huge(),
      portrait('selfie_d8.jpg'),
    ];
    const [notAnImage, corrupt, noFace, smallFace, severalFaces, huge, selfie] = await serveFiles(page, files);
    await page.goto('/lab.html');
    await page.waitForFunction(() => document.documentElement.dataset.labReady === 'true');

    const detect = (url: string) => page.evaluate((u) => window.lab.detect(u), url);
    const codeOf = (r: LabDetectResult) => ('error' in r ? r.error.code : 'ok');
    expect(codeOf(await detect(notAnImage))).toBe('not-an-image');
    expect(codeOf(await detect(corrupt))).toBe('not-an-image');
    expect(codeOf(await detect(noFace))).toBe('no-face');
    const small = await detect(smallFace);
    expect(codeOf(small)).toBe('face-too-small');
    if ('error' in small) expect(small.error.message).toMatch(/too small \(4\d px across; at least 64 px/);

    const several = await detect(severalFaces);
    expect(isDetection(several)).toBe(true);
    if (isDetection(several)) expect(several.warnings.join(' ')).toMatch(/2 faces were found; the largest one is used/);

    const big = await detect(huge);
    expect(isDetection(big)).toBe(true);
    if (isDetection(big)) {
      expect([big.originalWidth, big.originalHeight]).toEqual([8000, 8000]);
      expect(Math.max(big.width, big.height)).toBe(4096);
      expect(big.warnings.join(' ')).toMatch(/reduced to 4096×4096/);
    }

    const onMain = await detect(selfie);
    const inWorker = await page.evaluate((u) => window.lab.worker().detect(u), selfie);
    expect(isDetection(onMain) && isDetection(inWorker)).toBe(true);
    if (isDetection(onMain) && isDetection(inWorker)) {
      expect(onMain.landmarks).toHaveLength(478);
      expect(Math.max(onMain.box.width, onMain.box.height)).toBeGreaterThan(64);
      const maxDiff = Math.max(...onMain.landmarks.map((p, i) => Math.hypot(p.x - inWorker.landmarks[i].x, p.y - inWorker.landmarks[i].y)));
      expect(maxDiff).toBeLessThan(0.5);
    }
  });
});
