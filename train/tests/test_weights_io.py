"""The weights format on the Python side and the torch ↔ TS layout mapping.

Run from the repo root: /usr/bin/python3 -m unittest discover -s train/tests -t .
(TS ↔ Python interoperability on real files is src/nn/parity.test.ts.)
"""
from __future__ import annotations

import copy
import json
import tempfile
import unittest
from pathlib import Path

import numpy as np
import torch

from train.talking_heads.checkpoint import load_checkpoint, load_networks, save_checkpoint
from train.talking_heads.config import load_preset
from train.talking_heads.export_weights import export_app_weights
from train.talking_heads.nets import GeneratorInputs, build_networks
from train.talking_heads.plan import NETWORK_NAMES
from train.talking_heads.weights_io import (
    WeightsError,
    decode_weights,
    encode_weights,
    load_named_into,
    load_weights,
    networks_to_named,
    save_weights,
    ts_to_torch_array,
    torch_to_ts_array,
    validate_manifest,
)


def sample_arrays() -> dict:
    rng = np.random.default_rng(0)
    return {
        "a/kernel": rng.standard_normal((3, 3, 2, 5)).astype(np.float32),
        "a/bias": rng.standard_normal(5).astype(np.float32),
        "gamma": np.array(0.75, dtype=np.float32),
        "big": rng.standard_normal(1000).astype(np.float32),
        "odd": rng.standard_normal(3).astype(np.float32),
    }


def loader(manifest: dict, shards: list):
    by_file = {entry["file"]: data for entry, data in zip(manifest["shards"], shards)}
    return lambda file: by_file[file]


