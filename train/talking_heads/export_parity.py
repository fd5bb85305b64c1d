"""Writes a parity fixture: random weights in the project's weights format, fixed inputs and the
PyTorch outputs of E, G and D, for src/nn/parity.test.ts to compare with the TF.js networks.

    $PYTHON -m train.talking_heads.export_parity --config tiny --out DIR
    $PYTHON -m train.talking_heads.export_parity --config tiny-warp --out DIR

For a warp-guided preset (generator.input "landmarks+warp") G also reads random "warped" images in
[-1, 1] and "mask" values in [0, 1], its zero-initialised output head gets random weights (else G
would return the warp and the test would not see the head), and the fixture adds G's "alpha" and
"delta" (and, generator.flow, "flow") next to its frames ("generated"). With a mouth generator
(config.mouth) the fixture adds its pass over random frames ("mouth_*", mouth_arrays).

DIR receives weights.json (+ shards, float32), weights-fp16.json (+ shards, the same weights as
float16), app/weights.json (the same networks as export_weights.py writes them for the app), one raw little-endian float32 file per array (images and feature maps in NHWC, the TS
layout) and index.json naming them with their shapes. Arrays "grad:<param>" and
"u_after_step:<param>" hold G's and D's gradients and power-iterated u vectors (TS names and layouts).
"""
from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path
from typing import Dict, List, Mapping

import numpy as np
import torch
from torch import Tensor, nn

from . import mouth_region
from .config import NetConfig, load_preset
from .layers import InstanceNorm, SelfAttention, ZeroConv2d
from .nets import Discriminator, Embedder, Generator, GeneratorInputs, build_networks
from .export_weights import export_app_weights
from .spectral_norm import SNConv2d, power_iterate
from .warp import load_mesh
from .weights_io import networks_to_named, save_weights, torch_to_ts_array

BATCH = 2
VIDEO_INDICES = (1, 3)
POWER_ITERATIONS = 3


def make_non_trivial(networks: Mapping[str, nn.Module], generator: torch.Generator) -> None:
    """Moves every parameter away from its initial value so that no term of the forward pass is a
    no-op (zero attention γ, identity norms, zero biases, the warp-guided G's zero output head) and
    u vectors are mid-training ones."""

    def normal(shape, std: float) -> Tensor:
        return torch.randn(shape, generator=generator) * std

    with torch.no_grad():
        for module in networks.values():
            for m in module.modules():
                if isinstance(m, SNConv2d):
                    m.bias.copy_(normal(m.bias.shape, 0.1))
                elif isinstance(m, InstanceNorm):
                    m.gamma.copy_(1 + normal(m.gamma.shape, 0.2))
                    m.beta.copy_(normal(m.beta.shape, 0.1))
                elif isinstance(m, SelfAttention):
                    m.gamma.fill_(0.5 + float(torch.rand((), generator=generator)))
                elif isinstance(m, ZeroConv2d):
                    # Raw outputs of order 1: Δ's tanh and α's sigmoid both away from saturation.
                    m.kernel.copy_(normal(m.kernel.shape, 0.15))
                    m.bias.copy_(normal(m.bias.shape, 0.5))
            if isinstance(module, Discriminator):
                if module.num_videos > 0:
                    module.embedding.copy_(normal(module.embedding.shape, 0.3))
                module.w0.copy_(normal(module.w0.shape, 0.3))
                module.b.fill_(0.25)
            module.train()
            power_iterate(module, POWER_ITERATIONS)
            module.eval()


def nhwc(x: Tensor) -> np.ndarray:
    return x.detach().permute(0, 2, 3, 1).contiguous().numpy()


