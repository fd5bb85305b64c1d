"""evaluate_heldout's cross-resolution comparison (--metric-size)."""
from __future__ import annotations

import unittest

import torch

from train.talking_heads.evaluate_heldout import resize_for_metrics, ssim


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


if __name__ == "__main__":
    unittest.main()
