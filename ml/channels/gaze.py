"""The gaze channel: where the head points and how it moves, from dlib's 68 face landmarks.

Per sampled frame (``ml.gaze.track``: HOG face detection, tracked between whole-frame searches,
landmarks every frame): head pose (yaw, pitch, roll; ``ml.gaze.pose``) and whether the face is
turned towards the camera (``ml.gaze.signals``: |yaw| and |pitch| within 20°). Over the answer:
the share of frames facing the camera, looking-away episodes longer than 2 s, nods and shakes
(counted only where the angles are read steadily: ``signals.steady_count``, from the series and from a
second reading of each frame with the face box nudged, ``signals.nudge_share``), the mean angular speed of the
head (only when both axes read steadily under the nudge), the share of frames with a smile (mouth geometry), and blinks
per minute from the eye aspect ratio -- only when frames were sampled at 15 per second or more:
at the face's 5 per second a blink's closed phase (~100 ms) mostly falls between samples. So the
job decodes the frames in between as well (``fine_fps``, ``ml.media``) and places the landmarks
on them in the tracked face's box (``ml.gaze.track.eye_series``). A recording with fewer frames
per second (or decoded without them) gets ``blinks_per_min`` None ("unmeasured"), not a guess.

This is the orientation of the head, not eye contact: the eyes' direction (iris) is not measured.
"""
from __future__ import annotations

import math

import numpy as np

from . import Channel, ChannelResult, RecordingError
from .face import MIN_FACE_FRAMES, MULTI_FACE_FLAG, NO_FACE_FLAG

FACE_LEFT_MIN_S = 1.0  # a run without a face this long, after or before frames with one -> face_left_frame
# Rates per minute (blinks, nods, shakes, looking away) need the face in view this long: from a few seconds one
# blink reads 30 a minute. Below it the counts are given, and no rate is stored for the averages.
MIN_RATE_FACE_S = 10.0


def summarise(times, yaw, pitch, roll, faces, ears, smiles, eyes=None, nudged=None) -> dict:
    """The summary and flags from the per-step series (None where no face was tracked);
    ``faces`` holds the whole-frame search counts (None on tracked-only steps). ``eyes`` =
    (times, ears) of the frames in between (``ml.gaze.track.eye_series``), merged with the steps'
    for blinks. ``nudged`` = (yaw, pitch) differences of each step's second reading in a nudged box
    (``GazeChannel``; None where no face): nods, shakes and the head's speed are given only where the
    readings hold (``head_moves``); None, not measured: no such condition."""
    from ml.gaze import signals

    n = len(times)
    present = [y is not None for y in yaw]
    facing = [None if y is None else signals.is_facing(y, p) for y, p in zip(yaw, pitch)]
    n_face = sum(present)
    searched = [f for f in faces if f is not None]
    multi_share = sum(1 for f in searched if f > 1) / len(searched) if searched else 0.0
    minutes = (times[-1] - times[0] + (times[1] - times[0] if n > 1 else 0.0)) / 60.0 if n else 0.0
    flags = []
    if n == 0 or n_face / n < NO_FACE_FLAG:
        flags.append("no_face")
    if multi_share > MULTI_FACE_FLAG:
        flags.append("multiple_faces")
    if 0 < n_face < n and _face_left(times, present):
        flags.append("face_left_frame")
    eye_t, eye_e = list(times), list(ears)
    if eyes and eyes[0]:
        merged = sorted(zip(list(times) + list(eyes[0]), list(ears) + list(eyes[1])), key=lambda p: p[0])
        eye_t, eye_e = [p[0] for p in merged], [p[1] for p in merged]
    fps = signals.sampled_fps(eye_t)
    blink_rate, blink_times, unmeasured = None, [], None
    eye_seen = sum(1 for e in eye_e if e is not None)
    face_s = 60.0 * minutes * n_face / n if n else 0.0
    if not signals.blinks_measurable(fps):
        unmeasured = "fps"
    elif n_face < 3 or minutes <= 0:
        unmeasured = "face"
    else:
        blink_times = signals.blinks(eye_t, eye_e)
        if face_s < MIN_RATE_FACE_S:
            unmeasured = "short"
        else:
            blink_rate = len(blink_times) / (minutes * eye_seen / len(eye_e))
    looked = [f for f in facing if f is not None]
    smile_vals = [s for s in smiles if s is not None and np.isfinite(s)]
    return {
        "steps": n, "face_share": n_face / n if n else 0.0, "multi_face_share": multi_share,
        # a head followed in fewer frames than the face channel's minimum: no figure of it is compared (scores_of)
        "face_frames": n_face, "few_frames": 0 < n_face < MIN_FACE_FRAMES, "min_face_frames": MIN_FACE_FRAMES,
        "facing_share": sum(looked) / len(looked) if looked else None,
        "looking_away": signals.looking_away(times, facing),
        **head_moves(times, yaw, pitch, nudged, roll),
        "blinks_per_min": blink_rate, "sampled_fps": fps,
        "blinks": [round(t, 2) for t in blink_times], "blinks_unmeasured": unmeasured,
        "blinks_note": {None: None, "face": "not measured: the face was found in too few frames",
                        "short": f"no rate: the face was in view for {face_s:.1f} s; a rate needs {MIN_RATE_FACE_S:g} s",
                        "fps": f"not measured: frames read {fps:.1f} per second; blinks need at least "
                               f"{0.95 * signals.BLINK_MIN_FPS:g}"}[unmeasured],
        "face_seconds": face_s, "rate_min_face_s": MIN_RATE_FACE_S,
        "smile_share": (sum(1 for s in smile_vals if s > signals.SMILE_RATIO) / len(smile_vals)) if smile_vals else None,
        "minutes": minutes, "flags": flags,
    }


