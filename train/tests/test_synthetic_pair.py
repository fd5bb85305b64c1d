"""A photo as its own warp source (synthetic_pair.py): the moved landmarks lie where the moved image
shows them, the moved view stays inside the target's crop, and the sampler marks the embedder-only
videos' episodes (and only theirs), drawing nothing when there are none."""
from __future__ import annotations

import unittest

import numpy as np
import torch

from train.talking_heads import synthetic_pair
from train.talking_heads.episodes import EpisodeSampler


def blob(size: int, centre: torch.Tensor) -> torch.Tensor:
    """[1, 1, S, S]: a Gaussian spot at crop-pixel `centre` (x, y)."""
    grid = torch.arange(size, dtype=torch.float64) + 0.5
    y, x = torch.meshgrid(grid, grid, indexing="ij")
    return torch.exp(-((x - centre[0]) ** 2 + (y - centre[1]) ** 2) / (2 * 1.5**2))[None, None]


def centroid(image: torch.Tensor) -> torch.Tensor:
    size = image.shape[-1]
    grid = torch.arange(size, dtype=torch.float64) + 0.5
    w = image[0, 0] / image[0, 0].sum()
    return torch.stack([(w.sum(0) * grid).sum(), (w.sum(1) * grid).sum()])


class SyntheticPair(unittest.TestCase):
    def test_moved_points_follow_the_moved_image(self):
        g = torch.Generator().manual_seed(1)
        theta = synthetic_pair.draw(6, g, torch.device("cpu")).double()
        size = 64
        for b in range(6):
            spot = torch.tensor([[30.0, 38.0]], dtype=torch.float64)
            moved = synthetic_pair.move_image(blob(size, spot[0]), theta[b : b + 1])
            where = synthetic_pair.move_points(spot[None], theta[b : b + 1], size)[0, 0]
            self.assertLess(float((centroid(moved) - where).abs().max()), 0.1, (b, theta[b]))
        # Not a no-op: the draws zoom in and move the spot.
        shifted = synthetic_pair.move_points(torch.tensor([[[10.0, 10.0]]]).double().expand(6, 1, 2), theta, size)
        self.assertGreater(float((shifted - 10).abs().min()), 0.2)

    def test_the_moved_view_stays_inside_the_crop(self):
        theta = synthetic_pair.draw(512, torch.Generator().manual_seed(2), torch.device("cpu"))
        corners = torch.tensor([[-1.0, -1.0, 1.0], [1.0, -1.0, 1.0], [-1.0, 1.0, 1.0], [1.0, 1.0, 1.0]])
        seen = torch.einsum("bij,cj->bci", theta, corners)
        self.assertLessEqual(float(seen.abs().max()), 1.0 + 1e-6)
        scale = torch.linalg.det(theta[:, :, :2]).sqrt()
        self.assertTrue(((scale > 0.819) & (scale < 0.921)).all())


class EmbedderOnlyEpisodes(unittest.TestCase):
    def setUp(self):
        self.crops = np.random.default_rng(0).integers(0, 256, (32, 8, 8, 3), dtype=np.uint8)
        self.videos = [list(range(v * 8, v * 8 + 8)) for v in range(4)]
        self.points = np.random.default_rng(1).uniform(1, 7, (32, 478, 2)).astype(np.float32)

    def sampler(self, flags, seed=3):
        return EpisodeSampler(
            self.crops, self.crops, self.videos, k=3, device=torch.device("cpu"), seed=seed, points=self.points, embedder_only=flags
        )

    def test_only_the_flagged_videos_are_synthetic(self):
        ep = self.sampler([False, True, False, True]).sample(64)
        self.assertTrue(torch.equal(ep.synthetic, (ep.video == 1) | (ep.video == 3)))
        self.assertEqual(tuple(ep.moved.shape), (64, 2, 3))
        self.assertFalse((ep.source_index == ep.target_index.unsqueeze(1)).any())  # E never sees the target

    def test_none_flagged_draws_nothing(self):
        plain = EpisodeSampler(self.crops, self.crops, self.videos, k=3, device=torch.device("cpu"), seed=3, points=self.points).sample(16)
        off = self.sampler([False] * 4).sample(16)
        self.assertIsNone(off.synthetic)
        self.assertIsNone(off.moved)
        self.assertTrue(torch.equal(plain.source_index, off.source_index))
        self.assertTrue(torch.equal(plain.target_index, off.target_index))

    def test_refuses_misaligned_flags_or_missing_landmarks(self):
        with self.assertRaises(ValueError):
            self.sampler([True])
        with self.assertRaises(ValueError):
            EpisodeSampler(self.crops, self.crops, self.videos, k=3, device=torch.device("cpu"), embedder_only=[True] * 4)


if __name__ == "__main__":
    unittest.main()
