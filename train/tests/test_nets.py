"""Shapes, parameter counts and invariants of the PyTorch twin (train/talking_heads).

Run from the repo root: /usr/bin/python3 -m unittest discover -s train/tests -t .
"""
from __future__ import annotations

import json
import math
import unittest
from dataclasses import replace

import torch
import torch.nn.functional as F

from train.talking_heads.config import CONFIGS_PATH, PRESET_NAMES, load_preset, validate_config
from train.talking_heads.layers import instance_normalize, upsample_nearest2
from train.talking_heads.nets import (
    alpha_border_ramp,
    DELTA_RANGE,
    FLOW_RANGE,
    Discriminator,
    Embedder,
    Generator,
    GeneratorInputs,
    GeneratorOutput,
    build_networks,
    compose,
    generator_input_tensor,
)
from train.talking_heads.plan import (
    BLEND_OUTPUT_CHANNELS,
    FLOW_CHANNELS,
    NETWORK_NAMES,
    adain_slots,
    count_params,
    generator_input_channels,
    generator_plan,
    plan_for,
    psi_size,
    registry_names_and_shapes,
)
from train.talking_heads.spectral_norm import SNConv2d, power_iterate, spectral_modules
from train.talking_heads.warm_start import _adapt
from train.talking_heads.warp import displace, displace_positions, sample
from train.talking_heads.weights_io import load_named_into, network_to_named, networks_to_named

# What `npm run nn:summary -- --config NAME` prints (src/nn/cost.ts countParams).
TS_PARAM_COUNTS = {
    "paper": {"embedder": 14_381_953, "generator": 37_949_477, "discriminator": 19_102_082},
    "default": {"embedder": 2_402_161, "generator": 6_606_869, "discriminator": 3_582_578},
    "tiny": {"embedder": 4_803, "generator": 15_185, "discriminator": 9_460},
    "cpu64": {"embedder": 1_222_001, "generator": 1_952_069, "discriminator": 2_402_418},
    "warp64": {"embedder": 1_222_001, "generator": 1_953_638, "discriminator": 2_402_418},
    "tiny-warp": {"embedder": 4_803, "generator": 15_578, "discriminator": 9_460},
    "warp64s": {"embedder": 1_222_001, "generator": 2_001_862, "discriminator": 2_402_418},
    "tiny-warp-skips": {"embedder": 4_803, "generator": 16_674, "discriminator": 9_460},
    "tiny-warp-flow": {"embedder": 4_803, "generator": 16_820, "discriminator": 9_460},
    "warp64sb": {"embedder": 1_222_001, "generator": 2_001_862, "discriminator": 2_402_418},
    "tiny-warp-border": {"embedder": 4_803, "generator": 16_674, "discriminator": 9_460},
    "warp64sm": {"embedder": 1_222_001, "generator": 2_509_178, "discriminator": 2_402_418},
    "tiny-warp-mouth": {"embedder": 4_803, "generator": 21_682, "discriminator": 9_460},
    "warp64sm48": {"embedder": 1_222_001, "generator": 2_509_178, "discriminator": 2_402_418},
    "warp64sm32": {"embedder": 1_222_001, "generator": 2_509_178, "discriminator": 2_402_418},
    "warp64sm32n": {"embedder": 1_222_001, "generator": 2_135_586, "discriminator": 2_402_418},
    "tiny-warp-mouth-region": {"embedder": 4_803, "generator": 21_682, "discriminator": 9_460},
    "warp64nsm32n": {"embedder": 1_222_001, "generator": 783_682, "discriminator": 2_402_418},
    "tiny-warp-narrow": {"embedder": 4_803, "generator": 10_230, "discriminator": 9_460},
}


def images(batch: int, size: int, seed: int) -> torch.Tensor:
    return torch.rand((batch, 3, size, size), generator=torch.Generator().manual_seed(seed)) * 2 - 1


def trainable_without_w(module: torch.nn.Module) -> int:
    # cost.ts excludes D's per-video matrix W (a property of the data set) and the u buffers.
    return sum(p.numel() for name, p in module.named_parameters() if name != "embedding")


