"""warm_start._adapt: how a tensor of older weights is fitted into a grown preset, the new part a
no-op (here: the output head that gained generator.flow's 2 channels, warp64s → warp64sf), and into
a narrowed mouth generator (its leading channels; its projection's columns by AdaIN layer).

Run from the repo root: /usr/bin/python3 -m unittest discover -s train/tests -t .
"""
from __future__ import annotations

import unittest

import numpy as np

from dataclasses import replace

from train.talking_heads.config import load_preset, mouth_net_config
from train.talking_heads.plan import MOUTH_PREFIX, adain_slots, generator_plan, psi_size
from train.talking_heads.warm_start import _adapt, mouth_psi_columns

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
        columns = mouth_psi_columns(self.old, self.new)
        new_plan = generator_plan(mouth_net_config(self.new), MOUTH_PREFIX)
        self.assertEqual(len(columns), psi_size(new_plan))
        old_psi = np.arange(psi_size(generator_plan(mouth_net_config(self.old), MOUTH_PREFIX)), dtype=np.float32)
        kernel = np.tile(old_psi, (3, 1))  # [embedDim, ψ]: column j holds j
        narrowed = _adapt(f"{MOUTH_PREFIX}/projection/kernel", kernel, (3, len(columns)), columns)
        old_slots = {s.name: s for s in adain_slots(generator_plan(mouth_net_config(self.old), MOUTH_PREFIX))}
        for slot in adain_slots(new_plan):
            kept = old_slots[slot.name]
            scales = narrowed[0, slot.offset : slot.offset + slot.channels]
            biases = narrowed[0, slot.offset + slot.channels : slot.offset + 2 * slot.channels]
            np.testing.assert_array_equal(scales, np.arange(kept.offset, kept.offset + slot.channels))
            np.testing.assert_array_equal(biases, kept.offset + kept.channels + np.arange(slot.channels))
        u = _adapt(f"{MOUTH_PREFIX}/projection/kernel_u", old_psi, (len(columns),), columns)
        np.testing.assert_array_equal(u, narrowed[0])

    def test_same_mouth_keeps_every_column_and_a_wider_one_none(self) -> None:
        size = psi_size(generator_plan(mouth_net_config(self.old), MOUTH_PREFIX))
        np.testing.assert_array_equal(mouth_psi_columns(self.old, self.old), np.arange(size))
        self.assertIsNone(mouth_psi_columns(self.new, self.old))
        self.assertIsNone(mouth_psi_columns(load_preset("tiny-warp"), self.new))

    def test_mouth_tensors_keep_leading_channels_and_others_are_not_narrowed(self) -> None:
        old = filled((3, 3, 8, 8), 12)
        narrowed = _adapt(f"{MOUTH_PREFIX}/down1/conv1/kernel", old, (3, 3, 2, 4))
        np.testing.assert_array_equal(narrowed, old[:, :, :2, :4])
        np.testing.assert_array_equal(_adapt(f"{MOUTH_PREFIX}/down1/norm1/gamma", old[0, 0, 0], (2,)), old[0, 0, 0, :2])
        self.assertIsNone(_adapt(f"{MOUTH_PREFIX}/down1/conv1/kernel", old[:, :, :2], (3, 3, 4, 4)))
        self.assertIsNone(_adapt("generator/down1/conv1/kernel", old, (3, 3, 2, 4)))
        self.assertIsNone(_adapt(f"{MOUTH_PREFIX}/projection/kernel", old[0, 0], (8, 4)))


if __name__ == "__main__":
    unittest.main()
