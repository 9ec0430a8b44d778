"""Signals read from the head-pose and landmark series (all times in seconds, angles in degrees;
pose conventions of ``ml.gaze.pose``).

Facing the camera: |yaw| <= FACING_YAW and |pitch| <= FACING_PITCH. In a webcam interview the
candidate looks at the interviewer's picture on the screen, not into the lens: a laptop camera at
the top of a 13-16" screen seen from 50-70 cm is ~10-15° above the centre of the screen, and a
side-by-side window adds a similar horizontal offset; the generic 3-D model (``ml.gaze.pose``)
adds a few degrees of error. 20° in yaw and pitch keeps those postures "facing" while a glance at
notes, a second screen or out of the window (typically 30° or more) is not.

Looking away: a run of sampled frames not facing the camera (or with no face found, since the
frontal detector loses a head turned beyond ~45°) lasting more than LOOK_AWAY_MIN_S.

Nods and shakes: one nod (shake) is a down-and-back (side-and-back) excursion of the pitch (yaw):
two consecutive swings of at least SWING_DEG in opposite directions within NOD_MAX_S. 6° is several
times the frame-to-frame jitter of the pose (median change between frames 0.2 s apart on three real
talking-head videos: 0.7° with the product's 13-point face; the earlier six-point face, whose chin and
mouth points move with speech, jittered 1.6-2.1° in yaw and counted 43 head shakes in 200 s of one video,
against 8) and below the 10-20° amplitude of a deliberate conversational nod; 2 s covers the slowest
single nods.

Blinks (eye aspect ratio, Soukupová & Čech 2016): EAR = (|p2-p6| + |p3-p5|) / (2 |p1-p4|) per eye,
averaged over both. A blink is a run of samples below BLINK_REL × the recording's median EAR (the
open-eye level, since eyes are open >95% of the time; for the 0.25-0.35 open-eye EAR of most
people this is ~0.19-0.26, around the paper's 0.2 threshold) lasting at least BLINK_MIN_S and at
most BLINK_MAX_S (a spontaneous blink lasts 100-400 ms; longer closures are not blinks). The
closed phase of a blink is ~50-150 ms, so a blink rate needs samples at least every ~70 ms:
below BLINK_MIN_FPS sampled frames per second the rate is not measured (None), never guessed.

Smile: mouth width over the outer-eye-corner distance (``smile_ratio``) above SMILE_RATIO
(calibrated on FER2013 "happy" faces, see ``SMILE_RATIO``).
"""
from __future__ import annotations

import numpy as np

