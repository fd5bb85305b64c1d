"""A TF.js graph model (a frozen TF graph's nodes + weights) as a PyTorch DAG truncated at the
requested nodes: faceres, the face network of the content loss (perceptual.py)."""
from __future__ import annotations

import base64
from typing import Callable, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn

from .tf_modules import Clamp, TfConv2d, TruncatedDag, ancestors


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
    conv = TfConv2d(weights[kernel_name], (strides[1], strides[2]), (dilations[1], dilations[2]), padding, depthwise, bias)
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
    inputs_of = {name: [_input_name(i) for i in node.get("input", []) if not i.startswith("^")] for name, node in graph_nodes.items()}
    needed = ancestors(outputs, inputs_of)
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
