// Prepares the meta-learning training set from ../shared/data (YouTube Faces, CelebA) with the
// app's own landmark pipeline running in headless Chromium (lab.html → window.lab.prepareSamples),
// so the trainer sees exactly the crops and landmark images the app will produce.
//
// Run (from the repository root; `bash scripts/setup.sh` done):
//   node -e "import('vite').then((v) => v.runnerImport('./scripts/prepare-training-set.ts'))" -- \
//     [--size 128] [--out data/train-128] [--limit-people N] [--sources ytf,celeba] [--jpeg-quality 0.8]
//     [--mirror]
// `--size 64,128` prepares both sizes in one pass (one detection per photo; one set per size, `--out`
// naming one folder per size or, by default, data/train-<size>, data/videos-<size> for the videos):
// options in scripts/prepare-training-set-options.ts. `npm run data:prep:all` prepares every set the
// trainer's recipes read (see package.json).
// The talking-head videos make a set of their own (`--sources videos --out data/videos-64`; the
// trainer reads several sets: `--data data/train-64,data/videos-64`); their held-out people (the
// clips `npm run eval` scores) are in no set.
// `--mirror` writes a set of the same training people's photos mirrored left to right (held-out
// people are in no mirrored set; ids get MIRRORED_SUFFIX), read beside the plain one:
// `--data data/train-64,data/train-64-mirrored`. Each mirrored photo is detected and cropped like any
// other, so its landmarks and landmark image are the pipeline's own, with no left/right index map.
//
// Writes <out>/shard-NNN.bin (format: src/training-data/shard.ts) and <out>/manifest.json
// (src/training-data/manifest.ts). Creates train/split.json when it does not exist yet; otherwise
// uses it as committed, so re-running never changes who is held out.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import type { LabPrepareApi, PrepareSampleResult, PreparedCrop, PreparedSample } from '../src/lab/prepare.ts';
import { CROP_CENTER_RAISE, CROP_SIDE_FACTOR } from '../src/landmarks/crop.ts';
import { defaultLineWidth, rasterizeLandmarks } from '../src/landmarks/rasterize.ts';
import type { Point } from '../src/landmarks/types.ts';
import { cropDropReason, cropUpscale, MAX_CROP_UPSCALE, outsideFraction, type DropReason } from '../src/training-data/frame-filter.ts';
import {
  countPeople,
  MANIFEST_FORMAT,
  MANIFEST_VERSION,
  type ManifestClip,
  type ManifestPerson,
  type TrainingSetManifest,
} from '../src/training-data/manifest.ts';
import { stripJpegMetadata } from '../src/training-data/jpeg-metadata.ts';
import { DEFAULT_LANDMARK_SCALE, SHARD_VERSION } from '../src/training-data/shard.ts';
import { ShardWriter } from '../src/training-data/shard-writer.ts';
import {
  listPeople,
  SOURCE_DIRS,
  SOURCE_NAMES,
  videoFrameIndex,
  type SourceName,
  type SourcePerson,
} from '../src/training-data/sources.ts';
import { extractVideoFrames } from '../src/eval/video-frames.ts';
import { listVideoFiles } from '../src/eval/eval-dataset.ts';
import { openLabSession } from './lab-page.ts';
import { parseOptions, type PrepareOptions } from './prepare-training-set-options.ts';
import { DEFAULT_SPLIT_SEED, defaultSplit, type SourceSplit } from '../src/training-data/split.ts';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const DATA_ROOT = resolve(REPO_ROOT, '../shared/data');
const SPLIT_FILE = 'train/split.json';
/** Images per page.evaluate: large enough to hide the round trip, small enough for steady progress. */
const BATCH_SIZE = 48;
const TARGET_SHARD_BYTES = 12 * 1024 * 1024;
/** What a mirrored set appends to each person's id, so it and the plain set can be read together. */
const MIRRORED_SUFFIX = ' (mirrored)';

type SplitFile = { seed: number } & Partial<Record<SourceName, SourceSplit>>;

/**
 * The committed split, or a new one written to train/split.json when there is none. A source the
 * committed file lacks (one added since) gets its split by the documented rule and is written into
 * the file; the sources it has are never changed.
 */
