"""Reads a TF.js model folder (model.json and its weight shards) into numpy arrays by name,
dequantised the way tf.io.decodeWeights does. Used to rebuild the app's shipped perceptual
networks in PyTorch (perceptual.py)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, Tuple

import numpy as np

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
