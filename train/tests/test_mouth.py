"""The mouth measures (train/talking_heads/mouth.py) and the mouth-focused episodes that use them:
the opening follows the inner lips, the mask covers the opening and moves with it, its L1 ignores
what lies outside, the crops for the mouth content loss are centred on the mouth and follow it, and
focused episodes pair an open-mouthed target with closed-mouthed sources."""
import unittest

import numpy as np
import torch

from train.talking_heads.episodes import EpisodeSampler
from train.talking_heads.mouth import LOWER_INNER_LIP, UPPER_INNER_LIP, mouth_crops, mouth_l1, mouth_mask, mouth_opening
from train.talking_heads.warp import load_mesh


def face(size=64, opening=0.0, count=1):
    """The canonical mesh at `size` px, lower inner lip moved down by `opening` × the eye distance."""
    p = load_mesh().canonical.numpy().astype(np.float32)[None].repeat(count, 0) * size
    eyes = np.linalg.norm(p[:, 263] - p[:, 33], axis=-1)
    p[:, LOWER_INNER_LIP, 0] = p[:, UPPER_INNER_LIP, 0]
    p[:, LOWER_INNER_LIP, 1] = p[:, UPPER_INNER_LIP, 1] + np.asarray(opening, np.float32) * eyes
    return torch.from_numpy(p)


class MouthTest(unittest.TestCase):
    def test_opening_is_the_inner_lip_gap_over_the_eye_distance(self):
        self.assertAlmostEqual(mouth_opening(face(opening=0.0)).item(), 0.0, places=5)
        self.assertAlmostEqual(mouth_opening(face(opening=0.3)).item(), 0.3, places=4)
        self.assertAlmostEqual(mouth_opening(face(size=128, opening=0.3)).item(), 0.3, places=4)  # scale-free

    def test_mask_covers_the_opening_and_grows_with_it(self):
        closed, opened = mouth_mask(face(opening=0.0), 64), mouth_mask(face(opening=0.4), 64)
        self.assertEqual(tuple(opened.shape), (1, 1, 64, 64))
        p = face(opening=0.4)[0]
        mid = ((p[UPPER_INNER_LIP] + p[LOWER_INNER_LIP]) / 2).long()
        self.assertEqual(opened[0, 0, mid[1], mid[0]].item(), 1.0)
        self.assertEqual(opened[0, 0, 2, 2].item(), 0.0)  # a corner of the crop
        self.assertGreater(opened.sum().item(), closed.sum().item() * 1.5)
        self.assertLess(opened.mean().item(), 0.1)  # the mouth, not the face

    def test_l1_counts_only_the_mask(self):
        mask = mouth_mask(face(opening=0.4), 64)
        real = torch.zeros(1, 3, 64, 64)
        outside = real + 2.0 * (1 - mask)
        self.assertAlmostEqual(mouth_l1(outside, real, mask).item(), 0.0, places=6)
        self.assertAlmostEqual(mouth_l1(real + 0.5 * mask, real, mask).item(), 0.5, places=5)
        self.assertEqual(mouth_l1(real + 1, real, torch.zeros_like(mask)).item(), 0.0)  # an empty mask counts 0

    def test_crops_are_centred_on_the_mouth_and_follow_it(self):
        size = 64
        points = face(size=size, opening=0.4, count=2)
        points[1, :, 0] += 6  # the second face 6 px to the right
        # An image that is its own x coordinate (channel 0) and y coordinate (channel 1), in pixels.
        centres = torch.arange(size, dtype=torch.float32) + 0.5
        py, px = torch.meshgrid(centres, centres, indexing="ij")
        image = torch.stack([px, py, torch.zeros_like(px)])[None].repeat(2, 1, 1, 1)
        crops = mouth_crops(image, points, 32)
        self.assertEqual(tuple(crops.shape), (2, 3, 32, 32))
        p = points[0]
        centre = (p[78] + p[308] + p[UPPER_INNER_LIP] + p[LOWER_INNER_LIP]) / 4
        # The crop's middle reads the mouth's centre; its columns increase left to right (no flip).
        middle = crops[0, :2, 15:17, 15:17].mean(dim=(1, 2))
        self.assertLess(float((middle - centre).abs().max()), 0.6)
        self.assertTrue(bool((crops[0, 0, 16, 1:] > crops[0, 0, 16, :-1]).all()))
        # The second face's crop is the first one's moved 6 px.
        self.assertLess(float((crops[1, 0] - crops[0, 0] - 6).abs().max()), 1e-3)
        # Wider than the mouth's corners: both corners lie inside the crop's span.
        span = (float(crops[0, 0, 16, 0]), float(crops[0, 0, 16, -1]))
        self.assertLess(span[0], float(p[78, 0]))
        self.assertGreater(span[1], float(p[308, 0]))

    def test_focused_episodes_pair_an_open_target_with_closed_sources(self):
        openings = [0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35]
        points = torch.cat([face(opening=o) for o in openings] * 3).numpy()
        n = len(points)
        crops = np.zeros((n, 64, 64, 3), np.uint8)
        videos = [list(range(v * 8, v * 8 + 8)) for v in range(3)]
        sampler = EpisodeSampler(crops, crops, videos, k=3, device=torch.device("cpu"), points=points, mouth_focus=1.0)
        ep = sampler.sample(32)
        target = mouth_opening(torch.from_numpy(points[ep.target_index.numpy()]))
        sources = mouth_opening(torch.from_numpy(points[ep.source_index.reshape(-1).numpy()]))
        self.assertGreaterEqual(target.min().item(), 0.3 - 1e-4)  # the top quarter
        self.assertLessEqual(sources.max().item(), 0.15 + 1e-4)  # the bottom half
        self.assertTrue(((ep.source_index // 8) == (ep.target_index // 8).unsqueeze(1)).all())  # same clip
        unfocused = EpisodeSampler(crops, crops, videos, k=3, device=torch.device("cpu"), points=points).sample(64)
        t = mouth_opening(torch.from_numpy(points[unfocused.target_index.numpy()]))
        self.assertLess(t.min().item(), 0.3)  # without focus, targets come from the whole clip


if __name__ == "__main__":
    unittest.main()