def head_moves(times, yaw, pitch, nudged=None, roll=None) -> dict:
    """The summary's nods and shakes (None: not counted, the angle read too unsteadily: signals.steady_count),
    with the noise each was judged by and the bar (``pose_steady_max``, which also marks results counted so).
    With ``nudged`` ((yaw, pitch) differences of a second reading in a nudged box, per step) also the share of
    unsteady readings per axis, its bar and the nudge (``pose_nudged``, ``pose_nudged_max``, ``pose_nudge``: the box's
    scale and the difference in degrees that makes a reading unsteady), which can leave nods or shakes
    uncounted too; and with ``roll`` the head's speed (``motion``), None when either axis reads unsteadily under
    the nudge. Results stored before the nudge have no differences: counted by the series alone."""
    from ml.gaze import signals

    shares = {"yaw": None, "pitch": None}
    if nudged is not None:
        shares = {"yaw": signals.nudge_share([None if d is None else d[0] for d in nudged]),
                  "pitch": signals.nudge_share([None if d is None else d[1] for d in nudged])}
    nods, pitch_noise = signals.steady_count(times, pitch, nudged=shares["pitch"])
    shakes, yaw_noise = signals.steady_count(times, yaw, nudged=shares["yaw"])
    out = {"nods": nods, "shakes": shakes, "pose_noise": {"pitch": _rounded(pitch_noise), "yaw": _rounded(yaw_noise)},
           "pose_steady_max": signals.POSE_STEADY_MAX}
    if nudged is not None:
        out |= {"pose_nudged": {k: _rounded(v, 3) for k, v in shares.items()}, "pose_nudged_max": signals.NUDGE_MAX_SHARE,
                "pose_nudge": {"scale": signals.NUDGE_SCALE, "deg": signals.NUDGE_DEG}}
    if roll is not None:
        steady = signals.nudge_steady(shares["yaw"]) and signals.nudge_steady(shares["pitch"])
        out["motion"] = signals.motion(times, yaw, pitch, roll) if steady else None
    return out