FACING_YAW = 20.0
FACING_PITCH = 20.0
LOOK_AWAY_MIN_S = 2.0
SWING_DEG = 6.0
NOD_MAX_S = 2.0
# Nods and shakes are not counted where the angle is read unsteadily: pose_noise above this (degrees; about 1.5
# degrees SD of independent noise, so a SWING_DEG swing is 4 SD). Adopted 2026-12-06 under a rule written before
# measuring (README, "Nods and head shakes"): on enlarged FER2013 faces turned by known angles the ungated counter
# counted 9 extra nods against 35 true ones found (precision 0.795, bar 0.8); gated, 5 against 29 (0.853), and it
# counted 97-98% of the clips of sharp faces.
POSE_STEADY_MAX = 2.5
# A second check of the angles (``nudge_share``): each sampled face's landmarks are placed again in its box made
# NUDGE_SCALE times larger, and a reading is unsteady on an axis when the two readings differ there by more than
# NUDGE_DEG. On a blurred, enlarged face the landmarks jump with the box by a pixel (a still photo read up-down
# -9.1 deg in a 204 px box, +5.6 deg in a 205 px one) while the recording as a whole still reads steady by
# POSE_STEADY_MAX. Nods (shakes) are counted only when at most NUDGE_MAX_SHARE of the up-down (left-right) readings
# are unsteady; the head's speed only when both are. Rule and measurements: runs/gaze/RULE_NUDGE.txt, README
# ("Nods on a blurred face: a second reading").
NUDGE_SCALE = 1.03
NUDGE_DEG = 3.0
NUDGE_MAX_SHARE = 0.10
BLINK_REL = 0.75
BLINK_MIN_S = 0.05
BLINK_MAX_S = 0.5
BLINK_MIN_FPS = 15.0
#: a closure is counted only between open eyes: the median EAR of the BLINK_FLANK_S before the run and of
#: the BLINK_FLANK_S after it must each be at least this x the recording's median (``blinks``); None: no check.
#: Measured under a rule written first (runs/gaze/RULE_REOPEN.txt; README "Blinks between open eyes") and
#: not adopted: at 0.85 the extra counts on 8 marked videos fell from 25 to 4, but 12 of 121 true blinks
#: were lost (the rule allowed 2). ``python -m ml.gaze.evaluate --blinks ... --open-rel 0,0.85`` reruns it.
BLINK_OPEN_REL: float | None = None
BLINK_FLANK_S = 0.5
#: mouth width / outer-eye-corner distance above which the mouth counts as smiling; chosen on the
#: landmarks of 477 upscaled FER2013 Training faces (24% labelled happy) as the threshold with the
#: best F1 for "happy": precision 0.64, recall 0.72, accuracy 0.83 (0.62: precision 0.47, recall
#: 0.87; 0.72: 0.80 / 0.58). Measured, not tuned, on every FER2013 PublicTest face by ``python -m
#: ml.gaze.evaluate --smile --write data/gaze/smile_metrics.json`` (the figures the answer pages give): of 3,589
#: faces a face was found in 2,853, 790 of them happy; precision 0.69, recall 0.72, accuracy 0.83. A wide mouth
#: is not always a smile and faces differ: a rough share.
SMILE_RATIO = 0.68
#: samples of the centred moving average each angle series gets before the head's speed is taken
#: (``motion``; runs/gaze/RULE_MOTION.txt): 1 = none
MOTION_SMOOTH = 3


def is_facing(yaw, pitch, yaw_tol: float = FACING_YAW, pitch_tol: float = FACING_PITCH) -> bool:
    return abs(yaw) <= yaw_tol and abs(pitch) <= pitch_tol


def looking_away(times, facing, min_duration: float = LOOK_AWAY_MIN_S) -> list[dict]:
    """Episodes [{"start", "duration"}] where ``facing[i]`` is not True (False: turned away, None: no
    face found) for longer than ``min_duration``; an episode lasts from its first sample to the
    next facing sample (or one sampling step past the last sample). Nothing when no sample faces
    the camera at all (the channel flags that instead)."""
    times = list(times)
    if not times or not any(f is True for f in facing):
        return []
    step = float(np.median(np.diff(times))) if len(times) > 1 else 0.0
    # longer by more than half a sampling step: a run is measured in whole steps, give or take a frame's timing, so
    # one of exactly min_duration read as longer or not by chance (an outside review: three identical 2-second gaps
    # of one clip counted 2 times, and the same clip recorded again once, each shown "for 2.0 s")
    longer = min_duration + 0.5 * step
    out, start = [], None
    for t, f in zip(times, facing):
        if f is not True and start is None:
            start = t
        elif f is True and start is not None:
            if t - start > longer:
                out.append({"start": round(start, 2), "duration": round(t - start, 2)})
            start = None
    if start is not None:
        end = times[-1] + step
        if end - start > longer:
            out.append({"start": round(start, 2), "duration": round(end - start, 2)})
    return out


def _segments(times, values):
    """Runs of consecutive samples with a value (None breaks a run)."""
    seg = []
    for t, v in zip(times, values):
        if v is None:
            if seg:
                yield seg
            seg = []
        else:
            seg.append((t, float(v)))
    if seg:
        yield seg


def _turning_points(values, swing: float) -> list[int]:
    """Indices of the alternating extrema of a series, each at least ``swing`` from the previous
    (hysteresis: smaller wiggles are ignored)."""
    lo = hi = 0
    points, direction = [], 0
    for i, v in enumerate(values):
        if direction == 0:
            lo = i if v < values[lo] else lo
            hi = i if v > values[hi] else hi
            if v - values[lo] >= swing:
                points, direction = [lo, i], 1
            elif values[hi] - v >= swing:
                points, direction = [hi, i], -1
        elif (v - values[points[-1]]) * direction > 0:   # further the same way: the extremum moves
            points[-1] = i
        elif abs(v - values[points[-1]]) >= swing:      # a swing back: a new extremum
            direction = -direction
            points.append(i)
    return points


