"""evaluate_heldout's cross-resolution comparison (--metric-size)."""
from __future__ import annotations

import unittest

import torch

import numpy as np

from train.talking_heads.dataset_io import Clip, Person
from train.talking_heads.evaluate_heldout import episodes, resize_for_metrics, ssim


class MetricSizeTest(unittest.TestCase):
    def test_downsizing_averages_pixel_blocks(self) -> None:
        image = torch.arange(16.0).reshape(1, 1, 4, 4).expand(1, 3, 4, 4) / 16 - 0.5
        small = resize_for_metrics(image, 2)
        self.assertEqual(tuple(small.shape), (1, 3, 2, 2))
        self.assertAlmostEqual(small[0, 0, 0, 0].item(), image[0, 0, :2, :2].mean().item(), places=6)

    def test_zero_or_same_size_is_a_no_op(self) -> None:
        image = torch.rand(2, 3, 8, 8)
        self.assertIs(resize_for_metrics(image, 0), image)
        self.assertIs(resize_for_metrics(image, 8), image)

    def test_ssim_after_resizing_still_ranks_images(self) -> None:
        torch.manual_seed(0)
        real = torch.rand(1, 3, 64, 64) * 2 - 1
        near = (real + 0.1 * torch.randn_like(real)).clamp(-1, 1)
        far = torch.rand(1, 3, 64, 64) * 2 - 1
        at32 = [resize_for_metrics(x, 32) for x in (real, near, far)]
        self.assertAlmostEqual(ssim(at32[0], at32[0]).item(), 1.0, places=5)
        self.assertGreater(ssim(at32[1], at32[0]).item(), ssim(at32[2], at32[0]).item() + 0.3)


class EpisodeChoiceTest(unittest.TestCase):
    def person(self) -> Person:
        def clip(name, frames):
            n = len(frames)
            return Clip(name, np.asarray(frames), [str(f) for f in frames], np.zeros(n, np.float32), np.ones(n, np.float32))

        return Person("ytf", "p", True, [clip("a", [0, 1, 2, 3, 4, 5]), clip("b", [6, 7, 8])])

    def test_targets_come_from_another_clip_by_default(self) -> None:
        src, tgt = episodes(self.person(), 3, 2, np.random.default_rng(0))
        self.assertTrue(set(src) <= {0, 1, 2, 3, 4, 5})
        self.assertTrue(set(tgt) <= {6, 7, 8})

    def test_same_clip_targets_are_other_frames_of_the_longest_clip(self) -> None:
        src, tgt = episodes(self.person(), 3, 2, np.random.default_rng(0), same_clip=True)
        self.assertTrue(set(src) | set(tgt) <= {0, 1, 2, 3, 4, 5})
        self.assertFalse(set(src) & set(tgt))

    def test_frames_without_a_display_twin_are_never_drawn(self) -> None:
        keep = np.ones(9, bool)
        keep[[0, 1, 6, 7, 8]] = False
        src, tgt = episodes(self.person(), 2, 2, np.random.default_rng(0), keep=keep)
        self.assertTrue(set(src) | set(tgt) <= {2, 3, 4, 5})


if __name__ == "__main__":
    unittest.main()