class FormatTest(unittest.TestCase):
    def test_float32_round_trip_is_exact_and_keeps_scalars(self) -> None:
        arrays = sample_arrays()
        manifest, shards = encode_weights(arrays, "float32", {"name": "x"}, meta={"steps": 3})
        decoded = decode_weights(json.loads(json.dumps(manifest)), loader(manifest, shards))
        self.assertEqual(list(decoded), list(arrays))
        for name, array in arrays.items():
            self.assertEqual(decoded[name].shape, array.shape, name)
            self.assertTrue(np.array_equal(decoded[name], array), name)
        self.assertEqual(manifest["meta"], {"steps": 3})

    def test_float16_rounds_to_nearest_even(self) -> None:
        values = {"v": np.array([1.0, 1.0 + 2**-11, 1.0 + 3 * 2**-11, 70000.0, 2**-25], dtype=np.float32)}
        with np.errstate(over="ignore"):  # 70000 overflowing to inf is the point here
            manifest, shards = encode_weights(values, "float16", None)
        decoded = decode_weights(manifest, loader(manifest, shards))["v"]
        # Ties go to the even mantissa; beyond the range → inf; below half the smallest subnormal → 0.
        self.assertEqual(decoded.tolist(), [1.0, 1.0, 1.0 + 2 * 2**-10, float("inf"), 0.0])
        self.assertEqual(manifest["tensors"][0]["byteLength"], 10)

    def test_per_tensor_dtype_sharding_and_alignment(self) -> None:
        arrays = sample_arrays()
        choose = lambda name, shape: "float32" if name == "gamma" else "float16"  # noqa: E731
        manifest, shards = encode_weights(arrays, choose, None, shard_bytes=256, shard_prefix="m")
        validate_manifest(manifest)
        self.assertGreater(len(manifest["shards"]), 1)
        self.assertEqual([s["file"] for s in manifest["shards"]][0], "m.shard0.bin")
        for entry in manifest["tensors"]:
            self.assertEqual(entry["byteOffset"] % 4, 0, entry["name"])
            self.assertEqual(entry["dtype"], "float32" if entry["name"] == "gamma" else "float16")
        big = next(t for t in manifest["tensors"] if t["name"] == "big")
        self.assertEqual(big["byteLength"], 2000)  # larger than a shard: it gets one of its own
        decoded = decode_weights(manifest, loader(manifest, shards))
        self.assertTrue(np.array_equal(decoded["big"], arrays["big"].astype(np.float16).astype(np.float32)))

    def test_corrupt_truncated_and_missing_shards_are_named(self) -> None:
        manifest, shards = encode_weights(sample_arrays(), "float32", None, shard_bytes=256)
        corrupt = list(shards)
        corrupt[1] = bytes([corrupt[1][0] ^ 1]) + corrupt[1][1:]
        with self.assertRaisesRegex(WeightsError, r"shard 1 \(weights\.shard1\.bin\): SHA-256 mismatch"):
            decode_weights(manifest, loader(manifest, corrupt))
        truncated = [shards[0][:-1]] + list(shards[1:])
        with self.assertRaisesRegex(WeightsError, r"shard 0 .*: truncated"):
            decode_weights(manifest, loader(manifest, truncated))

        def missing(file: str) -> bytes:
            raise FileNotFoundError(file)

        with self.assertRaisesRegex(WeightsError, r"could not be read"):
            decode_weights(manifest, missing)

    def test_tampered_manifests_are_rejected(self) -> None:
        manifest, _ = encode_weights(sample_arrays(), "float32", None)
        cases = [
            (lambda m: m.update(format="other"), "format"),
            (lambda m: m.update(version=2), "unsupported version 2"),
            (lambda m: m["tensors"][0].update(byteLength=7), 'tensor "a/kernel": byteLength 7'),
            (lambda m: m["tensors"][1].update(name="a/kernel"), "duplicate name"),
            (lambda m: m["tensors"][0].update(shard=5), "shard index 5 out of range"),
            (lambda m: m["tensors"][0].update(byteOffset=10**6), "lie outside shard"),
            (lambda m: m["shards"][0].update(file="../x.bin"), "plain file name"),
            (lambda m: m["tensors"][0].update(dtype="int8"), "is not"),
        ]
        for tamper, message in cases:
            broken = copy.deepcopy(manifest)
            tamper(broken)
            with self.assertRaisesRegex(WeightsError, message):
                validate_manifest(broken)

    def test_files_on_disk(self) -> None:
        arrays = sample_arrays()
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "avatar" / "weights.json"
            written = save_weights(path, arrays, "float32", {"name": "tiny"}, shard_bytes=256)
            self.assertEqual(written[-1], path)
            self.assertTrue(all(p.exists() for p in written))
            manifest, decoded = load_weights(path)
            self.assertEqual(manifest["config"], {"name": "tiny"})
            self.assertTrue(np.array_equal(decoded["a/kernel"], arrays["a/kernel"]))