class ParamCountTest(unittest.TestCase):
    def test_plan_counts_equal_the_ts_summary(self) -> None:
        for preset, counts in TS_PARAM_COUNTS.items():
            config = load_preset(preset)
            for network in NETWORK_NAMES:
                self.assertEqual(count_params(config, network), counts[network], f"{preset} {network}")

    def test_module_counts_equal_the_ts_summary_for_paper(self) -> None:
        config = load_preset("paper")
        for network, module in zip(NETWORK_NAMES, build_networks(config, num_videos=7)):
            self.assertEqual(trainable_without_w(module), TS_PARAM_COUNTS["paper"][network], network)
            del module

    def test_paper_is_within_5_percent_of_the_paper_sizes(self) -> None:
        config = load_preset("paper")
        for network, paper_size in zip(NETWORK_NAMES, (15e6, 38e6, 20e6)):
            self.assertLess(abs(count_params(config, network) / paper_size - 1), 0.05, network)

    def test_flow_adds_two_output_channels_to_the_head_and_nothing_else(self) -> None:
        flow, skips = load_preset("tiny-warp-flow"), load_preset("tiny-warp-skips")
        head = generator_plan(flow).blocks[-1]
        self.assertEqual(head.out_channels, BLEND_OUTPUT_CHANNELS + FLOW_CHANNELS)
        self.assertEqual(generator_plan(skips).blocks[-1].out_channels, BLEND_OUTPUT_CHANNELS)
        # A 3×3 kernel and a bias for each of the 2 new output channels.
        extra = 3 * 3 * head.in_channels * FLOW_CHANNELS + FLOW_CHANNELS
        self.assertEqual(count_params(flow, "generator"), count_params(skips, "generator") + extra)
        for network in ("embedder", "discriminator"):
            self.assertEqual(count_params(flow, network), count_params(skips, network), network)
        self.assertEqual(psi_size(generator_plan(flow)), psi_size(generator_plan(skips)))


class NamesTest(unittest.TestCase):
    def test_state_dict_names_and_ts_shapes_equal_the_plan(self) -> None:
        for preset in ("tiny", "default", "tiny-warp", "tiny-warp-skips", "tiny-warp-flow", "tiny-warp-mouth"):
            config = load_preset(preset)
            networks = dict(zip(NETWORK_NAMES, build_networks(config)))
            named = networks_to_named(networks)
            expected = {}
            for network in NETWORK_NAMES:
                expected.update(registry_names_and_shapes(config, plan_for(config, network)))
            self.assertEqual({k: tuple(v.shape) for k, v in named.items()}, expected, preset)

    def test_discriminator_without_videos_has_no_w(self) -> None:
        d = Discriminator(load_preset("tiny"), num_videos=0)
        self.assertNotIn("embedding", dict(d.named_parameters()))
        with self.assertRaises(ValueError):
            d.video_projection([0])


class ShapeTest(unittest.TestCase):
    def check_shapes(self, preset: str, batch: int) -> None:
        config = load_preset(preset)
        size, n = config.resolution, config.embed_dim
        E, G, D = build_networks(config)
        for net in (E, G, D):
            net.eval()
        x, y = images(batch, size, 1), images(batch, size, 2)
        with torch.no_grad():
            e = E(x, y)
            self.assertEqual(tuple(e.shape), (batch, n))
            self.assertTrue(torch.allclose(E.embedding(x, y), e.mean(0)))
            psi = G.psi_from_embedding(e.mean(0))
            self.assertEqual(tuple(psi.shape), (1, psi_size(generator_plan(config))))
            fake = G(psi, GeneratorInputs(y))
            self.assertEqual(tuple(fake.shape), (batch, 3, size, size))
            self.assertLessEqual(float(fake.abs().max()), 1.0)
            out = D(fake, y, D.w0)
            self.assertEqual(tuple(out.realism.shape), (batch,))
            self.assertEqual(tuple(out.v.shape), (batch, n))
            blocks = [b for b in D.plan.blocks if b.kind != "attention"]
            self.assertEqual(len(out.features), len(blocks))
            last = config.resolution // 2**config.discriminator.down_blocks
            self.assertEqual(tuple(out.features[-1].shape), (batch, n, last, last))

    def test_tiny(self) -> None:
        self.check_shapes("tiny", 3)

    def test_default(self) -> None:
        self.check_shapes("default", 1)

    def test_channels_last_gives_the_same_frames(self) -> None:
        config = load_preset("tiny")
        G = Generator(config).eval()
        with torch.no_grad():
            G.get_submodule("attention_up").gamma.fill_(0.7)
            psi = torch.randn(2, G.psi_size, generator=torch.Generator().manual_seed(3))
            y = images(2, config.resolution, 4)
            reference = G(psi, GeneratorInputs(y))
            G_cl = G.to(memory_format=torch.channels_last)
            last = G_cl(psi, GeneratorInputs(y.contiguous(memory_format=torch.channels_last)))
        self.assertTrue(torch.allclose(reference, last, atol=1e-5))

    def test_bfloat16_autocast_runs_and_stays_close(self) -> None:
        config = load_preset("tiny")
        G = Generator(config).eval()
        psi = G.psi_from_embedding(torch.randn(config.embed_dim, generator=torch.Generator().manual_seed(5))).detach()
        y = images(1, config.resolution, 6)
        with torch.no_grad():
            reference = G(psi, GeneratorInputs(y))
            with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
                low = G(psi, GeneratorInputs(y))
        self.assertLess(float((low.float() - reference).abs().max()), 0.1)


