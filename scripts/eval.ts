// `npm run eval`: avatar quality and speed by the paper's self-reenactment protocol, for one or
// more generators (default both shipped ones, warp-guided and the paper's) side by side with
// baselines (copy, piecewise-affine warp), at the 256 px the app shows, on any folders of
// talking-head clips and/or per-person photo folders. The app's pipeline runs in headless Chromium
// (lab.html → window.lab.evaluation, one model worker per generator); protocol, metrics and the
// report are src/eval/. Usage: see EVAL_USAGE in src/eval/eval-options.ts.
//
// With --cross, every person's avatars are also driven by another person's clip (cross-identity,
// src/eval/cross-identity.ts): the clips of --videos are the drivers, tracked once each through the
// app's drive loop in the page, paired deterministically with the people evaluated.
//
// Writes OUT/results.json (every number), OUT/features.json (the FID proxy's features by person and
// row, to find which people carry a distance), OUT/report.md and OUT/grid.png (and, with --cross, two
// side-by-side videos OUT/cross_1.webm, OUT/cross_2.webm); with --report PATH also the report at PATH
// and its grid and videos next to it (docs/EVAL.md is made this way).
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import {
  heldOutClips,
  heldOutNames,
  listIdentityFolders,
  listVideoFiles,
  evenlySpaced,
  planIdentity,
  planVideo,
  type FrameRef,
  type PersonPlan,
} from '../src/eval/eval-dataset.ts';
import {
  describeFineTune,
  EVAL_DISPLAY_SIZE,
  EVAL_USAGE,
  parseEvalOptions,
  resolveWeightLabels,
  stepsFor,
  type EvalOptions,
} from '../src/eval/eval-options.ts';
import {
  CROSS_FRAME_STEP,
  drivingFrameIndices,
  pairDrivers,
  summarizeCross,
  type CrossPair,
  type DrivingClip,
} from '../src/eval/cross-identity.ts';
import { decode, toPoints } from '../src/eval/eval-image.ts';
import {
  chooseGridSamples,
  renderReport,
  rowName,
  summarizeOutcomes,
  trainingSummary,
  type ReportCrossVideo,
  type ReportWeights,
} from '../src/eval/eval-report.ts';
import { composeGrid } from '../src/eval/image-grid.ts';
import { evaluatePerson, gridColumns, type GeneratorRun, type PersonOutcome } from '../src/eval/run-evaluation.ts';
import { writeSideBySideWebm } from '../src/eval/side-by-side-video.ts';
import { countVideoFrames, extractVideoFrames, videoFrameRate } from '../src/eval/video-frames.ts';
import type { EvalDriveFrame, LabEvaluationApi } from '../src/lab/evaluate.ts';
import { encodePng } from '../src/util/png.ts';
import type { ModelInfo } from '../src/workers/avatar-protocol.ts';
import { openLabSession, pageEvaluationApi } from './lab-page.ts';

function planPeople(options: EvalOptions, limits: { maxSources: number; targets: number }) {
  const plans: PersonPlan[] = [];
  const skipped: { id: string; notes: string[] }[] = [];
  const take = <T>(items: T[]) => (options.people ? evenlySpaced(items, options.people) : items);
  // With a split file, only its held-out people: identity folders and clips that no training set holds.
  const keep = options.split ? heldOutNames(JSON.parse(readFileSync(options.split, 'utf8'))) : null;
  if (keep && keep.size === 0) throw new Error(`${options.split} lists no held-out people`);
  if (options.videos) {
    for (const file of take(heldOutClips(listVideoFiles(options.videos), keep))) {
      const id = `videos/${basename(file, extname(file))}`;
      const path = join(options.videos, file);
      const plan = planVideo(id, path, countVideoFrames(path), limits);
      if ('skip' in plan) skipped.push({ id, notes: [plan.skip] });
      else plans.push(plan);
    }
  }
  if (options.identities) {
    const folders = listIdentityFolders(options.identities, keep ? (name) => keep.has(name) : undefined);
    for (const name of take(folders)) {
      const id = `identities/${name}`;
      const dir = join(options.identities, name);
      const plan = planIdentity(id, dir, readdirSync(dir), limits);
      if ('skip' in plan) skipped.push({ id, notes: [plan.skip] });
      else plans.push(plan);
    }
  }
  return { plans, skipped };
}

