"""A TF.js Keras layers model (model.json's topology + weights) as a PyTorch DAG truncated at the
requested layers: the nsfwjs MobileNetV2 of the content loss (perceptual.py)."""
from __future__ import annotations

from typing import Mapping, Optional, Sequence, Tuple

import numpy as np
import torch.nn as nn

from .tf_modules import Add, ChannelAffine, Clamp, TfConv2d, TruncatedDag, ZeroPad, ancestors


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
        conv = TfConv2d(kernel, _pair(config["strides"]), _pair(config.get("dilation_rate", 1)), config["padding"], depthwise, bias)
        activation = _keras_activation(name, config.get("activation"))
        return conv if activation is None else nn.Sequential(conv, activation)
    if class_name == "BatchNormalization":
        if config.get("axis", -1) not in (-1, 3, [3], [-1]):
            raise NotImplementedError(f"layer {name}: axis {config['axis']}")
        channels = weights[f"{name}/moving_mean"].shape[0]
        gamma = weights[f"{name}/gamma"] if config.get("scale", True) else np.ones(channels)
        beta = weights[f"{name}/beta"] if config.get("center", True) else np.zeros(channels)
        return ChannelAffine(gamma, beta, weights[f"{name}/moving_mean"], weights[f"{name}/moving_variance"], config["epsilon"])
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
        layer["name"]: [inbound[0] for inbound in (layer["inbound_nodes"][0] if layer["inbound_nodes"] else [])] for layer in layers
    }
    if any(len(layer["inbound_nodes"]) > 1 for layer in layers):
        raise NotImplementedError("shared Keras layers are not ported")
    needed = ancestors(outputs, inputs_of)
    input_name = config["config"]["input_layers"][0][0]
    # Keras serialises functional layers in topological order.
    nodes = [
        (name, _keras_layer(layer["class_name"], name, layer["config"], weights), inputs_of[name])
        for layer in layers
        for name in [layer["name"]]
        if name in needed and name != input_name
    ]
    return TruncatedDag(input_name, nodes, outputs)