class GeneratorTest(unittest.TestCase):
    def test_psi_layout_covers_every_adain_once(self) -> None:
        plan = generator_plan(load_preset("default"))
        slots = adain_slots(plan)
        offsets = [s.offset for s in slots]
        self.assertEqual(offsets, sorted(offsets))
        self.assertEqual(slots[-1].name, "generator/output/norm")
        self.assertEqual(slots[-1].offset + 2 * slots[-1].channels, psi_size(plan))

    def test_each_psi_slice_changes_the_frame(self) -> None:
        config = load_preset("tiny")
        G = Generator(config).eval()
        y = images(1, config.resolution, 7)
        psi = torch.randn(1, G.psi_size, generator=torch.Generator().manual_seed(8))
        with torch.no_grad():
            base = G(psi, GeneratorInputs(y))
            for slot in G.adain_slots.values():
                for start in (slot.offset, slot.offset + slot.channels):  # γ, then β
                    changed = psi.clone()
                    changed[0, start : start + slot.channels] += 0.5
                    self.assertGreater(float((G(changed, GeneratorInputs(y)) - base).abs().max()), 1e-4, f"{slot.name} @ {start}")

    def test_gradients_reach_every_parameter(self) -> None:
        config = load_preset("tiny")
        E, G, D = build_networks(config)
        with torch.no_grad():
            for net in (E, G, D):
                for name, p in net.named_parameters():
                    if name.endswith("gamma") and p.dim() == 0:
                        p.fill_(0.5)  # attention γ = 0 would block q, k, v
        x, y = images(2, config.resolution, 9), images(2, config.resolution, 10)
        fake = G(G.psi_from_embedding(E(x, y).mean(0)), GeneratorInputs(y))
        D(fake, y, D.video_projection([0, 2])).realism.sum().backward()
        for net in (E, G, D):
            for name, p in net.named_parameters():
                self.assertIsNotNone(p.grad, f"{type(net).__name__}.{name}")
                if name.endswith("key.bias"):
                    # q_i·(k_j + b) shifts every logit of row i by q_i·b: softmax_j ignores it.
                    continue
                self.assertGreater(float(p.grad.abs().sum()), 0.0, f"{type(net).__name__}.{name}")


class WarpGeneratorTest(unittest.TestCase):
    """The warp-guided G (tiny-warp): frame = warp + α·Δ, and an untrained G returns the warp."""

    def setUp(self) -> None:
        self.config = load_preset("tiny-warp")
        torch.manual_seed(20)
        self.G = Generator(self.config).eval()
        size = self.config.resolution
        self.inputs = GeneratorInputs(
            images(2, size, 21), images(2, size, 22), torch.rand((2, 1, size, size), generator=torch.Generator().manual_seed(23))
        )
        self.psi = torch.randn(2, self.G.psi_size, generator=torch.Generator().manual_seed(24))

    def randomize_head(self) -> None:
        rng = torch.Generator().manual_seed(25)
        with torch.no_grad():
            self.G.output.conv.kernel.copy_(torch.randn(self.G.output.conv.kernel.shape, generator=rng) * 0.2)
            self.G.output.conv.bias.copy_(torch.randn(self.G.output.conv.bias.shape, generator=rng) * 0.5)

    def test_plan_reads_7_channels_and_has_a_4_channel_zero_head_without_u(self) -> None:
        self.assertEqual(generator_input_channels(self.config), 7)
        self.assertEqual(generator_plan(self.config).input_channels, 7)
        head = generator_plan(self.config).blocks[-1]
        self.assertTrue(head.blend)
        self.assertEqual(head.out_channels, 4)
        state = self.G.state_dict()
        self.assertNotIn("output.conv.kernel_u", state)
        self.assertEqual(float(state["output.conv.kernel"].abs().max()), 0.0)
        self.assertEqual(float(state["output.conv.bias"].abs().max()), 0.0)
        self.assertEqual(tuple(state["down0.conv1.kernel"].shape)[1], 7)

    def test_untrained_output_is_the_warp_exactly_and_alpha_is_sigmoid_of_the_bias(self) -> None:
        size = self.config.resolution
        with torch.no_grad():
            out = self.G.render(self.psi, self.inputs)
        self.assertEqual(tuple(out.frame.shape), (2, 3, size, size))
        self.assertEqual(tuple(out.alpha.shape), (2, 1, size, size))
        self.assertEqual(tuple(out.delta.shape), (2, 3, size, size))
        self.assertTrue(torch.equal(out.frame, self.inputs.warped))
        self.assertEqual(float(out.delta.abs().max()), 0.0)
        # α = σ(alphaBias + alphaMaskGain·(1 − mask)) per pixel: the landmark prior, before any training.
        g = self.config.generator
        expected = torch.sigmoid(g.alpha_bias + g.alpha_mask_gain * (1 - self.inputs.mask))
        self.assertLess(float((out.alpha - expected).abs().max()), 1e-6)
        self.assertGreater(g.alpha_mask_gain, 0)
        self.assertTrue(torch.equal(self.G(self.psi, self.inputs), out.frame))

    def test_blends_the_warp_with_the_head_output(self) -> None:
        self.randomize_head()
        with torch.no_grad():
            out = self.G.render(self.psi, self.inputs)
        self.assertTrue(torch.allclose(out.frame, self.inputs.warped + out.alpha * out.delta, atol=1e-6))
        self.assertGreater(float((out.frame - self.inputs.warped).abs().max()), 1e-3)
        self.assertLessEqual(float(out.delta.abs().max()), DELTA_RANGE)
        self.assertTrue(bool(((out.alpha > 0) & (out.alpha < 1)).all()))

    def test_input_tensor_stacks_landmarks_warp_and_signed_mask(self) -> None:
        x = generator_input_tensor(self.config, self.inputs)
        self.assertEqual(tuple(x.shape[:2]), (2, 7))
        self.assertTrue(torch.equal(x[:, 6:7], self.inputs.mask * 2 - 1))
        self.assertTrue(torch.equal(generator_input_tensor(load_preset("tiny"), self.inputs), self.inputs.landmarks))

    def test_refuses_inputs_without_the_warp(self) -> None:
        with self.assertRaisesRegex(ValueError, "pass warped and mask"):
            self.G(self.psi, GeneratorInputs(self.inputs.landmarks))

    def test_gradients_reach_every_parameter_once_the_head_is_non_zero(self) -> None:
        self.randomize_head()
        with torch.no_grad():
            for name, p in self.G.named_parameters():
                if name.endswith("gamma") and p.dim() == 0:
                    p.fill_(0.5)
        e = torch.randn(self.config.embed_dim, generator=torch.Generator().manual_seed(26))
        self.G.train()
        self.G(self.G.psi_from_embedding(e), self.inputs).square().sum().backward()
        for name, p in self.G.named_parameters():
            self.assertIsNotNone(p.grad, name)
            if not name.endswith("key.bias"):
                self.assertGreater(float(p.grad.abs().sum()), 0.0, name)


