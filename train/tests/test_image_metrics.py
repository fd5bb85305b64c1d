"""image_metrics: the separable Gaussian filter is the 11×11 window of src/eval/ssim.ts (the outer
product of its 1-D taps) to float precision, SSIM built on it equals the textbook 2-D form, and the
mask-weighted SSIM sees only the windows its mask covers."""
import unittest

import torch
import torch.nn.functional as F

from train.talking_heads.image_metrics import _gaussian_1d, gaussian_filter, ssim, weighted_ssim


def reference_ssim(a, b):
    """SSIM with five direct 2-D convolutions (the definition before the separable filter)."""
    w = (_gaussian_1d()[:, None] * _gaussian_1d()[None, :])[None, None]
    weights = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
    ya, yb = ((a + 1) / 2 * weights).sum(1, keepdim=True), ((b + 1) / 2 * weights).sum(1, keepdim=True)
    mu_a, mu_b = F.conv2d(ya, w), F.conv2d(yb, w)
    var_a, var_b = F.conv2d(ya * ya, w) - mu_a**2, F.conv2d(yb * yb, w) - mu_b**2
    cov = F.conv2d(ya * yb, w) - mu_a * mu_b
    c1, c2 = 0.01**2, 0.03**2
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return s.mean(dim=(1, 2, 3))


class ImageMetricsTest(unittest.TestCase):
    def test_separable_filter_is_the_2d_window(self):
        torch.manual_seed(0)
        x = torch.rand(2, 3, 40, 33)
        w = (_gaussian_1d()[:, None] * _gaussian_1d()[None, :])[None, None].expand(3, 1, 11, 11)
        direct = F.conv2d(x, w, groups=3)
        self.assertEqual(tuple(gaussian_filter(x).shape), (2, 3, 30, 23))
        self.assertLess((gaussian_filter(x) - direct).abs().max().item(), 1e-6)
        self.assertAlmostEqual(_gaussian_1d().sum().item(), 1.0, places=6)

    def test_ssim_equals_the_direct_form(self):
        torch.manual_seed(1)
        a = torch.rand(3, 3, 64, 64) * 2 - 1
        b = (a + 0.3 * torch.randn_like(a)).clamp(-1, 1)
        self.assertLess((ssim(a, b) - reference_ssim(a, b)).abs().max().item(), 1e-5)
        self.assertAlmostEqual(ssim(a, a)[0].item(), 1.0, places=5)
        self.assertLess(ssim(a, b).max().item(), 0.9)

    def test_weighted_ssim_sees_only_the_masked_windows(self):
        torch.manual_seed(2)
        a = torch.rand(2, 3, 48, 48) * 2 - 1
        b = a.clone()
        b[:, :, :, 24:] = (a[:, :, :, 24:] + 0.5 * torch.randn_like(a[:, :, :, 24:])).clamp(-1, 1)  # right half differs
        left = torch.zeros(2, 1, 48, 48)
        left[..., :12] = 1  # windows centred here reach x ≤ 17: the identical half only
        right = 1 - left
        self.assertAlmostEqual(weighted_ssim(a, b, left)[0].item(), 1.0, places=5)
        self.assertLess(weighted_ssim(a, b, right).max().item(), ssim(a, b).min().item())
        # Uniform weights give the plain SSIM.
        self.assertLess((weighted_ssim(a, b, torch.ones(2, 1, 48, 48)) - ssim(a, b)).abs().max().item(), 1e-6)


if __name__ == "__main__":
    unittest.main()
