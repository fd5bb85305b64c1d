"""Reader for the training sets written by scripts/prepare-training-set.ts.

A set is a folder holding manifest.json and shards (layouts documented in
src/training-data/shard.ts and src/training-data/manifest.ts):

  shard-NNN.bin            per frame: face crop (JPEG) + landmark image (zlib of raw RGB)
  shard-NNN.landmarks.bin  per frame: 478 landmarks (x, y, z) in crop pixels, int16 fixed point

Held-out people (train/split.json) sit in shards of their own, flagged in the manifest, so a
training machine may carry only the training shards (and may leave the landmark files behind).

Only numpy, PIL and the standard library are needed.

    from train.talking_heads.dataset_io import load_training_set
    ts = load_training_set("data/train-128", heldout=False, landmarks=False)
    ts.crops            # uint8 [N, S, S, 3]
    ts.landmark_images  # uint8 [N, S, S, 3], exactly the app's rasterizer output
    for person in ts.people:
        for clip in person.clips:
            clip.frames     # int64 indices into the arrays above
"""
from __future__ import annotations

import io
import json
import os
import struct
import zlib
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

MANIFEST_FORMAT = "talking-heads-training-set"
MANIFEST_VERSION = 1
SHARD_MAGIC = b"THTS"
LANDMARKS_MAGIC = b"THLM"
SHARD_VERSION = 1


@dataclass
class Clip:
    """One video (YouTube Faces clip) or, for CelebA, all of a person's photos."""

    id: str
    frames: np.ndarray  # int64 indices into TrainingSet arrays
    files: list[str]
    outside_fraction: np.ndarray  # float32, black fill per frame
    upscale: np.ndarray  # float32, output pixels per source pixel


@dataclass
class Person:
    source: str
    id: str
    heldout: bool
    clips: list[Clip] = field(default_factory=list)

    @property
    def frames(self) -> np.ndarray:
        return np.concatenate([c.frames for c in self.clips]) if self.clips else np.zeros(0, np.int64)


@dataclass
class TrainingSet:
    size: int
    manifest: dict
    crops: np.ndarray  # uint8 [N, S, S, 3]
    landmark_images: np.ndarray  # uint8 [N, S, S, 3]
    landmarks: np.ndarray | None  # float32 [N, 478, 3] in crop pixels, or None when not loaded
    people: list[Person]

    def __len__(self) -> int:
        return len(self.crops)

    def person(self, source: str, person_id: str) -> Person:
        for p in self.people:
            if p.source == source and p.id == person_id:
                return p
        raise KeyError(f"{source}/{person_id} is not in this set")


def _u32s(data: bytes, offset: int, count: int) -> tuple[int, ...]:
    return struct.unpack_from(f"<{count}I", data, offset)


def read_image_shard(path: str) -> tuple[np.ndarray, np.ndarray]:
    """Crops and landmark images of one shard, each uint8 [N, S, S, 3]."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != SHARD_MAGIC:
        raise ValueError(f"{path}: not an image shard (magic {data[:4]!r})")
    version, count, size = _u32s(data, 4, 3)
    if version != SHARD_VERSION:
        raise ValueError(f"{path}: shard version {version} is not supported")
    crops = np.empty((count, size, size, 3), np.uint8)
    images = np.empty((count, size, size, 3), np.uint8)
    for i in range(count):
        crop_offset, crop_length, image_offset, image_length = _u32s(data, 16 + 16 * i, 4)
        with Image.open(io.BytesIO(data[crop_offset : crop_offset + crop_length])) as jpeg:
            crop = np.asarray(jpeg.convert("RGB"))
        if crop.shape != (size, size, 3):
            raise ValueError(f"{path}: frame {i} crop is {crop.shape}, expected {(size, size, 3)}")
        crops[i] = crop
        rgb = zlib.decompress(data[image_offset : image_offset + image_length])
        images[i] = np.frombuffer(rgb, np.uint8).reshape(size, size, 3)
    return crops, images


def read_landmark_file(path: str) -> np.ndarray:
    """Landmarks of one shard, float32 [N, K, 3] in crop pixels (multiples of 1 / scale)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != LANDMARKS_MAGIC:
        raise ValueError(f"{path}: not a landmark file (magic {data[:4]!r})")
    version, count, landmark_count, scale = _u32s(data, 4, 4)
    if version != SHARD_VERSION:
        raise ValueError(f"{path}: landmark file version {version} is not supported")
    planes = np.frombuffer(zlib.decompress(data[20:]), np.uint8).reshape(2, -1)
    # Byte-planed little-endian int16: low bytes first, then high bytes.
    values = (planes[0].astype(np.uint16) | (planes[1].astype(np.uint16) << 8)).view(np.int16)
    return (values.astype(np.float32) / scale).reshape(count, landmark_count, 3)


