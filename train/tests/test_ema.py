"""The moving average of E and G's weights (ema.py, `--ema`): its arithmetic, that it leaves training
alone, and that checkpoints keep it, resume it and hand it to whoever loads with average=True."""
import tempfile
import unittest
from pathlib import Path

import torch
from torch import nn

from train.talking_heads.checkpoint import load_checkpoint, load_networks, save_checkpoint
from train.talking_heads.config import load_preset
from train.talking_heads.ema import WeightAverage
from train.talking_heads.episodes import EpisodeSampler
from train.talking_heads.trainer import MetaTrainer, TrainOptions
from train.tests.test_trainer_smoke import synthetic_videos


class Tiny(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(2, 2)
        self.register_buffer("u", torch.zeros(2))


def make_trainer(ema: float, seed: int = 0) -> MetaTrainer:
    torch.manual_seed(seed)
    crops, lmks, videos = synthetic_videos()
    sampler = EpisodeSampler(crops, lmks, videos, k=3, device=torch.device("cpu"), seed=seed)
    options = TrainOptions(batch=4, k=3, lr_g=2e-3, lr_d=2e-3, l1_weight=10.0, content_weight=0.0, bf16=False, ema=ema)
    return MetaTrainer(load_preset("tiny"), sampler, options)


def flat(net: nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().reshape(-1) for p in net.parameters()])


class WeightAverageTest(unittest.TestCase):
    def test_averages_parameters_and_copies_buffers(self):
        net = Tiny()
        average = WeightAverage({"net": net}, decay=0.75)
        first = net.linear.weight.detach().clone()
        average.update()  # the first step copies
        self.assertTrue(torch.equal(average.shadow["net"]["linear.weight"], first))
        with torch.no_grad():
            net.linear.weight.add_(4.0)
            net.u.fill_(3.0)
        average.update()
        expected = 0.75 * first + 0.25 * (first + 4.0)
        self.assertTrue(torch.allclose(average.shadow["net"]["linear.weight"], expected, atol=1e-6))
        self.assertTrue(torch.equal(average.shadow["net"]["u"], torch.full((2,), 3.0)))
        copy = Tiny()
        average.copy_into({"net": copy})
        self.assertTrue(torch.allclose(copy.linear.weight, expected, atol=1e-6))

    def test_rejects_a_decay_outside_the_open_interval(self):
        for decay in (0.0, 1.0, 1.5):
            with self.assertRaises(ValueError):
                WeightAverage({"net": Tiny()}, decay)


class TrainerAverageTest(unittest.TestCase):
    def test_training_is_unchanged_and_checkpoints_carry_the_average(self):
        plain, averaged = make_trainer(0.0), make_trainer(0.9)
        for _ in range(4):
            plain.train_step()
            averaged.train_step()
        # The average changes nothing in the trained networks.
        self.assertTrue(torch.equal(flat(plain.generator), flat(averaged.generator)))
        self.assertIsNone(plain.ema)
        self.assertNotIn("ema", plain.state_dict())
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "ckpt.pt"
            a = averaged
            save_checkpoint(path, a.config, a.embedder, a.generator, a.discriminator, extra={"trainer": a.state_dict()})
            _, e_avg, g_avg, _, extra_avg = load_checkpoint(path, average=True)
            _, _, g_trained, _, extra_trained = load_networks(path)
            self.assertTrue(extra_avg["averaged"])
            self.assertNotIn("averaged", extra_trained)
            self.assertTrue(torch.equal(flat(g_trained), flat(a.generator)))
            for key, value in g_avg.state_dict().items():
                self.assertTrue(torch.equal(value, a.ema.shadow["generator"][key]), key)
            for key, value in e_avg.state_dict().items():
                self.assertTrue(torch.equal(value, a.ema.shadow["embedder"][key]), key)
            # The average lags the trained weights: it differs from them, and from the first step's.
            self.assertFalse(torch.equal(flat(g_avg), flat(a.generator)))
            self.assertLess(float((flat(g_avg) - flat(a.generator)).abs().max()), float(flat(a.generator).abs().max()))
            # A resumed run continues the same average.
            b = make_trainer(0.9, seed=7)
            _, e, g, d, extra = load_checkpoint(path)
            b.embedder.load_state_dict(e.state_dict())
            b.generator.load_state_dict(g.state_dict())
            b.discriminator.load_state_dict(d.state_dict())
            b.load_state_dict(extra["trainer"])
            torch.manual_seed(5)
            a.train_step()
            torch.manual_seed(5)
            b.train_step()
            for key, value in a.ema.shadow["generator"].items():
                self.assertTrue(torch.allclose(value, b.ema.shadow["generator"][key], atol=1e-6), key)
        # A checkpoint without an average loads its trained weights either way.
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "ckpt.pt"
            p = plain
            save_checkpoint(path, p.config, p.embedder, p.generator, p.discriminator, extra={"trainer": p.state_dict()})
            _, _, g, _, extra = load_checkpoint(path, average=True)
            self.assertNotIn("averaged", extra)
            self.assertTrue(torch.equal(flat(g), flat(p.generator)))


if __name__ == "__main__":
    unittest.main()
