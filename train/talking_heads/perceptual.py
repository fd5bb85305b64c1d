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

Keep CONTENT_LOSS_CONFIG and the preprocessing in sync with src/nn/perceptual.ts and
src/nn/perceptual-preprocess.ts: the parity test catches drift in values but not in config.
"""
from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PERCEPTUAL_DIR = REPO_ROOT / "public" / "models" / "perceptual"

# ImageNet means in BGR order, 0..255 (Keras imagenet_utils.preprocess_input, "caffe" mode).
CAFFE_BGR_MEAN = (103.939, 116.779, 123.68)

ROLES = ("imagenet", "face")


@dataclass(frozen=True)
class PerceptualModelSpec:
    """How one shipped network is stored and fed (mirror of PERCEPTUAL_MODELS in perceptual.ts)."""

    dir: str
    format: str  # 'layers-model' | 'graph-model'
    input_size: int
    preprocess: str  # 'rgb-unit' | 'caffe-bgr'
    # Graph models name a Keras layer's output after its last op: ReLU6 became
    # Relu -> Minimum -> Maximum, i.e. "<layer>/clip_by_value".
    node_suffix: str = ""


PERCEPTUAL_MODELS: Mapping[str, PerceptualModelSpec] = {
    "imagenet": PerceptualModelSpec("mobilenet_v2", "layers-model", 224, "rgb-unit"),
    "face": PerceptualModelSpec("faceres", "graph-model", 224, "caffe-bgr", "/clip_by_value"),
}


@dataclass(frozen=True)
class ContentTermConfig:
    weight: float
    layers: Tuple[str, ...]
    layer_weights: Optional[Tuple[float, ...]] = None


# Paper weights (VGG19 term 1.5e-1, VGGFace term 2.5e-2); layers as contentLossConfig in perceptual.ts.
CONTENT_LOSS_CONFIG: Mapping[str, ContentTermConfig] = {
    "imagenet": ContentTermConfig(
        1.5e-1, ("block_1_expand_relu", "block_3_expand_relu", "block_6_expand_relu", "block_10_expand_relu")
    ),
    "face": ContentTermConfig(2.5e-2, ("conv_pw_1_relu", "conv_pw_3_relu", "conv_pw_5_relu", "conv_pw_11_relu")),
}


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
# TF.js weight files
# --------------------------------------------------------------------------------------------

_STORED_BYTES = {"float32": 4, "int32": 4, "bool": 1, "uint8": 1, "uint16": 2, "float16": 2}
_NUMPY_DTYPES = {"float32": "<f4", "int32": "<i4", "bool": "u1", "uint8": "u1", "uint16": "<u2", "float16": "<f2"}


def _decode_weight(raw: bytes, spec: dict) -> np.ndarray:
    """One manifest entry's values, dequantised the way tf.io.decodeWeights does."""
    shape = tuple(int(d) for d in spec["shape"])
    quantization = spec.get("quantization")
    stored = quantization["dtype"] if quantization else spec["dtype"]
    values = np.frombuffer(raw, dtype=_NUMPY_DTYPES[stored])
    if quantization is None:
        out = values.astype(np.float32 if spec["dtype"] == "float32" else values.dtype)
    elif stored in ("uint8", "uint16"):
        # TF.js computes q * scale + min in float64 (JS numbers), then stores float32.
        out = values.astype(np.float64) * quantization["scale"] + quantization["min"]
    elif stored == "float16":
        out = values.astype(np.float32)
    else:
        raise ValueError(f"weight {spec['name']}: unsupported quantization {quantization}")
    if spec["dtype"] == "float32":
        out = out.astype(np.float32)
    elif spec["dtype"] == "int32":
        out = np.rint(out).astype(np.int32)
    return out.reshape(shape)


def read_tfjs_model(model_dir: Path) -> Tuple[dict, Dict[str, np.ndarray]]:
    """model.json and its weights by name, from a TF.js model folder."""
    model_dir = Path(model_dir)
    model_json = json.loads((model_dir / "model.json").read_text())
    weights: Dict[str, np.ndarray] = {}
    for group in model_json["weightsManifest"]:
        # A group's shards are one byte stream: a weight may straddle two shard files.
        data = b"".join((model_dir / path).read_bytes() for path in group["paths"])
        offset = 0
        for spec in group["weights"]:
            stored = spec["quantization"]["dtype"] if spec.get("quantization") else spec["dtype"]
            size = int(np.prod(spec["shape"], dtype=np.int64)) * _STORED_BYTES[stored]
            if offset + size > len(data):
                raise ValueError(f"{model_dir}: weight data too short for {spec['name']}")
            weights[spec["name"]] = _decode_weight(data[offset : offset + size], spec)
            offset += size
    return model_json, weights