def scores_of(summary: dict) -> list[tuple[str, str, float]]:
    """The stored scores (family "gaze") of a ``summarise`` summary: none without a face, nor with the face followed
    in fewer than MIN_FACE_FRAMES frames (its ``few_frames``, as ml.channels.face); rates per minute only with the
    face in view for MIN_RATE_FACE_S; shares in %; blinks only when measured."""
    if summary["facing_share"] is None or summary.get("few_frames"):
        return []  # (older summaries have no few_frames: counted as they were)
    per_min = (lambda v: v / summary["minutes"]) if summary["minutes"] > 0 else (lambda v: 0.0)
    scores = [("gaze", "facing_share", 100.0 * summary["facing_share"])]
    if summary.get("face_seconds", MIN_RATE_FACE_S) >= MIN_RATE_FACE_S:  # older summaries have no face_seconds
        scores.append(("gaze", "looking_away_per_min", per_min(len(summary["looking_away"]))))
        scores += [("gaze", f"{name}_per_min", per_min(summary[name])) for name in ("nods", "shakes")
                   if summary[name] is not None]
    if summary["motion"] is not None:
        scores.append(("gaze", "motion", summary["motion"]))
    if summary["smile_share"] is not None:
        scores.append(("gaze", "smile_share", 100.0 * summary["smile_share"]))
    if summary["blinks_per_min"] is not None:
        scores.append(("gaze", "blinks_per_min", summary["blinks_per_min"]))
    return scores


def _rounded(value, digits: int = 2):
    return None if value is None else round(value, digits)


def _face_left(times, present) -> bool:
    """A run without a face of at least FACE_LEFT_MIN_S next to frames with one."""
    start = None
    seen = False
    for t, p in zip(times, present):
        if not p and start is None:
            start = t
        elif p:
            if start is not None and t - start >= FACE_LEFT_MIN_S:
                return True
            start, seen = None, True
    return bool(seen and start is not None and times[-1] - start >= FACE_LEFT_MIN_S - 1e-9)


class GazeChannel(Channel):
    name = "gaze"
    title = "head's position and movements"
    needs = "video"
    weight = 0.3

    def run(self, media, progress, primary: bool = False) -> ChannelResult:
        from ml.gaze import signals
        from ml.gaze.landmarks import shape
        from ml.gaze.pose import DEFAULT_MODEL, head_pose
        from ml.gaze.track import eye_series, face_track, nudged_box

        if not media.frames:
            if primary:
                raise RecordingError("No video frames could be read from the recording.")
            return ChannelResult.unavailable("no video frames")
        steps = face_track(media, lambda f: progress(0.9 * f, "Following the head's movements"))
        times, yaw, pitch, roll, faces, ears, smiles, nudged = [], [], [], [], [], [], [], []
        for (t, gray), step in zip(media.frames, steps):
            pose = head_pose(step.landmarks, gray.shape) if step.landmarks is not None else None
            times.append(float(t))
            faces.append(step.faces)
            if pose is None:
                yaw.append(None), pitch.append(None), roll.append(None), ears.append(None), smiles.append(None)
                nudged.append(None)
            else:
                # the same face read again with its box 3% larger: a reading that moves with the box is not one (nor
                # is one that cannot be read again at all: an infinite difference, unsteady on both axes)
                again = head_pose(shape(gray, nudged_box(step.box)), gray.shape)
                nudged.append((math.inf, math.inf) if again is None else (again[0] - pose[0], again[1] - pose[1]))
                yaw.append(round(pose[0], 2)), pitch.append(round(pose[1], 2)), roll.append(round(pose[2], 2))
                ears.append(signals.ear(step.landmarks))
                smiles.append(signals.smile_ratio(step.landmarks))
        eyes = eye_series(media)
        summary = summarise(times, yaw, pitch, roll, faces, ears, smiles, eyes, nudged)
        facing = [None if y is None else signals.is_facing(y, p) for y, p in zip(yaw, pitch)]
        # which 3-D face read the angles, how the head's speed was smoothed, and how the face box was steadied
        # (ml.gaze.track.BOX_SMOOTH; results without it counted blinks and nods the box's jumps made): figures
        # read otherwise are not comparable
        from ml.gaze.track import BOX_SMOOTH
        data = {"t": times, "yaw": yaw, "pitch": pitch, "roll": roll, "facing": facing,
                "pose_model": DEFAULT_MODEL.name, "motion_smooth": signals.MOTION_SMOOTH, "box_smooth": BOX_SMOOTH,
                **summary}
        return ChannelResult(data=data, scores=scores_of(summary))
