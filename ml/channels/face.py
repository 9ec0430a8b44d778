"""The face channel: the largest face in each sampled frame and its expression (7 FER classes),
the share of frames with a face (or several), and a Grad-CAM heatmap of the strongest moment.

The faces come from the recording's shared face track (``ml.gaze.track.face_track``: dlib HOG on
the whole frame every 2 s, tracked in between), which the gaze channel reads too, so each frame is
searched once. Where the track has no face, the frame is searched again at DETECT_WIDTH with
``ml.face.detect.detect_faces`` (HOG, then the Haar cascade, which finds tilted or small faces
HOG misses); such a face gets an expression but no landmarks."""
from __future__ import annotations

import numpy as np

from . import Channel, ChannelResult, RecordingError

DETECT_WIDTH = 240  # faces are detected on a downscaled frame, cropped from the full one
MIN_FACE_FRAC = 0.2  # smallest face scored: a fifth of the frame's height (a candidate facing the camera)
MULTI_FACE_FLAG = 0.2  # more than this share of steps with several faces -> flagged
NO_FACE_FLAG = 0.5  # a face in less than this share of steps -> flagged
# Figures read from the face are counted over the sampled frames with a face: the share of them each expression
# dominated (here), and facing the camera, smiling and the head's speed (ml.channels.gaze). The job samples 5 frames a
# second (VIDEO_SAMPLE_FPS), and frames 0.2 s apart mostly show one and the same expression and head position: below
# 10 of them (2 s of face) such a figure rests on one or two held expressions or positions, and every frame moves a
# share by 10 points or more (a review: a face found in 3% of a 46-s answer, 7 frames, put its shares into the averages
# others are compared with). Below it the figures stay in the result and on the page, which says why, and are not
# stored as scores; the share of frames with a face is (it is counted over every frame). Rates per minute need more
# (ml.channels.gaze.MIN_RATE_FACE_S), as the voice's shares do (ml.channels.voice.MIN_VOICED_WINDOWS).
MIN_FACE_FRAMES = 10
BATCH = 64


def summarise(times, faces, probs, class_names, strongest_index=None) -> dict:
    """Counts and shares over the sampled steps (``probs[i]`` is None where no face was found;
    ``faces[i]`` is the number of faces a whole-frame search found, None on steps that only
    followed the face, which do not count towards ``multi_face_share``)."""
    n = len(times)
    found = [i for i, p in enumerate(probs) if p is not None]
    searched = [k for k in faces if k is not None]
    multi = sum(1 for k in searched if k > 1)
    dominant = {c: 0.0 for c in class_names}
    mean = {c: 0.0 for c in class_names}
    if found:
        arr = np.array([probs[i] for i in found])
        counts = np.bincount(arr.argmax(1), minlength=len(class_names))
        dominant = {c: float(100.0 * counts[k] / len(found)) for k, c in enumerate(class_names)}
        mean = {c: float(arr[:, k].mean()) for k, c in enumerate(class_names)}
    face_share = len(found) / n if n else 0.0
    few = 0 < len(found) < MIN_FACE_FRAMES
    multi_share = multi / len(searched) if searched else 0.0
    flags = []
    if face_share < NO_FACE_FLAG:
        flags.append("no_face")
    if multi_share > MULTI_FACE_FLAG:
        flags.append("multiple_faces")
    return {
        "steps": n, "face_share": face_share, "multi_face_share": multi_share,
        "face_frames": len(found), "few_frames": few, "min_face_frames": MIN_FACE_FRAMES,
        "dominant": dominant, "mean_probs": mean, "flags": flags,
        "strongest_t": times[strongest_index] if strongest_index is not None else None,
    }


def search_again(gray) -> tuple:
    """The face channel's own search of a frame in which the shared track has no face: ``ml.face.detect.
    detect_faces`` (HOG, then the Haar cascade) on a copy DETECT_WIDTH px wide, faces of at least MIN_FACE_FRAC of
    its height. Returns (the largest face's box (x, y, w, h) in the frame, FER-framed, or None; faces found)."""
    import cv2

    from ml.face.detect import detect_faces

    h, w = gray.shape
    scale = DETECT_WIDTH / w if w > DETECT_WIDTH else 1.0
    small = cv2.resize(gray, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA) if scale < 1 else gray
    boxes, n = detect_faces(small, min_size_frac=MIN_FACE_FRAC)
    if not n:
        return None, 0
    return tuple(int(round(v / scale)) for v in boxes[0]), n


def face_in_any_frame(media) -> bool:
    """Whether ``FaceChannel`` will find a face in any of ``media.frames`` (its ``face_share`` above 0), found
    without reading an expression, following a face or placing a landmark, and stopping at the first frame with a
    face. Until the track has found a face, each of its steps is a whole-frame search
    (``ml.gaze.track.whole_frame_faces``), and the channel searches each frame in which that finds nothing again
    (``search_again``): the first face either finds is the first face the channel finds, so this is the channel's
    own decision, taken before it runs (``ml.analysis`` fails an empty video with it)."""
    from ml.gaze.track import whole_frame_faces

    return any(whole_frame_faces(gray) or search_again(gray)[0] is not None for _, gray in media.frames)