class EncoderSkipsTest(unittest.TestCase):
    """generator.encoderSkips (tiny-warp-skips): zero laterals leave G as it was; non-zero ones add the
    encoder's activation at each up block's output size."""

    def test_laterals_start_as_no_ops_and_then_change_the_frame(self) -> None:
        skips, plain = load_preset("tiny-warp-skips"), load_preset("tiny-warp")
        torch.manual_seed(30)
        g_plain = Generator(plain).eval()
        g_skips = Generator(skips).eval()
        up = [b for b in generator_plan(skips).blocks if b.kind == "up"]
        # The last up block reads the raw 7-channel input; the one before, the attention at 8 px.
        self.assertEqual([b.lateral_channels for b in up], [8, 7])
        rng = torch.Generator().manual_seed(31)
        with torch.no_grad():
            g_plain.output.conv.kernel.copy_(torch.randn(g_plain.output.conv.kernel.shape, generator=rng) * 0.2)
        missing = g_skips.load_state_dict(g_plain.state_dict(), strict=False).missing_keys
        self.assertEqual(sorted(missing), ["up0.lateral.bias", "up0.lateral.kernel", "up1.lateral.bias", "up1.lateral.kernel"])
        size = skips.resolution
        inputs = GeneratorInputs(images(2, size, 32), images(2, size, 33), torch.rand((2, 1, size, size), generator=rng))
        psi = torch.randn(2, g_plain.psi_size, generator=rng)
        with torch.no_grad():
            self.assertTrue(torch.equal(g_skips(psi, inputs), g_plain(psi, inputs)))
            g_skips.up1.lateral.kernel.copy_(torch.randn(g_skips.up1.lateral.kernel.shape, generator=rng) * 0.2)
            self.assertGreater(float((g_skips(psi, inputs) - g_plain(psi, inputs)).abs().max()), 1e-3)

    def test_config_refuses_skips_without_the_warp(self) -> None:
        raw = json.loads(CONFIGS_PATH.read_text(encoding="utf-8"))["tiny"]
        raw["generator"]["encoderSkips"] = True
        with self.assertRaisesRegex(ValueError, "encoderSkips needs generator.input"):
            validate_config({**raw, "name": "t"})


