#!/usr/bin/env bash
# All set-up on a fresh Debian machine with Node: system packages, npm packages, and the assets the
# app serves from its own origin (MediaPipe and tf.js WASM, the landmark model bundle, perceptual networks).
# Idempotent: every step is skipped when its output is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
command -v ffmpeg >/dev/null 2>&1 || need_apt+=(ffmpeg)
# The lint step checks the Python twin's formatting with Debian's black.
command -v black >/dev/null 2>&1 || need_apt+=(black)
# The PyTorch twin of the networks (train/) is checked against TF.js in the unit tests.
/usr/bin/python3 -c 'import torch, numpy, PIL' >/dev/null 2>&1 || need_apt+=(python3-torch python3-numpy python3-pil)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need_apt[*]}"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

# MediaPipe's WASM runtime, served by the app itself (never a CDN).
mkdir -p public/mediapipe/wasm
cp -u node_modules/@mediapipe/tasks-vision/wasm/* public/mediapipe/wasm/
# tf.js's WASM backend (binaries and pthread scripts) likewise: scripts/setup.d/15-tfjs-wasm.mjs.

for step in scripts/setup.d/*.mjs; do
  [ -e "$step" ] || continue
  node "$step"
done
echo "setup: done"
