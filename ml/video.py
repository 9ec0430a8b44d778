"""Video answers: sample frames, find faces, read expressions along the answer.

The pipeline is organised by channel so that the sound track slots in beside the faces
(see ``webapp.jobs.analyzers``):

    frames = sample_frames(path, fps=5)        # (t, gray) pairs, decoded with PyAV
    face = face_channel(path, fps=5)           # per-step expressions + summary + strongest frame
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

DETECT_WIDTH = 240  # faces are detected on a downscaled frame, cropped from the full one
MIN_FACE_FRAC = 0.2  # smallest face scored: a fifth of the frame's height (a candidate facing the camera)
MULTI_FACE_FLAG = 0.2  # more than this share of steps with several faces -> flagged
NO_FACE_FLAG = 0.5  # a face in less than this share of steps -> flagged


class MediaLimitError(ValueError):
    """The recording holds more than the limits allow (decoding stopped there)."""


MAX_FPS = 120  # decoded frames per second of allowed length; more means the timestamps are fake


def sample_frames(path, fps: float = 5.0, max_seconds: float | None = None, max_pixels: int | None = None):
    """Yield (t seconds, gray uint8 frame) about `fps` times per second of video.

    With ``max_seconds``, decoding stops at that time, and raises MediaLimitError after
    ``MAX_FPS * max_seconds`` decoded frames whatever the timestamps say; with ``max_pixels``,
    a larger frame raises MediaLimitError before it is converted."""
    import av

    step = 1.0 / fps
    max_frames = None if max_seconds is None else int(MAX_FPS * (max_seconds + 1))
    with av.open(str(path), mode="r") as container:
        stream = container.streams.video[0]
        width, height = stream.codec_context.width or 0, stream.codec_context.height or 0
        if max_pixels is not None and width * height > max_pixels:  # from the header, before decoding
            raise MediaLimitError(f"a {width}x{height} picture")
        stream.thread_type = "AUTO"
        next_t = None
        for n, frame in enumerate(container.decode(stream), 1):
            if max_frames is not None and n > max_frames:
                raise MediaLimitError(f"more than {max_frames} frames")
            if max_pixels is not None and frame.width * frame.height > max_pixels:
                raise MediaLimitError(f"a {frame.width}x{frame.height} frame")
            t = frame.time
            if t is None:
                continue
            if next_t is None:
                next_t = t
            if t + 0.25 * step < next_t:  # tolerance: container timestamps are rounded (WebM: 1 ms)
                continue
            if max_seconds is not None and t > max_seconds:
                break
            next_t += step * max(1, int((t - next_t) / step) + 1)
            yield float(t), frame.to_ndarray(format="gray")


@dataclass
class FaceChannel:
    times: list = field(default_factory=list)
    faces: list = field(default_factory=list)  # number of faces per step
    probs: list = field(default_factory=list)  # [7] list or None per step
    strongest_crop: np.ndarray | None = None
    strongest_index: int | None = None

    def summary(self, class_names) -> dict:
        n = len(self.times)
        found = [i for i, p in enumerate(self.probs) if p is not None]
        multi = sum(1 for k in self.faces if k > 1)
        dominant = {c: 0.0 for c in class_names}
        mean = {c: 0.0 for c in class_names}
        if found:
            arr = np.array([self.probs[i] for i in found])
            counts = np.bincount(arr.argmax(1), minlength=len(class_names))
            dominant = {c: float(100.0 * counts[k] / len(found)) for k, c in enumerate(class_names)}
            mean = {c: float(arr[:, k].mean()) for k, c in enumerate(class_names)}
        face_share = len(found) / n if n else 0.0
        multi_share = multi / n if n else 0.0
        flags = []
        if face_share < NO_FACE_FLAG:
            flags.append("no_face")
        if multi_share > MULTI_FACE_FLAG:
            flags.append("multiple_faces")
        return {
            "steps": n, "face_share": face_share, "multi_face_share": multi_share,
            "dominant": dominant, "mean_probs": mean, "flags": flags,
            "strongest_t": self.times[self.strongest_index] if self.strongest_index is not None else None,
        }


def face_channel(path, fps: float = 5.0, batch: int = 64, progress=None, duration: float | None = None,
                 max_seconds: float | None = None, max_pixels: int | None = None):
    """Detect the largest face in each sampled frame and classify its expression.
    ``max_seconds`` and ``max_pixels`` bound the decoding (see ``sample_frames``)."""
    import cv2
    from ml.face.detect import crop_face, detect_faces
    from ml.face.predict import predict

    ch = FaceChannel()
    crops, crop_steps = [], []
    for t, gray in sample_frames(path, fps, max_seconds=max_seconds, max_pixels=max_pixels):
        h, w = gray.shape
        scale = DETECT_WIDTH / w if w > DETECT_WIDTH else 1.0
        small = cv2.resize(gray, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA) if scale < 1 else gray
        boxes, n = detect_faces(small, min_size_frac=MIN_FACE_FRAC)
        ch.times.append(t)
        ch.faces.append(n)
        ch.probs.append(None)
        if n:
            x, y, bw, bh = (int(round(v / scale)) for v in boxes[0])
            crops.append(crop_face(gray, (x, y, bw, bh)))
            crop_steps.append(len(ch.times) - 1)
        if progress and duration and len(ch.times) % 25 == 0:
            progress(min(1.0, t / duration))
    if crops:
        probs = np.concatenate([predict(np.stack(crops[i:i + batch])) for i in range(0, len(crops), batch)])
        for step, p in zip(crop_steps, probs):
            ch.probs[step] = [float(v) for v in p]
        # strongest expression: the highest probability of any non-neutral class
        from ml.face import CLASS_NAMES
        expressive = [k for k, c in enumerate(CLASS_NAMES) if c != "neutral"]
        best = int(np.argmax(probs[:, expressive].max(1)))
        ch.strongest_crop = crops[best]
        ch.strongest_index = crop_steps[best]
    return ch


def heatmap_png(crop: np.ndarray, size: int = 192) -> bytes:
    """The face crop with its class-activation heatmap laid over it, as PNG bytes."""
    import cv2
    from ml.face.predict import class_activation_map

    cam = np.clip(np.asarray(class_activation_map(crop), dtype=np.float32), 0, 1)
    face = cv2.resize(crop, (size, size), interpolation=cv2.INTER_CUBIC)
    heat = cv2.applyColorMap(cv2.resize((cam * 255).astype(np.uint8), (size, size)), cv2.COLORMAP_JET)
    overlay = cv2.addWeighted(cv2.cvtColor(face, cv2.COLOR_GRAY2BGR), 0.55, heat, 0.45, 0)
    ok, buf = cv2.imencode(".png", overlay)
    if not ok:
        raise RuntimeError("could not encode the heatmap")
    return buf.tobytes()