class AlphaBorderTest(unittest.TestCase):
    """generator.alpha_border (tiny-warp-border): α times a fixed ramp that is 0 at the crop's edge; no
    weights of its own, so it loads tiny-warp-skips weights and agrees with it away from the edge."""

    def test_ramp_values(self) -> None:
        axis = torch.tensor([0.25, 0.75, 1, 1, 1, 1, 0.75, 0.25])
        self.assertTrue(torch.allclose(alpha_border_ramp(8, 2)[0, 0], axis[:, None] * axis[None, :]))
        self.assertTrue(torch.equal(alpha_border_ramp(4, 0), torch.ones(1, 1, 4, 4)))

    def test_alpha_is_the_skips_generators_times_the_ramp(self) -> None:
        border, skips = load_preset("tiny-warp-border"), load_preset("tiny-warp-skips")
        self.assertEqual(border.generator, replace(skips.generator, alpha_border=2))
        self.assertEqual(validate_config(border.to_json()), border)
        self.assertNotIn("alphaBorder", skips.to_json()["generator"])  # present only when above 0
        torch.manual_seed(60)
        g_skips = Generator(skips).eval()
        g_border = Generator(border).eval()
        with torch.no_grad():
            g_skips.output.conv.kernel.normal_(0, 0.2)
            g_skips.output.conv.bias.normal_(0, 0.5)
        g_border.load_state_dict(g_skips.state_dict())
        size, width = border.resolution, border.generator.alpha_border
        inputs = warp_inputs(2, size, 61)
        psi = torch.randn(2, g_skips.psi_size, generator=torch.Generator().manual_seed(62))
        with torch.no_grad():
            a, b = g_border.render(psi, inputs), g_skips.render(psi, inputs)
        self.assertTrue(torch.allclose(a.alpha, b.alpha * alpha_border_ramp(size, width), atol=1e-6))
        self.assertTrue(torch.allclose(a.frame, inputs.warped + a.alpha * a.delta, atol=1e-6))
        inner = (slice(None), slice(None), slice(width, size - width), slice(width, size - width))
        self.assertTrue(torch.allclose(a.frame[inner], b.frame[inner], atol=1e-6))
        self.assertGreater(float((a.frame - b.frame).abs().max()), 1e-3)  # the border changed something

    def test_validation(self) -> None:
        raw = json.loads(CONFIGS_PATH.read_text(encoding="utf-8"))["tiny"]
        raw["generator"]["alphaBorder"] = 2
        with self.assertRaisesRegex(ValueError, "alphaBorder needs generator.input landmarks\\+warp"):
            validate_config({**raw, "name": "t"})
        warp = load_preset("tiny-warp").to_json()
        for value in (-1, 1.5, "2", True, None):
            warp["generator"]["alphaBorder"] = value
            with self.assertRaisesRegex(ValueError, "generator.alphaBorder must be an integer ≥ 0"):
                validate_config(warp)
        warp["generator"]["alphaBorder"] = 0
        self.assertEqual(validate_config(warp).generator.alpha_border, 0)


def warp_inputs(batch: int, size: int, seed: int) -> GeneratorInputs:
    rng = torch.Generator().manual_seed(seed)
    return GeneratorInputs(images(batch, size, seed + 1), images(batch, size, seed + 2), torch.rand((batch, 1, size, size), generator=rng))