def count_oscillations(times, values, swing: float = SWING_DEG, max_period: float = NOD_MAX_S) -> int:
    """Excursions and returns (nods on the pitch series, shakes on the yaw series): an extremum at
    least ``swing`` beyond the series on both sides, where the time from the last sample ``swing``
    short of the extremum before it to the first such sample after it is at most ``max_period``.
    Continuous back-and-forth motion counts one per full cycle (every other extremum); None
    breaks a series."""
    count = 0
    for seg in _segments(times, values):
        ts = [t for t, _ in seg]
        vs = [v for _, v in seg]
        pts = _turning_points(vs, swing)
        k = 1
        while k + 1 < len(pts):
            peak = pts[k]
            a = max(i for i in range(pts[k - 1], peak) if abs(vs[i] - vs[peak]) >= swing)
            b = min(i for i in range(peak + 1, pts[k + 1] + 1) if abs(vs[i] - vs[peak]) >= swing)
            if ts[b] - ts[a] <= max_period:
                count += 1
                k += 2
            else:
                k += 1
    return count


def pose_noise(values) -> float | None:
    """How unsteadily an angle series is read (degrees): the median of |second difference| over the
    runs of samples with a value (None breaks a run). For independent noise of SD s it is about
    1.65 s; a head's real turns move it little, as they fill few of a recording's samples. None
    with fewer than 3 samples in a run."""
    from ml.series import runs

    diffs = []
    for a, b in runs([v is not None for v in values]):
        if b - a >= 3:
            v = np.asarray(values[a:b], dtype=np.float64)
            diffs += list(np.abs(v[2:] - 2 * v[1:-1] + v[:-2]))
    return float(np.median(diffs)) if diffs else None


def nudge_share(differences, limit: float = NUDGE_DEG) -> float | None:
    """The share of readings that moved more than ``limit`` degrees when the face box was nudged
    (``NUDGE_SCALE``; None: no face in that frame, skipped). None when no frame had a face."""
    seen = [abs(d) for d in differences if d is not None]
    return sum(d > limit for d in seen) / len(seen) if seen else None


def nudge_steady(share: float | None, max_share: float = NUDGE_MAX_SHARE) -> bool:
    """Whether readings with this ``nudge_share`` are steady enough (None, not measured: as before, yes)."""
    return share is None or share <= max_share


def steady_count(times, values, steady_max: float = POSE_STEADY_MAX,
                 nudged: float | None = None) -> tuple[int | None, float | None]:
    """(count, noise): ``count_oscillations`` unless the series is read unsteadily (``pose_noise`` above
    ``steady_max``, or its ``nudge_share`` ``nudged`` above NUDGE_MAX_SHARE), then None, not counted (the angles
    jitter too much to tell a nod from the jitter); and the ``pose_noise`` it was judged by. A series too broken
    for ``pose_noise`` (no 3 samples with a face in a row) is counted as before: nothing says it is unsteady;
    ``nudged`` None (not measured, as in results stored before the check) adds no condition."""
    noise = pose_noise(values)
    if (noise is not None and noise > steady_max) or not nudge_steady(nudged):
        return None, noise
    return count_oscillations(times, values), noise


def _smooth(values: np.ndarray, width: int) -> np.ndarray:
    """Centred moving average over ``width`` samples (fewer at the ends)."""
    if width <= 1 or len(values) < 2:
        return values
    half = width // 2
    sums = np.concatenate([np.zeros((1, values.shape[1])), np.cumsum(values, axis=0)])
    lo = np.maximum(np.arange(len(values)) - half, 0)
    hi = np.minimum(np.arange(len(values)) + half + 1, len(values))
    return (sums[hi] - sums[lo]) / (hi - lo)[:, None]


