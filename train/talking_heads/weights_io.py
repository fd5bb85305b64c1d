"""The "talking-heads-weights" format (version 1) and the torch ↔ TS name/layout mapping.

Format (src/nn/weights-format.ts, weights-io.ts): a JSON manifest
  {format: "talking-heads-weights", version: 1, config, meta?, tensors: [...], shards: [...]}
where each tensor {name, shape, dtype: "float16"|"float32", shard, byteOffset, byteLength} is a
little-endian row-major byte range (offsets aligned to 4) inside a shard file
{file, byteLength, sha256}; shard files are "<prefix>.shard<N>.bin" next to the manifest.

Layouts: TS conv kernels are HWIO and the projection kernel is [in, out]; the torch twin stores
OIHW and [out, in]. Everything else (biases, norms, u vectors, W, w0, b) is identical.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Union

import numpy as np
import torch
from torch import nn

WEIGHTS_FORMAT = "talking-heads-weights"
WEIGHTS_FORMAT_VERSION = 1
TENSOR_ALIGNMENT = 4
DEFAULT_SHARD_BYTES = 4 * 1024 * 1024
_NUMPY_DTYPES = {"float16": np.dtype("<f2"), "float32": np.dtype("<f4")}

NamedArrays = Dict[str, np.ndarray]
DtypeChoice = Union[str, Callable[[str, Tuple[int, ...]], str]]


class WeightsError(Exception):
    """Any failure to read or write weights; the message names the shard/tensor and the problem."""


# ---------------------------------------------------------------------------------------------
# torch state ↔ TS names and layouts


def _is_layout_kernel(key: str) -> bool:
    return key == "kernel" or key.endswith(".kernel")


def torch_to_ts_array(key: str, value: torch.Tensor) -> np.ndarray:
    """A float32 copy in TS layout (never a view: callers may keep it while torch reuses the memory)."""
    array = value.detach().to(device="cpu", dtype=torch.float32).numpy()
    if _is_layout_kernel(key):
        if array.ndim == 4:
            return array.transpose(2, 3, 1, 0).copy(order="C")  # OIHW → HWIO
        if array.ndim == 2:
            return array.T.copy(order="C")  # [out, in] → [in, out]
    return array.copy(order="C")


def ts_to_torch_array(key: str, array: np.ndarray) -> np.ndarray:
    if _is_layout_kernel(key):
        if array.ndim == 4:
            return np.ascontiguousarray(array.transpose(3, 2, 0, 1))  # HWIO → OIHW
        if array.ndim == 2:
            return np.ascontiguousarray(array.T)
    return array


def network_to_named(prefix: str, module: nn.Module) -> NamedArrays:
    """Every parameter and persistent buffer of `module` as TS-named float32 arrays in TS layout."""
    return {f"{prefix}/{key.replace('.', '/')}": torch_to_ts_array(key, value) for key, value in module.state_dict().items()}


def networks_to_named(networks: Mapping[str, nn.Module]) -> NamedArrays:
    named: NamedArrays = {}
    for prefix, module in networks.items():
        named.update(network_to_named(prefix, module))
    return named


def load_named_into(prefix: str, module: nn.Module, named: Mapping[str, np.ndarray], strict: bool = True) -> List[str]:
    """Copies the TS-named arrays under "<prefix>/" into `module`; returns the names used.

    With strict, a tensor missing from `named` or an unknown name under the prefix is an error.
    """
    state = module.state_dict()
    expected = {f"{prefix}/{key.replace('.', '/')}": key for key in state}
    present = {name for name in named if name.startswith(prefix + "/")}
    problems: List[str] = []
    if strict:
        missing = sorted(set(expected) - present)
        unknown = sorted(present - set(expected))
        if missing:
            problems.append(f"missing {missing}")
        if unknown:
            problems.append(f"unknown {unknown}")
    loaded: Dict[str, torch.Tensor] = {}
    for name in sorted(present & set(expected)):
        key = expected[name]
        array = ts_to_torch_array(key, np.asarray(named[name], dtype=np.float32))
        target = state[key]
        if tuple(array.shape) != tuple(target.shape):
            ts_shape = tuple(np.asarray(named[name]).shape)
            problems.append(f'"{name}": shape {ts_shape} does not fit {tuple(torch_to_ts_array(key, target).shape)}')
            continue
        loaded[key] = torch.from_numpy(array.copy()).to(device=target.device, dtype=target.dtype)
    if problems:
        raise WeightsError(f"{prefix}: " + "; ".join(problems))
    with torch.no_grad():
        for key, value in loaded.items():
            state[key].copy_(value)
    return sorted(present & set(expected))


# ---------------------------------------------------------------------------------------------
# encoding


def _align_up(value: int, alignment: int) -> int:
    return (value + alignment - 1) // alignment * alignment


def encode_weights(
    named: Mapping[str, np.ndarray],
    dtype: DtypeChoice,
    config: Any,
    meta: Optional[Mapping[str, Any]] = None,
    shard_bytes: int = DEFAULT_SHARD_BYTES,
    shard_prefix: str = "weights",
) -> Tuple[Dict[str, Any], List[bytes]]:
    """(manifest, shard bytes) exactly as weights-io.ts encodeWeights lays them out."""
    if shard_bytes <= 0:
        raise WeightsError(f"encode: shard_bytes must be positive, got {shard_bytes}")
    entries: List[Dict[str, Any]] = []
    shards: List[bytearray] = []
    for name, value in named.items():
        array = np.asarray(value)
        shape = [int(d) for d in array.shape]
        chosen = dtype(name, tuple(shape)) if callable(dtype) else dtype
        if chosen not in _NUMPY_DTYPES:
            raise WeightsError(f'encode: tensor "{name}": dtype {chosen!r} is not "float16" or "float32"')
        if not np.issubdtype(array.dtype, np.floating):
            raise WeightsError(f'encode: tensor "{name}" is {array.dtype}, not a float array')
        # numpy's float32 → float16 rounds to nearest even, like the TS encoder.
        data = np.ascontiguousarray(array.astype(np.float32).astype(_NUMPY_DTYPES[chosen])).tobytes()
        shard = len(shards) - 1
        would_overflow = shard >= 0 and _align_up(len(shards[shard]), TENSOR_ALIGNMENT) + len(data) > shard_bytes
        if shard < 0 or (would_overflow and len(shards[shard]) > 0):
            shards.append(bytearray())
            shard = len(shards) - 1
        offset = _align_up(len(shards[shard]), TENSOR_ALIGNMENT)
        shards[shard].extend(b"\0" * (offset - len(shards[shard])))
        shards[shard].extend(data)
        entries.append({"name": name, "shape": shape, "dtype": chosen, "shard": shard, "byteOffset": offset, "byteLength": len(data)})
    width = len(str(max(len(shards) - 1, 0)))
    shard_entries = [
        {"file": f"{shard_prefix}.shard{str(i).zfill(width)}.bin", "byteLength": len(b), "sha256": hashlib.sha256(b).hexdigest()}
        for i, b in enumerate(shards)
    ]
    manifest: Dict[str, Any] = {"format": WEIGHTS_FORMAT, "version": WEIGHTS_FORMAT_VERSION, "config": config}
    if meta:
        manifest["meta"] = dict(meta)
    manifest["tensors"] = entries
    manifest["shards"] = shard_entries
    return manifest, [bytes(b) for b in shards]


def save_weights(
    manifest_path: Union[str, Path], named: Mapping[str, np.ndarray], dtype: DtypeChoice, config: Any, **options: Any
) -> List[Path]:
    """Writes the shards, then the manifest (so a reader never sees a manifest ahead of its shards)."""
    manifest_path = Path(manifest_path)
    manifest_path.parent.mkdir(parents=True, exist_ok=True)
    manifest, shards = encode_weights(named, dtype, config, **options)
    written: List[Path] = []
    for entry, data in zip(manifest["shards"], shards):
        path = manifest_path.parent / entry["file"]
        path.write_bytes(data)
        written.append(path)
    tmp = manifest_path.with_name(manifest_path.name + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    os.replace(tmp, manifest_path)
    written.append(manifest_path)
    return written


# ---------------------------------------------------------------------------------------------
# decoding


def _non_negative_int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise WeightsError(f"{where} must be a non-negative integer, got {json.dumps(value)}")
    return value


def _record(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise WeightsError(f"{where}: expected an object")
    return value


def validate_manifest(manifest: Any) -> Mapping[str, Any]:
    """Structural checks of weights-format.ts validateManifest (hashes are checked on read)."""
    m = _record(manifest, "manifest")
    if m.get("format") != WEIGHTS_FORMAT:
        raise WeightsError(f'manifest: format is {json.dumps(m.get("format"))}, expected "{WEIGHTS_FORMAT}"')
    if m.get("version") != WEIGHTS_FORMAT_VERSION:
        raise WeightsError(f"manifest: unsupported version {json.dumps(m.get('version'))} (this reader knows 1)")
    if "config" not in m:
        raise WeightsError('manifest: missing "config"')
    if "meta" in m:
        _record(m["meta"], "manifest.meta")
    if not isinstance(m.get("shards"), list):
        raise WeightsError('manifest: "shards" must be an array')
    if not isinstance(m.get("tensors"), list):
        raise WeightsError('manifest: "tensors" must be an array')
    for i, s in enumerate(m["shards"]):
        where = f"shard {i}"
        s = _record(s, where)
        file = s.get("file")
        if not isinstance(file, str) or file == "" or "/" in file or "\\" in file:
            raise WeightsError(f'{where}: "file" must be a plain file name, got {json.dumps(file)}')
        _non_negative_int(s.get("byteLength"), f"{where} ({file}): byteLength")
        sha = s.get("sha256")
        if not isinstance(sha, str) or len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
            raise WeightsError(f"{where} ({file}): sha256 must be 64 lower-case hex digits")
    names = set()
    for i, t in enumerate(m["tensors"]):
        t = _record(t, f"tensor {i}")
        name = t.get("name")
        if not isinstance(name, str) or name == "":
            raise WeightsError(f'tensor {i}: "name" must be a non-empty string')
        where = f'tensor "{name}"'
        if not isinstance(t.get("shape"), list):
            raise WeightsError(f'{where}: "shape" must be an array')
        for j, d in enumerate(t["shape"]):
            _non_negative_int(d, f"{where}: shape[{j}]")
        if t.get("dtype") not in _NUMPY_DTYPES:
            raise WeightsError(f'{where}: dtype {json.dumps(t.get("dtype"))} is not "float16" or "float32"')
        shard_index = _non_negative_int(t.get("shard"), f"{where}: shard")
        if shard_index >= len(m["shards"]):
            raise WeightsError(f"{where}: shard index {shard_index} out of range ({len(m['shards'])} shards)")
        offset = _non_negative_int(t.get("byteOffset"), f"{where}: byteOffset")
        length = _non_negative_int(t.get("byteLength"), f"{where}: byteLength")
        expected = int(np.prod(t["shape"], dtype=np.int64)) * _NUMPY_DTYPES[t["dtype"]].itemsize
        if length != expected:
            raise WeightsError(f"{where}: byteLength {length} does not match shape {t['shape']} × {t['dtype']} ({expected} bytes)")
        shard = m["shards"][shard_index]
        if offset + expected > shard["byteLength"]:
            raise WeightsError(
                f"{where}: bytes {offset}..{offset + expected} lie outside shard {shard_index} ({shard['file']}, {shard['byteLength']} bytes)"
            )
        if name in names:
            raise WeightsError(f"{where}: duplicate name")
        names.add(name)
    return m


def decode_weights(manifest: Any, load_shard: Callable[[str], bytes]) -> NamedArrays:
    """Reads and verifies (length, SHA-256) every shard; returns float32 arrays in TS layout."""
    m = validate_manifest(manifest)
    shard_data: List[bytes] = []
    for i, shard in enumerate(m["shards"]):
        where = f"shard {i} ({shard['file']})"
        try:
            data = load_shard(shard["file"])
        except OSError as err:
            raise WeightsError(f"{where}: could not be read: {err}") from err
        if len(data) != shard["byteLength"]:
            what = "truncated" if len(data) < shard["byteLength"] else "too long"
            raise WeightsError(f"{where}: {what}: {len(data)} bytes, manifest says {shard['byteLength']}")
        actual = hashlib.sha256(data).hexdigest()
        if actual != shard["sha256"]:
            raise WeightsError(f"{where}: SHA-256 mismatch (corrupt or wrong file): got {actual}, manifest says {shard['sha256']}")
        shard_data.append(data)
    named: NamedArrays = {}
    for t in m["tensors"]:
        data = shard_data[t["shard"]][t["byteOffset"] : t["byteOffset"] + t["byteLength"]]
        array = np.frombuffer(data, dtype=_NUMPY_DTYPES[t["dtype"]]).astype(np.float32)
        named[t["name"]] = array.reshape(t["shape"])
    return named


def load_weights(manifest_path: Union[str, Path]) -> Tuple[Dict[str, Any], NamedArrays]:
    """(manifest, arrays) of a manifest file and the shards next to it, fully verified."""
    manifest_path = Path(manifest_path)
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise WeightsError(f"{manifest_path}: not JSON: {err}") from err
    folder = manifest_path.parent
    return manifest, decode_weights(manifest, lambda file: (folder / file).read_bytes())