def compute_outputs(E: Embedder, G: Generator, D: Discriminator, frames: Tensor, inputs: GeneratorInputs) -> Dict[str, np.ndarray]:
    landmarks = inputs.landmarks
    with torch.no_grad():
        embeddings = E(frames, landmarks)
        e_hat = embeddings.mean(dim=0)
        psi = G.psi_from_embedding(e_hat)
        psi_per_sample = G.psi_from_embedding(embeddings)
        projection = D.video_projection(VIDEO_INDICES)
        scored = D(frames, landmarks, projection)
        arrays = {
            "frames": nhwc(frames),
            "landmarks": nhwc(landmarks),
            "embeddings": embeddings.numpy(),
            "e_hat": e_hat.numpy(),
            "psi": psi.numpy(),
            "psi_per_sample": psi_per_sample.numpy(),
            "generated_per_sample": nhwc(G(psi_per_sample, inputs)),
            "projection": projection.numpy(),
            "realism": scored.realism.numpy(),
            "v": scored.v.numpy(),
        }
        for i, feature in enumerate(scored.features):
            arrays[f"feature{i}"] = nhwc(feature)
        rendered = G.render(psi, inputs)
        arrays["generated"] = nhwc(rendered.frame)
        if inputs.warped is not None and inputs.mask is not None:
            arrays["warped"] = nhwc(inputs.warped)
            arrays["mask"] = nhwc(inputs.mask)
            arrays["alpha"] = nhwc(rendered.alpha)
            arrays["delta"] = nhwc(rendered.delta)
            if rendered.flow is not None:
                arrays["flow"] = nhwc(rendered.flow)
    return arrays


def generator_training_arrays(G: Generator, psi: Tensor, inputs: GeneratorInputs, rng: torch.Generator) -> Dict[str, np.ndarray]:
    """What one training step of G sees: the gradients of L = Σ G(ψ, inputs) ⊙ R (a fixed random R)
    for every parameter that L reaches and for ψ, and every u after one power iteration."""
    landmarks = inputs.landmarks
    weights = torch.randn((landmarks.shape[0], 3, landmarks.shape[2], landmarks.shape[3]), generator=rng)
    psi = psi.detach().clone().requires_grad_(True)
    G.zero_grad()
    (G(psi, inputs) * weights).sum().backward()
    arrays = {"loss_weights": nhwc(weights), "psi_grad": psi.grad.numpy()}
    for key, parameter in G.named_parameters():
        if parameter.grad is not None:  # P is not on the path from ψ to the frame
            arrays[f"grad:generator/{key.replace('.', '/')}"] = torch_to_ts_array(key, parameter.grad)
    G.zero_grad()

    stepped = copy.deepcopy(G).train()
    power_iterate(stepped, 1)
    for key, buffer in stepped.state_dict().items():
        if key.endswith("_u"):
            arrays[f"u_after_step:generator/{key.replace('.', '/')}"] = buffer.numpy()
    return arrays


def discriminator_training_arrays(D: Discriminator, frames: Tensor, landmarks: Tensor) -> Dict[str, np.ndarray]:
    """Gradients of L = Σ_b r_b (scores with W_i + w0) for every D parameter, as a D update sees them."""
    D.zero_grad()
    D(frames, landmarks, D.video_projection(VIDEO_INDICES)).realism.sum().backward()
    arrays = {
        f"grad:discriminator/{key.replace('.', '/')}": torch_to_ts_array(key, parameter.grad)
        for key, parameter in D.named_parameters()
        if parameter.grad is not None
    }
    D.zero_grad()
    return arrays