class LearnedFlowTest(unittest.TestCase):
    """generator.flow (tiny-warp-flow): a zero flow head leaves G as tiny-warp-skips; a flow of one
    pixel resamples the warp one pixel over (edge-clamped); compose upsamples α, Δ and the flow to a
    larger warp."""

    def test_a_zero_flow_head_renders_what_the_skips_generator_renders(self) -> None:
        skips, flow = load_preset("tiny-warp-skips"), load_preset("tiny-warp-flow")
        torch.manual_seed(40)
        g_skips = Generator(skips).eval()
        g_flow = Generator(flow).eval()
        self.assertEqual(float(g_flow.output.conv.kernel.detach().abs().max()), 0.0)  # zero-initialised
        self.assertEqual(float(g_flow.output.conv.bias.detach().abs().max()), 0.0)
        rng = torch.Generator().manual_seed(41)
        with torch.no_grad():  # a trained-looking skips G: non-zero head and laterals
            for p in (g_skips.output.conv.kernel, g_skips.up0.lateral.kernel, g_skips.up1.lateral.kernel):
                p.copy_(torch.randn(p.shape, generator=rng) * 0.2)
            g_skips.output.conv.bias.copy_(torch.randn(g_skips.output.conv.bias.shape, generator=rng) * 0.5)
        # The warm start's copy: every tensor through _adapt, the head's 2 new output channels zero-filled.
        old = network_to_named("generator", g_skips)
        new = network_to_named("generator", g_flow)
        self.assertEqual(set(old), set(new))
        fitted = {name: _adapt(name, old[name], target.shape) for name, target in new.items()}
        self.assertEqual([name for name, value in fitted.items() if value is None], [])
        load_named_into("generator", g_flow, fitted, strict=True)
        kernel, bias = g_flow.output.conv.kernel.detach(), g_flow.output.conv.bias.detach()
        self.assertTrue(torch.equal(kernel[:4], g_skips.output.conv.kernel.detach()))
        self.assertTrue(torch.equal(bias[:4], g_skips.output.conv.bias.detach()))
        self.assertEqual(float(kernel[4:].abs().max()), 0.0)
        self.assertEqual(float(bias[4:].abs().max()), 0.0)

        size = flow.resolution
        inputs = warp_inputs(2, size, 42)
        psi = torch.randn(2, g_flow.psi_size, generator=rng)
        with torch.no_grad():
            a, b = g_skips.render(psi, inputs), g_flow.render(psi, inputs)
        self.assertIsNone(a.flow)
        self.assertEqual(tuple(b.flow.shape), (2, 2, size, size))
        self.assertEqual(float(b.flow.abs().max()), 0.0)
        self.assertTrue(torch.equal(b.frame, a.frame))
        self.assertTrue(torch.equal(b.alpha, a.alpha))
        self.assertTrue(torch.equal(b.delta, a.delta))
        self.assertGreater(float((b.frame - inputs.warped).abs().max()), 1e-3)  # the head does act

    def test_a_flow_of_one_pixel_resamples_the_warp_one_pixel_over(self) -> None:
        # At tiny's 16 px one pixel (1/16 of the crop) is beyond FLOW_RANGE = 1/20: the same net at 32 px.
        raw = load_preset("tiny-warp-flow").to_json()
        raw["resolution"] = 32
        config = validate_config(raw)
        size = config.resolution
        self.assertLess(1 / size, FLOW_RANGE)
        torch.manual_seed(43)
        G = Generator(config).eval()
        with torch.no_grad():
            G.output.conv.bias[3] = 4.0  # α above ½ (alphaBias −3): only Δ = 0 removes its contribution
            G.output.conv.bias[4] = math.atanh((1 / size) / FLOW_RANGE)  # flow x = +1/S crop units
        inputs = warp_inputs(2, size, 44)
        psi = torch.randn(2, G.psi_size, generator=torch.Generator().manual_seed(45))
        with torch.no_grad():
            out = G.render(psi, inputs)
        self.assertEqual(float(out.delta.abs().max()), 0.0)
        self.assertGreater(float(out.alpha.min()), 0.5)
        self.assertLess(float((out.flow[:, 0] - 1 / size).abs().max()), 1e-7)
        self.assertEqual(float(out.flow[:, 1].abs().max()), 0.0)
        warped = inputs.warped
        self.assertLess(float((out.frame[..., :, :-1] - warped[..., :, 1:]).abs().max()), 1e-5)
        self.assertLess(float((out.frame[..., :, -1] - warped[..., :, -1]).abs().max()), 1e-5)  # edge-clamped
        self.assertGreater(float((out.frame - warped).abs().max()), 0.1)
        self.assertTrue(torch.equal(compose(warped, out), out.frame))  # at G's size compose is render's frame

    def test_gradients_reach_the_flow_channels(self) -> None:
        config = load_preset("tiny-warp-flow")
        G = Generator(config).train()
        with torch.no_grad():
            G.output.conv.bias[4:].fill_(0.3)
        inputs = warp_inputs(2, config.resolution, 46)
        psi = torch.randn(2, G.psi_size, generator=torch.Generator().manual_seed(47))
        G(psi, inputs).square().sum().backward()
        grad = G.output.conv.bias.grad
        self.assertTrue(bool(torch.isfinite(grad).all()))
        self.assertGreater(float(grad[4].abs()), 0.0)
        self.assertGreater(float(grad[5].abs()), 0.0)


