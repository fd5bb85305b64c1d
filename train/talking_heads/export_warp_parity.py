"""Writes the warp's parity fixture: real face crops, real MediaPipe landmarks and the PyTorch warp
(warp.py) of them, for src/landmarks/warp-parity.test.ts to compare with the TS twin (warp.ts).

    $PYTHON -m train.talking_heads.export_warp_parity --out DIR [--data ../shared/data] [--sizes 64 256]

The source is ../shared/data/portraits/photo_einstein.jpg with the 478 landmarks the project's own
FaceLandmarker found on it (src/landmarks/__fixtures__/face478.json), cut like src/landmarks/crop.ts
does (side 1.7 × the landmarks' larger extent, centre raised by 0.1 × their height) and resized by
PIL to each size. Targets are derived from the real landmarks: a similarity of the face with the
mouth opened (points below the lips move down, most under the mouth), and another similarity with one
side of the face squeezed as in a head turn.

DIR receives crop_<S>.u8 (the crop, RGB bytes, row-major HWC), warped_<case>_<S>.f32 (torch's warp of
the crop scaled to [-1, 1], HWC float32 little-endian), mask_<case>_<S>.f32 (S × S float32) and
index.json with the landmarks (crop pixels, full float64 precision) and the file names.
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Dict, List, Sequence

import numpy as np
import torch
from PIL import Image

from .config import REPO_ROOT
from .warp import warp

FIXTURE = REPO_ROOT / "src" / "landmarks" / "__fixtures__" / "face478.json"
PORTRAIT = Path("portraits") / "photo_einstein.jpg"
# Mirror of CROP_SIDE_FACTOR and CROP_CENTER_RAISE in src/landmarks/crop.ts.
CROP_SIDE_FACTOR = 1.7
CROP_CENTER_RAISE = 0.1

Points = List[List[float]]


def similarity(points: Points, degrees: float, scale: float, dx: float, dy: float) -> Points:
    """Rotates and scales about the points' centroid, then translates."""
    cx = sum(p[0] for p in points) / len(points)
    cy = sum(p[1] for p in points) / len(points)
    c, s = math.cos(math.radians(degrees)) * scale, math.sin(math.radians(degrees)) * scale
    return [[cx + c * (x - cx) - s * (y - cy) + dx, cy + s * (x - cx) + c * (y - cy) + dy] for x, y in points]


def open_mouth(points: Points, amount: float) -> Points:
    """Every point below the lips' midline (13 upper, 14 lower inner lip) moves down by up to
    amount × the face height (10 forehead to 152 chin), fading out sideways from the mouth."""
    mid_x, mid_y = (points[13][0] + points[14][0]) / 2, (points[13][1] + points[14][1]) / 2
    height = points[152][1] - points[10][1]
    out = []
    for x, y in points:
        below = min(1.0, max(0.0, (y - mid_y) / (0.03 * height) + 0.5))
        falloff = math.exp(-(((x - mid_x) / (0.45 * height)) ** 2))
        out.append([x, y + amount * height * below * falloff])
    return out


def squeeze_side(points: Points, factor: float) -> Points:
    """Squeezes the image-right half of the face towards the nose (landmark 1), as a head turn does."""
    nose_x = points[1][0]
    return [[nose_x + (x - nose_x) * factor if x > nose_x else x, y] for x, y in points]


def crop_box(points: Points) -> Sequence[float]:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    w, h = max(xs) - min(xs), max(ys) - min(ys)
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2 - CROP_CENTER_RAISE * h
    side = CROP_SIDE_FACTOR * max(w, h)
    return cx - side / 2, cy - side / 2, side


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=REPO_ROOT.parent / "shared" / "data")
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 256])
    args = parser.parse_args()

    fixture = json.loads(FIXTURE.read_text(encoding="utf-8"))
    image = Image.open(args.data / PORTRAIT).convert("RGB")
    if image.size != (fixture["width"], fixture["height"]):
        raise SystemExit(f"{PORTRAIT}: {image.size} but {FIXTURE.name} was detected on {fixture['width']}×{fixture['height']}")
    landmarks = [[p["x"], p["y"]] for p in fixture["landmarks"]]
    x0, y0, side = crop_box(landmarks)
    if x0 < 0 or y0 < 0 or x0 + side > image.width or y0 + side > image.height:
        raise SystemExit(f"the face crop ({x0:.1f}, {y0:.1f}, side {side:.1f}) leaves {PORTRAIT}")

    args.out.mkdir(parents=True, exist_ok=True)
    index: Dict[str, object] = {"source": str(PORTRAIT), "landmarks": str(FIXTURE.relative_to(REPO_ROOT)), "sizes": {}, "cases": []}
    for size in args.sizes:
        scale = size / side
        points = [[(x - x0) * scale, (y - y0) * scale] for x, y in landmarks]
        crop = np.asarray(image.resize((size, size), Image.BILINEAR, box=(x0, y0, x0 + side, y0 + side)), dtype=np.uint8)
        crop_file = f"crop_{size}.u8"
        crop.tofile(args.out / crop_file)
        index["sizes"][str(size)] = {"crop": crop_file, "points": points}

        targets = {
            "open_mouth": similarity(open_mouth(points, 0.1), 6.0, 1.05, 0.02 * size, -0.015 * size),
            "turn": similarity(squeeze_side(points, 0.8), -4.0, 0.95, -0.03 * size, 0.01 * size),
        }
        source = torch.from_numpy(crop.astype(np.float32) / 127.5 - 1.0).permute(2, 0, 1)[None].contiguous()
        source_points = torch.tensor(points, dtype=torch.float64)[None]
        for name, target in targets.items():
            warped, mask = warp(source, source_points, torch.tensor(target, dtype=torch.float64)[None])
            warped_file, mask_file = f"warped_{name}_{size}.f32", f"mask_{name}_{size}.f32"
            warped[0].permute(1, 2, 0).contiguous().numpy().astype("<f4").tofile(args.out / warped_file)
            mask[0, 0].numpy().astype("<f4").tofile(args.out / mask_file)
            index["cases"].append({"name": name, "size": size, "target": target, "warped": warped_file, "mask": mask_file})

    (args.out / "index.json").write_text(json.dumps(index), encoding="utf-8")


if __name__ == "__main__":
    main()