class LayoutTest(unittest.TestCase):
    def test_conv_and_linear_kernels_change_layout_and_back(self) -> None:
        conv = torch.randn(5, 2, 3, 3)  # OIHW
        hwio = torch_to_ts_array("down0.conv1.kernel", conv)
        self.assertEqual(hwio.shape, (3, 3, 2, 5))
        self.assertEqual(float(hwio[1, 2, 0, 4]), float(conv[4, 0, 1, 2]))
        self.assertTrue(np.array_equal(ts_to_torch_array("down0.conv1.kernel", hwio), conv.numpy()))
        linear = torch.randn(7, 4)  # [out, in]
        self.assertEqual(torch_to_ts_array("projection.kernel", linear).shape, (4, 7))
        u = torch.randn(5)
        self.assertEqual(torch_to_ts_array("down0.conv1.kernel_u", u).shape, (5,))
        self.assertEqual(torch_to_ts_array("attention.gamma", torch.tensor(0.5)).shape, ())

    def test_networks_survive_a_round_trip_through_the_format(self) -> None:
        config = load_preset("tiny")
        source = dict(zip(NETWORK_NAMES, build_networks(config)))
        target = dict(zip(NETWORK_NAMES, build_networks(config)))
        with torch.no_grad():
            source["generator"].get_submodule("attention_up").gamma.fill_(0.9)
        manifest, shards = encode_weights(networks_to_named(source), "float32", config.to_json())
        named = decode_weights(manifest, loader(manifest, shards))
        for prefix, module in target.items():
            load_named_into(prefix, module, named)
        for prefix in NETWORK_NAMES:
            a, b = source[prefix].state_dict(), target[prefix].state_dict()
            for key in a:
                self.assertTrue(torch.equal(a[key], b[key]), f"{prefix}.{key}")
        G0, G1 = source["generator"].eval(), target["generator"].eval()
        psi = torch.randn(1, G0.psi_size)
        y = torch.rand(1, 3, 16, 16) * 2 - 1
        with torch.no_grad():
            self.assertTrue(torch.equal(G0(psi, GeneratorInputs(y)), G1(psi, GeneratorInputs(y))))

    def test_loading_reports_missing_unknown_and_misshaped_tensors(self) -> None:
        config = load_preset("tiny")
        E = build_networks(config)[0]
        named = networks_to_named({"embedder": E})
        incomplete = {k: v for k, v in named.items() if k != "embedder/down0/conv1/bias"}
        incomplete["embedder/extra/thing"] = np.zeros(1, np.float32)
        with self.assertRaisesRegex(WeightsError, r"missing \['embedder/down0/conv1/bias'\]; unknown \['embedder/extra/thing'\]"):
            load_named_into("embedder", E, incomplete)
        misshaped = dict(named)
        misshaped["embedder/down0/conv1/kernel"] = np.zeros((3, 3, 6, 9), np.float32)
        with self.assertRaisesRegex(WeightsError, r'"embedder/down0/conv1/kernel": shape \(3, 3, 6, 9\) does not fit \(3, 3, 6, 8\)'):
            load_named_into("embedder", E, misshaped)


class CheckpointAndExportTest(unittest.TestCase):
    def test_checkpoint_round_trip_and_app_export(self) -> None:
        config = load_preset("tiny")
        E, G, D = build_networks(config)
        with torch.no_grad():
            D.embedding.fill_(0.3)
        with tempfile.TemporaryDirectory() as folder:
            save_checkpoint(Path(folder) / "ckpt.pt", config, E, G, D, {"step": 12})
            loaded_config, E2, G2, D2, extra = load_checkpoint(Path(folder) / "ckpt.pt")
            self.assertEqual(loaded_config, config)
            self.assertEqual(extra, {"step": 12})
            for a, b in ((E, E2), (G, G2), (D, D2)):
                for key, value in a.state_dict().items():
                    self.assertTrue(torch.equal(value, b.state_dict()[key]), key)

            manifest, named = load_weights(export_app_weights(Path(folder) / "app" / "weights.json", config, E, G, D)[-1])
        self.assertNotIn("discriminator/embedding", named)
        self.assertEqual(manifest["config"]["discriminator"]["numVideos"], 0)
        dtypes = {t["name"]: t["dtype"] for t in manifest["tensors"]}
        self.assertEqual(dtypes["generator/projection/kernel"], "float16")
        self.assertEqual(dtypes["generator/projection/kernel_u"], "float32")
        self.assertEqual(dtypes["discriminator/w0"], "float32")
        app_d = build_networks(config.with_num_videos(0))[2]
        load_named_into("discriminator", app_d, named)  # strict: the app's D has exactly these tensors

    def test_exported_weights_load_back_as_networks(self) -> None:
        # evaluate_heldout compares shipped weights whose checkpoint is gone.
        config = load_preset("tiny")
        E, G, D = build_networks(config)
        with tempfile.TemporaryDirectory() as folder:
            manifest_path = export_app_weights(Path(folder) / "manifest.json", config, E, G, D, {"steps": 7}, all_float32=True)[-1]
            loaded_config, E2, G2, D2, extra = load_networks(manifest_path)
        self.assertEqual(loaded_config, config.with_num_videos(0))
        self.assertEqual(extra, {"meta": {"steps": 7}})
        for a, b in ((E, E2), (G, G2)):
            for key, value in a.state_dict().items():
                self.assertTrue(torch.equal(value, b.state_dict()[key]), key)
        self.assertTrue(torch.equal(D.w0, D2.w0))


if __name__ == "__main__":
    unittest.main()