def load_manifest(root: str) -> dict:
    with open(os.path.join(root, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    if manifest.get("format") != MANIFEST_FORMAT or manifest.get("version") != MANIFEST_VERSION:
        raise ValueError(f"{root}: not a version-{MANIFEST_VERSION} training set manifest")
    return manifest


def load_training_set(root: str, heldout: bool = True, landmarks: bool = True, training: bool = True) -> TrainingSet:
    """Loads a set into memory; `root` may name several sets of one size, comma-separated (e.g. the
    photo sources' and the talking-head videos': "data/train-64,data/videos-64"), loaded as one.

    heldout: also load the held-out people (their shards must be present).
    training: also load the training people (False: the held-out ones alone, for evaluations).
    landmarks: also load the landmark files; with False, TrainingSet.landmarks is None.
    """
    if "," in root:
        return merge_training_sets([load_training_set(r.strip(), heldout, landmarks, training) for r in root.split(",") if r.strip()])
    manifest = load_manifest(root)
    size = manifest["size"]
    wanted = [i for i, s in enumerate(manifest["shards"]) if (heldout or not s["heldout"]) and (training or s["heldout"])]

    base: dict[int, int] = {}
    crops, images, points = [], [], []
    total = 0
    for index in wanted:
        shard = manifest["shards"][index]
        shard_crops, shard_images = read_image_shard(os.path.join(root, shard["file"]))
        if len(shard_crops) != shard["frames"]:
            raise ValueError(f"{shard['file']}: {len(shard_crops)} frames, manifest says {shard['frames']}")
        crops.append(shard_crops)
        images.append(shard_images)
        if landmarks:
            shard_points = read_landmark_file(os.path.join(root, shard["landmarksFile"]))
            if len(shard_points) != shard["frames"]:
                raise ValueError(f"{shard['landmarksFile']}: {len(shard_points)} frames, manifest says {shard['frames']}")
            points.append(shard_points)
        base[index] = total
        total += shard["frames"]

    people = []
    for entry in manifest["people"]:
        if (entry["heldout"] and not heldout) or (not entry["heldout"] and not training):
            continue
        person = Person(source=entry["source"], id=entry["id"], heldout=entry["heldout"])
        for clip in entry["clips"]:
            start = base[clip["shard"]] + clip["start"]
            person.clips.append(
                Clip(
                    id=clip["id"],
                    frames=np.arange(start, start + clip["count"], dtype=np.int64),
                    files=list(clip["files"]),
                    outside_fraction=np.asarray(clip["outsideFraction"], np.float32),
                    upscale=np.asarray(clip["upscale"], np.float32),
                )
            )
        if person.clips:
            people.append(person)

    empty = np.zeros((0, size, size, 3), np.uint8)
    return TrainingSet(
        size=size,
        manifest=manifest,
        crops=np.concatenate(crops) if crops else empty,
        landmark_images=np.concatenate(images) if images else empty.copy(),
        landmarks=(np.concatenate(points) if points else np.zeros((0, 478, 3), np.float32)) if landmarks else None,
        people=people,
    )


def merge_training_sets(sets: list[TrainingSet]) -> TrainingSet:
    """One set of several: arrays concatenated, each set's frame indices shifted past the ones before;
    the manifest is the first's with `merged` listing every set's (a person may be in one set only)."""
    if not sets:
        raise ValueError("no training set to merge")
    if len({t.size for t in sets}) != 1:
        raise ValueError(f"training sets of different sizes: {[t.size for t in sets]}")
    if len({t.landmarks is None for t in sets}) != 1:
        raise ValueError("merge sets loaded alike: all with landmarks or none")
    seen: set[tuple[str, str]] = set()
    people: list[Person] = []
    offset = 0
    for t in sets:
        for p in t.people:
            if (p.source, p.id) in seen:
                raise ValueError(f"{p.source}/{p.id} is in more than one of the sets")
            seen.add((p.source, p.id))
            people.append(
                Person(p.source, p.id, p.heldout, [Clip(c.id, c.frames + offset, c.files, c.outside_fraction, c.upscale) for c in p.clips])
            )
        offset += len(t)
    return TrainingSet(
        size=sets[0].size,
        manifest={**sets[0].manifest, "merged": [t.manifest for t in sets]},
        crops=np.concatenate([t.crops for t in sets]),
        landmark_images=np.concatenate([t.landmark_images for t in sets]),
        landmarks=None if sets[0].landmarks is None else np.concatenate([t.landmarks for t in sets]),
        people=people,
    )


if __name__ == "__main__":
    import sys
    import time

    started = time.time()
    loaded = load_training_set(sys.argv[1] if len(sys.argv) > 1 else "data/train-128")
    clips = sum(len(p.clips) for p in loaded.people)
    print(
        f"{len(loaded)} frames, {len(loaded.people)} people ({sum(p.heldout for p in loaded.people)} held out), "
        f"{clips} clips, {loaded.size} px, loaded in {time.time() - started:.1f} s"
    )