class ComposeTest(unittest.TestCase):
    """compose(warped, out[, source, position]): the warp moved by the flow (resampled, or given its
    source and positions, sampled once at the moved positions), plus α·Δ, G's outputs upsampled
    bilinearly (half-pixel centres) to the warp's size."""

    def setUp(self) -> None:
        rng = torch.Generator().manual_seed(50)
        self.small, self.large = 16, 32
        s = self.small
        self.alpha = torch.rand((2, 1, s, s), generator=rng)
        self.delta = (torch.rand((2, 3, s, s), generator=rng) * 2 - 1) * DELTA_RANGE
        self.flow = (torch.rand((2, 2, s, s), generator=rng) * 2 - 1) * FLOW_RANGE
        self.warped = images(2, self.large, 51)

    def up(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, size=(self.large, self.large), mode="bilinear", align_corners=False)

    def test_a_larger_warp_gets_the_upsampled_flow_alpha_and_delta(self) -> None:
        out = GeneratorOutput(self.warped, self.alpha, self.delta, self.flow)
        expected = displace(self.warped, self.up(self.flow)) + self.up(self.alpha) * self.up(self.delta)
        self.assertEqual(tuple(compose(self.warped, out).shape), (2, 3, self.large, self.large))
        self.assertLess(float((compose(self.warped, out) - expected).abs().max()), 1e-6)
        plain = GeneratorOutput(self.warped, self.alpha, self.delta)
        self.assertIsNone(plain.flow)
        expected_plain = self.warped + self.up(self.alpha) * self.up(self.delta)
        self.assertLess(float((compose(self.warped, plain) - expected_plain).abs().max()), 1e-6)
        self.assertGreater(float((compose(self.warped, out) - compose(self.warped, plain)).abs().max()), 1e-2)

    def test_at_g_size_nothing_is_resized(self) -> None:
        warped = images(2, self.small, 52)
        out = GeneratorOutput(warped, self.alpha, self.delta, self.flow)
        expected = displace(warped, self.flow) + self.alpha * self.delta
        self.assertTrue(torch.equal(compose(warped, out), expected))

    def test_the_flow_is_in_crop_units_whatever_the_warp_size(self) -> None:
        # 1/32 of the crop: half a pixel of G's 16 px, one pixel of the 32 px warp.
        flow = torch.zeros(2, 2, self.small, self.small)
        flow[:, 0] = 1 / self.large
        out = GeneratorOutput(self.warped, self.alpha, torch.zeros_like(self.delta), flow)
        frame = compose(self.warped, out)
        self.assertLess(float((frame[..., :, :-1] - self.warped[..., :, 1:]).abs().max()), 1e-5)
        self.assertLess(float((frame[..., :, -1] - self.warped[..., :, -1]).abs().max()), 1e-5)

    def test_given_the_source_and_positions_the_source_is_sampled_once(self) -> None:
        # The display frame: the warp's positions moved by the flow, the source sampled there once.
        size = self.large
        source = images(2, size, 53)
        centres = torch.arange(size, dtype=torch.float64) + 0.5
        py, px = torch.meshgrid(centres, centres, indexing="ij")
        position = torch.stack([px + 2 * torch.sin(py * 0.2), py + 1.5 * torch.cos(px * 0.15)], dim=-1)[None].expand(2, -1, -1, -1)
        warped = sample(source, position)
        out = GeneratorOutput(warped, self.alpha, self.delta, self.flow)
        once = compose(warped, out, source, position)
        expected = sample(source, displace_positions(position, self.up(self.flow))) + self.up(self.alpha) * self.up(self.delta)
        self.assertLess(float((once - expected).abs().max()), 1e-6)
        # Not the warp resampled (which blurs): the two differ, and without a flow both are warp + α·Δ.
        self.assertGreater(float((once - compose(warped, out)).abs().max()), 1e-3)
        plain = GeneratorOutput(warped, self.alpha, self.delta)
        self.assertLess(float((compose(warped, plain, source, position) - compose(warped, plain)).abs().max()), 1e-6)
        # A zero flow samples exactly the warp's positions.
        zero = GeneratorOutput(warped, self.alpha, self.delta, torch.zeros_like(self.flow))
        self.assertLess(float((compose(warped, zero, source, position) - compose(warped, plain)).abs().max()), 1e-5)


class SpectralNormTest(unittest.TestCase):
    def test_sigma_converges_to_the_largest_singular_value(self) -> None:
        torch.manual_seed(11)
        conv = SNConv2d(5, 7, 3).train()
        for _ in range(200):
            power_iterate(conv)
        largest = torch.linalg.matrix_norm(conv.kernel.detach().reshape(7, -1).double(), ord=2)
        self.assertAlmostEqual(float(conv.sigma()), float(largest), places=4)
        normalized = conv.normalized_kernel().detach().reshape(7, -1).double()
        self.assertAlmostEqual(float(torch.linalg.matrix_norm(normalized, ord=2)), 1.0, places=4)

    def test_forward_never_moves_u_and_eval_refuses_power_iteration(self) -> None:
        config = load_preset("tiny")
        E = Embedder(config).train()
        before = [m.kernel_u.clone() for m in spectral_modules(E)]
        E(images(1, config.resolution, 12), images(1, config.resolution, 13))
        for u0, m in zip(before, spectral_modules(E)):
            self.assertTrue(torch.equal(u0, m.kernel_u))
        E.eval()
        with self.assertRaises(RuntimeError):
            power_iterate(E)

    def test_sigma_gradient_matches_torch_spectral_norm(self) -> None:
        # With the same u, torch's σ = uᵀWv (u, v constant) has the gradient of our σ = ‖Wᵀu‖.
        torch.manual_seed(14)
        conv = SNConv2d(4, 6, 3)
        x = torch.randn(2, 4, 5, 5)
        conv(x).square().sum().backward()
        ours = conv.kernel.grad.clone()

        reference = torch.nn.Conv2d(4, 6, 3, padding=1)
        with torch.no_grad():
            reference.weight.copy_(conv.kernel)
            reference.bias.copy_(conv.bias)
        reference = torch.nn.utils.spectral_norm(reference, n_power_iterations=1)
        matrix = conv.kernel.detach().reshape(6, -1)
        with torch.no_grad():
            reference.weight_u.copy_(conv.kernel_u)
            v = matrix.t() @ conv.kernel_u
            reference.weight_v.copy_(v / v.norm())
        reference.eval()  # eval: no power iteration, uses the stored u, v
        reference(x).square().sum().backward()
        self.assertTrue(torch.allclose(ours, reference.weight_orig.grad, rtol=1e-4, atol=1e-6))


class OpsTest(unittest.TestCase):
    def test_instance_norm_matches_torch(self) -> None:
        x = torch.randn(2, 3, 6, 6) * 3 + 1
        self.assertTrue(torch.allclose(instance_normalize(x), torch.nn.functional.instance_norm(x, eps=1e-5), atol=1e-5))

    def test_upsampling_repeats_each_pixel_into_a_2x2_block(self) -> None:
        x = torch.arange(4.0).reshape(1, 1, 2, 2)
        expected = torch.tensor([[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]], dtype=torch.float32)
        self.assertTrue(torch.equal(upsample_nearest2(x)[0, 0], expected))