def motion(times, yaw, pitch, roll, smooth: int | None = None) -> float | None:
    """Mean angular speed of the head (degrees per second) between consecutive samples with a pose,
    each run of samples first smoothed by a centred moving average of ``smooth`` samples
    (``MOTION_SMOOTH``): the landmarks jitter, and unsmoothed a still head read about 5 deg/s."""
    from ml.series import runs

    smooth = MOTION_SMOOTH if smooth is None else smooth
    speeds = []
    for a, b in runs([y is not None for y in yaw]):
        ts = np.asarray(times[a:b], dtype=np.float64)
        angles = _smooth(np.asarray([yaw[a:b], pitch[a:b], roll[a:b]], dtype=np.float64).T, smooth)
        dt = np.diff(ts)
        ok = dt > 0
        speeds += list(np.linalg.norm(np.diff(angles, axis=0), axis=1)[ok] / dt[ok])
    return float(np.mean(speeds)) if speeds else None


def eye_aspect_ratio(eye: np.ndarray) -> float:
    """EAR of one eye's six landmarks p1..p6 ([6, 2])."""
    p = np.asarray(eye, dtype=np.float64)
    width = np.linalg.norm(p[0] - p[3])
    if width <= 0:
        return float("nan")
    return float((np.linalg.norm(p[1] - p[5]) + np.linalg.norm(p[2] - p[4])) / (2.0 * width))


def ear(landmarks: np.ndarray) -> float:
    """Mean EAR of both eyes from 68 landmarks."""
    return eyes_ear(landmarks[36:48])


def eyes_ear(eyes: np.ndarray) -> float:
    """Mean EAR of both eyes from their twelve landmarks (36-47 of the 68)."""
    return (eye_aspect_ratio(eyes[:6]) + eye_aspect_ratio(eyes[6:])) / 2.0


def blinks(times, ears, rel: float = BLINK_REL, min_s: float = BLINK_MIN_S, max_s: float = BLINK_MAX_S,
           open_rel: float | None | str = "default") -> list[float]:
    """Start times of blinks in an EAR series (None or NaN where no face: breaks a run). A run of
    samples below ``rel`` × median EAR lasts from its first sample to the next sample above.
    ``open_rel`` (default BLINK_OPEN_REL; None: off): the run is kept only if the median EAR of the
    samples in the BLINK_FLANK_S before it, and of those in the BLINK_FLANK_S from the sample that ends
    it, are each at least ``open_rel`` × median EAR; a side without samples does not reject."""
    open_rel = BLINK_OPEN_REL if open_rel == "default" else open_rel
    vals = [e for e in ears if e is not None and np.isfinite(e)]
    if len(vals) < 3:
        return []
    level = float(np.median(vals))
    threshold = rel * level
    t_arr = np.asarray(times, dtype=float)
    e_arr = np.array([np.nan if e is None else float(e) for e in ears])

    def open_on(lo: float, hi: float) -> bool:
        side = e_arr[(t_arr >= lo) & (t_arr < hi)]
        side = side[np.isfinite(side)]
        return not side.size or float(np.median(side)) >= open_rel * level

    out, start = [], None
    for t, e in zip(times, ears):
        if e is None or not np.isfinite(e):
            start = None
            continue
        if e < threshold:
            if start is None:
                start = t
        elif start is not None:
            if min_s <= t - start <= max_s and (
                    open_rel is None or (open_on(start - BLINK_FLANK_S, start) and open_on(t, t + BLINK_FLANK_S))):
                out.append(start)
            start = None
    return out


def blinks_measurable(fps: float) -> bool:
    """Whether a series sampled ``fps`` times per second can count blinks: BLINK_MIN_FPS, less 5%
    for container timestamps rounded to the millisecond and a frame dropped now and then."""
    return fps >= 0.95 * BLINK_MIN_FPS


def sampled_fps(times) -> float:
    """Samples per second of a time series: (samples - 1) / its span, so holes count (a median gap
    would hide them)."""
    if len(times) < 2:
        return 0.0
    span = float(times[-1]) - float(times[0])
    return (len(times) - 1) / span if span > 0 else 0.0


def smile_ratio(landmarks: np.ndarray) -> float:
    """Mouth width (corners 48-54) over the outer-eye-corner distance (36-45); both shrink alike
    when the head turns or moves away."""
    eyes = np.linalg.norm(landmarks[45] - landmarks[36])
    return float(np.linalg.norm(landmarks[54] - landmarks[48]) / eyes) if eyes > 0 else float("nan")
