"""Follow the largest face through the sampled frames: dlib HOG on a reduced copy of the whole
frame every ``detect_every`` frames (and whenever the face is lost), HOG on a small window around
the last face in between, and the 68 landmarks on the full-resolution frame every time.

``face_track(media)`` runs the tracker once per recording and keeps the steps in the media's
shared cache: the face channel crops its expressions from these boxes and the gaze channel reads
the landmarks, so a frame is searched for faces once, not once per channel.

The whole-frame search runs on a copy DETECT_WIDTH px wide: HOG's 80 px window is then a face
of 100 px in a 640 px frame, about a fifth of a 480 px height -- the face channel's smallest
face (``MIN_FACE_FRAC``), a candidate sitting back from a webcam.
The in-between search looks at a square twice the face's size, scaled so the face is
TRACK_FACE px (just above the window): a few milliseconds whatever the face's size, and it says
whether the face is still there (a shape predictor always returns 68 points, face or not).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DETECT_WIDTH = 512
DETECT_EVERY = 10     # sampled frames between whole-frame searches (2 s at 5 fps)
TRACK_FACE = 96       # px, the face's size in the in-between search window
TRACK_CONTEXT = 2.0   # the window's side, in face sizes
# Each step's box moves this share of the way to the box just found (centre and size), while the face stays near
# (centre within half a face, size within a factor 1.5); else it jumps there. HOG's boxes come in steps of its
# image pyramid, so on a still face they alternated between two sizes (225 and 246 px); the landmarks, placed in
# the box, moved with it, and the eyes' openness dipped: 48 "blinks" a minute on a face that never blinked, and
# nods from the pitch. Chosen under a rule written before measuring (README, "Blinks"): among box smoothings
# that removed the still face's false blinks and kept every painted one, the one with the fewest extra blinks on
# the marked real video (53 of 55 caught as before, 10 extra instead of 17).
BOX_SMOOTH = 0.3


@dataclass
class Step:
    landmarks: np.ndarray | None  # [68, 2] in frame coordinates, or None (no face)
    faces: int | None             # faces found by a whole-frame search, None when this step only tracked
    box: tuple | None             # the HOG box (x, y, w, h) in frame coordinates


class FaceTracker:
    def __init__(self, detect_every: int = DETECT_EVERY, detect_width: int = DETECT_WIDTH):
        self.detect_every = detect_every
        self.detect_width = detect_width
        self.box = None
        self.k = 0

    def _search(self, gray):
        import cv2

        from ml.face.detect import hog_boxes

        h, w = gray.shape
        scale = min(1.0, self.detect_width / w)
        small = cv2.resize(gray, (int(round(w * scale)), int(round(h * scale))), interpolation=cv2.INTER_AREA) \
            if scale < 1 else gray
        return [tuple(v / scale for v in b) for b in hog_boxes(small)]

    def _track(self, gray):
        import cv2

        from ml.face.detect import hog_boxes

        x, y, w, h = self.box
        side = max(w, h) * TRACK_CONTEXT
        cx, cy = x + w / 2.0, y + h / 2.0
        H, W = gray.shape
        x0, y0 = int(max(0, cx - side / 2)), int(max(0, cy - side / 2))
        x1, y1 = int(min(W, cx + side / 2)), int(min(H, cy + side / 2))
        if x1 - x0 < 16 or y1 - y0 < 16:
            return None
        scale = min(1.0, TRACK_FACE / max(w, h))
        roi = gray[y0:y1, x0:x1]
        if scale < 1:
            roi = cv2.resize(roi, (max(1, int(round(roi.shape[1] * scale))), max(1, int(round(roi.shape[0] * scale)))),
                             interpolation=cv2.INTER_AREA)
        found = hog_boxes(roi)
        if not found:
            return None
        bx, by, bw, bh = found[0]
        return (x0 + bx / scale, y0 + by / scale, bw / scale, bh / scale)

    def step(self, gray: np.ndarray) -> Step:
        from ml.gaze.landmarks import shape

        faces = None
        box = self._track(gray) if (self.box is not None and self.k % self.detect_every) else None
        if box is None:
            boxes = self._search(gray)
            faces = len(boxes)
            box = boxes[0] if boxes else None
        self.k += 1
        box = self.box = smooth_box(self.box, box)
        if box is None:
            return Step(None, faces, None)
        return Step(shape(gray, box), faces, box)


def whole_frame_faces(gray: np.ndarray) -> list:
    """The faces (x, y, w, h) a ``FaceTracker`` step finds in ``gray`` while it follows no face: its whole-frame
    search (``ml.channels.face.face_in_any_frame`` asks it before any channel runs)."""
    return FaceTracker()._search(gray)


def smooth_box(previous, found, rate: float | None = None):
    """The step's box: ``found`` moved towards from ``previous`` by ``rate`` of the way (centre and size) while the
    face stays near (centre within half the previous size, size within a factor 1.5), else ``found`` itself; a
    square, as dlib's HOG boxes are. None when nothing was found. ``rate`` None: BOX_SMOOTH (1: no smoothing)."""
    rate = BOX_SMOOTH if rate is None else rate
    if found is None or previous is None or rate >= 1:
        return found
    px, py, pw, ph = previous
    x, y, w, h = found
    pcx, pcy, cx, cy = px + pw / 2.0, py + ph / 2.0, x + w / 2.0, y + h / 2.0
    if abs(cx - pcx) >= 0.5 * pw or abs(cy - pcy) >= 0.5 * ph or not (1 / 1.5 < w / pw < 1.5):
        return found
    side = pw + rate * (w - pw)
    cx, cy = pcx + rate * (cx - pcx), pcy + rate * (cy - pcy)
    return (cx - side / 2.0, cy - side / 2.0, side, side)


