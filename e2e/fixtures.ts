import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium.ts';

/** ../shared as seen from the repo root; tests that need it skip with this reason when it is absent. */
export const SHARED = path.resolve(process.cwd(), '..', 'shared');
export const HAS_SHARED = existsSync(path.join(SHARED, 'data', 'portraits'));
export const NO_SHARED_REASON = `needs the face data in ${SHARED} (absent on this machine)`;

export const portrait = (name: string) => path.join(SHARED, 'data', 'portraits', name);

const FIXTURES = path.resolve('test-results', 'fixtures');

/** Makes (once) an image with ffmpeg from the given filter graph; returns its path. */
function ffmpegImage(name: string, args: string[]): string {
  mkdirSync(FIXTURES, { recursive: true });
  const out = path.join(FIXTURES, name);
  if (!existsSync(out)) execFileSync('ffmpeg', ['-loglevel', 'error', '-y', ...args, '-frames:v', '1', out]);
  return out;
}

/** Test inputs made at test time from ../shared or from nothing; never committed. */
export const badInputs = {
  notAnImage(): string {
    mkdirSync(FIXTURES, { recursive: true });
    const out = path.join(FIXTURES, 'notes.jpg');
    writeFileSync(out, 'this is a text file with a .jpg name\n');
    return out;
  },
  corruptJpeg(): string {
    mkdirSync(FIXTURES, { recursive: true });
    const out = path.join(FIXTURES, 'corrupt.jpg');
    // A JPEG header followed by garbage: the browser cannot decode it.
    const head = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00]);
    const junk = Buffer.alloc(4000, 0x5a);
    writeFileSync(out, Buffer.concat([head, junk]));
    return out;
  },
  noFace(): string {
    return ffmpegImage('no-face.png', ['-f', 'lavfi', '-i', 'gradients=s=640x480:seed=3']);
  },
  tinyFace(): string {
    // A thumbnail: the face is found but spans well under 64 px. (In a large image a face this
    // small is not even detected, which is the no-face case.)
    return ffmpegImage('tiny-face.png', ['-i', portrait('selfie_d8.jpg'), '-vf', 'scale=112:112']);
  },
  severalFaces(): string {
    return ffmpegImage('two-faces.jpg', [
      '-i',
      portrait('selfie_d8.jpg'),
      '-i',
      portrait('photo_einstein.jpg'),
      '-filter_complex',
      '[0:v]scale=-2:480[a];[1:v]scale=-2:300,pad=iw:480:0:90:black[b];[a][b]hstack=inputs=2',
    ]);
  },
  huge(): string {
    return ffmpegImage('huge-8000.jpg', ['-i', portrait('selfie_d8.jpg'), '-vf', 'scale=8000:8000', '-q:v', '8']);
  },
};

export function readBytes(p: string): Buffer {
  return readFileSync(p);
}

/** A short clip of a talking-head video from ../shared, re-encoded for Chromium (y4m or webm). */
export function drivingClip(format: 'y4m' | 'webm'): string {
  mkdirSync(FIXTURES, { recursive: true });
  const out = path.join(FIXTURES, `driving.${format}`);
  if (!existsSync(out)) {
    const codec = format === 'y4m' ? ['-pix_fmt', 'yuv420p'] : ['-c:v', 'libvpx', '-b:v', '600k', '-an'];
    execFileSync('ffmpeg', [
      '-loglevel',
      'error',
      '-y',
      '-i',
      path.join(SHARED, 'data', 'videos', 'livep_d0.mp4'),
      '-t',
      '4',
      '-vf',
      'scale=320:-2,fps=15',
      ...codec,
      out,
    ]);
  }
  return out;
}

/**
 * CelebA photos of one person (`../shared/data/celeba/<id>/<file>`), named the way addPhotos and
 * makeAvatar (e2e/flows.ts) name portraits: relative to the portraits folder.
 */
export function celeba(id: string, files: readonly string[]): string[] {
  return files.map((f) => path.join('..', 'celeba', id, f));
}

/** Eight CelebA photos of identity 7205 whose faces are all found and large enough. */
export const CELEBA_8 = celeba('7205', [
  '018774.jpg',
  '020711.jpg',
  '032425.jpg',
  '034912.jpg',
  '035176.jpg',
  '039353.jpg',
  '048428.jpg',
  '065013.jpg',
]);

/**
 * Launch options for specs that use a webcam: Chromium's fake camera, permission granted, playing a
 * real talking-head clip when ../shared is there (Chromium's own test pattern, which has no face,
 * otherwise). Use as `test.use({ launchOptions: fakeWebcamLaunchOptions() })`.
 */
export function fakeWebcamLaunchOptions() {
  const webcam = HAS_SHARED ? drivingClip('y4m') : '';
  return {
    executablePath: CHROMIUM_PATH,
    args: [
      ...CHROMIUM_ARGS,
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      ...(webcam ? [`--use-file-for-fake-video-capture=${webcam}`] : []),
    ],
  };
}