class ConfigTest(unittest.TestCase):
    def test_presets_load(self) -> None:
        for preset in PRESET_NAMES:
            self.assertEqual(load_preset(preset).name, preset)

    def test_preset_names_are_the_keys_of_configs_json(self) -> None:
        with open(CONFIGS_PATH, encoding="utf-8") as f:
            self.assertEqual(list(PRESET_NAMES), list(json.load(f)))
        for preset in ("cpu64", "warp64", "tiny-warp"):
            self.assertIn(preset, PRESET_NAMES)
        self.assertTrue(load_preset("warp64").generator.uses_warp)
        self.assertEqual(load_preset("tiny-warp").generator.alpha_bias, -3.0)
        self.assertFalse(load_preset("tiny").generator.uses_warp)

    def test_generator_input_and_alpha_bias_are_validated_with_the_ts_messages(self) -> None:
        raw = load_preset("tiny").to_json()
        raw["generator"]["input"] = "warp"
        with self.assertRaisesRegex(ValueError, "generator.input must be one of landmarks, landmarks\\+warp"):
            validate_config(raw)
        raw["generator"]["input"] = "landmarks+warp"
        for bias in (None, float("nan"), float("inf"), "-3", True):
            raw["generator"]["alphaBias"] = bias
            with self.assertRaisesRegex(ValueError, "generator.alphaBias must be a finite number when generator.input is landmarks\\+warp"):
                validate_config(raw)
        raw["generator"]["alphaBias"] = -2
        self.assertEqual(validate_config(raw).generator.alpha_bias, -2.0)
        warp = load_preset("tiny-warp")
        self.assertEqual(validate_config(warp.to_json()), warp)

    def test_flow_presets_and_validation(self) -> None:
        for preset in ("warp64sf", "tiny-warp-flow"):
            config = load_preset(preset)
            self.assertTrue(config.generator.flow, preset)
            self.assertTrue(config.generator.encoder_skips, preset)
            self.assertEqual(config.generator.input, "landmarks+warp", preset)
            self.assertEqual(config.to_json()["generator"]["flow"], True, preset)
            self.assertEqual(validate_config(config.to_json()), config, preset)
        for preset in ("tiny", "tiny-warp", "tiny-warp-skips", "warp64s"):
            config = load_preset(preset)
            self.assertFalse(config.generator.flow, preset)
            self.assertNotIn("flow", config.to_json()["generator"], preset)  # present only when true
            self.assertEqual(validate_config(config.to_json()), config, preset)
        # warp64sf is warp64s plus the flow.
        self.assertEqual(load_preset("warp64sf").generator, replace(load_preset("warp64s").generator, flow=True))

        raw = json.loads(CONFIGS_PATH.read_text(encoding="utf-8"))["tiny"]
        raw["generator"]["flow"] = True
        with self.assertRaisesRegex(ValueError, "generator.flow needs generator.input landmarks\\+warp"):
            validate_config({**raw, "name": "t"})
        raw["generator"]["flow"] = False
        self.assertFalse(validate_config({**raw, "name": "t"}).generator.flow)
        warp = load_preset("tiny-warp-flow").to_json()
        for value in (1, 0, "true", None, [True]):
            warp["generator"]["flow"] = value
            with self.assertRaisesRegex(ValueError, "generator.flow must be true or false"):
                validate_config(warp)
        del warp["generator"]["flow"]
        self.assertFalse(validate_config(warp).generator.flow)  # absent: false

    def test_unknown_preset_is_named(self) -> None:
        with self.assertRaisesRegex(ValueError, 'Unknown network preset "huge"'):
            load_preset("huge")

    def test_validation_reports_every_problem(self) -> None:
        raw = load_preset("tiny").to_json()
        raw["embedDim"] = 32
        raw["resolution"] = 18
        raw["generator"]["attentionAfterUpBlock"] = 5
        with self.assertRaises(ValueError) as caught:
            validate_config(raw)
        message = str(caught.exception)
        self.assertIn("generator.attentionAfterUpBlock must be null or a block index in [0, 2)", message)
        raw["generator"]["attentionAfterUpBlock"] = 0
        with self.assertRaises(ValueError) as caught:
            validate_config(raw)
        message = str(caught.exception)
        self.assertIn("resolution 18 is not divisible by 2^embedder.downBlocks", message)
        self.assertIn("embedDim 32 differs from the embedder's last channels 16", message)

    def test_round_trip_through_json(self) -> None:
        config = load_preset("default")
        self.assertEqual(validate_config(config.to_json()), config)
        self.assertEqual(config.with_num_videos(12).discriminator.num_videos, 12)


if __name__ == "__main__":
    unittest.main()