class FaceChannel(Channel):
    name = "face"
    title = "facial expressions"
    needs = "video"
    weight = 0.6

    def run(self, media, progress, primary: bool = False) -> ChannelResult:
        from ml.face import CLASS_NAMES
        from ml.face.detect import crop_face, hog_to_fer
        from ml.face.predict import predict
        from ml.gaze.track import face_track

        if not media.frames:
            raise RecordingError("No video frames could be read from the recording.")
        steps = face_track(media, lambda f: progress(0.7 * f, "Finding the face"))
        times, faces, probs = [], [], []
        crops, crop_steps = [], []
        for k, ((t, gray), step) in enumerate(zip(media.frames, steps)):
            times.append(t)
            faces.append(step.faces)
            probs.append(None)
            if step.box is not None:
                crops.append(crop_face(gray, hog_to_fer(step.box)))
                crop_steps.append(k)
                continue
            box, n = search_again(gray)
            if step.faces is not None:
                faces[-1] = max(n, step.faces)
            if box is not None:
                crops.append(crop_face(gray, box))
                crop_steps.append(k)
        result = ChannelResult()
        strongest = None
        if crops:
            progress(0.75, "Reading facial expressions")
            p = np.concatenate([np.asarray(predict(np.stack(crops[i:i + BATCH])))
                                for i in range(0, len(crops), BATCH)])
            for step, row in zip(crop_steps, p):
                probs[step] = [float(v) for v in row]
            # strongest expression: the highest probability of any non-neutral class; the heatmap
            # explains that class (from the same test-time views as the probabilities shown)
            expressive = [k for k, c in enumerate(CLASS_NAMES) if c != "neutral"]
            best = int(np.argmax(p[:, expressive].max(1)))
            strongest = crop_steps[best]
            strongest_class = expressive[int(np.argmax(p[best, expressive]))]
            progress(0.9, "Computing the heatmap of the strongest expression")
            result.files[".cam.png"] = heatmap_png(crops[best], class_index=strongest_class)
        summary = summarise(times, faces, probs, CLASS_NAMES, strongest)
        result.data = {"classes": list(CLASS_NAMES), "t": times, "faces": faces, "probs": probs, **summary}
        if result.files:
            result.data.update(heatmap=True, strongest_class=CLASS_NAMES[strongest_class],
                               strongest_p=float(p[best, strongest_class]))
        result.scores = scores_of(summary)
        return result


def scores_of(summary: dict) -> list[tuple[str, str, float]]:
    """The stored scores of a ``summarise`` summary: the expression shares (family "face"), not from fewer than
    MIN_FACE_FRAMES frames with a face, and the share of frames with a face ("face_meta"), not when it is 0."""
    if not summary["face_share"] > 0:
        # not 0% when no face was found at all: that says the camera was covered, off or dark, not how the
        # answer was given, and drew down the average others are compared with (an outside review). The
        # candidate's own share stays in the result, for the answer page and the mock interview's report.
        return []
    scores = []
    if not summary.get("few_frames"):  # from a handful of frames: not a figure others are compared with
        scores += [("face", c, v) for c, v in summary["dominant"].items()]
    return scores + [("face_meta", "face_share", 100.0 * summary["face_share"])]


def stored_face_frames(part, series: str = "probs") -> int | None:
    """How many sampled frames had a face, read from a face or gaze result stored by any version of its channel:
    its ``face_frames``, or (stored before 2026-12-07, without it) its per-frame ``series`` ("probs" for the face
    channel, "yaw" for the gaze channel: None where no face was found). None when the stored shape does not tell for
    certain: no such series, not one entry per sampled step, or a share of frames with a face that disagrees with it
    (``flask forget-few-face-frames`` leaves such a result as it is)."""
    if not isinstance(part, dict):
        return None
    n = part.get("face_frames")
    if isinstance(n, int) and not isinstance(n, bool):
        return n
    steps, values, share = part.get("steps"), part.get(series), part.get("face_share")
    if (not isinstance(steps, int) or isinstance(steps, bool) or steps <= 0 or not isinstance(values, list)
            or len(values) != steps or not isinstance(share, (int, float)) or isinstance(share, bool)):
        return None
    n = sum(v is not None for v in values)
    return n if abs(share - n / steps) < 1e-9 else None


def heatmap_png(crop: np.ndarray, class_index: int | None = None, size: int = 192) -> bytes:
    """The face crop with the Grad-CAM heatmap of ``class_index`` (default: the class the
    test-time-averaged probabilities pick) laid over it, as PNG bytes."""
    import cv2

    from ml.face.predict import class_activation_map

    cam = np.clip(np.asarray(class_activation_map(crop, class_index=class_index), dtype=np.float32), 0, 1)
    face = cv2.resize(crop, (size, size), interpolation=cv2.INTER_CUBIC)
    heat = cv2.applyColorMap(cv2.resize((cam * 255).astype(np.uint8), (size, size)), cv2.COLORMAP_JET)
    overlay = cv2.addWeighted(cv2.cvtColor(face, cv2.COLOR_GRAY2BGR), 0.55, heat, 0.45, 0)
    ok, buf = cv2.imencode(".png", overlay)
    if not ok:
        raise RuntimeError("could not encode the heatmap")
    return buf.tobytes()
