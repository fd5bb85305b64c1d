"""Reader test on the synthetic fixture written by the TypeScript encoder (src/training-data/tiny-fixture.ts).

Run from the repository root: /usr/bin/python3 -m train.tests.run
"""
import hashlib
import json
import os
import shutil
import tempfile
import unittest

import numpy as np

from train.talking_heads.dataset_io import load_training_set, read_image_shard, read_landmark_file

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "tiny-set")


def _expected():
    with open(os.path.join(FIXTURE, "expected.json"), encoding="utf-8") as f:
        return json.load(f)["frames"]


class LoadTrainingSetTest(unittest.TestCase):
    def test_arrays_have_the_documented_shapes_and_types(self):
        ts = load_training_set(FIXTURE)
        self.assertEqual(ts.size, 16)
        self.assertEqual(len(ts), 3)
        self.assertEqual(ts.crops.shape, (3, 16, 16, 3))
        self.assertEqual(ts.crops.dtype, np.uint8)
        self.assertEqual(ts.landmark_images.shape, (3, 16, 16, 3))
        self.assertEqual(ts.landmarks.shape, (3, 478, 3))
        self.assertEqual(ts.landmarks.dtype, np.float32)

    def test_landmark_images_are_bit_identical_to_the_rasterizer_output(self):
        ts = load_training_set(FIXTURE)
        for i, expected in enumerate(_expected()):
            image = ts.landmark_images[i]
            self.assertEqual(hashlib.sha256(image.tobytes()).hexdigest(), expected["landmarkImageRgbSha256"])
            self.assertEqual(int((image.max(axis=-1) > 0).sum()), expected["landmarkImageNonBlackPixels"])

    def test_landmarks_match_to_the_fixed_point_step(self):
        ts = load_training_set(FIXTURE)
        for i, expected in enumerate(_expected()):
            for index, xyz in expected["probes"].items():
                np.testing.assert_allclose(ts.landmarks[i, int(index)], xyz, atol=1 / 32 + 1e-6)

    def test_crops_decode_to_the_encoded_gradient(self):
        ts = load_training_set(FIXTURE)
        crop = ts.crops[0].astype(np.int32)
        # gradient16.jpg: red grows along x, green along y, blue constant 128 (JPEG-rounded).
        self.assertGreater(crop[8, 15, 0] - crop[8, 0, 0], 150)
        self.assertGreater(crop[15, 8, 1] - crop[0, 8, 1], 150)
        self.assertLess(abs(crop[..., 2].mean() - 128), 8)

    def test_people_clips_and_frames_are_indexed_across_shards(self):
        ts = load_training_set(FIXTURE)
        self.assertEqual([(p.source, p.id, p.heldout) for p in ts.people], [("ytf", "Synthetic_Alice", False), ("celeba", "9001", True)])
        alice = ts.person("ytf", "Synthetic_Alice")
        self.assertEqual([c.id for c in alice.clips], ["clip0", "clip3"])
        self.assertEqual([c.frames.tolist() for c in alice.clips], [[0], [1]])
        self.assertEqual(alice.clips[1].files, ["clip3_te1.jpg"])
        self.assertAlmostEqual(float(alice.clips[1].outside_fraction[0]), 0.25)
        # The held-out person's shard comes second, so its frame index is offset by the first shard.
        self.assertEqual(ts.person("celeba", "9001").frames.tolist(), [2])
        with self.assertRaises(KeyError):
            ts.person("ytf", "Nobody")

    def test_training_only_load_needs_neither_heldout_shards_nor_landmark_files(self):
        with tempfile.TemporaryDirectory() as tmp:
            for name in ("manifest.json", "shard-000.bin"):
                shutil.copy(os.path.join(FIXTURE, name), tmp)
            ts = load_training_set(tmp, heldout=False, landmarks=False)
            self.assertEqual(len(ts), 2)
            self.assertIsNone(ts.landmarks)
            self.assertEqual([p.id for p in ts.people], ["Synthetic_Alice"])
            with self.assertRaises(FileNotFoundError):
                load_training_set(tmp)

    def test_heldout_only_load_needs_no_training_shards(self):
        with tempfile.TemporaryDirectory() as tmp:
            for name in os.listdir(FIXTURE):
                if name != "shard-000.bin" and not name.startswith("shard-000."):
                    shutil.copy(os.path.join(FIXTURE, name), tmp)
            ts = load_training_set(tmp, training=False)
            self.assertEqual([p.id for p in ts.people], ["9001"])
            self.assertEqual(len(ts), 1)
            self.assertEqual(ts.person("celeba", "9001").frames.tolist(), [0])
            self.assertEqual(ts.landmarks.shape[0], 1)

    def test_several_sets_load_as_one_with_their_frames_shifted(self):
        with tempfile.TemporaryDirectory() as tmp:
            # A second set: the fixture with its people renamed (a person may be in one set only).
            other = os.path.join(tmp, "videos")
            shutil.copytree(FIXTURE, other)
            with open(os.path.join(other, "manifest.json"), encoding="utf-8") as f:
                manifest = json.load(f)
            for person in manifest["people"]:
                person["source"], person["id"] = "videos", person["id"] + "_video"
            with open(os.path.join(other, "manifest.json"), "w", encoding="utf-8") as f:
                json.dump(manifest, f)
            one = load_training_set(FIXTURE)
            both = load_training_set(f"{FIXTURE},{other}")
            self.assertEqual(len(both), 2 * len(one))
            np.testing.assert_array_equal(both.crops[len(one) :], one.crops)
            np.testing.assert_array_equal(both.landmarks[len(one) :], one.landmarks)
            self.assertEqual([p.id for p in both.people][2:], ["Synthetic_Alice_video", "9001_video"])
            alice = both.person("videos", "Synthetic_Alice_video")
            self.assertEqual([c.frames.tolist() for c in alice.clips], [[3], [4]])
            np.testing.assert_array_equal(both.crops[alice.clips[1].frames[0]], one.crops[1])
            self.assertEqual(len(both.manifest["merged"]), 2)
            with self.assertRaisesRegex(ValueError, "more than one of the sets"):
                load_training_set(f"{FIXTURE},{FIXTURE}")


class LowLevelReadersTest(unittest.TestCase):
    def test_readers_reject_the_wrong_file_kind(self):
        with self.assertRaisesRegex(ValueError, "not an image shard"):
            read_image_shard(os.path.join(FIXTURE, "shard-000.landmarks.bin"))
        with self.assertRaisesRegex(ValueError, "not a landmark file"):
            read_landmark_file(os.path.join(FIXTURE, "shard-000.bin"))


if __name__ == "__main__":
    unittest.main()
