"""Head turns out of the picture plane, made from a still photo (pseudo-3-D), for measuring the nod and
head-shake counters where their truth is known (``python -m ml.gaze.evaluate --nods CALTECH YALE FER``).

A photo's 68 landmarks are placed on the mean 3-D face (``ml.gaze.pose.FULL68``) by ``cv2.solvePnP``;
that face, with a ring of head points around it (forehead, temples, the jaw's outline widened), is
turned by the wanted yaw and pitch about a pivot -- behind the face for yaw, at the neck for pitch
-- and projected again. The picture is then warped piecewise-linearly from the old to the new
places of those points, with the picture's border and a wider ring around the head held still, so
the background stays put and the face turns. It is not a renderer: the face's texture is
stretched, not re-seen from a new angle, and hidden parts do not appear. It is enough to move every
landmark as a turning head moves them, on a real face's texture, which is what the head-pose reading
and the counters work from (a reading of this warp by the same 3-D face is partly circular, so these
clips test how the track, the landmarks and the counters follow a turn, not the 3-D face's accuracy:
that is measured on photos of known pose, README "Head pose: which 3-D face").
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .pose import FULL68, MEAN68, angles, camera_matrix, rotation, solve

# points of the head around the 68 (model units, camera axes: x right, y down, z away from the camera)
_BROWS = MEAN68[17:27]
_HEAD = np.concatenate([
    _BROWS + np.array([0.0, -35.0, 12.0]),            # forehead
    _BROWS * np.array([1.15, 1.0, 1.0]) + np.array([0.0, -75.0, 35.0]),   # top of the forehead, going back
    MEAN68[0:17] * np.array([1.25, 1.12, 1.0]) + np.array([0.0, 0.0, 15.0]),  # the jaw's outline, widened
])
YAW_PIVOT = np.array([0.0, 0.0, 75.0])     # the head's vertical axis, behind the face
PITCH_PIVOT = np.array([0.0, 95.0, 75.0])  # the neck, below and behind the chin
HOLD_RING = 1.9                              # the still ring, this many times the head's half-size from its centre


@dataclass
class Head:
    """A photo's face, posed: the detected landmarks and the mean face's pose that fits them."""
    gray: np.ndarray
    landmarks: np.ndarray    # [68, 2] as detected
    rvec: np.ndarray
    tvec: np.ndarray
    warps: dict = field(default_factory=dict, repr=False)  # grid -> _grid_weights, made on first use

    @property
    def pose(self) -> tuple[float, float, float]:
        import cv2
        return angles(cv2.Rodrigues(self.rvec)[0])


def fit(gray: np.ndarray, landmarks: np.ndarray) -> Head:
    """Pose the mean 3-D face (all 68 points) on a photo's 68 landmarks."""
    solved = solve(landmarks, gray.shape, FULL68)
    if solved is None:
        raise ValueError("no pose fits these landmarks")
    return Head(gray, np.asarray(landmarks, np.float64), *solved)


def _project(head: Head, points: np.ndarray, yaw: float, pitch: float) -> np.ndarray:
    """Image positions of model ``points`` after turning the posed head by ``yaw`` or ``pitch``
    (degrees, ``ml.gaze.pose``'s signs) about its pivot (the clips turn about one axis at a time; with
    both, the pitch pivot is taken where it was before the yaw)."""
    import cv2

    r0 = cv2.Rodrigues(head.rvec)[0]
    cam_pts = points @ r0.T + head.tvec.ravel()
    for angle, pivot, r in ((yaw, YAW_PIVOT, rotation(yaw, 0.0, 0.0)), (pitch, PITCH_PIVOT, rotation(0.0, pitch, 0.0))):
        if angle:
            p = r0 @ pivot + head.tvec.ravel()
            cam_pts = (cam_pts - p) @ r.T + p
    k = camera_matrix(head.gray.shape)
    uv = cam_pts @ k.T
    return uv[:, :2] / uv[:, 2:3]


