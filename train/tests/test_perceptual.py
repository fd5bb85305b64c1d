"""Unit tests of the PyTorch perceptual networks (train/talking_heads/perceptual.py).

    /usr/bin/python3 -m unittest train.tests.test_perceptual -v

The TF.js parity itself is checked by src/nn/perceptual-parity.test.ts; these tests pin the
pieces that parity depends on against independent NumPy references of the TF semantics, and the
loss's behaviour on the shipped models (skipped when scripts/setup.sh has not fetched them).
"""
from __future__ import annotations

import base64
import json
import math
import tempfile
import unittest
from pathlib import Path

import numpy as np
import torch

from train.talking_heads.graph_convert import build_graph_network
from train.talking_heads.perceptual import (
    CAFFE_BGR_MEAN,
    CONTENT_INPUT_SIZE,
    CONTENT_LOSS_CONFIG,
    PERCEPTUAL_MODELS,
    SETTINGS_PATH,
    ContentLoss,
    missing_perceptual_models,
    preprocess,
    resize_to,
)
from train.talking_heads.tf_modules import TfConv2d, same_padding
from train.talking_heads.tfjs_reader import read_tfjs_model


def tf_conv_reference(x_nhwc: np.ndarray, kernel: np.ndarray, stride: int, padding: str, depthwise: bool) -> np.ndarray:
    """Naive TF conv2d / depthwise_conv2d (NHWC, HWIO or HWIM kernels), float64."""
    n, h, w, cin = x_nhwc.shape
    kh, kw = kernel.shape[:2]
    if padding == "SAME":
        oh, ow = math.ceil(h / stride), math.ceil(w / stride)
        ph = max((oh - 1) * stride + kh - h, 0)
        pw = max((ow - 1) * stride + kw - w, 0)
        top, left = ph // 2, pw // 2
    else:
        oh, ow = (h - kh) // stride + 1, (w - kw) // stride + 1
        top = left = 0
    cout = cin * kernel.shape[3] if depthwise else kernel.shape[3]
    out = np.zeros((n, oh, ow, cout))
    for i in range(oh):
        for j in range(ow):
            for di in range(kh):
                for dj in range(kw):
                    y, xx = i * stride + di - top, j * stride + dj - left
                    if not (0 <= y < h and 0 <= xx < w):
                        continue
                    pixel = x_nhwc[:, y, xx, :]  # [n, cin]
                    if depthwise:
                        # output channel c * multiplier + m
                        out[:, i, j, :] += (pixel[:, :, None] * kernel[di, dj][None]).reshape(n, -1)
                    else:
                        out[:, i, j, :] += pixel @ kernel[di, dj]
    return out


