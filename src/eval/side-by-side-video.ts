// The cross-identity report's videos: per driving frame one row of cells (driver | adapted landmark
// image | each method's frame), composed with the sample grid's layout (image-grid.ts) and encoded
// as VP9 WebM by Debian's ffmpeg (installed by scripts/setup.sh), so a browser plays it inline.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RgbaImage } from '../landmarks/types.ts';
import { encodePng } from '../util/png.ts';
import { composeGrid } from './image-grid.ts';

/** Writes `frames` (each a row of cells) as a WebM at `fps` to `path`; returns the frame size. */
export function writeSideBySideWebm(
  frames: readonly (readonly (RgbaImage | null)[])[],
  fps: number,
  path: string,
): { width: number; height: number } {
  if (frames.length === 0) throw new Error(`writeSideBySideWebm: no frames for ${path}`);
  const work = mkdtempSync(join(tmpdir(), 'eval-video-'));
  try {
    let size = { width: 0, height: 0 };
    frames.forEach((cells, t) => {
      const image = composeGrid([cells], { gap: 2 });
      size = { width: image.width, height: image.height };
      writeFileSync(join(work, `${String(t).padStart(5, '0')}.png`), encodePng(image));
    });
    execFileSync('ffmpeg', [
      '-v',
      'error',
      '-y',
      '-framerate',
      String(fps),
      '-i',
      join(work, '%05d.png'),
      '-c:v',
      'libvpx-vp9',
      '-b:v',
      '0',
      '-crf',
      '30',
      '-deadline',
      'good',
      '-cpu-used',
      '4',
      '-row-mt',
      '1',
      '-pix_fmt',
      'yuv420p',
      path,
    ]);
    return size;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** What ffprobe reads back from a video file's first stream: codec, size and decoded frame count. */
export function probeVideo(path: string): { codec: string; width: number; height: number; frames: number } {
  const [codec, width, height, frames] = execFileSync(
    'ffprobe',
    [
      '-v',
      'error',
      '-count_frames',
      '-select_streams',
      'v:0',
      '-show_entries',
      'stream=codec_name,width,height,nb_read_frames',
      '-of',
      'csv=p=0',
      path,
    ],
    { encoding: 'utf8' },
  )
    .trim()
    .split(',');
  return { codec, width: Number(width), height: Number(height), frames: Number(frames) };
}