def mouth_arrays(G: Generator, e_hat: Tensor, rng: torch.Generator) -> Dict[str, np.ndarray]:
    """The mouth generator's pass (config.mouth) over random frames of 3× its size, driven by the
    canonical face with its lower lip pulled down and jittered landmarks (the warped photo: the
    canonical face): ψ_m, the box, the lips, the crop, α, Δ and the refined frames."""
    mouth = G.mouth
    size = 3 * mouth.config.resolution
    canonical = load_mesh().canonical.float()
    points = canonical[None].repeat(BATCH, 1, 1) * size + torch.randn((BATCH, canonical.shape[0], 2), generator=rng) * 0.3
    lower = canonical[:, 1] > canonical[14, 1] - 1e-6  # the lower lip and everything below it
    # The photo the warp drew from: the canonical face, lips nearly closed (the opening gate reads the
    # driving mouth's opening over its).
    source_points = canonical[None].repeat(BATCH, 1, 1) * size
    points[:, lower, 1] += torch.tensor([0.02, 0.05])[:, None] * size  # two different openings
    frames = torch.rand((BATCH, 3, size, size), generator=rng) * 2 - 1
    with torch.no_grad():
        psi = mouth.psi_from_embedding(e_hat)
        box, lips = mouth_region.region(points, mouth.pad, mouth.config.resolution)
        crop = mouth_region.crop(frames, box, mouth.config.resolution)
        out = mouth.render(psi.expand(BATCH, -1), GeneratorInputs(lips, crop))
        refined, _ = mouth.refine(psi.expand(BATCH, -1), frames, points, source_points)
    return {
        "mouth_points": points.numpy(),
        "mouth_source_points": source_points.numpy(),
        "mouth_frames": nhwc(frames),
        "mouth_psi": psi.numpy(),
        "mouth_box": box.float().numpy(),
        "mouth_lips": nhwc(lips),
        "mouth_crop": nhwc(crop),
        "mouth_alpha": nhwc(out.alpha),
        "mouth_delta": nhwc(out.delta),
        "mouth_refined": nhwc(refined),
    }


def write_fixture(config: NetConfig, out: Path, seed: int) -> Dict[str, object]:
    torch.manual_seed(seed)
    rng = torch.Generator().manual_seed(seed + 1)
    E, G, D = build_networks(config)
    networks = {"embedder": E, "generator": G, "discriminator": D}
    make_non_trivial(networks, rng)

    size = config.resolution
    frames = torch.rand((BATCH, 3, size, size), generator=rng) * 2 - 1
    landmarks = torch.rand((BATCH, 3, size, size), generator=rng) * 2 - 1
    inputs = GeneratorInputs(landmarks)
    if config.generator.uses_warp:
        warped = torch.rand((BATCH, 3, size, size), generator=rng) * 2 - 1
        mask = torch.rand((BATCH, 1, size, size), generator=rng)
        inputs = GeneratorInputs(landmarks, warped, mask)
    arrays = compute_outputs(E, G, D, frames, inputs)
    arrays.update(generator_training_arrays(G, torch.from_numpy(arrays["psi"]), inputs, rng))
    arrays.update(discriminator_training_arrays(D, frames, landmarks))
    if G.mouth is not None:
        arrays.update(mouth_arrays(G, torch.from_numpy(arrays["e_hat"]), rng))

    out.mkdir(parents=True, exist_ok=True)
    named = networks_to_named(networks)
    meta = {"producer": "train.talking_heads.export_parity", "seed": seed, "torch": torch.__version__}
    save_weights(out / "weights.json", named, "float32", config.to_json(), meta=meta, shard_bytes=64 * 1024)
    save_weights(out / "weights-fp16.json", named, "float16", config.to_json(), meta=meta, shard_prefix="weights-fp16")
    export_app_weights(out / "app" / "weights.json", config, E, G, D, meta)

    entries: Dict[str, Dict[str, object]] = {}
    for name, array in arrays.items():
        file = name.replace(":", "__").replace("/", "__") + ".f32"
        np.ascontiguousarray(array, dtype="<f4").tofile(out / file)
        entries[name] = {"file": file, "shape": list(array.shape)}
    features: List[str] = sorted((k for k in arrays if k.startswith("feature")), key=lambda k: int(k[len("feature") :]))
    index = {
        "config": config.name,
        "generatorInput": config.generator.input,
        "weights": "weights.json",
        "weightsFloat16": "weights-fp16.json",
        "appWeights": "app/weights.json",
        "videoIndices": list(VIDEO_INDICES),
        "features": features,
        "arrays": entries,
    }
    (out / "index.json").write_text(json.dumps(index, indent=1), encoding="utf-8")
    return index


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="tiny", help="preset of src/nn/configs.json")
    parser.add_argument("--out", required=True, type=Path, help="folder to write the fixture into")
    parser.add_argument("--seed", default=0, type=int)
    args = parser.parse_args()
    index = write_fixture(load_preset(args.config), args.out, args.seed)
    print(json.dumps({"out": str(args.out), "arrays": len(index["arrays"])}))


if __name__ == "__main__":
    main()
