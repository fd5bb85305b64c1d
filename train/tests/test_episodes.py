"""Episode sampling (episodes.py): cross-clip episodes take the target from another clip of the
sources' person, never from another person, and fall back to the own clip for a one-clip person."""
from __future__ import annotations

import unittest

import numpy as np
import torch

from train.talking_heads.episodes import EpisodeSampler


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


if __name__ == "__main__":
    unittest.main()
