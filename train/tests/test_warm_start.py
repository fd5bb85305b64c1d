"""warm_start._adapt: how a tensor of older weights is fitted into a grown preset, the new part a
no-op (here: the output head that gained generator.flow's 2 channels, warp64s → warp64sf), and into
a narrowed mouth generator or G (their leading channels; their projections' columns by AdaIN layer).

Run from the repo root: /usr/bin/python3 -m unittest discover -s train/tests -t .
"""
from __future__ import annotations

import tempfile
import unittest
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch

from train.talking_heads.checkpoint import save_checkpoint
from train.talking_heads.config import load_preset, mouth_net_config, validate_config
from train.talking_heads.nets import Discriminator, Embedder, Generator, GeneratorInputs
from train.talking_heads.plan import MOUTH_PREFIX, adain_slots, generator_plan, psi_size
from train.talking_heads.warm_start import _adapt, psi_columns, warm_start
from train.talking_heads.weights_io import network_to_named

C = 8  # the head's input channels in tiny-warp-skips / tiny-warp-flow


def filled(shape: tuple, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


class AdaptTest(unittest.TestCase):
    def test_the_output_head_kernel_keeps_its_channels_and_gets_zero_flow_channels(self) -> None:
        old = filled((3, 3, C, 4), 1)  # TS layout HWIO: output channels last
        grown = _adapt("generator/output/conv/kernel", old, (3, 3, C, 6))
        self.assertIsNotNone(grown)
        self.assertEqual(grown.shape, (3, 3, C, 6))
        self.assertEqual(grown.dtype, np.float32)
        np.testing.assert_array_equal(grown[..., :4], old)
        np.testing.assert_array_equal(grown[..., 4:], np.zeros((3, 3, C, 2), np.float32))

    def test_the_output_head_bias_keeps_its_values_and_gets_zeros(self) -> None:
        old = filled((4,), 2)
        grown = _adapt("generator/output/conv/bias", old, (6,))
        self.assertIsNotNone(grown)
        np.testing.assert_array_equal(grown, np.concatenate([old, np.zeros(2, np.float32)]))

    def test_other_tensors_that_grew_output_channels_are_not_fitted(self) -> None:
        for name in ("generator/up1/conv2/kernel", "generator/up0/lateral/kernel", "embedder/output/conv/kernel"):
            self.assertIsNone(_adapt(name, filled((3, 3, C, 4), 3), (3, 3, C, 6)), name)
        self.assertIsNone(_adapt("generator/up1/conv2/bias", filled((4,), 4), (6,)))

    def test_the_output_head_is_not_shrunk_or_reshaped(self) -> None:
        self.assertIsNone(_adapt("generator/output/conv/kernel", filled((3, 3, C, 6), 5), (3, 3, C, 4)))
        self.assertIsNone(_adapt("generator/output/conv/bias", filled((6,), 6), (4,)))
        self.assertIsNone(_adapt("generator/output/conv/kernel", filled((3, 3, C, 4), 7), (3, 3, 2 * C, 6)))
        # The paper's RGB head (3 channels) is another layer: a warp-guided head starts at zero instead.
        self.assertIsNone(_adapt("generator/output/conv/kernel", filled((3, 3, C, 3), 10), (3, 3, C, 4)))
        self.assertIsNone(_adapt("generator/output/conv/bias", filled((3,), 11), (6,)))

    def test_same_shapes_pass_through_and_grown_input_channels_are_zero_filled(self) -> None:
        same = filled((3, 3, C, 4), 8)
        self.assertIs(_adapt("generator/output/conv/kernel", same, (3, 3, C, 4)), same)
        old = filled((3, 3, 3, 8), 9)  # G's first conv: landmarks only → landmarks, warp and mask
        grown = _adapt("generator/down0/conv1/kernel", old, (3, 3, 7, 8))
        np.testing.assert_array_equal(grown[:, :, :3], old)
        np.testing.assert_array_equal(grown[:, :, 3:], np.zeros((3, 3, 4, 8), np.float32))


class NarrowedMouthTest(unittest.TestCase):
    """tiny-warp-mouth (4 → 8 channels, two down blocks, one bottleneck) narrowed to 2 → 4 channels."""

    def setUp(self) -> None:
        self.old = load_preset("tiny-warp-mouth")
        self.new = replace(self.old, mouth=replace(self.old.mouth, min_channels=2, max_channels=4))

    def test_the_projection_keeps_each_adain_layers_leading_scales_and_biases(self) -> None:
        columns = psi_columns(self.old, self.new, MOUTH_PREFIX)
        new_plan = generator_plan(mouth_net_config(self.new), MOUTH_PREFIX)
        self.assertEqual(len(columns), psi_size(new_plan))
        old_psi = np.arange(psi_size(generator_plan(mouth_net_config(self.old), MOUTH_PREFIX)), dtype=np.float32)
        kernel = np.tile(old_psi, (3, 1))  # [embedDim, ψ]: column j holds j
        by_projection = {f"{MOUTH_PREFIX}/projection/": columns}
        narrowed = _adapt(f"{MOUTH_PREFIX}/projection/kernel", kernel, (3, len(columns)), by_projection)
        old_slots = {s.name: s for s in adain_slots(generator_plan(mouth_net_config(self.old), MOUTH_PREFIX))}
        for slot in adain_slots(new_plan):
            kept = old_slots[slot.name]
            scales = narrowed[0, slot.offset : slot.offset + slot.channels]
            biases = narrowed[0, slot.offset + slot.channels : slot.offset + 2 * slot.channels]
            np.testing.assert_array_equal(scales, np.arange(kept.offset, kept.offset + slot.channels))
            np.testing.assert_array_equal(biases, kept.offset + kept.channels + np.arange(slot.channels))
        u = _adapt(f"{MOUTH_PREFIX}/projection/kernel_u", old_psi, (len(columns),), by_projection)
        np.testing.assert_array_equal(u, narrowed[0])

    def test_same_mouth_keeps_every_column_and_a_wider_one_none(self) -> None:
        size = psi_size(generator_plan(mouth_net_config(self.old), MOUTH_PREFIX))
        np.testing.assert_array_equal(psi_columns(self.old, self.old, MOUTH_PREFIX), np.arange(size))
        self.assertIsNone(psi_columns(self.new, self.old, MOUTH_PREFIX))
        self.assertIsNone(psi_columns(load_preset("tiny-warp"), self.new, MOUTH_PREFIX))

    def test_mouth_tensors_keep_leading_channels_and_others_are_not_narrowed(self) -> None:
        old = filled((3, 3, 8, 8), 12)
        narrowed = _adapt(f"{MOUTH_PREFIX}/down1/conv1/kernel", old, (3, 3, 2, 4))
        np.testing.assert_array_equal(narrowed, old[:, :, :2, :4])
        np.testing.assert_array_equal(_adapt(f"{MOUTH_PREFIX}/down1/norm1/gamma", old[0, 0, 0], (2,)), old[0, 0, 0, :2])
        self.assertIsNone(_adapt(f"{MOUTH_PREFIX}/down1/conv1/kernel", old[:, :, :2], (3, 3, 4, 4)))
        self.assertIsNone(_adapt("embedder/down1/conv1/kernel", old, (3, 3, 2, 4)))  # only generators narrow
        self.assertIsNone(_adapt(f"{MOUTH_PREFIX}/projection/kernel", old[0, 0], (8, 4)))
        # The head's outputs (Δ, α, the flow) keep their count: only its input channels narrow.
        self.assertIsNone(_adapt(f"{MOUTH_PREFIX}/output/conv/kernel", filled((3, 3, 8, 4), 13), (3, 3, 4, 3)))


class NarrowedGeneratorTest(unittest.TestCase):
    """tiny-warp-mouth-region's G (8 → 16 channels) warm-started into tiny-warp-narrow's (4 → 8, its
    own generator.minChannels and maxChannels): E, D and the mouth generator copied, G's tensors their
    leading channels, P the columns of each AdaIN layer's leading scales and biases."""

    def test_config_round_trip_and_validation(self) -> None:
        config = load_preset("tiny-warp-narrow")
        self.assertEqual(validate_config(config.to_json()), config)
        raw = config.to_json()
        cases = {
            "generator.minChannels must be an integer ≥ 1": {"minChannels": 0},
            "generator.maxChannels must be an integer ≥ 1": {"maxChannels": 2.5},
            "generator.minChannels exceeds generator.maxChannels": {"minChannels": 16},
        }
        for message, change in cases.items():
            with self.assertRaisesRegex(ValueError, message):
                validate_config({**raw, "generator": {**raw["generator"], **change}})
        shared = {k: v for k, v in raw["generator"].items() if k not in ("minChannels", "maxChannels")}
        self.assertEqual(generator_plan(validate_config({**raw, "generator": shared})).blocks[0].out_channels, raw["minChannels"])

    def test_a_warm_start_narrows_g_and_copies_the_rest(self) -> None:
        old, new = load_preset("tiny-warp-mouth-region"), load_preset("tiny-warp-narrow")
        torch.manual_seed(50)
        nets_old = Embedder(old), Generator(old), Discriminator(old)
        nets_new = Embedder(new), Generator(new), Discriminator(new)
        self.assertLess(nets_new[1].psi_size, nets_old[1].psi_size)
        with torch.no_grad():  # a trained-looking G: non-zero head and laterals
            for p in nets_old[1].parameters():
                p.copy_(torch.randn(p.shape) * 0.2)
        trainer = SimpleNamespace(config=new, embedder=nets_new[0], generator=nets_new[1], discriminator=nets_new[2])
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "old.pt"
            save_checkpoint(path, old, *nets_old)
            warm_start(trainer, path)
        for prefix, a, b in zip(("embedder", "generator", "discriminator"), nets_old, nets_new):
            named_old, named_new = network_to_named(prefix, a), network_to_named(prefix, b)
            for name, value in named_new.items():
                kept = named_old[name]
                if name.startswith("generator/projection/"):
                    kept = kept[..., psi_columns(old, new)]
                elif prefix == "generator":
                    kept = kept[tuple(slice(0, n) for n in value.shape)]
                else:
                    self.assertEqual(kept.shape, value.shape, name)
                np.testing.assert_array_equal(value, kept, err_msg=name)
        narrowed = [
            n
            for n, v in network_to_named("generator", nets_new[1]).items()
            if v.shape != network_to_named("generator", nets_old[1])[n].shape
        ]
        self.assertIn("generator/down0/conv1/kernel", narrowed)
        self.assertFalse(any(n.startswith(f"{MOUTH_PREFIX}/") for n in narrowed))  # the mouth's widths are unchanged
        size = new.resolution
        rng = torch.Generator().manual_seed(51)
        inputs = GeneratorInputs(
            *(torch.rand((2, c, size, size), generator=rng) * 2 - 1 for c in (3, 3)), torch.rand((2, 1, size, size), generator=rng)
        )
        with torch.no_grad():
            out = nets_new[1].render(torch.randn(2, nets_new[1].psi_size, generator=rng), inputs)
        self.assertTrue(bool(torch.isfinite(out.frame).all()))


if __name__ == "__main__":
    unittest.main()