/** Time spent in each lab-page call (seconds), to see what dominates a run. */
function timeCalls(api: LabEvaluationApi, seconds: Record<string, number>): LabEvaluationApi {
  return Object.fromEntries(
    Object.entries(api).map(([name, call]) => [
      name,
      async (...args: unknown[]) => {
        const started = performance.now();
        try {
          return await (call as (...a: unknown[]) => Promise<unknown>)(...args);
        } finally {
          seconds[name] = (seconds[name] ?? 0) + (performance.now() - started) / 1000;
        }
      },
    ]),
  ) as unknown as LabEvaluationApi;
}

async function main() {
  const argv = process.argv.slice(1); // node -e: [node, ...args]
  let options: EvalOptions;
  try {
    options = parseEvalOptions(argv);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 2;
    return;
  }
  const started = Date.now();
  const out = resolve(options.out);
  mkdirSync(out, { recursive: true });
  const limits = { maxSources: Math.max(...options.Ts), targets: options.frames };
  const { plans, skipped } = planPeople(options, limits);
  if (plans.length === 0) throw new Error(`no person to evaluate (skipped: ${JSON.stringify(skipped)})\n${EVAL_USAGE}`);
  console.log(
    `eval: ${plans.length} people, T=${options.Ts.join(',')}, modes ${options.modes.join(',')}, ${options.frames} hold-out frames each, ${options.weights.length} generator(s), metrics at ${options.metricSize} px`,
  );

  const frameDir = mkdtempSync(join(tmpdir(), 'eval-'));
  const served = new Map<string, string>();
  let nextToken = 0;
  const serve = (path: string) => {
    const token = `${nextToken++}${extname(path).toLowerCase()}`;
    served.set(token, path);
    return `/__eval/${token}`;
  };
  // Video frames are extracted per person, just before that person is evaluated.
  let videoFrames = new Map<string, string>();
  const frameUrl = async (ref: FrameRef) => {
    if (ref.kind === 'image') return serve(ref.path);
    const path = videoFrames.get(`${ref.path}#${ref.index}`);
    if (!path) throw new Error(`frame ${ref.index} of ${ref.path} was not extracted`);
    return serve(path);
  };

  const lab = await openLabSession();
  const outcomes: PersonOutcome[] = [];
  try {
    const page = await lab.newLabPage(async (p) => {
      p.on('pageerror', (error) => console.error(`page error: ${error.message}`));
      await p.route('**/__eval/*', (route) => {
        const path = served.get(route.request().url().split('/').pop()!);
        return path ? route.fulfill({ body: readFileSync(path) }) : route.fulfill({ status: 404, body: 'not served' });
      });
    });
    const labSeconds: Record<string, number> = {};
    const api = timeCalls(pageEvaluationApi(page), labSeconds);
    if (options.metricsBackends) await api.setMetricsBackends(options.metricsBackends);
    // One model worker per generator, named by its position until the manifests have said their kind.
    const models: ModelInfo[] = [];
    for (const [i, choice] of options.weights.entries()) {
      models.push(
        await api.initAvatar(
          {
            weightsUrl: choice.url,
            ...(options.backends ? { backends: options.backends } : {}),
            ...(options.contentSize !== null ? { contentSize: options.contentSize } : {}),
          },
          `g${i}`,
        ),
      );
    }
    const labels = resolveWeightLabels(
      options.weights,
      models.map((m) => m.generator),
    );
    const generators: GeneratorRun[] = models.map((m, i) => ({ label: labels[i], worker: `g${i}`, frameSize: m.frameSize }));
    const weights: ReportWeights[] = models.map((m, i) => ({
      label: labels[i],
      url: options.weights[i].url,
      config: m.configName,
      kind: m.generator,
      resolution: m.resolution,
      frameSize: m.frameSize,
      training: trainingSummary(m.meta),
    }));
    for (const [i, m] of models.entries()) {
      console.log(
        `eval: ${labels[i]}: weights ${options.weights[i].url} (${m.generator} generator, ${m.configName}, G at ${m.resolution} px, frames at ${m.frameSize} px) on ${m.backend}${m.adapter ? ` (${m.adapter})` : ''}`,
      );
    }

    // Cross-identity: every clip of --videos may drive; each is tracked once, when first needed.
    const drivers = options.cross
      ? listVideoFiles(options.videos!).map((file) => ({
          id: `videos/${basename(file, extname(file))}`,
          path: join(options.videos!, file),
        }))
      : [];
    const pairs: CrossPair[] = options.cross
      ? pairDrivers(
          plans.map((p) => p.id),
          drivers.map((d) => d.id),
        )
      : [];
    const clips = new Map<string, DrivingClip | string>();
    const trackDriver = async (id: string): Promise<DrivingClip | string> => {
      const cached = clips.get(id);
      if (cached) return cached;
      const path = drivers.find((d) => d.id === id)!.path;
      const fps = videoFrameRate(path);
      const indices = drivingFrameIndices(countVideoFrames(path), options.crossFrames);
      const dir = join(frameDir, `driver-${clips.size}`);
      mkdirSync(dir, { recursive: true });
      const urls = extractVideoFrames(path, indices, dir).map(serve);
      const tracked = await api.track(
        urls,
        indices.map((i) => (i / fps) * 1000),
        EVAL_DISPLAY_SIZE,
      );
      served.clear();
      const kept = tracked.filter((f): f is EvalDriveFrame => !('error' in f));
      const clip: DrivingClip | string =
        kept.length >= 3
          ? {
              driver: id,
              fps: fps / CROSS_FRAME_STEP,
              crops: kept.map((f) => decode(f.image)),
              points: kept.map((f) => toPoints(f.landmarks)),
              dropped: tracked.length - kept.length,
            }
          : `driver ${id}: a face in only ${kept.length} of ${tracked.length} driving frames`;
      clips.set(id, clip);
      return clip;
    };
    const crossVideos: (ReportCrossVideo & { path: string })[] = [];

    for (const [k, plan] of plans.entries()) {
      const personStarted = Date.now();
      const pair = pairs.find((p) => p.source === plan.id);
      const clip = pair?.driver ? await trackDriver(pair.driver) : null;
      videoFrames = new Map();
      const videoRefs = [...plan.sources, ...plan.targets].filter((r): r is Extract<FrameRef, { kind: 'video' }> => r.kind === 'video');
      if (videoRefs.length) {
        const dir = join(frameDir, String(k));
        mkdirSync(dir, { recursive: true });
        const paths = extractVideoFrames(
          videoRefs[0].path,
          videoRefs.map((r) => r.index),
          dir,
        );
        videoRefs.forEach((r, i) => videoFrames.set(`${r.path}#${r.index}`, paths[i]));
      }
      const outcome = await evaluatePerson(
        api,
        plan,
        {
          Ts: options.Ts,
          modes: options.modes,
          ftSteps: (T) => stepsFor(options, T),
          ftContentLoss: options.ftContentLoss,
          generators,
          cropSize: EVAL_DISPLAY_SIZE,
          metricSize: options.metricSize,
          composites: options.composites,
          ...(clip && typeof clip !== 'string' ? { cross: { clip, video: crossVideos.length < 2 } } : {}),
        },
        { frameUrl, log: (m) => console.log(m) },
      );
      if (options.cross && !outcome.cross) {
        outcome.notes.push(
          `cross-identity: ${typeof clip === 'string' ? clip : pair?.driver ? 'no avatar to drive' : 'no clip of another person to drive with'}`,
        );
      }
      if (outcome.cross?.video) {
        const file = `cross_${crossVideos.length + 1}.webm`;
        const { video } = outcome.cross;
        const size = writeSideBySideWebm(video.frames, video.fps, join(out, file));
        crossVideos.push({
          file,
          path: join(out, file),
          source: plan.id,
          driver: outcome.cross.driver,
          columns: video.columns,
          frames: video.frames.length,
          fps: video.fps,
          ...size,
        });
        delete outcome.cross.video;
      }
      outcomes.push(outcome);
      served.clear();
      const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
      const perGenerator = generators.map(({ label }) => {
        const ff = outcome.scores.filter((s) => s.method === 'ff' && s.generator === label);
        return `FF ${label} SSIM ${mean(ff.map((s) => s.ssim)).toFixed(3)} ID-cos ${mean(ff.map((s) => s.idcos)).toFixed(3)} sharpness ${mean(ff.map((s) => s.sharpness)).toFixed(2)}`;
      });
      const crossNote = outcome.cross ? `; driven by ${outcome.cross.driver} (${outcome.cross.frames} frames)` : '';
      console.log(
        `eval: [${k + 1}/${plans.length}] ${plan.id}: ${outcome.scores.length} scores, ${perGenerator.join('; ')}${crossNote} ` +
          `(${((Date.now() - personStarted) / 1000).toFixed(0)} s)${outcome.notes.length ? `; ${outcome.notes.join('; ')}` : ''}`,
      );
    }
    const described = await api.describe();

    const summary = summarizeOutcomes(outcomes, labels);
    const crossScores = outcomes.flatMap((o) => o.cross?.scores ?? []);
    const cross = options.cross
      ? {
          frameStep: CROSS_FRAME_STEP,
          framesPerPair: options.crossFrames,
          pairs: outcomes
            .filter((o) => o.cross)
            .map((o) => {
              const clip = clips.get(o.cross!.driver) as DrivingClip;
              return {
                source: o.person,
                driver: o.cross!.driver,
                frames: o.cross!.frames,
                droppedFrames: clip.dropped,
                fps: clip.fps,
                adaptedMouthCorr: o.cross!.adapted.mouthCorr,
                adaptedEyeCorr: o.cross!.adapted.eyeCorr,
              };
            }),
          rows: summarizeCross(crossScores, labels),
          videos: crossVideos.map(({ path: _path, ...rest }) => rest),
        }
      : null;
    const gridChoice = chooseGridSamples(outcomes.map((o) => o.grid));
    const grid = gridChoice.rows.length
      ? encodePng(
          composeGrid(
            gridChoice.rows.map((r) => r.cells),
            { gap: 2 },
          ),
        )
      : null;
    if (grid) writeFileSync(join(out, 'grid.png'), grid);
    const gridContext = (image: string) => ({
      image,
      columns: gridColumns(labels, options.modes),
      choice: gridChoice,
      cellSize: EVAL_DISPLAY_SIZE,
    });
    const command = `npm run eval -- ${argv.join(' ')}`;
    const dataDescription = [
      options.videos ? `clips in \`${options.videos}\`` : null,
      options.identities
        ? `identity folders in \`${options.identities}\`${options.split ? ` (held-out people of \`${options.split}\` only)` : ''}`
        : null,
    ]
      .filter(Boolean)
      .join(' and ');
    const context = {
      command,
      date: new Date().toISOString().slice(0, 10),
      weights,
      backend: models[0].backend,
      adapter: models[0].adapter,
      metricsBackend: described.metricsBackend,
      ftDescription: describeFineTune(options),
      people: [...outcomes.map((o) => ({ id: o.person, notes: o.notes })), ...skipped],
      grid: grid ? gridContext('grid.png') : null,
      dataDescription: `${dataDescription}; ${options.frames} hold-out frames per person`,
      cropSize: EVAL_DISPLAY_SIZE,
      metricSize: options.metricSize,
      cross,
    };
    writeFileSync(join(out, 'report.md'), renderReport(summary, context));
    writeFileSync(
      join(out, 'results.json'),
      JSON.stringify(
        {
          command,
          options,
          models: models.map((m, i) => ({ label: labels[i], ...m })),
          metricsBackend: described.metricsBackend,
          wallSeconds: (Date.now() - started) / 1000,
          labCallSeconds: labSeconds,
          summary,
          cross: cross ? { ...cross, scores: crossScores } : null,
          grid: gridChoice.rows.map(({ cells: _cells, ...rest }, r) => ({ ...rest, mouthRow: r === gridChoice.mouthRow })),
          people: outcomes.map(({ grid: _grid, features: _features, cross: _cross, ...rest }) => rest),
          skipped,
        },
        null,
        1,
      ),
    );
    // The FID proxy's inputs, per person and row key, for diagnosing which people carry a distance.
    writeFileSync(join(out, 'features.json'), JSON.stringify(outcomes.map((o) => ({ person: o.person, features: o.features }))));
    if (options.report) {
      const reportPath = resolve(options.report);
      mkdirSync(dirname(reportPath), { recursive: true });
      const gridName = `${basename(reportPath, extname(reportPath)).toLowerCase()}_grid.png`;
      if (grid) copyFileSync(join(out, 'grid.png'), join(dirname(reportPath), gridName));
      const stem = basename(reportPath, extname(reportPath)).toLowerCase();
      const videos = crossVideos.map((v) => {
        const file = `${stem}_${v.file}`;
        copyFileSync(v.path, join(dirname(reportPath), file));
        return { ...v, file };
      });
      writeFileSync(
        reportPath,
        renderReport(summary, { ...context, grid: grid ? gridContext(gridName) : null, cross: cross ? { ...cross, videos } : null }),
      );
      console.log(`eval: report → ${relative(process.cwd(), reportPath)}`);
    }
    console.log(
      `eval: ${summary.people.evaluated} people in ${((Date.now() - started) / 1000).toFixed(0)} s → ${relative(process.cwd(), out) || '.'}/`,
    );
    for (const row of summary.rows) {
      console.log(
        `  ${rowName(row)}: SSIM ${row.ssim.mean.toFixed(3)} CSIM ${row.csim.mean.toFixed(3)} ID-cos ${row.idcos.mean.toFixed(3)} AKD ${row.akd.mean.toFixed(3)} face ${(row.faceFound * 100).toFixed(0)}% sharp ${row.sharpness.mean.toFixed(2)} FIDp ${row.fidProxy?.toFixed(1) ?? '–'}`,
      );
    }
    for (const row of cross?.rows ?? []) {
      console.log(
        `  cross ${rowName(row)}: ${row.pairs} pairs, ID source ${row.idSource.mean.toFixed(3)} ID driver ${row.idDriver.mean.toFixed(3)} mouth ${row.mouthCorr.mean.toFixed(2)} eyes ${row.eyeCorr.mean.toFixed(2)} pose ${row.poseErr.mean.toFixed(1)}° jitter ${row.jitter.mean.toFixed(3)} flicker ${row.flicker.mean.toFixed(2)} sharp ${row.sharpness.mean.toFixed(2)}`,
      );
    }
    const labTotal = Object.values(labSeconds).reduce((a, b) => a + b, 0);
    const byCall = Object.entries(labSeconds)
      .sort((a, b) => b[1] - a[1])
      .map(([name, sec]) => `${name} ${sec.toFixed(0)} s`)
      .join(', ');
    console.log(
      `eval: time in the page ${labTotal.toFixed(0)} s (${byCall}); in Node ${((Date.now() - started) / 1000 - labTotal).toFixed(0)} s`,
    );
  } finally {
    await lab.close();
    rmSync(frameDir, { recursive: true, force: true });
  }
}

await main();
