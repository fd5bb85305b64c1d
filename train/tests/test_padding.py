"""The target's padding bands (train/talking_heads/padding.py): found from each edge inward and only
there, and taken out of the losses by replacing them with the generated frame's pixels."""
import unittest

import torch

from train.talking_heads.padding import ignore_padding, padding_mask


def frame(size=16, seed=0):
    """A bright random frame in [-1, 1] (no row or column is dark)."""
    g = torch.Generator().manual_seed(seed)
    return torch.rand((1, 3, size, size), generator=g) * 0.5 + 0.2


class PaddingTest(unittest.TestCase):
    def test_bands_from_the_edges_only(self):
        x = frame()
        x[:, :, :3] = -1.0  # three black rows at the top
        x[:, :, :, -2:] = -0.97  # two near-black columns on the right (JPEG noise)
        x[:, :, 8] = -1.0  # a black row in the middle: not a band
        mask = padding_mask(x)[0, 0]
        self.assertEqual(tuple(padding_mask(x).shape), (1, 1, 16, 16))
        self.assertTrue(bool(mask[:3].all()) and bool(mask[:, -2:].all()))
        self.assertFalse(bool(mask[8, :-2].any()))
        self.assertEqual(int(mask.sum()), 3 * 16 + 2 * 13)
        self.assertFalse(bool(padding_mask(frame(seed=1)).any()))
        # A dark row with one bright pixel is picture, not padding; an all-black frame is all padding.
        y = frame()
        y[:, :, -1] = -1.0
        y[0, 1, -1, 5] = 0.5
        self.assertFalse(bool(padding_mask(y).any()))
        self.assertTrue(bool(padding_mask(-torch.ones(2, 3, 8, 8)).all()))

    def test_ignore_padding_replaces_only_the_bands_with_the_shown_frame(self):
        real = frame(seed=2)
        real[:, :, -4:] = -1.0
        shown = frame(seed=3).requires_grad_(True)
        target = ignore_padding(shown, real)
        self.assertTrue(torch.equal(target[:, :, -4:], shown.detach()[:, :, -4:]))
        self.assertTrue(torch.equal(target[:, :, :-4], real[:, :, :-4]))
        self.assertFalse(target.requires_grad)
        # The L1 then sees no error in the bands: its gradient there is zero.
        (shown - target).abs().mean().backward()
        self.assertEqual(float(shown.grad[:, :, -4:].abs().max()), 0.0)
        self.assertGreater(float(shown.grad[:, :, :-4].abs().min()), 0.0)


if __name__ == "__main__":
    unittest.main()
