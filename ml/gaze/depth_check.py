"""How far the nose tip stands out from the outer eye corners, read from videos of turning heads
without any 3-D face model -- a check of the depth of ``ml.gaze.pose``'s 3-D faces. Not used by the
product: it failed as a measurement (README, "Tried for the facing figure").

    python -m ml.gaze.depth_check VIDEO [VIDEO ...]

Under a turn (yaw) theta, seen with weak perspective, the span of the outer eye corners shrinks with
cos(theta) against a length the turn leaves alone (the eye line to the base of the nose, landmark 33),
while the nose tip moves sideways from the eye corners' midpoint by (depth / span) * tan(theta) of the
span. theta comes from the shrinking (its largest value, the 95th percentile, taken as facing the
camera); depth / span is the least-squares slope of the nose's shift on tan(theta) over the frames
turned more than about 20 degrees (shrunk below 0.94) with the eye line within 10 degrees of level.
The six-point face's ratio is 0.30, the 68-point mean face's 0.47. One JSON line per video.
"""
from __future__ import annotations

import argparse
import json
import sys

import numpy as np

FRONTAL_PERCENTILE = 95
TURNED_BELOW = 0.94
MAX_ROLL_DEG = 10.0


def shrink_and_shift(landmarks: np.ndarray) -> tuple[float, float] | None:
    """(eye span / eye-line-to-nose-base height, nose tip's sideways shift / eye span) of one face's
    68 landmarks, in the eye line's frame; None when the eye line is tilted or the face degenerate."""
    pts = np.asarray(landmarks, dtype=float)
    left, right, tip, base = pts[36], pts[45], pts[30], pts[33]
    v = right - left
    span, tilt = float(np.hypot(*v)), float(np.arctan2(v[1], v[0]))
    if span <= 0 or abs(np.degrees(tilt)) >= MAX_ROLL_DEG:
        return None
    rot = np.array([[np.cos(tilt), np.sin(tilt)], [-np.sin(tilt), np.cos(tilt)]])  # turns the eye line level
    mid = rot @ ((left + right) / 2 - left)
    height = (rot @ (base - left))[1] - mid[1]
    if height <= 0:
        return None
    return span / height, ((rot @ (tip - left))[0] - mid[0]) / span


def depth_ratio(series) -> dict:
    """The nose's depth as a share of the eye span from a series of 68-landmark faces."""
    pairs = [p for p in (shrink_and_shift(s) for s in series) if p is not None]
    if not pairs:
        return {"frames": 0, "turned": 0, "depth_over_span": None}
    c, n = np.array(pairs).T
    c0 = np.percentile(c, FRONTAL_PERCENTILE)
    turned = c / c0 < TURNED_BELOW
    x = np.tan(np.arccos(np.minimum(1.0, c[turned] / c0)))
    y = np.abs(n[turned])
    ratio = float((x * y).sum() / (x * x).sum()) if turned.any() else None
    return {"frames": len(pairs), "turned": int(turned.sum()),
            "depth_over_span": None if ratio is None else round(ratio, 3)}


def video_landmarks(path, fps: float = 5.0) -> list[np.ndarray]:
    """The product's face track's landmarks on a video (``ml.gaze.track``), frames with a face."""
    from ml.gaze.track import face_track
    from ml.media import decode_recording

    media = decode_recording(path, fps=fps, audio=False)
    return [s.landmarks for s in face_track(media) if s.landmarks is not None]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("videos", nargs="+")
    args = ap.parse_args(argv)
    for path in args.videos:
        print(json.dumps({"video": str(path), **depth_ratio(video_landmarks(path))}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