function loadOrCreateSplit(peopleOf: (source: SourceName) => SourcePerson[]): Record<SourceName, SourceSplit> & { seed: number } {
  const path = join(REPO_ROOT, SPLIT_FILE);
  const split: SplitFile = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as SplitFile) : { seed: DEFAULT_SPLIT_SEED };
  const missing = SOURCE_NAMES.filter((source) => !split[source]);
  for (const source of missing) {
    split[source] = defaultSplit(
      source,
      peopleOf(source).map((p) => p.id),
      split.seed,
    );
  }
  if (missing.length) {
    mkdirSync(join(REPO_ROOT, 'train'), { recursive: true });
    writeFileSync(path, JSON.stringify(split, null, 2) + '\n');
    console.log(`${SPLIT_FILE}: added ${missing.join(', ')} (seed ${split.seed})`);
  }
  return split as Record<SourceName, SourceSplit> & { seed: number };
}

function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** What produced the set: commit, and hashes of the model and of the code that shapes the pixels. */
function pipelineDescription(options: PrepareOptions, size: number): Record<string, string | number | boolean> {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  const codeFiles = [
    ...readdirSync(join(REPO_ROOT, 'src/landmarks'))
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .map((f) => `src/landmarks/${f}`),
    'src/lab/prepare.ts',
    'src/training-data/shard.ts',
    'src/training-data/jpeg-metadata.ts',
    'src/training-data/frame-filter.ts',
  ].sort();
  const codeHash = createHash('sha256');
  for (const file of codeFiles) codeHash.update(file).update(readFileSync(join(REPO_ROOT, file)));
  return {
    gitCommit: git('rev-parse', 'HEAD'),
    gitDirty: git('status', '--porcelain', '--', 'src/landmarks', 'src/lab/prepare.ts', 'src/training-data') !== '',
    pipelineCodeSha256: codeHash.digest('hex'),
    landmarkModelSha256: sha256(readFileSync(join(REPO_ROOT, 'public/models/face_landmarker.task'))),
    detector: 'MediaPipe FaceLandmarker, IMAGE mode, CPU delegate, largest face',
    cropSideFactor: CROP_SIDE_FACTOR,
    cropCenterRaise: CROP_CENTER_RAISE,
    cropFill: 'black',
    rasterLineWidth: defaultLineWidth(size),
    maxUpscale: MAX_CROP_UPSCALE,
    jpegEncoder: 'Chromium OffscreenCanvas.convertToBlob, APPn/COM segments stripped',
    jpegQuality: options.jpegQuality,
    landmarkImageEncoding: 'zlib(raw RGB)',
    landmarkScale: DEFAULT_LANDMARK_SCALE,
    shardVersion: SHARD_VERSION,
  };
}

interface FrameJob {
  person: SourcePerson;
  clipId: string;
  file: string;
  path: string;
}

function dropReasonOf(result: { error: { code: string } }): DropReason {
  const { code } = result.error;
  if (code === 'no-face' || code === 'not-an-image') return code;
  if (code === 'face-too-small') return 'upscale';
  return 'error';
}

function toPoints(flat: readonly number[]): Point[] {
  const points: Point[] = [];
  for (let i = 0; i < flat.length; i += 3) points.push({ x: flat[i], y: flat[i + 1], z: flat[i + 2] });
  return points;
}

const round3 = (value: number) => Math.round(value * 1000) / 1000;

/**
 * Builds one size's manifest entries while frames stream in, and feeds kept frames to its shard
 * writer: a run of several sizes has one assembler per size, each reading its own crop of a result.
 */
class PersonAssembler {
  readonly people: ManifestPerson[] = [];
  private person: ManifestPerson | null = null;
  private clip: ManifestClip | null = null;

  constructor(
    private readonly writer: ShardWriter,
    private readonly size: number,
    /** Where this size's crop is in each result's crops. */
    private readonly cropIndex: number,
    private readonly heldout: (person: SourcePerson) => boolean,
    /** Appended to every person's id (MIRRORED_SUFFIX in a mirrored set). */
    private readonly idSuffix = '',
  ) {}

  accept(job: FrameJob, result: PrepareSampleResult): void {
    if (this.person?.id !== job.person.id + this.idSuffix || this.person.source !== job.person.source) this.startPerson(job.person);
    const person = this.person!;
    if ('error' in result) {
      const reason = dropReasonOf(result);
      if (result.error.code === 'detector-unavailable') throw new Error(result.error.message);
      person.dropped.push({ file: job.file, reason, ...(reason === 'error' ? { message: result.error.message } : {}) });
      return;
    }
    const crop = result.crops[this.cropIndex];
    if (crop?.size !== this.size) throw new Error(`the page returned no ${this.size} px crop of ${job.file}`);
    const reason = cropDropReason(crop.crop, this.size);
    if (reason) {
      person.dropped.push({ file: job.file, reason });
      return;
    }
    this.addFrame(person, job, result, crop);
  }

