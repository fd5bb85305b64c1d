"""Dumps the PyTorch perceptual activations and content loss for fixed images, for the TF.js
side to recompute and compare (src/nn/perceptual-parity.test.ts).

    $PYTHON -m train.talking_heads.perceptual_parity --out DIR [--perceptual-dir DIR]

Writes DIR/manifest.json and raw little-endian float32 NHWC arrays (*.f32) next to it:
  real, fake                the input images, RGB in [0, 1] (sizes differ from the content
                            loss's input size on purpose, real larger and fake smaller, so the
                            bilinear resize both ways is part of the comparison);
  <role>.<layer>.f32        the activations of `real`, transposed to NHWC like TF.js;
  loss                      ContentLoss()(fake, real) as a number in the manifest;
  inputSize                 the side ContentLoss() resized to (perceptual.json's
                            contentLoss.inputSize; the TF.js side checks it uses the same).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from .perceptual import DEFAULT_PERCEPTUAL_DIR, ROLES, ContentLoss, missing_perceptual_models

REAL_SIZE = 256  # downscaled to the content size (CONTENT_INPUT_SIZE, 128)
FAKE_SIZE = 96  # upscaled to it


def pattern_image(size: int, phase: float, noise: float, seed: int) -> np.ndarray:
    """A deterministic face-sized picture (gradients, a blob, stripes) plus noise: HWC RGB [0, 1]."""
    v, u = np.meshgrid(np.arange(size) / size, np.arange(size) / size, indexing="ij")
    blob = np.exp(-((u - 0.5) ** 2 + (v - 0.45) ** 2) / 0.04)
    stripes = 0.5 + 0.5 * np.sin(40 * (u + 0.3 * v) + phase)
    image = np.stack(
        [
            0.5 + 0.4 * np.sin(6 * u + phase) * (1 - blob) + 0.1 * blob,
            0.3 + 0.5 * blob + 0.2 * np.cos(5 * v + phase) * stripes,
            0.2 + 0.6 * v * (1 - blob) + 0.1 * stripes,
        ],
        axis=-1,
    )
    image += np.random.RandomState(seed).normal(0.0, noise, image.shape)
    return np.clip(image, 0.0, 1.0).astype(np.float32)


def parity_inputs() -> tuple:
    """(real, fake) NHWC batches of one image each (TF.js on the CPU is slow): fake is a noisier,
    phase-shifted variant of real."""
    real = pattern_image(REAL_SIZE, 0.0, 0.05, 1)[None]
    fake = pattern_image(FAKE_SIZE, 0.4, 0.15, 2)[None]
    return real, fake


def _write_f32(path: Path, array: np.ndarray) -> dict:
    data = np.ascontiguousarray(array, dtype="<f4")
    path.write_bytes(data.tobytes())
    return {"file": path.name, "shape": list(data.shape)}


def _nchw(images_nhwc: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(images_nhwc).permute(0, 3, 1, 2).contiguous()


def dump_parity(out: Path, perceptual_dir: Path = DEFAULT_PERCEPTUAL_DIR) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    loss_module = ContentLoss(perceptual_dir)
    real, fake = parity_inputs()
    with torch.no_grad():
        features = loss_module.features(_nchw(real))
        loss = loss_module(_nchw(fake), _nchw(real))
    manifest = {
        "real": _write_f32(out / "real.f32", real),
        "fake": _write_f32(out / "fake.f32", fake),
        "loss": float(loss),
        "inputSize": loss_module.input_size,
        "features": {
            role: [
                {"layer": layer, **_write_f32(out / f"{role}.{layer}.f32", activation.permute(0, 2, 3, 1).numpy())}
                for layer, activation in zip(loss_module.config[role].layers, features[role])
            ]
            for role in ROLES
        },
        "config": {
            role: {
                "weight": term.weight,
                "layers": list(term.layers),
                "layerWeights": None if term.layer_weights is None else list(term.layer_weights),
            }
            for role, term in loss_module.config.items()
        },
        "torch": torch.__version__,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--perceptual-dir", type=Path, default=DEFAULT_PERCEPTUAL_DIR)
    args = parser.parse_args()
    missing = missing_perceptual_models(args.perceptual_dir)
    if missing:
        raise SystemExit(missing)
    manifest = dump_parity(args.out, args.perceptual_dir)
    print(json.dumps({"out": str(args.out), "loss": manifest["loss"]}))


if __name__ == "__main__":
    main()
