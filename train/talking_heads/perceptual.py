"""PyTorch port of the app's frozen perceptual networks and content loss L_CNT.

The app fine-tunes with src/nn/perceptual.ts (TF.js); meta-learning must optimise the very same
loss, so this module reads the SAME shipped files (public/models/perceptual/, unpacked by
scripts/setup.d/20-perceptual-models.mjs) instead of torchvision weights, and rebuilds the networks
from their TF.js descriptions:

  role 'imagenet': nsfwjs's Keras MobileNetV2 (TF.js layers model), input RGB in [0, 1];
  role 'face':     faceres, HSE MobileNetV1 on VGGFace2 (TF.js graph model), input caffe BGR.

Only the part of each network up to the deepest configured layer is built. Tensors are NCHW;
the TF.js side is NHWC, so compare after transposing. src/nn/perceptual-parity.test.ts checks
activations and loss against TF.js (tolerance 1e-3 relative).

Which networks, how they are fed and the content loss's layers, weights and input size come from
src/nn/perceptual.json, the file the TF.js side reads too: ContentLoss resizes to its
contentLoss.inputSize (CONTENT_INPUT_SIZE, 128) unless given another size, like the app's
fine-tuning; the networks' own size (224) is only the PerceptualNetwork default. The TF.js reader and the two converters
live in tfjs_reader.py, keras_convert.py and graph_convert.py (on the modules of tf_modules.py).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from .graph_convert import build_graph_network
from .keras_convert import build_keras_network
from .tfjs_reader import read_tfjs_model

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PERCEPTUAL_DIR = REPO_ROOT / "public" / "models" / "perceptual"
SETTINGS_PATH = REPO_ROOT / "src" / "nn" / "perceptual.json"
_SETTINGS = json.loads(SETTINGS_PATH.read_text(encoding="utf-8"))

# ImageNet means in BGR order, 0..255 (Keras imagenet_utils.preprocess_input, "caffe" mode).
CAFFE_BGR_MEAN = tuple(float(v) for v in _SETTINGS["caffeBgrMean"])

ROLES = ("imagenet", "face")


@dataclass(frozen=True)
class PerceptualModelSpec:
    """How one shipped network is stored and fed (perceptual.json's "models")."""

    dir: str
    format: str  # 'layers-model' | 'graph-model'
    input_size: int
    preprocess: str  # 'rgb-unit' | 'caffe-bgr'
    # Graph models name a Keras layer's output after its last op: ReLU6 became
    # Relu -> Minimum -> Maximum, i.e. "<layer>/clip_by_value".
    node_suffix: str = ""


PERCEPTUAL_MODELS: Mapping[str, PerceptualModelSpec] = {
    role: PerceptualModelSpec(m["dir"], m["format"], int(m["inputSize"]), m["preprocess"], m.get("nodeSuffix", ""))
    for role, m in _SETTINGS["models"].items()
}


@dataclass(frozen=True)
class ContentTermConfig:
    weight: float
    layers: Tuple[str, ...]
    layer_weights: Optional[Tuple[float, ...]] = None


# Paper weights (VGG19 term 1.5e-1, VGGFace term 2.5e-2); perceptual.json's "contentLoss".
CONTENT_LOSS_CONFIG: Mapping[str, ContentTermConfig] = {
    role: ContentTermConfig(
        float(c["weight"]), tuple(c["layers"]), tuple(float(w) for w in c["layerWeights"]) if "layerWeights" in c else None
    )
    for role, c in _SETTINGS["contentLoss"].items()
    if role in ROLES
}

# Side the content loss resizes images to (perceptual.json's contentLoss.inputSize): the app's
# fine-tuning and the trainer's default --content-size.
CONTENT_INPUT_SIZE = int(_SETTINGS["contentLoss"]["inputSize"])


def missing_perceptual_models(perceptual_dir: Path = DEFAULT_PERCEPTUAL_DIR) -> Optional[str]:
    """Why the networks can't be loaded from `perceptual_dir`, or None when they can."""
    missing = [
        str(Path(perceptual_dir) / spec.dir / "model.json")
        for spec in PERCEPTUAL_MODELS.values()
        if not (Path(perceptual_dir) / spec.dir / "model.json").exists()
    ]
    if not missing:
        return None
    return f"perceptual models not found ({', '.join(missing)}): run scripts/setup.sh"


# --------------------------------------------------------------------------------------------
# Preprocessing, networks, content loss
# --------------------------------------------------------------------------------------------


def resize_to(images: torch.Tensor, size: int) -> torch.Tensor:
    """NCHW images to size x size, matching tf.image.resizeBilinear(alignCorners=false,
    halfPixelCenters=true): torch's align_corners=False also samples at (i + 0.5) * in/out - 0.5
    and neither antialiases. No-op at the right size, like resizeTo in perceptual-preprocess.ts."""
    if images.shape[2] == size and images.shape[3] == size:
        return images
    return F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)