  finish(): void {
    this.writer.flush();
  }

  private startPerson(next: SourcePerson): void {
    const heldout = this.heldout(next);
    this.writer.startPerson(heldout);
    this.person = { source: next.source, id: next.id + this.idSuffix, heldout, clips: [], framesWithSeveralFaces: 0, dropped: [] };
    this.clip = null;
    this.people.push(this.person);
  }

  private addFrame(person: ManifestPerson, job: FrameJob, sample: PreparedSample, crop: PreparedCrop): void {
    if (this.clip?.id !== job.clipId || this.clip.shard !== this.writer.currentShard) {
      this.clip = {
        id: job.clipId,
        shard: this.writer.currentShard,
        start: this.writer.nextFrameIndex,
        count: 0,
        files: [],
        outsideFraction: [],
        upscale: [],
      };
      person.clips.push(this.clip);
    }
    const landmarks = toPoints(crop.landmarks);
    this.writer.add({
      cropJpeg: stripJpegMetadata(new Uint8Array(Buffer.from(crop.cropJpegBase64, 'base64'))),
      landmarkImage: rasterizeLandmarks(landmarks, this.size),
      landmarks,
    });
    this.clip.count++;
    this.clip.files.push(job.file);
    this.clip.outsideFraction.push(round3(outsideFraction(crop.crop, sample.sourceWidth, sample.sourceHeight)));
    this.clip.upscale.push(round3(cropUpscale(crop.crop, this.size)));
    if (sample.warnings.some((w) => /faces were found/.test(w))) person.framesWithSeveralFaces++;
  }
}

/** Routes that serve the source images to the page from ../shared by index, never copied into the project. */
async function routeSources(page: Page, jobs: readonly FrameJob[]): Promise<void> {
  await page.route('**/__training-source/*', async (route) => {
    const index = Number(new URL(route.request().url()).pathname.split('/').pop());
    const job = jobs[index];
    if (!job) return route.fulfill({ status: 404 });
    const contentType = job.path.toLowerCase().endsWith('.png') ? 'image/png' : 'image/jpeg';
    return route.fulfill({ status: 200, contentType, body: readFileSync(job.path) });
  });
}

