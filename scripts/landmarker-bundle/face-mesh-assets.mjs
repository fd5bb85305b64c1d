// Extracts the model files that @mediapipe/face_mesh ships inside its Emscripten "packed assets" blob.
// The loader script lists each file's byte range in a `loadPackage({...})` call; we parse that JSON
// instead of hard-coding offsets so a re-published package with a different layout still works.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

export function faceMeshPackageDir() {
  return path.dirname(require.resolve('@mediapipe/face_mesh/package.json'));
}

/** Map of basename → bytes for every file in the packed assets. */
export function readFaceMeshAssets(packageDir = faceMeshPackageDir()) {
  const loader = readFileSync(path.join(packageDir, 'face_mesh_solution_packed_assets_loader.js'), 'utf8');
  const match = loader.match(/loadPackage\((\{"files":.*?\})\);/s);
  if (!match) throw new Error('face_mesh packed-assets loader: loadPackage({...}) listing not found');
  const listing = JSON.parse(match[1]);
  const blob = readFileSync(path.join(packageDir, 'face_mesh_solution_packed_assets.data'));
  if (listing.remote_package_size !== undefined && listing.remote_package_size !== blob.length) {
    throw new Error(`face_mesh packed assets: expected ${listing.remote_package_size} bytes, found ${blob.length}`);
  }
  const files = new Map();
  for (const { filename, start, end } of listing.files) {
    files.set(path.posix.basename(filename), new Uint8Array(blob.buffer, blob.byteOffset + start, end - start));
  }
  return files;
}
