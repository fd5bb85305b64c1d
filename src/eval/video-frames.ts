// Frame access for evaluation clips through Debian's ffmpeg/ffprobe (installed by scripts/setup.sh).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Exact decoded frame count (packets counted, not the container's estimate). */
export function countVideoFrames(path: string): number {
  const out = execFileSync(
    'ffprobe',
    ['-v', 'error', '-select_streams', 'v:0', '-count_packets', '-show_entries', 'stream=nb_read_packets', '-of', 'csv=p=0', path],
    { encoding: 'utf8' },
  );
  const count = Number.parseInt(out.trim(), 10);
  if (!Number.isFinite(count)) throw new Error(`ffprobe could not count the frames of ${path}: ${JSON.stringify(out)}`);
  return count;
}

/**
 * Writes the frames with the given indices as lossless PNGs into `outDir` and returns their paths
 * in the order of `indices`. One ffmpeg pass with a select filter, so a long clip is decoded once.
 */
export function extractVideoFrames(path: string, indices: readonly number[], outDir: string): string[] {
  const unique = [...new Set(indices)].sort((a, b) => a - b);
  if (unique.length === 0) return [];
  const work = mkdtempSync(join(tmpdir(), 'eval-frames-'));
  try {
    const select = unique.map((i) => `eq(n\\,${i})`).join('+');
    execFileSync('ffmpeg', [
      '-v',
      'error',
      '-i',
      path,
      '-vf',
      `select='${select}'`,
      '-vsync',
      '0',
      '-start_number',
      '0',
      join(work, '%05d.png'),
    ]);
    const written = readdirSync(work).sort();
    if (written.length !== unique.length) {
      throw new Error(`ffmpeg wrote ${written.length} of ${unique.length} frames of ${path} (frame indices past the end?)`);
    }
    const byIndex = new Map<number, string>();
    unique.forEach((index, k) => {
      const target = join(outDir, `${index}.png`);
      copyFileSync(join(work, written[k]), target);
      byIndex.set(index, target);
    });
    return indices.map((i) => byIndex.get(i)!);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Frames per second of the clip's first video stream (its r_frame_rate, e.g. 30000/1001). */
export function videoFrameRate(path: string): number {
  const out = execFileSync(
    'ffprobe',
    ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=r_frame_rate', '-of', 'csv=p=0', path],
    {
      encoding: 'utf8',
    },
  ).trim();
  const [num, den] = out.split('/').map(Number);
  const fps = den ? num / den : num;
  if (!(fps > 0) || !Number.isFinite(fps)) throw new Error(`ffprobe gave no frame rate for ${path}: ${JSON.stringify(out)}`);
  return fps;
}