async function prepare(options: PrepareOptions): Promise<void> {
  const started = Date.now();
  if (!existsSync(DATA_ROOT)) throw new Error(`${DATA_ROOT} is missing: the training sources live in ../shared/data`);
  // Sources are listed only when needed (the videos' listing runs ffprobe on each one).
  const listed = new Map<SourceName, SourcePerson[]>();
  const peopleOf = (source: SourceName) => listed.get(source) ?? listed.set(source, listPeople(DATA_ROOT, source)).get(source)!;
  const split = loadOrCreateSplit(peopleOf);
  const heldoutSets = Object.fromEntries(SOURCE_NAMES.map((s) => [s, new Set(split[s].heldout)]));

  const isHeldout = (person: SourcePerson) => heldoutSets[person.source].has(person.id);
  const chosen = options.sources
    .flatMap((source) => (options.limitPeople === null ? peopleOf(source) : peopleOf(source).slice(0, options.limitPeople)))
    // The held-out videos are the clips `npm run eval` scores from ../shared/data/videos itself: no set holds them.
    .filter((person) => person.source !== 'videos' || !isHeldout(person))
    // A mirrored set is training data only: the held-out reports read held-out people unmirrored.
    .filter((person) => !options.mirror || !isHeldout(person));
  // Training people first, then held-out people, so the two never share a shard.
  const ordered = [...chosen.filter((p) => !isHeldout(p)), ...chosen.filter(isHeldout)];
  // Video frames are decoded once, to lossless PNGs in a scratch folder that is removed at the end.
  const videoFrames = mkdtempSync(join(tmpdir(), 'training-video-frames-'));
  const framePath = (person: SourcePerson, file: string): string => {
    const dir = join(DATA_ROOT, SOURCE_DIRS[person.source]);
    if (person.source !== 'videos') return join(dir, person.id, file);
    return join(videoFrames, person.id, file);
  };
  try {
    for (const person of ordered.filter((p) => p.source === 'videos')) {
      const video = listVideoFiles(join(DATA_ROOT, SOURCE_DIRS.videos)).find((name) => basename(name, extname(name)) === person.id)!;
      const files = person.clips.flatMap((clip) => clip.files);
      mkdirSync(join(videoFrames, person.id));
      const written = extractVideoFrames(
        join(DATA_ROOT, SOURCE_DIRS.videos, video),
        files.map(videoFrameIndex),
        join(videoFrames, person.id),
      );
      written.forEach((path, i) => renameSync(path, framePath(person, files[i])));
    }
  } catch (error) {
    rmSync(videoFrames, { recursive: true, force: true });
    throw error;
  }
  const jobs: FrameJob[] = ordered.flatMap((person) =>
    person.clips.flatMap((clip) => clip.files.map((file) => ({ person, clipId: clip.id, file, path: framePath(person, file) }))),
  );

  const outDirs = options.outs.map((out) => resolve(REPO_ROOT, out));
  for (const outDir of outDirs) {
    mkdirSync(outDir, { recursive: true });
    for (const stale of readdirSync(outDir).filter((f) => /^shard-\d+(\.landmarks)?\.bin$|^manifest\.json$/.test(f)))
      rmSync(join(outDir, stale));
  }

  // The shared lab session (scripts/lab-page.ts): no file watching, so an edit during a long run
  // cannot reload the page under it.
  const lab = await openLabSession();
  try {
    const page = await lab.newLabPage((p) => routeSources(p, jobs));

    const sets = options.sizes.map((size, i) => {
      const writer = new ShardWriter(outDirs[i], size, TARGET_SHARD_BYTES);
      return {
        size,
        out: options.outs[i],
        outDir: outDirs[i],
        writer,
        assembler: new PersonAssembler(writer, size, i, isHeldout, options.mirror ? MIRRORED_SUFFIX : ''),
      };
    });
    const runBatch = (from: number) => {
      const urls = jobs.slice(from, from + BATCH_SIZE).map((_, i) => `/__training-source/${from + i}`);
      const sampleOptions = { sizes: options.sizes, jpegQuality: options.jpegQuality, mirror: options.mirror };
      return page.evaluate(
        ([batchUrls, batchOptions]) => (window as unknown as { lab: LabPrepareApi }).lab.prepareSamples(batchUrls, batchOptions),
        [urls, sampleOptions] as const,
      );
    };
    // The page works on the next batch while Node rasterizes and encodes this one.
    let pending = runBatch(0);
    for (let from = 0; from < jobs.length; from += BATCH_SIZE) {
      const results = await pending;
      if (from + BATCH_SIZE < jobs.length) pending = runBatch(from + BATCH_SIZE);
      for (const set of sets) results.forEach((result, i) => set.assembler.accept(jobs[from + i], result));
      const done = Math.min(from + BATCH_SIZE, jobs.length);
      const seconds = (Date.now() - started) / 1000;
      process.stdout.write(`\r${done}/${jobs.length} frames, ${seconds.toFixed(0)} s`);
    }
    process.stdout.write('\n');

    for (const { size, out, outDir, writer, assembler } of sets) {
      assembler.finish();
      const manifest: TrainingSetManifest = {
        format: MANIFEST_FORMAT,
        version: MANIFEST_VERSION,
        size,
        created: new Date().toISOString(),
        pipeline: {
          ...pipelineDescription(options, size),
          limitPeople: options.limitPeople ?? 'none',
          sources: options.sources.join(','),
          mirrored: options.mirror,
        },
        split: { file: SPLIT_FILE, seed: split.seed },
        counts: countPeople(assembler.people),
        shards: writer.shards,
        people: assembler.people,
      };
      writeFileSync(join(outDir, 'manifest.json'), JSON.stringify(manifest) + '\n');
      const mib = (select: (s: (typeof writer.shards)[number]) => number) =>
        +(writer.shards.reduce((sum, s) => sum + select(s), 0) / 2 ** 20).toFixed(2);
      const summary = {
        out,
        shards: writer.shards.length,
        trainingImagesMiB: mib((s) => (s.heldout ? 0 : s.bytes)),
        heldoutImagesMiB: mib((s) => (s.heldout ? s.bytes : 0)),
        landmarksMiB: mib((s) => s.landmarksBytes),
        seconds: Math.round((Date.now() - started) / 1000),
        counts: manifest.counts,
      };
      console.log(JSON.stringify(summary, null, 1));
    }
  } finally {
    await lab.close();
    rmSync(videoFrames, { recursive: true, force: true });
  }
}

await prepare(parseOptions());