def tf_resize_bilinear_reference(image_hwc: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """tf.image.resizeBilinear(alignCorners=false, halfPixelCenters=true), as tfjs-backend-cpu."""
    h, w, _ = image_hwc.shape
    out = np.zeros((out_h, out_w, image_hwc.shape[2]))
    for r in range(out_h):
        src_r = h / out_h * (r + 0.5) - 0.5
        r0 = max(0, math.floor(src_r))
        r1 = min(h - 1, math.ceil(src_r))
        fr = src_r - r0
        for c in range(out_w):
            src_c = w / out_w * (c + 0.5) - 0.5
            c0 = max(0, math.floor(src_c))
            c1 = min(w - 1, math.ceil(src_c))
            fc = src_c - c0
            top = image_hwc[r0, c0] + (image_hwc[r0, c1] - image_hwc[r0, c0]) * fc
            bottom = image_hwc[r1, c0] + (image_hwc[r1, c1] - image_hwc[r1, c0]) * fc
            out[r, c] = top + (bottom - top) * fr
    return out


def nchw(x_nhwc: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(x_nhwc.transpose(0, 3, 1, 2), dtype=np.float32))


def nhwc(x: torch.Tensor) -> np.ndarray:
    return x.detach().permute(0, 2, 3, 1).numpy()


class TfSemanticsTest(unittest.TestCase):
    def test_same_padding_puts_the_odd_pixel_after(self):
        self.assertEqual(same_padding(224, 3, 2, 1), (0, 1))
        self.assertEqual(same_padding(225, 3, 2, 1), (1, 1))
        self.assertEqual(same_padding(224, 3, 1, 1), (1, 1))
        self.assertEqual(same_padding(10, 4, 1, 1), (1, 2))
        self.assertEqual(same_padding(7, 1, 1, 1), (0, 0))

    def test_convolutions_match_tf_reference(self):
        rng = np.random.RandomState(0)
        for depthwise in (False, True):
            for size, stride, padding in ((8, 2, "SAME"), (7, 2, "SAME"), (6, 1, "SAME"), (7, 2, "VALID")):
                with self.subTest(depthwise=depthwise, size=size, stride=stride, padding=padding):
                    x = rng.randn(2, size, size + 1, 3)
                    # Depthwise multiplier 2 checks the output channel order.
                    kernel = rng.randn(3, 3, 3, 2 if depthwise else 5)
                    expected = tf_conv_reference(x, kernel, stride, padding, depthwise)
                    conv = TfConv2d(kernel, (stride, stride), (1, 1), padding, depthwise)
                    np.testing.assert_allclose(nhwc(conv(nchw(x))), expected, rtol=1e-4, atol=1e-4)

    def test_resize_matches_tf_half_pixel_bilinear(self):
        rng = np.random.RandomState(1)
        for h, w, size in ((9, 7, 4), (3, 5, 8), (256, 256, 224)):
            with self.subTest(h=h, w=w, size=size):
                image = rng.rand(h, w, 3)
                expected = tf_resize_bilinear_reference(image, size, size)
                # torch computes the sampling positions in float32, TF.js in float64.
                np.testing.assert_allclose(nhwc(resize_to(nchw(image[None]), size))[0], expected, atol=1e-4)

    def test_resize_leaves_the_right_size_alone(self):
        x = torch.rand(1, 3, 6, 6)
        self.assertIs(resize_to(x, 6), x)

    def test_caffe_bgr_reverses_channels_and_subtracts_means(self):
        red = torch.tensor([1.0, 0.0, 0.0]).view(1, 3, 1, 1)
        out = preprocess(red, "caffe-bgr").flatten().tolist()
        np.testing.assert_allclose(out, [-CAFFE_BGR_MEAN[0], -CAFFE_BGR_MEAN[1], 255 - CAFFE_BGR_MEAN[2]], rtol=1e-6)
        x = torch.rand(1, 3, 2, 2)
        self.assertIs(preprocess(x, "rgb-unit"), x)


class TfjsFilesTest(unittest.TestCase):
    def test_reads_quantised_weights_across_shards(self):
        uint8 = np.array([0, 1, 255, 128], np.uint8)
        float16 = np.array([1.5, -2.25, 65504.0], np.float16)
        float32 = np.array([[3.25, -1.0]], np.float32)
        int32 = np.array([7, -3], np.int32)
        manifest = [
            {
                "paths": ["a.bin", "b.bin"],
                "weights": [
                    {"name": "u8", "shape": [2, 2], "dtype": "float32", "quantization": {"dtype": "uint8", "min": -0.5, "scale": 0.01}},
                    {"name": "f16", "shape": [3], "dtype": "float32", "quantization": {"dtype": "float16", "original_dtype": "float32"}},
                    {"name": "f32", "shape": [1, 2], "dtype": "float32"},
                    {"name": "i32", "shape": [2], "dtype": "int32"},
                ],
            }
        ]
        data = b"".join([uint8.tobytes(), float16.astype("<f2").tobytes(), float32.astype("<f4").tobytes(), int32.astype("<i4").tobytes()])
        with tempfile.TemporaryDirectory() as tmp:
            # Split mid-weight: TF.js concatenates a group's shards before slicing.
            (Path(tmp) / "a.bin").write_bytes(data[:7])
            (Path(tmp) / "b.bin").write_bytes(data[7:])
            (Path(tmp) / "model.json").write_text(json.dumps({"format": "graph-model", "weightsManifest": manifest}))
            _, weights = read_tfjs_model(Path(tmp))
        np.testing.assert_allclose(weights["u8"], (uint8.astype(np.float64) * 0.01 - 0.5).reshape(2, 2), rtol=1e-7)
        self.assertEqual(weights["u8"].dtype, np.float32)
        np.testing.assert_array_equal(weights["f16"], float16.astype(np.float32))
        np.testing.assert_array_equal(weights["f32"], float32)
        np.testing.assert_array_equal(weights["i32"], int32)

    def test_graph_with_fused_conv_and_clip(self):
        def b64(text: str) -> str:
            return base64.b64encode(text.encode()).decode()

        same = {"s": b64("SAME")}
        model_json = {
            "modelTopology": {
                "node": [
                    {"name": "k", "op": "Const"},
                    {"name": "b", "op": "Const"},
                    {"name": "six", "op": "Const"},
                    {"name": "in", "op": "Placeholder"},
                    {
                        "name": "conv",
                        "op": "_FusedConv2D",
                        "input": ["in", "k", "b"],
                        "attr": {
                            "strides": {"list": {"i": ["1", "2", "2", "1"]}},
                            "padding": same,
                            "fused_ops": {"list": {"s": [b64("BiasAdd"), b64("Relu")]}},
                        },
                    },
                    {"name": "clip", "op": "Minimum", "input": ["conv:0", "six"]},
                    {"name": "unused", "op": "Sigmoid", "input": ["clip"]},
                ]
            }
        }
        rng = np.random.RandomState(2)
        weights = {"k": rng.randn(3, 3, 2, 4).astype(np.float32), "b": rng.randn(4).astype(np.float32), "six": np.array(0.5, np.float32)}
        network = build_graph_network(model_json, weights, ["clip"])
        x = rng.randn(1, 6, 6, 2)
        expected = np.minimum(np.maximum(tf_conv_reference(x, weights["k"], 2, "SAME", False) + weights["b"], 0), 0.5)
        (out,) = network(nchw(x))
        np.testing.assert_allclose(nhwc(out), expected, rtol=1e-4, atol=1e-5)


MODELS_MISSING = missing_perceptual_models()


@unittest.skipIf(MODELS_MISSING is not None, str(MODELS_MISSING))
class ContentLossTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.loss = ContentLoss()
        cls.signed_loss = ContentLoss(input_range="signed")
        generator = torch.Generator().manual_seed(0)
        cls.real = torch.rand(1, 3, 128, 128, generator=generator)
        cls.fake = (cls.real + 0.2 * torch.randn(1, 3, 128, 128, generator=generator)).clamp(0, 1)

    def test_networks_are_frozen_and_cut_at_the_configured_layers(self):
        self.assertEqual([p for p in self.loss.parameters() if p.requires_grad], [])
        features = self.loss.features(self.real)
        shapes = {role: [tuple(t.shape) for t in feats] for role, feats in features.items()}
        # Resized to perceptual.json's contentLoss.inputSize first; the layers sit at 1/2 .. 1/16 of it.
        n = CONTENT_INPUT_SIZE
        self.assertEqual(
            shapes["imagenet"], [(1, 96, n // 2, n // 2), (1, 144, n // 4, n // 4), (1, 192, n // 8, n // 8), (1, 384, n // 16, n // 16)]
        )
        self.assertEqual(
            shapes["face"], [(1, 64, n // 2, n // 2), (1, 128, n // 4, n // 4), (1, 256, n // 8, n // 8), (1, 512, n // 16, n // 16)]
        )
        for role, feats in features.items():
            for layer, t in zip(CONTENT_LOSS_CONFIG[role].layers, feats):
                self.assertGreater(float(t.abs().mean()), 1e-3, f"{role} {layer} is dead")

    def test_input_size_defaults_to_the_shared_setting_and_can_be_overridden(self):
        self.assertEqual(CONTENT_INPUT_SIZE, json.loads(SETTINGS_PATH.read_text())["contentLoss"]["inputSize"])
        self.assertEqual(self.loss.input_size, CONTENT_INPUT_SIZE)
        self.assertEqual({net.input_size for net in self.loss.networks.values()}, {CONTENT_INPUT_SIZE})
        self.assertEqual(self.loss.networks["face"].input(self.real).shape[-1], CONTENT_INPUT_SIZE)
        self.assertEqual({spec.input_size for spec in PERCEPTUAL_MODELS.values()}, {224})
        larger = ContentLoss(input_size=224)
        self.assertEqual(larger.networks["imagenet"].input(self.real).shape[-1], 224)

    def test_loss_is_zero_for_identical_images_and_grows_with_difference(self):
        with torch.no_grad():
            same = float(self.loss(self.real, self.real))
            slightly = float(self.loss((self.real + 0.02).clamp(0, 1), self.real))
            very = float(self.loss(self.fake, self.real))
        self.assertEqual(same, 0.0)
        self.assertGreater(slightly, 0.0)
        self.assertGreater(very, 2 * slightly)

    def test_signed_range_gives_the_same_loss(self):
        with torch.no_grad():
            unit = float(self.loss(self.fake, self.real))
            signed = float(self.signed_loss(self.fake * 2 - 1, self.real * 2 - 1))
        self.assertAlmostEqual(unit, signed, delta=1e-5 * unit)

    def test_gradient_reaches_the_fake_image_only(self):
        fake = self.fake.clone().requires_grad_(True)
        real = self.real.clone().requires_grad_(True)
        self.loss(fake, real).backward()
        self.assertIsNone(real.grad)
        grad = fake.grad
        self.assertTrue(torch.isfinite(grad).all())
        self.assertGreater(float((grad != 0).float().mean()), 0.5)
        # A small step against the gradient lowers the loss.
        with torch.no_grad():
            before = float(self.loss(self.fake, self.real))
            after = float(self.loss(self.fake - 0.01 * grad / grad.abs().max(), self.real))
        self.assertLess(after, before)


if __name__ == "__main__":
    unittest.main()