def preprocess(images01: torch.Tensor, kind: str) -> torch.Tensor:
    """The network input for NCHW RGB [0, 1] images (no resizing)."""
    if kind == "rgb-unit":
        return images01
    if kind == "caffe-bgr":
        mean = torch.tensor(CAFFE_BGR_MEAN, dtype=images01.dtype, device=images01.device).view(1, 3, 1, 1)
        return torch.flip(images01, dims=[1]) * 255 - mean
    raise ValueError(f"unknown preprocessing {kind!r}")


class PerceptualNetwork(nn.Module):
    """A frozen network returning the activations (NCHW) of its configured layers."""

    def __init__(
        self,
        role: str,
        layers: Sequence[str],
        perceptual_dir: Path = DEFAULT_PERCEPTUAL_DIR,
        input_size: Optional[int] = None,
    ):
        super().__init__()
        self.role = role
        self.layers = tuple(layers)
        self.spec = PERCEPTUAL_MODELS[role]
        # The networks are fully convolutional up to the layers we read, so a smaller input works;
        # None keeps the size the network was trained at (224).
        self.input_size = input_size or self.spec.input_size
        model_json, weights = read_tfjs_model(Path(perceptual_dir) / self.spec.dir)
        if self.spec.format == "layers-model":
            self.network = build_keras_network(model_json, weights, self.layers)
        else:
            nodes = [f"{layer}{self.spec.node_suffix}" for layer in self.layers]
            self.network = build_graph_network(model_json, weights, nodes)
        self.requires_grad_(False)
        self.eval()

    def input(self, images01: torch.Tensor) -> torch.Tensor:
        """Resized, preprocessed network input for NCHW RGB images in [0, 1] of any size."""
        return preprocess(resize_to(images01, self.input_size), self.spec.preprocess)

    def forward(self, images01: torch.Tensor) -> List[torch.Tensor]:
        return self.network(self.input(images01))


def weighted_l1_sum(
    real: Sequence[torch.Tensor], fake: Sequence[torch.Tensor], layer_weights: Optional[Sequence[float]] = None
) -> torch.Tensor:
    """sum_l layerWeight_l * mean|real_l - fake_l| (weightedL1Sum in losses.ts)."""
    if len(real) != len(fake):
        raise ValueError(f"L1 sum: {len(real)} real activations vs {len(fake)} fake")
    if layer_weights is not None and len(layer_weights) != len(real):
        raise ValueError(f"L1 sum: {len(layer_weights)} layer weights for {len(real)} activations")
    total = fake[0].new_zeros((), dtype=torch.float32)
    for i, (r, f) in enumerate(zip(real, fake)):
        if r.shape != f.shape:
            raise ValueError(f"L1 loss: shape mismatch {tuple(r.shape)} vs {tuple(f.shape)}")
        # Fused mean |r − f| (and its backward), in float32 whatever the activations' precision.
        total = total + F.l1_loss(f.float(), r.float()) * (1.0 if layer_weights is None else layer_weights[i])
    return total


class ContentLoss(nn.Module):
    """L_CNT = sum_roles weight * sum_layers layerWeight * mean|real - fake|, exactly as
    perceptualContentLoss in perceptual.ts.

    Images are NCHW RGB, in [0, 1] with input_range='unit' (what the TS function takes) or in
    [-1, 1] with input_range='signed' (the generator's tanh output), mapped by (x + 1) / 2 first.
    input_size: the side images are resized to before the networks; None means CONTENT_INPUT_SIZE
    (perceptual.json's contentLoss.inputSize, what the app fine-tunes with), not the networks'
    native 224 (a 64 px frame upsampled to 224 carries no more detail, at three times the cost).
    The real images' activations are computed without gradient (they are targets).
    """

    def __init__(
        self,
        perceptual_dir: Path = DEFAULT_PERCEPTUAL_DIR,
        config: Mapping[str, ContentTermConfig] = CONTENT_LOSS_CONFIG,
        input_range: str = "unit",
        input_size: Optional[int] = None,
    ):
        super().__init__()
        if input_range not in ("unit", "signed"):
            raise ValueError(f"input_range must be 'unit' or 'signed', not {input_range!r}")
        self.input_range = input_range
        self.input_size = int(input_size or CONTENT_INPUT_SIZE)
        self.config = dict(config)
        self.networks = nn.ModuleDict(
            {role: PerceptualNetwork(role, self.config[role].layers, perceptual_dir, self.input_size) for role in ROLES}
        )

    def _unit(self, images: torch.Tensor) -> torch.Tensor:
        return (images + 1) / 2 if self.input_range == "signed" else images

    def features(self, images: torch.Tensor) -> Dict[str, List[torch.Tensor]]:
        unit = self._unit(images)
        return {role: self.networks[role](unit) for role in ROLES}

    def loss_from_features(self, real: Mapping[str, Sequence[torch.Tensor]], fake: Mapping[str, Sequence[torch.Tensor]]) -> torch.Tensor:
        terms = [weighted_l1_sum(real[role], fake[role], self.config[role].layer_weights) * self.config[role].weight for role in ROLES]
        return torch.stack(terms).sum()

    def forward(self, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            real_features = self.features(real)
        return self.loss_from_features(real_features, self.features(fake))