def _grid_weights(head: Head, grid: int):
    """The triangulation of the photo's points (the 68, the head points, the still ring and the
    border) and, for every node of a grid over the picture, its triangle's corners and weights."""
    from scipy.spatial import Delaunay

    h, w = head.gray.shape
    rest = _project(head, np.concatenate([MEAN68, _HEAD]), 0.0, 0.0)  # the model's points, not turned
    src = np.concatenate([head.landmarks, rest[68:]])  # the head points have no detected place
    centre = src.mean(axis=0)
    half = np.abs(src - centre).max()
    a = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    ring = centre + HOLD_RING * half * np.stack([np.cos(a), np.sin(a)], axis=1)
    xs, ys = np.linspace(0, w - 1, 9), np.linspace(0, h - 1, 7)
    border = np.array([(x, y) for x in xs for y in ys if x in (xs[0], xs[-1]) or y in (ys[0], ys[-1])])
    points = np.concatenate([src, ring, border])
    tri = Delaunay(points)
    gx, gy = np.meshgrid(np.arange(0, w + grid, grid, dtype=np.float64), np.arange(0, h + grid, grid, dtype=np.float64))
    nodes = np.stack([gx.ravel(), gy.ravel()], axis=1)
    simplex = tri.find_simplex(nodes)
    inside = simplex >= 0
    t = tri.transform[simplex[inside]]
    b = np.einsum("nij,nj->ni", t[:, :2], nodes[inside] - t[:, 2])
    weights = np.concatenate([b, 1 - b.sum(axis=1, keepdims=True)], axis=1)
    return {"moving": len(src), "points": len(points), "corners": tri.simplices[simplex[inside]], "weights": weights,
            "inside": inside, "shape": gx.shape, "rest": rest}


def turned(head: Head, yaw: float, pitch: float, grid: int = 4) -> np.ndarray:
    """The photo with the head turned by ``yaw`` and ``pitch`` degrees (grey, the photo's size).

    Each point's move is spread over the picture linearly within the triangles of the photo's points
    (the still ring and border move nowhere); each output pixel q takes the photo's pixel p that moves
    onto it (p + move(p) = q, found by a few fixed-point steps on a grid of ``grid`` pixels)."""
    import cv2

    if not yaw and not pitch:
        return head.gray.copy()
    if grid not in head.warps:
        head.warps[grid] = _grid_weights(head, grid)
    wgt = head.warps[grid]
    h, w = head.gray.shape
    moves = np.zeros((wgt["points"], 2))  # the ring and the border stay
    moves[:wgt["moving"]] = _project(head, np.concatenate([MEAN68, _HEAD]), yaw, pitch) - wgt["rest"]
    forward = np.zeros((wgt["inside"].size, 2))
    forward[wgt["inside"]] = np.einsum("nk,nkd->nd", wgt["weights"], moves[wgt["corners"]])
    forward = forward.reshape(*wgt["shape"], 2).astype(np.float32)
    # the output node q shows the photo's point p with p + move(p) = q: p = q - move(p), by iteration
    gy, gx = np.mgrid[0:wgt["shape"][0], 0:wgt["shape"][1]].astype(np.float32)
    q = np.stack([gx, gy], axis=-1) * grid
    p = q - forward
    for _ in range(4):
        p = q - cv2.remap(forward, p[..., 0] / grid, p[..., 1] / grid, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    shift = p - q
    # (resize takes node k at pixel k * grid + (grid - 1) / 2, not k * grid: the smooth field is read about 1.5 px
    # off, moving a pixel by well under one; the figures of README were measured so)
    shift = cv2.resize(shift, (wgt["shape"][1] * grid, wgt["shape"][0] * grid), interpolation=cv2.INTER_LINEAR)[:h, :w]
    mx, my = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(head.gray, mx + shift[..., 0], my + shift[..., 1], cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE)