def nudged_box(box, scale: float | None = None) -> tuple:
    """``box`` made ``scale`` times larger about its centre (None: ``ml.gaze.signals.NUDGE_SCALE``): where the
    gaze channel places the landmarks a second time to see whether their reading holds (``signals.nudge_share``)."""
    from ml.gaze.signals import NUDGE_SCALE

    scale = NUDGE_SCALE if scale is None else scale
    x, y, w, h = box
    return (x + w / 2.0 - w * scale / 2.0, y + h / 2.0 - h * scale / 2.0, w * scale, h * scale)


_TRACK_KEY = "face_track"


def face_track(media, progress=None) -> list[Step]:
    """One ``Step`` per frame of ``media.frames`` (``FaceTracker`` with its defaults), computed on
    first use and shared by the channels that read faces. ``progress(fraction)`` is called every
    25 frames by whichever channel computes it."""
    def run():
        tracker = FaceTracker()
        steps = []
        for k, (_, gray) in enumerate(media.frames):
            steps.append(tracker.step(gray))
            if progress and k % 25 == 24:
                progress((k + 1) / len(media.frames))
        return steps

    return media.shared(_TRACK_KEY, run)


EYE_BOX_GAP = 0.25  # s: a frame this far from a tracked step with a face gets no box of its own


def box_at(t: float, times, boxes):
    """The face box at time ``t`` among tracked steps (``times`` ascending, ``boxes`` None where no
    face was found): linear between the two steps around it when both found the face; None when
    either did not (the face is coming or going: the landmarks would be placed on whatever is
    there). Before the first step or after the last, that step's box if it is within EYE_BOX_GAP.
    At 5 steps per second a head moves little in the 67 ms between a step and a frame beside it."""
    import bisect

    i = bisect.bisect_right(times, t)
    before = (times[i - 1], boxes[i - 1]) if i > 0 else None
    after = (times[i], boxes[i]) if i < len(times) else None
    if before and before[0] == t:
        return before[1]
    if before and after:
        if before[1] is None or after[1] is None or after[0] <= before[0]:
            return None
        w = (t - before[0]) / (after[0] - before[0])
        return tuple((1 - w) * a + w * b for a, b in zip(before[1], after[1]))
    edge = before or after
    return edge[1] if edge and edge[1] is not None and abs(edge[0] - t) <= EYE_BOX_GAP else None


def eye_series(media) -> tuple[list[float], list]:
    """The eye aspect ratio (``ml.gaze.signals.ear``) in ``media.fine_frames``, the frames decoded
    between the tracked ones for blinks: the twelve eye landmarks in the face box of the shared face
    track's steps around each frame (``box_at``), scaled from the nearest tracked frame's width to
    the fine frame's (portrait frames are stored smaller), no face search of its own. Returns
    (times, ears) with None where there is no box; empty when the recording was decoded without
    ``fine_fps``. Computed once per recording (``media.shared``); the fine frames are released after it."""
    import bisect

    from ml.gaze.landmarks import eyes
    from ml.gaze.signals import eyes_ear

    def run():
        if not media.fine_frames:
            return [], []
        track = face_track(media)
        times = [t for t, _ in media.frames]
        boxes = [s.box for s in track]
        out_t, out_e = [], []
        for t, gray in media.fine_frames:
            box = box_at(t, times, boxes)
            out_t.append(float(t))
            if box is None:
                out_e.append(None)
                continue
            i = min(max(bisect.bisect_left(times, t), 0), len(times) - 1)
            k = gray.shape[1] / media.frames[i][1].shape[1]
            out_e.append(eyes_ear(eyes(gray, tuple(k * v for v in box))))
        media.release_fine_frames()
        return out_t, out_e

    return media.shared("eye_series", run)