# --------------------------------------------------------------------------------------------
# Shared ops (NCHW)
# --------------------------------------------------------------------------------------------


def same_padding(size: int, kernel: int, stride: int, dilation: int) -> Tuple[int, int]:
    """TF 'SAME' padding (before, after) along one axis: the odd pixel goes AFTER, so stride-2
    layers pad only bottom/right on even inputs, which torch's symmetric `padding=` can't express."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


class TfConv2d(nn.Module):
    """A frozen TF convolution (regular or depthwise) with TF padding semantics."""

    def __init__(
        self,
        kernel_hwio: np.ndarray,
        strides: Tuple[int, int],
        dilations: Tuple[int, int],
        padding: str,
        depthwise: bool,
        bias: Optional[np.ndarray] = None,
    ):
        super().__init__()
        kernel = torch.from_numpy(np.ascontiguousarray(kernel_hwio, dtype=np.float32))
        kh, kw, cin, cout_or_mult = kernel.shape
        if depthwise:
            # TF [kh, kw, in, multiplier] -> torch [in * multiplier, 1, kh, kw]; output channel
            # c * multiplier + m in both.
            weight = kernel.permute(2, 3, 0, 1).reshape(cin * cout_or_mult, 1, kh, kw)
            self.groups = cin
        else:
            weight = kernel.permute(3, 2, 0, 1)
            self.groups = 1
        self.register_buffer("weight", weight.contiguous())
        self.register_buffer("bias", None if bias is None else torch.from_numpy(bias.astype(np.float32)))
        self.strides = strides
        self.dilations = dilations
        self.padding = padding.upper()
        if self.padding not in ("SAME", "VALID"):
            raise ValueError(f"unsupported padding {padding}")
        self.kernel_size = (kh, kw)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.padding == "SAME":
            top, bottom = same_padding(x.shape[2], self.kernel_size[0], self.strides[0], self.dilations[0])
            left, right = same_padding(x.shape[3], self.kernel_size[1], self.strides[1], self.dilations[1])
            if top or bottom or left or right:
                x = F.pad(x, (left, right, top, bottom))
        return F.conv2d(x, self.weight, self.bias, self.strides, 0, self.dilations, self.groups)


class ChannelAffine(nn.Module):
    """Inference batch norm, x * scale + shift per channel, precomputed in float64."""

    def __init__(self, gamma, beta, mean, variance, epsilon: float):
        super().__init__()
        scale = np.asarray(gamma, np.float64) / np.sqrt(np.asarray(variance, np.float64) + epsilon)
        shift = np.asarray(beta, np.float64) - np.asarray(mean, np.float64) * scale
        self.register_buffer("scale", torch.from_numpy(scale.astype(np.float32)).view(1, -1, 1, 1))
        self.register_buffer("shift", torch.from_numpy(shift.astype(np.float32)).view(1, -1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale + self.shift


class Clamp(nn.Module):
    def __init__(self, low: Optional[float], high: Optional[float]):
        super().__init__()
        self.low, self.high = low, high

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.clamp(x, min=self.low, max=self.high)


class Add(nn.Module):
    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out


class ZeroPad(nn.Module):
    def __init__(self, top: int, bottom: int, left: int, right: int):
        super().__init__()
        self.pads = (left, right, top, bottom)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.pad(x, self.pads)


def _module_key(name: str) -> str:
    # nn.ModuleDict keys may not contain '.'; TF names contain '/'. Both become '__'.
    return name.replace(".", "__").replace("/", "__")


class TruncatedDag(nn.Module):
    """Runs a DAG of single-output ops in topological order and returns chosen nodes' values.

    Each node is (name, module, input names); the first node is the network input.
    """

    def __init__(self, input_name: str, nodes: Sequence[Tuple[str, nn.Module, Sequence[str]]], outputs: Sequence[str]):
        super().__init__()
        self.input_name = input_name
        self.order = [(name, _module_key(name), tuple(inputs)) for name, _, inputs in nodes]
        self.ops = nn.ModuleDict({_module_key(name): module for name, module, _ in nodes})
        self.outputs = tuple(outputs)
        # Free intermediate tensors as soon as their last consumer ran (keeps memory flat on GPU).
        last_use: Dict[str, int] = {}
        for i, (_, _, inputs) in enumerate(self.order):
            for name in inputs:
                last_use[name] = i
        self.release_after = [
            [n for n in set(inputs) if last_use.get(n) == i and n not in self.outputs]
            for i, (_, _, inputs) in enumerate(self.order)
        ]

    def forward(self, x: torch.Tensor) -> List[torch.Tensor]:
        values: Dict[str, torch.Tensor] = {self.input_name: x}
        for (name, key, inputs), release in zip(self.order, self.release_after):
            values[name] = self.ops[key](*(values[i] for i in inputs))
            for r in release:
                del values[r]
        return [values[name] for name in self.outputs]


def _ancestors(targets: Sequence[str], inputs_of: Mapping[str, Sequence[str]]) -> set:
    needed, stack = set(), list(targets)
    while stack:
        name = stack.pop()
        if name in needed:
            continue
        if name not in inputs_of:
            raise KeyError(f"no node/layer named {name!r}")
        needed.add(name)
        stack.extend(inputs_of[name])
    return needed


# --------------------------------------------------------------------------------------------
# Keras layers model (TF.js layers-model format)
# --------------------------------------------------------------------------------------------


def _pair(value) -> Tuple[int, int]:
    return (int(value), int(value)) if isinstance(value, (int, float)) else (int(value[0]), int(value[1]))


def _zero_padding(config: dict) -> ZeroPad:
    padding = config["padding"]
    if isinstance(padding, int):
        return ZeroPad(padding, padding, padding, padding)
    (top, bottom), (left, right) = (_pair(p) for p in padding)
    return ZeroPad(top, bottom, left, right)


def _keras_activation(name: str, activation: Optional[str]) -> Optional[nn.Module]:
    if activation in (None, "linear"):
        return None
    if activation == "relu":
        return Clamp(0.0, None)
    if activation == "relu6":
        return Clamp(0.0, 6.0)
    raise NotImplementedError(f"layer {name}: activation {activation}")


def _keras_layer(class_name: str, name: str, config: dict, weights: Mapping[str, np.ndarray]) -> nn.Module:
    if config.get("data_format", "channels_last") != "channels_last":
        raise NotImplementedError(f"layer {name}: data_format {config['data_format']}")
    if class_name in ("Conv2D", "DepthwiseConv2D"):
        depthwise = class_name == "DepthwiseConv2D"
        kernel = weights[f"{name}/depthwise_kernel" if depthwise else f"{name}/kernel"]
        bias = weights[f"{name}/bias"] if config.get("use_bias") else None
        conv = TfConv2d(
            kernel, _pair(config["strides"]), _pair(config.get("dilation_rate", 1)), config["padding"], depthwise, bias
        )
        activation = _keras_activation(name, config.get("activation"))
        return conv if activation is None else nn.Sequential(conv, activation)
    if class_name == "BatchNormalization":
        if config.get("axis", -1) not in (-1, 3, [3], [-1]):
            raise NotImplementedError(f"layer {name}: axis {config['axis']}")
        channels = weights[f"{name}/moving_mean"].shape[0]
        gamma = weights[f"{name}/gamma"] if config.get("scale", True) else np.ones(channels)
        beta = weights[f"{name}/beta"] if config.get("center", True) else np.zeros(channels)
        return ChannelAffine(gamma, beta, weights[f"{name}/moving_mean"], weights[f"{name}/moving_variance"],
                             config["epsilon"])
    if class_name == "ReLU":
        if config.get("negative_slope", 0) != 0 or config.get("threshold", 0) != 0:
            raise NotImplementedError(f"layer {name}: leaky/thresholded ReLU")
        max_value = config.get("max_value")
        return Clamp(0.0, None if max_value is None else float(max_value))
    if class_name == "Activation":
        activation = _keras_activation(name, config["activation"])
        return nn.Identity() if activation is None else activation
    if class_name == "ZeroPadding2D":
        return _zero_padding(config)
    if class_name == "Add":
        return Add()
    if class_name in ("InputLayer", "Dropout"):
        return nn.Identity()
    raise NotImplementedError(f"layer {name}: Keras {class_name} is not ported")


def build_keras_network(model_json: dict, weights: Mapping[str, np.ndarray], outputs: Sequence[str]) -> TruncatedDag:
    """The Keras functional model of a TF.js layers model, cut after the `outputs` layers."""
    config = model_json["modelTopology"]["model_config"]
    if config["class_name"] not in ("Model", "Functional"):
        raise NotImplementedError(f"Keras {config['class_name']} models are not ported")
    layers = config["config"]["layers"]
    inputs_of = {
        layer["name"]: [inbound[0] for inbound in (layer["inbound_nodes"][0] if layer["inbound_nodes"] else [])]
        for layer in layers
    }
    if any(len(layer["inbound_nodes"]) > 1 for layer in layers):
        raise NotImplementedError("shared Keras layers are not ported")
    needed = _ancestors(outputs, inputs_of)
    input_name = config["config"]["input_layers"][0][0]
    # Keras serialises functional layers in topological order.
    nodes = [
        (name, _keras_layer(layer["class_name"], name, layer["config"], weights), inputs_of[name])
        for layer in layers
        for name in [layer["name"]]
        if name in needed and name != input_name
    ]
    return TruncatedDag(input_name, nodes, outputs)


# --------------------------------------------------------------------------------------------
# TF graph model (TF.js graph-model format)
# --------------------------------------------------------------------------------------------


def _attr_ints(node: dict, key: str, default: Sequence[int]) -> List[int]:
    return [int(i) for i in node.get("attr", {}).get(key, {}).get("list", {}).get("i", default)]


def _attr_string(node: dict, key: str, default: str = "") -> str:
    value = node.get("attr", {}).get(key, {}).get("s")
    return base64.b64decode(value).decode() if value else default


def _attr_strings(node: dict, key: str) -> List[str]:
    return [base64.b64decode(s).decode() for s in node.get("attr", {}).get(key, {}).get("list", {}).get("s", [])]


class Elementwise(nn.Module):
    def __init__(self, fn: Callable[..., torch.Tensor]):
        super().__init__()
        self.fn = fn

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        return self.fn(*xs)


class Constant(nn.Module):
    """A graph constant, laid out for NCHW activations: per-channel vectors become [1, C, 1, 1]."""

    def __init__(self, value: np.ndarray):
        super().__init__()
        tensor = torch.from_numpy(np.ascontiguousarray(value))
        if tensor.dim() == 1:
            tensor = tensor.view(1, -1, 1, 1)
        elif tensor.dim() > 1:
            raise NotImplementedError(f"constant of shape {tuple(tensor.shape)} in an elementwise op")
        self.register_buffer("value", tensor)

    def forward(self) -> torch.Tensor:
        return self.value


_FUSED_ACTIVATIONS: Mapping[str, Callable[[], nn.Module]] = {
    "Relu": lambda: Clamp(0.0, None),
    "Relu6": lambda: Clamp(0.0, 6.0),
}


def _graph_conv(node: dict, weights: Mapping[str, np.ndarray]) -> Tuple[nn.Module, List[str]]:
    """A Conv2D-like node as a module of its data input only (kernel/bias are baked in)."""
    op = node["op"]
    if _attr_string(node, "data_format", "NHWC") != "NHWC":
        raise NotImplementedError(f"node {node['name']}: data_format")
    padding = _attr_string(node, "padding", "VALID")
    if padding == "EXPLICIT":
        raise NotImplementedError(f"node {node['name']}: explicit padding")
    strides = _attr_ints(node, "strides", [1, 1, 1, 1])
    dilations = _attr_ints(node, "dilations", [1, 1, 1, 1])
    data, kernel_name, *extra = node["input"]
    depthwise = "Depthwise" in op
    bias = None
    activation: Optional[nn.Module] = None
    if op in ("_FusedConv2D", "FusedDepthwiseConv2dNative"):
        fused = _attr_strings(node, "fused_ops")
        if not fused or fused[0] != "BiasAdd" or len(fused) > 2:
            raise NotImplementedError(f"node {node['name']}: fused ops {fused}")
        bias = weights[extra[0]]
        if len(fused) == 2:
            if fused[1] not in _FUSED_ACTIVATIONS:
                raise NotImplementedError(f"node {node['name']}: fused {fused[1]}")
            activation = _FUSED_ACTIVATIONS[fused[1]]()
    conv = TfConv2d(
        weights[kernel_name], (strides[1], strides[2]), (dilations[1], dilations[2]), padding, depthwise, bias
    )
    return (conv if activation is None else nn.Sequential(conv, activation)), [data]


_ELEMENTWISE: Mapping[str, Callable[..., torch.Tensor]] = {
    "Add": torch.add,
    "AddV2": torch.add,
    "BiasAdd": torch.add,
    "Sub": torch.sub,
    "Mul": torch.mul,
    "Minimum": torch.minimum,
    "Maximum": torch.maximum,
    "Relu": torch.relu,
    "Relu6": lambda x: torch.clamp(x, 0.0, 6.0),
    "Identity": lambda x: x,
}

_CONV_OPS = ("Conv2D", "DepthwiseConv2dNative", "_FusedConv2D", "FusedDepthwiseConv2dNative")


def _input_name(ref: str) -> str:
    # "node:0" -> "node"; "^node" is a control dependency (no data).
    return ref.split(":")[0]


def build_graph_network(model_json: dict, weights: Mapping[str, np.ndarray], outputs: Sequence[str]) -> TruncatedDag:
    """The TF graph of a TF.js graph model, cut after the `outputs` nodes."""
    graph_nodes = {node["name"]: node for node in model_json["modelTopology"]["node"]}
    inputs_of = {
        name: [_input_name(i) for i in node.get("input", []) if not i.startswith("^")]
        for name, node in graph_nodes.items()
    }
    needed = _ancestors(outputs, inputs_of)
    placeholders = [n for n in needed if graph_nodes[n]["op"] == "Placeholder"]
    if len(placeholders) != 1:
        raise NotImplementedError(f"expected one input placeholder, found {placeholders}")
    conv_weights = {i for n in needed if graph_nodes[n]["op"] in _CONV_OPS for i in inputs_of[n][1:]}

    nodes: List[Tuple[str, nn.Module, Sequence[str]]] = []
    # The model.json lists nodes in topological order (TF GraphDef order).
    for name, node in graph_nodes.items():
        if name not in needed or name == placeholders[0] or name in conv_weights:
            continue
        op = node["op"]
        if op == "Const":
            if name not in weights:
                raise NotImplementedError(f"constant {name} is not in the weights manifest")
            nodes.append((name, Constant(weights[name]), []))
        elif op in _CONV_OPS:
            module, data_inputs = _graph_conv(node, weights)
            nodes.append((name, module, [_input_name(i) for i in data_inputs]))
        elif op in _ELEMENTWISE:
            nodes.append((name, Elementwise(_ELEMENTWISE[op]), inputs_of[name]))
        else:
            raise NotImplementedError(f"node {name}: TF op {op} is not ported")
    return TruncatedDag(placeholders[0], nodes, outputs)


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

    def __init__(self, role: str, layers: Sequence[str], perceptual_dir: Path = DEFAULT_PERCEPTUAL_DIR):
        super().__init__()
        self.role = role
        self.layers = tuple(layers)
        self.spec = PERCEPTUAL_MODELS[role]
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
        return preprocess(resize_to(images01, self.spec.input_size), self.spec.preprocess)

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
    total = fake[0].new_zeros(())
    for i, (r, f) in enumerate(zip(real, fake)):
        if r.shape != f.shape:
            raise ValueError(f"L1 loss: shape mismatch {tuple(r.shape)} vs {tuple(f.shape)}")
        total = total + (r - f).abs().mean() * (1.0 if layer_weights is None else layer_weights[i])
    return total


class ContentLoss(nn.Module):
    """L_CNT = sum_roles weight * sum_layers layerWeight * mean|real - fake|, exactly as
    perceptualContentLoss in perceptual.ts.

    Images are NCHW RGB, in [0, 1] with input_range='unit' (what the TS function takes) or in
    [-1, 1] with input_range='signed' (the generator's tanh output), mapped by (x + 1) / 2 first.
    The real images' activations are computed without gradient (they are targets).
    """

    def __init__(
        self,
        perceptual_dir: Path = DEFAULT_PERCEPTUAL_DIR,
        config: Mapping[str, ContentTermConfig] = CONTENT_LOSS_CONFIG,
        input_range: str = "unit",
    ):
        super().__init__()
        if input_range not in ("unit", "signed"):
            raise ValueError(f"input_range must be 'unit' or 'signed', not {input_range!r}")
        self.input_range = input_range
        self.config = dict(config)
        self.networks = nn.ModuleDict(
            {role: PerceptualNetwork(role, self.config[role].layers, perceptual_dir) for role in ROLES}
        )

    def _unit(self, images: torch.Tensor) -> torch.Tensor:
        return (images + 1) / 2 if self.input_range == "signed" else images

    def features(self, images: torch.Tensor) -> Dict[str, List[torch.Tensor]]:
        unit = self._unit(images)
        return {role: self.networks[role](unit) for role in ROLES}

    def loss_from_features(
        self, real: Mapping[str, Sequence[torch.Tensor]], fake: Mapping[str, Sequence[torch.Tensor]]
    ) -> torch.Tensor:
        terms = [
            weighted_l1_sum(real[role], fake[role], self.config[role].layer_weights) * self.config[role].weight
            for role in ROLES
        ]
        return torch.stack(terms).sum()

    def forward(self, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            real_features = self.features(real)
        return self.loss_from_features(real_features, self.features(fake))
