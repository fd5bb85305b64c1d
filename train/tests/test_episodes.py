"""Episode sampling (episodes.py): cross-clip episodes take the target from another clip of the
sources' person, never from another person, and fall back to the own clip for a one-clip person;
colour jitter changes every frame of an episode alike and draws nothing when off."""
from __future__ import annotations

import unittest

import numpy as np
import torch

from train.talking_heads.episodes import EpisodeSampler, jitter_colour


class CrossClipEpisodes(unittest.TestCase):
    def setUp(self):
        self.crops = np.zeros((32, 8, 8, 3), np.uint8)
        self.videos = [list(range(v * 8, v * 8 + 8)) for v in range(4)]  # video v holds frames 8v … 8v + 7
        self.people = ["ann", "ann", "bob", "cid"]  # ann has two clips, bob and cid one each

    def sampler(self, cross_clip, **kw):
        return EpisodeSampler(
            self.crops, self.crops, self.videos, k=3, device=torch.device("cpu"), cross_clip=cross_clip, people=self.people, **kw
        )

    def test_targets_come_from_the_persons_other_clip(self):
        ep = self.sampler(1.0).sample(256)
        source_video, target_video = ep.source_index // 8, ep.target_index // 8
        self.assertTrue((source_video == ep.video.unsqueeze(1)).all())  # sources stay in their clip
        ann = ep.video <= 1
        self.assertTrue(ann.any() and (~ann).any())
        self.assertTrue((target_video[ann] == 1 - ep.video[ann]).all())  # ann's other clip
        self.assertTrue((target_video[~ann] == ep.video[~ann]).all())  # bob, cid: no other clip, their own

    def test_a_fraction_mixes_both_and_zero_is_same_clip(self):
        ep = self.sampler(0.5).sample(512)
        ann = ep.video <= 1
        crossed = (ep.target_index // 8 != ep.video)[ann].float().mean().item()
        self.assertGreater(crossed, 0.35)
        self.assertLess(crossed, 0.65)
        plain = EpisodeSampler(self.crops, self.crops, self.videos, k=3, device=torch.device("cpu")).sample(256)
        self.assertTrue((plain.target_index // 8 == plain.video).all())

    def test_cross_clip_needs_people(self):
        with self.assertRaises(ValueError):
            EpisodeSampler(self.crops, self.crops, self.videos, k=3, device=torch.device("cpu"), cross_clip=0.5)
        with self.assertRaises(ValueError):
            EpisodeSampler(self.crops, self.crops, self.videos, k=3, device=torch.device("cpu"), people=["ann"])


class ColourJitter(unittest.TestCase):
    def setUp(self):
        rng = np.random.default_rng(5)
        self.crops = rng.integers(0, 256, (32, 8, 8, 3), dtype=np.uint8)
        self.marks = rng.integers(0, 256, (32, 8, 8, 3), dtype=np.uint8)
        self.videos = [list(range(v * 8, v * 8 + 8)) for v in range(4)]

    def sampler(self, jitter, seed=3):
        return EpisodeSampler(self.crops, self.marks, self.videos, k=3, device=torch.device("cpu"), seed=seed, colour_jitter=jitter)

    def test_formula_shapes_and_clamp(self):
        colour = torch.tensor([[[2.0, 1.0, 0.5], [0.1, 0.1, 0.1]]])  # gains, offset
        images = torch.tensor([-1.0, 0.0, 0.5]).reshape(1, 3, 1, 1).expand(1, 3, 2, 2)
        out = jitter_colour(images, colour)
        # (x + 1)·gain − 1 + offset: (0·2 − 1 + 0.1, 1·1 − 1 + 0.1, 1.5·0.5 − 1 + 0.1)
        self.assertTrue(torch.allclose(out[0, :, 0, 0], torch.tensor([-0.9, 0.1, -0.15])))
        self.assertEqual(float(jitter_colour(torch.ones(1, 3, 1, 1), colour).max()), 1.0)  # clamped
        stacked = images.unsqueeze(1).expand(1, 4, 3, 2, 2)  # [B, K, 3, S, S]: the same change on every k
        self.assertTrue(torch.equal(jitter_colour(stacked, colour), out.unsqueeze(1).expand(1, 4, 3, 2, 2)))
        self.assertIs(jitter_colour(images, None), images)

    def test_off_draws_nothing_and_on_changes_sources_and_target_alike(self):
        plain, off = self.sampler(0.0).sample(16), self.sampler(0.0).sample(16)
        self.assertIsNone(plain.colour)
        self.assertTrue(torch.equal(plain.frames, off.frames))
        on = self.sampler(0.2).sample(16)
        self.assertEqual(tuple(on.colour.shape), (16, 2, 3))
        gains, offsets = on.colour[:, 0], on.colour[:, 1]
        self.assertTrue(((gains >= 0.8) & (gains <= 1.2)).all() and ((offsets >= -0.2) & (offsets <= 0.2)).all())
        self.assertTrue((offsets == offsets[:, :1]).all())  # one offset per episode, on every channel
        raw = lambda index: torch.from_numpy(self.crops)[index].permute(0, 3, 1, 2).float() / 127.5 - 1  # noqa: E731
        k = on.source_index.shape[1]
        expected = jitter_colour(raw(on.source_index.reshape(-1)).reshape(16, k, 3, 8, 8), on.colour)
        self.assertTrue(torch.allclose(on.frames, expected, atol=1e-6))
        self.assertTrue(torch.allclose(on.target, jitter_colour(raw(on.target_index), on.colour), atol=1e-6))
        self.assertGreater(float((on.target - raw(on.target_index)).abs().max()), 0.01)
        # Landmark images are drawings, not photos: never jittered.
        marks = torch.from_numpy(self.marks)[on.target_index].permute(0, 3, 1, 2).float() / 127.5 - 1
        self.assertTrue(torch.allclose(on.target_landmarks, marks, atol=1e-6))

    def test_refuses_a_jitter_outside_0_1(self):
        for bad in (-0.1, 1.0):
            with self.assertRaises(ValueError):
                self.sampler(bad)


if __name__ == "__main__":
    unittest.main()
