"""PyTorch modules that compute exactly what TensorFlow's ops do (NCHW): TF 'SAME' padding, convolutions
with TF kernels, per-channel affine maps, clamps, and a DAG runner truncated at the requested
outputs. The Keras and graph-model converters (keras_convert.py, graph_convert.py) build from these."""
from __future__ import annotations

import math
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


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
            [n for n in set(inputs) if last_use.get(n) == i and n not in self.outputs] for i, (_, _, inputs) in enumerate(self.order)
        ]

    def forward(self, x: torch.Tensor) -> List[torch.Tensor]:
        values: Dict[str, torch.Tensor] = {self.input_name: x}
        for (name, key, inputs), release in zip(self.order, self.release_after):
            values[name] = self.ops[key](*(values[i] for i in inputs))
            for r in release:
                del values[r]
        return [values[name] for name in self.outputs]


def ancestors(targets: Sequence[str], inputs_of: Mapping[str, Sequence[str]]) -> set:
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
