"""The warp of warp-guided avatars, batched in PyTorch: the twin of src/landmarks/warp.ts.

A source frame is warped so that its landmarks land on the target's, one affine map per triangle of
a fixed mesh (src/landmarks/warp-mesh.json). Definition (both twins, crop pixels, pixel (i, j)
centred on (i + 0.5, j + 0.5), only x and y of each landmark):

1. Control points of a frame of side S: its 478 landmarks; the ring = the mesh's ring template
   (crop units × S) moved by the least-squares similarity (scale, rotation, translation; no
   reflection) that takes the canonical face (× S) onto the frame's landmarks; the 8 border anchors
   (× S), which are the same in every frame.
2. For each output pixel centre p, each mesh triangle t with target vertices a, b, c and signed
   double area d = (b − a) × (c − a) gives barycentric weights
   wa = ((b − p) × (c − p)) / d, wb = ((c − p) × (a − p)) / d, wc = 1 − wa − wb
   (triangles with |d| < 2e-9 are skipped). The pixel takes the triangle with the largest
   min(wa, wb, wc), the first one on ties; that is the triangle containing p, or where triangles
   overlap (a fold) the one p is deepest in. If the largest is below −1e-6 (p lies in no triangle),
   the source position is p itself and the mask is 0.
3. The source position is wa·A + wb·B + wc·C (source vertices); the colour is a bilinear sample
   there, coordinates clamped to the source's edge pixels (grid_sample, align_corners=False,
   padding_mode="border").
4. The mask is the triangle's area ratio min(|dS|, |dT|) / max(|dS|, |dT|) when source and target
   triangles have the same orientation, else 0: 1 where the warp moved pixels rigidly, towards 0
   where it stretched, squeezed or folded them (an opening mouth, closing eyes, a turning head).

Which source: `nearest_source` picks, per target, the source whose landmarks a similarity maps
closest onto the target's (mean squared residual over the 478 points, relative to the target's
spread), as the app does for an avatar of several photos.

Geometry runs in float64 (as the TS does in JS numbers); sampling in float32.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Dict, NamedTuple, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from .config import REPO_ROOT

MESH_PATH = REPO_ROOT / "src" / "landmarks" / "warp-mesh.json"
NUM_LANDMARKS = 478
DEGENERATE_DOUBLE_AREA = 2e-9
OUTSIDE_SCORE = -1e-6
# Crop units, mirror of BORDER_ANCHORS in src/landmarks/warp-mesh.ts.
BORDER_ANCHORS = ((0, 0), (0.5, 0), (1, 0), (1, 0.5), (1, 1), (0.5, 1), (0, 1), (0, 0.5))
# Pixels per chunk of the brute-force triangle search (bounds memory at B × triangles × chunk floats).
PIXEL_CHUNK = 1024
# The tiled search: pixels in TILE × TILE blocks, triangles' bounding boxes padded by TILE_MARGIN px.
TILE = 8
TILE_MARGIN = 1e-3


class WarpMesh:
    def __init__(self, path: Path = MESH_PATH) -> None:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
        self.canonical = torch.tensor(raw["canonical"], dtype=torch.float64)  # [478, 2]
        self.ring = torch.tensor(raw["ring"], dtype=torch.float64)  # [R, 2]
        self.triangles = torch.tensor(raw["triangles"], dtype=torch.long)  # [T, 3]
        if self.canonical.shape != (NUM_LANDMARKS, 2) or self.triangles.numel() == 0:
            raise ValueError(f"{path}: not a warp mesh (run scripts/make-warp-mesh.ts)")
        self.anchors = torch.tensor(BORDER_ANCHORS, dtype=torch.float64)


@lru_cache(maxsize=1)
def load_mesh() -> WarpMesh:
    return WarpMesh()


def similarity_fit(src: Tensor, dst: Tensor) -> Tuple[Tensor, Tensor]:
    """Least-squares similarity dst ≈ src·Aᵀ + t for point sets [B, N, 2]: A [B, 2, 2] = s·R, t [B, 2]."""
    ms, md = src.mean(dim=1, keepdim=True), dst.mean(dim=1, keepdim=True)
    s, d = src - ms, dst - md
    norm = (s * s).sum(dim=(1, 2)).clamp_min(1e-12)
    a = (s[..., 0] * d[..., 0] + s[..., 1] * d[..., 1]).sum(dim=1) / norm
    b = (s[..., 0] * d[..., 1] - s[..., 1] * d[..., 0]).sum(dim=1) / norm
    A = torch.stack([torch.stack([a, -b], dim=-1), torch.stack([b, a], dim=-1)], dim=1)
    t = md[:, 0] - torch.einsum("bij,bj->bi", A, ms[:, 0])
    return A, t


def control_points(landmarks: Tensor, size: int, mesh: WarpMesh) -> Tensor:
    """[B, 478 (+z), ≥2] landmarks in crop pixels → [B, 478 + R + 8, 2] control points (float64)."""
    points = landmarks[..., :2].to(torch.float64)
    b = points.shape[0]
    canonical = mesh.canonical.to(points.device).unsqueeze(0).expand(b, -1, -1) * size
    A, t = similarity_fit(canonical, points)
    ring = torch.einsum("bij,rj->bri", A, mesh.ring.to(points.device) * size) + t[:, None]
    anchors = (mesh.anchors.to(points.device) * size).unsqueeze(0).expand(b, -1, -1)
    return torch.cat([points, ring, anchors], dim=1)


def _cross(ax: Tensor, ay: Tensor, bx: Tensor, by: Tensor) -> Tensor:
    return ax * by - ay * bx


class TargetAssignment(NamedTuple):
    """What a warp needs from the target alone: per pixel the winning triangle and its barycentric
    weights wa, wb (wc = 1 − wa − wb), and whether the pixel lies in any triangle. It does not depend
    on the source, so a trainer can cache it per target frame (the search is most of a warp's cost)."""

    triangle: Tensor  # [B, P] long
    wa: Tensor  # [B, P] float64
    wb: Tensor  # [B, P] float64
    inside: Tensor  # [B, P] bool
    target_double_area: Tensor  # [B, T] float64, signed (0 where degenerate)


def target_assignment(target_points: Tensor, size: int, mesh: WarpMesh | None = None) -> TargetAssignment:
    """The pixel → triangle search of the warp for targets [B, 478, ≥2] (crop pixels) of side `size`."""
    mesh = mesh or load_mesh()
    device = target_points.device
    dst = control_points(target_points, size, mesh)
    tri = mesh.triangles.to(device)
    b = dst.shape[0]
    tv = dst[:, tri]  # [B, T, 3, 2]
    ax, ay, bx, by, cx, cy = (tv[:, :, i, j] for i in range(3) for j in range(2))
    d = _cross(bx - ax, by - ay, cx - ax, cy - ay)  # [B, T]
    usable = d.abs() >= DEGENERATE_DOUBLE_AREA
    safe_d = torch.where(usable, d, torch.ones_like(d))
    # wa, wb are affine in p: w = k0 + kx·px + ky·py, from the formulas in the module docstring.
    ka = torch.stack([bx * cy - by * cx, by - cy, cx - bx], dim=-1) / safe_d[..., None]  # [B, T, 3]
    kb = torch.stack([cx * ay - cy * ax, cy - ay, ax - cx], dim=-1) / safe_d[..., None]

    centres = torch.arange(size, dtype=torch.float64, device=device) + 0.5
    py, px = torch.meshgrid(centres, centres, indexing="ij")
    pixels = torch.stack([torch.ones_like(px), px, py], dim=-1).reshape(-1, 3)  # [P, 3]
    if size % TILE == 0:
        best_tri = _search_tiled(ka, kb, usable, tv, size)
        best_score = None
    else:
        best_tri, best_score = _search_all(ka, kb, usable, pixels)

    def gather(x: Tensor) -> Tensor:
        return torch.gather(x, 1, best_tri[..., None].expand(-1, -1, x.shape[-1]))

    wa = (gather(ka) * pixels[None]).sum(-1)
    wb = (gather(kb) * pixels[None]).sum(-1)
    if best_score is None:  # the winner's score again, in float64 (the search's float32 is not kept)
        best_score = torch.minimum(torch.minimum(wa, wb), 1.0 - wa - wb)
        best_score = torch.where(torch.gather(usable, 1, best_tri), best_score, torch.full_like(best_score, float("-inf")))
    return TargetAssignment(best_tri, wa, wb, best_score >= OUTSIDE_SCORE, torch.where(usable, d, torch.zeros_like(d)))


def _search_all(ka: Tensor, kb: Tensor, usable: Tensor, pixels: Tensor) -> Tuple[Tensor, Tensor]:
    """The triangle search by brute force: every pixel against every triangle, in float32 (4x faster
    here; where float32 and float64 could pick different triangles, a pixel on a shared edge, both
    give the same source position: the map is continuous across edges). Returns the winner [B, P]
    and its float32 score."""
    b = ka.shape[0]
    best_tri = torch.empty(b, pixels.shape[0], dtype=torch.long, device=ka.device)
    best_score = torch.empty(b, pixels.shape[0], dtype=torch.float64, device=ka.device)
    ka32, kb32, pixels32 = ka.float(), kb.float(), pixels.float()
    unusable = ~usable[..., None]
    for start in range(0, pixels.shape[0], PIXEL_CHUNK):
        chunk = pixels32[start : start + PIXEL_CHUNK]
        wa = torch.matmul(ka32, chunk.t())  # [B, T, P]
        wb = torch.matmul(kb32, chunk.t())
        score = torch.minimum(torch.minimum(wa, wb), 1.0 - wa - wb).masked_fill_(unusable, float("-inf"))
        values, indices = score.max(dim=1)
        best_score[:, start : start + PIXEL_CHUNK], best_tri[:, start : start + PIXEL_CHUNK] = values.double(), indices
    return best_tri, best_score


def _search_tiled(ka: Tensor, kb: Tensor, usable: Tensor, vertices: Tensor, size: int) -> Tensor:
    """The same search, each TILE × TILE block of pixels against only the triangles whose bounding
    box (padded by TILE_MARGIN px) overlaps it, in increasing index so ties still go to the first.
    A pixel inside some triangle finds every triangle it is inside of among them, so the winner is
    the brute force's; a pixel inside none may get another (all below OUTSIDE_SCORE), which the
    warp never uses. 10-25x less work than `_search_all` on the mesh. Returns the winner [B, P]."""
    b, t = ka.shape[:2]
    device = ka.device
    n = size // TILE
    lo, hi = vertices.amin(dim=2) - TILE_MARGIN, vertices.amax(dim=2) + TILE_MARGIN  # [B, T, 2] (x, y)
    first = torch.arange(n, dtype=torch.float64, device=device) * TILE + 0.5  # first pixel centre of each tile
    last = first + (TILE - 1)
    ox = (hi[..., 0, None] >= first) & (lo[..., 0, None] <= last)  # [B, T, n] overlap along x
    oy = (hi[..., 1, None] >= first) & (lo[..., 1, None] <= last)
    overlap = (oy[..., :, None] & ox[..., None, :]).reshape(b, t, n * n) & usable[..., None]  # [B, T, tiles]
    k = max(int(overlap.sum(dim=1).max()), 1)
    # Candidates per tile in increasing triangle index: overlapping ones first (larger key).
    key = overlap.float() * (t - torch.arange(t, device=device, dtype=torch.float32))[None, :, None]
    candidates = key.topk(k, dim=1).indices  # [B, k, tiles]
    valid = torch.gather(overlap, 1, candidates)
    offsets = torch.arange(TILE, dtype=torch.float64, device=device)
    ty, tx = torch.meshgrid(first, first, indexing="ij")  # [n, n] tile origins
    oy_, ox_ = torch.meshgrid(offsets, offsets, indexing="ij")  # [TILE, TILE]
    tile_pixels = torch.stack(
        [
            torch.ones(n * n, TILE * TILE, dtype=torch.float64, device=device),
            (tx.reshape(-1, 1) + ox_.reshape(1, -1)),
            (ty.reshape(-1, 1) + oy_.reshape(1, -1)),
        ],
        dim=-1,
    ).float()  # [tiles, TILE², 3]
    ka_c = torch.gather(ka.float(), 1, candidates.reshape(b, -1, 1).expand(-1, -1, 3)).reshape(b, k, n * n, 3)
    kb_c = torch.gather(kb.float(), 1, candidates.reshape(b, -1, 1).expand(-1, -1, 3)).reshape(b, k, n * n, 3)
    wa = torch.einsum("bktc,tpc->bktp", ka_c, tile_pixels)  # [B, k, tiles, TILE²]
    wb = torch.einsum("bktc,tpc->bktp", kb_c, tile_pixels)
    score = torch.minimum(torch.minimum(wa, wb), 1.0 - wa - wb).masked_fill_(~valid[..., None], float("-inf"))
    pick = score.argmax(dim=1)  # [B, tiles, TILE²], the first maximum
    # candidates [B, k, tiles] → per pixel: candidates[b, pick[b, tile, p], tile]
    tri = torch.gather(candidates.permute(0, 2, 1), 2, pick)  # [B, tiles, TILE²]
    # [B, ny, nx, TILE_y, TILE_x] → pixel order [B, size, size]
    return tri.reshape(b, n, n, TILE, TILE).permute(0, 1, 3, 2, 4).reshape(b, size * size)


def grid_from_assignment(
    source_points: Tensor, assignment: TargetAssignment, size: int, mesh: WarpMesh | None = None
) -> Tuple[Tensor, Tensor]:
    """Source positions [B, S, S, 2] and mask [B, S, S] (float64) for sources [B, 478, ≥2] and a
    target assignment of the same batch."""
    mesh = mesh or load_mesh()
    device = source_points.device
    src = control_points(source_points, size, mesh)
    sv = src[:, mesh.triangles.to(device)]  # [B, T, 3, 2]
    b = src.shape[0]
    d = assignment.target_double_area
    ds = _cross(
        sv[:, :, 1, 0] - sv[:, :, 0, 0], sv[:, :, 1, 1] - sv[:, :, 0, 1], sv[:, :, 2, 0] - sv[:, :, 0, 0], sv[:, :, 2, 1] - sv[:, :, 0, 1]
    )
    ratio = torch.minimum(ds.abs(), d.abs()) / torch.maximum(ds.abs(), d.abs()).clamp_min(1e-30)
    confidence = torch.where(ds * d > 0, ratio, torch.zeros_like(ratio))  # [B, T]; d = 0 where degenerate
    best_tri = assignment.triangle
    verts = torch.gather(sv.reshape(b, -1, 6), 1, best_tri[..., None].expand(-1, -1, 6)).reshape(b, -1, 3, 2)
    wa, wb = assignment.wa, assignment.wb
    wc = 1.0 - wa - wb
    position = wa[..., None] * verts[:, :, 0] + wb[..., None] * verts[:, :, 1] + wc[..., None] * verts[:, :, 2]
    centres = torch.arange(size, dtype=torch.float64, device=device) + 0.5
    py, px = torch.meshgrid(centres, centres, indexing="ij")
    identity = torch.stack([px, py], dim=-1).reshape(1, -1, 2).expand(b, -1, -1)
    position = torch.where(assignment.inside[..., None], position, identity)
    mask = torch.where(assignment.inside, torch.gather(confidence, 1, best_tri), torch.zeros_like(wa))
    return position.reshape(b, size, size, 2), mask.reshape(b, size, size)


def warp_grid(source_points: Tensor, target_points: Tensor, size: int, mesh: WarpMesh | None = None) -> Tuple[Tensor, Tensor]:
    """Source positions [B, S, S, 2] (x, y in crop pixels, float64) and the mask [B, S, S] (float64)
    for warping frames with landmarks `source_points` onto `target_points` ([B, 478, ≥2] crop pixels)."""
    return grid_from_assignment(source_points, target_assignment(target_points, size, mesh), size, mesh)


def sample(source: Tensor, position: Tensor) -> Tensor:
    """Bilinear samples of source [B, C, S, S] at crop-pixel positions [B, S, S, 2], edge-clamped."""
    size = source.shape[-1]
    grid = (position * (2.0 / size) - 1.0).to(source.dtype)
    return F.grid_sample(source, grid, mode="bilinear", padding_mode="border", align_corners=False)


def displace(image: Tensor, flow: Tensor) -> Tensor:
    """image [B, C, S, S] resampled at p + flow(p) for flow [B, 2, S, S] (x, y in crop units):
    bilinear, edge-clamped, as `sample` (the learned flow of generator.flow, applied to a warp)."""
    size = image.shape[-1]
    if flow.shape[-2:] != image.shape[-2:] or flow.shape[1] != 2:
        raise ValueError(f"displace: flow {tuple(flow.shape)} does not fit image {tuple(image.shape)}")
    centres = (torch.arange(size, dtype=flow.dtype, device=flow.device) + 0.5) * (2.0 / size) - 1.0
    gy, gx = torch.meshgrid(centres, centres, indexing="ij")
    # Crop units → grid_sample's [-1, 1] (the crop's side is 2 there).
    grid = torch.stack([gx, gy], dim=-1)[None] + 2.0 * flow.permute(0, 2, 3, 1)
    return F.grid_sample(image, grid.to(image.dtype), mode="bilinear", padding_mode="border", align_corners=False)


def displace_positions(position: Tensor, flow: Tensor) -> Tensor:
    """A warp's sampling positions [B, S, S, 2] (crop pixels) read at p + flow(p) for flow [B, 2, S, S]
    (crop units), bilinear and edge-clamped: the warp followed by the learned flow as one map, so a
    frame samples its source once (a second resampling of the warped image would blur it)."""
    return displace(position.permute(0, 3, 1, 2).float(), flow.float()).permute(0, 2, 3, 1)


def warp(source: Tensor, source_points: Tensor, target_points: Tensor, assignment: TargetAssignment | None = None) -> Tuple[Tensor, Tensor]:
    """(warped [B, C, S, S] in source's dtype, mask [B, 1, S, S] float32) for square sources; pass
    the targets' assignment when it is known (cached) to skip the search."""
    size = source.shape[-1]
    assignment = assignment if assignment is not None else target_assignment(target_points, size)
    position, mask = grid_from_assignment(source_points, assignment, size)
    return sample(source, position), mask.unsqueeze(1).to(torch.float32)


class AssignmentCache:
    """Target assignments by frame index (a training set's frames recur as targets): the search runs
    once per frame, later warps onto that frame only gather. Holds at most `limit` frames."""

    def __init__(self, size: int, limit: int = 20000) -> None:
        self.size, self.limit = size, limit
        self.entries: Dict[int, Tuple[Tensor, Tensor, Tensor, Tensor, Tensor]] = {}
        self.hits = self.misses = 0

    def __call__(self, frame_indices: Tensor, target_points: Tensor) -> TargetAssignment:
        keys = [int(i) for i in frame_indices.tolist()]
        missing = [n for n, k in enumerate(keys) if k not in self.entries]
        self.hits += len(keys) - len(missing)
        self.misses += len(missing)
        if missing:
            fresh = target_assignment(target_points[missing], self.size)
            for row, n in enumerate(missing):
                if len(self.entries) < self.limit:
                    self.entries[keys[n]] = tuple(x[row] for x in fresh)
                else:
                    keys[n] = -1 - n  # not cached: answered from `fresh` below
            extra = {keys[n]: tuple(x[row] for x in fresh) for row, n in enumerate(missing) if keys[n] < 0}
        else:
            extra = {}
        rows = [self.entries[k] if k >= 0 else extra[k] for k in keys]
        return TargetAssignment(*(torch.stack(parts) for parts in zip(*rows)))


def alignment_error(sources: Tensor, target: Tensor) -> Tensor:
    """[B, K] residual of the best similarity from each source's landmarks [B, K, 478, ≥2] onto the
    target's [B, 478, ≥2], as a fraction of the target's spread (mean squared distance to its centre)."""
    b, k = sources.shape[:2]
    src = sources[..., :2].to(torch.float64).reshape(b * k, -1, 2)
    dst = target[..., :2].to(torch.float64).unsqueeze(1).expand(-1, k, -1, -1).reshape(b * k, -1, 2)
    A, t = similarity_fit(src, dst)
    residual = ((torch.einsum("bij,bnj->bni", A, src) + t[:, None] - dst) ** 2).sum(-1).mean(-1)
    spread = ((dst - dst.mean(dim=1, keepdim=True)) ** 2).sum(-1).mean(-1).clamp_min(1e-12)
    return (residual / spread).reshape(b, k)


def nearest_source(sources: Tensor, target: Tensor) -> Tensor:
    """[B] index of the source whose landmarks align best with the target's (first on ties)."""
    return alignment_error(sources, target).argmin(dim=1)
