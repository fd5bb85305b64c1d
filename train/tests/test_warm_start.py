"""warm_start._adapt: how a tensor of older weights is fitted into a grown preset, the new part a
no-op (here: the output head that gained generator.flow's 2 channels, warp64s → warp64sf).

Run from the repo root: /usr/bin/python3 -m unittest discover -s train/tests -t .
"""
from __future__ import annotations

import unittest

import numpy as np

from train.talking_heads.warm_start import _adapt

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


if __name__ == "__main__":
    unittest.main()
