"""Measure detection, landmarks and head pose on photos.

    python -m ml.evaluate gaze DIR [--limit N] [--mirror-retry] [--haar-retry]
    python -m ml.gaze.evaluate --export-fer-publictest DIR [--limit 500]   # FER2013 crops as PNGs
    python -m ml.gaze.evaluate --export-fer-not-a-face DIR   # the 150 Training images FER+ calls "not a face"
    python -m ml.gaze.evaluate --export-fer-publictest DIR --select data/gaze/camera_facing_publictest.json
                                          # only the PublicTest faces judged by eye to face the camera
    python -m ml.evaluate gaze DIR --labels LABELS.csv [--pose-model mallick6]
                                          # against known head poses (columns path, yaw_deg, pitch_deg)
    python -m ml.gaze.evaluate --blinks VIDEO --truth data/gaze/franck_blinks.json
                                          # the product's blink counter against blinks marked by eye
    python -m ml.gaze.evaluate --blinks VIDEO.avi --truth VIDEO_ideal.csv   # marks of closed frames
    python -m ml.gaze.evaluate --blinks VIDEO --truth TRUTH --open-rel 0,0.85
                                          # also with the reopen check (signals.BLINK_OPEN_REL; not adopted)
    python -m ml.gaze.evaluate --motion DIR [--limit 10] [--every 8]   # head movement of known speed
    python -m ml.gaze.evaluate --nods CALTECH YALE FER [--keep clips.json]   # nods and shakes of known times
    python -m ml.gaze.evaluate --smile [--limit N] [--write data/gaze/smile_metrics.json]
                                          # the smile threshold against FER2013 PublicTest's "happy" labels

Every image under DIR (recursively) is read in grey, scaled so its shorter side is 240-480 px
(small crops such as FER2013's 48x48 are upscaled), padded by 15% (edge replication, so tight
crops keep a face-sized margin), and searched with dlib's HOG detector; the largest face gets
68 landmarks and a head pose (``ml.gaze.pose``). The last stdout line is one JSON object: ``n``,
``detected_share``, ``facing_share`` (of the detected faces, ``ml.gaze.signals`` tolerance),
``mean_abs_yaw``, ``mean_abs_pitch``, ``mean_abs_roll``, ``median_yaw``, ``median_pitch``,
``seconds``, ``pose_model``.

``--labels CSV`` scores the images it lists (``path`` absolute or relative to DIR, ``yaw_deg``,
``pitch_deg`` in ``ml.gaze.pose``'s sign conventions), those within ``--max-abs-yaw`` and
``--max-abs-pitch`` of their labels, against their known poses. A face counts as truly facing the
camera when its labelled yaw and pitch are within the product's tolerance (``ml.gaze.signals``). The
line then also has ``facing_accuracy`` (the product's facing / not facing against the truth, over
detected faces), ``facing_recall`` (truly facing faces read as facing), ``turned_recall`` (truly
turned faces read as turned), ``truly_facing``, and ``mae_yaw`` / ``mae_pitch`` (mean absolute
errors, degrees), ``yaw_slope`` (the least-squares slope through 0 of the read yaw on the labelled
one: 1 when turns are read at their size).

``--blinks VIDEO --truth JSON`` runs the product's own path on a video (``ml.media.decode_recording``
at the job's ``--fps`` and ``--fine-fps``, then ``GazeChannel``) and matches the blinks it counts with
the blinks of the truth file (``blinks``: [first, last] frame of each, ``dont_care`` spans, ``fps``):
a counted blink matches a true one when it starts within ``--tolerance`` seconds of that blink's
closed frames, one to one in time order; counted blinks near a don't-care span are left out. A
``--truth`` ending in ``.csv`` holds instead one 0/1 per video frame (1 = eyes closed), as the
FOCUS project's ``*_ideal.csv`` files do; each run of 1s is a blink, at the video's frame rate. The
JSON line has ``true_blinks``, ``counted``, ``matched``, ``recall``, ``precision``, and the rates per
minute, true and counted (``blinks_per_min`` as the dashboard shows it).

``--motion DIR`` measures the head-movement figure (``signals.motion``) where its truth is known: each
photo (every ``--every``-th image under DIR, at most ``--limit``) is put on a 640x480 grey frame and
shown for 10 s at 15 frames a second with sensor noise (SD 3 grey levels, seeded), encoded as VP8 and
read back as a recording is (``GazeChannel``), once still (true speed 0) and once turned in the picture
plane (roll) by a sine of 10° at 0.25 Hz (true mean speed 10°/s), 10° at 0.5 Hz (20°/s) and 5° at 1 Hz
(20°/s). The JSON line gives, per set, the mean, lowest and highest reading, smoothed as the product
does (``MOTION_SMOOTH``) and unsmoothed.

``--nods CALTECH YALE FER`` measures the nod and head-shake counters where their truth is known: faces
turned out of the picture plane (``ml.gaze.synth``, pseudo-3-D), four 10-second clips per face at 15
frames a second with sensor noise, VP8 (realtime, as browsers record), read at the job's 5 frames a
second by ``GazeChannel``: still; 3 nods (down by 10-15° and back in 0.6-1.0 s); 3 shakes (10-15° one
way, the other and back in 0.8-1.2 s); glances held for seconds (not nods or shakes). Face sets: "sharp"
(every 6th photo of CALTECH, every 2nd of YALE), "blurred" (the same, each frame shrunk to a third and
enlarged again), "fer" (every 8th image of FER, FER2013 crops enlarged as ``prepare`` does). Per set and
counter -- C0 ``signals.count_oscillations`` alone (the product's until 2026-12-06), C1
``signals.steady_count`` on the series alone (counted only where ``signals.pose_noise`` is at most
``POSE_STEADY_MAX``), C2 the product's (C1, and only where at most ``NUDGE_MAX_SHARE`` of the readings
move with a nudged box: ``signals.nudge_share``) -- the line gives for nods and for shakes the true events, matched, extra counts
(over all four kinds of clip), recall, precision and coverage (clips counted), the still clips' counts
per minute, whether the counter passes (recall and precision >= 0.8, still <= 1 a minute), the share of
clips given a head speed (``motion_given``), and for "sharp" the largest reading of each event's angle over its intended size (a check of the warp).
``--keep JSON`` writes every clip's counts. The rule these figures were measured under: README, "Nods
and head shakes".

``--smile`` measures the smile reading (``signals.smile_ratio`` above ``signals.SMILE_RATIO``) against the
label "happy" on every FER2013 PublicTest face (``../shared/data/fer2013``; the first ``--limit`` only, if
given; never PrivateTest, which is withheld): each 48x48 crop is prepared as ``prepare`` does, searched
with the product's HOG detector (``ml.face.detect.hog_boxes``), and the largest face's 68 landmarks give
the ratio. SMILE_RATIO was chosen on Training faces; PublicTest only measures it. The JSON line (and
``--write FILE``, which the answer pages read through ``webapp.modelinfo.smile_metrics``) gives ``n``
(faces shown), ``found`` (a face found), ``happy`` (of those found, labelled happy), ``happy_shown``,
``tp``/``fp``/``fn``/``tn`` (smiling or not against happy or not, over the faces found), ``precision``,
``recall``, ``accuracy``, ``threshold`` and ``command``.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from ml.metrics import two_class_scores

IMAGE_EXTS = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm"}
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def prepare(gray: np.ndarray) -> np.ndarray:
    import cv2

    h, w = gray.shape
    s = min(h, w)
    scale = 240.0 / s if s < 240 else (480.0 / s if s > 480 else 1.0)
    if scale != 1.0:
        gray = cv2.resize(gray, (max(1, int(round(w * scale))), max(1, int(round(h * scale)))),
                          interpolation=cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA)
    pad = int(round(0.15 * max(gray.shape)))
    return cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_REPLICATE)


def measure(gray: np.ndarray, model=None):
    """(yaw, pitch, roll) of the largest face of a photo, or None when no face is found."""
    from ml.face import CLASS_NAMES  # FER2013's classes in the order of its `emotion` numbers
    from ml.face.detect import hog_boxes
    from ml.gaze.landmarks import shape
    from ml.gaze.pose import head_pose

    work = prepare(gray)
    boxes = hog_boxes(work)
    if not boxes:
        return None
    return head_pose(shape(work, boxes[0]), work.shape, model=model)


def evaluate(paths, model=None, truth: dict | None = None) -> dict:
    """The JSON line's figures for the images `paths`; `truth` ({path: (yaw, pitch)}) adds the
    figures against known poses."""
    import cv2

    from ml.gaze.pose import DEFAULT_MODEL
    from ml.gaze.signals import is_facing

    t0 = time.perf_counter()
    poses, n, known = [], 0, []
    for p in paths:
        gray = cv2.imread(str(p), cv2.IMREAD_GRAYSCALE)
        if gray is None:
            continue
        n += 1
        pose = measure(gray, model)
        if pose is not None:
            poses.append(pose)
            if truth is not None:
                known.append(truth[p])
    arr = np.array(poses, dtype=float).reshape(-1, 3)
    facing = [is_facing(y, p) for y, p, _ in arr]
    r = lambda v: round(float(v), 4)  # noqa: E731
    out = {"pose_model": (model or DEFAULT_MODEL).name}
    if truth is not None:
        true = np.array(known, dtype=float).reshape(-1, 2)
        truly = np.array([is_facing(y, p) for y, p in true], dtype=bool)
        read = np.array(facing, dtype=bool)
        out.update({
            "truly_facing": int(truly.sum()),
            "facing_accuracy": r(np.mean(read == truly)) if len(read) else None,
            "facing_recall": r(read[truly].mean()) if truly.any() else None,
            "turned_recall": r((~read[~truly]).mean()) if (~truly).any() else None,
            "mae_yaw": r(np.abs(arr[:, 0] - true[:, 0]).mean()) if len(arr) else None,
            "mae_pitch": r(np.abs(arr[:, 1] - true[:, 1]).mean()) if len(arr) else None,
            # least squares through 0 of read yaw on true yaw: 1 = turns read at their size; above 1
            # the 3-D face is too shallow (turns read too large), below 1 too deep
            "yaw_slope": r(true[:, 0] @ arr[:, 0] / (true[:, 0] @ true[:, 0])) if np.any(true[:, 0]) else None,
        })
    return {**out,
        "n": n, "detected": len(poses), "detected_share": r(len(poses) / n) if n else 0.0,
        "facing_share": r(np.mean(facing)) if facing else None,
        "mean_abs_yaw": r(np.abs(arr[:, 0]).mean()) if len(arr) else None,
        "mean_abs_pitch": r(np.abs(arr[:, 1]).mean()) if len(arr) else None,
        "mean_abs_roll": r(np.abs(arr[:, 2]).mean()) if len(arr) else None,
        "median_yaw": r(np.median(arr[:, 0])) if len(arr) else None,
        "median_pitch": r(np.median(arr[:, 1])) if len(arr) else None,
        "seconds": round(time.perf_counter() - t0, 2),
    }


def match_blinks(counted, truth, dont_care=(), tolerance: float = 0.2) -> dict:
    """Match counted blink start times (seconds) with true blinks ([(start, end)] seconds): each
    counted blink goes to the earliest unmatched true blink whose span, widened by `tolerance`,
    holds it. Counted blinks within `tolerance` of a `dont_care` span are left out."""
    truth = sorted((float(a), float(b)) for a, b in truth)
    kept = [t for t in sorted(counted)
            if not any(a - tolerance <= t <= b + tolerance for a, b in dont_care)]
    used, matched = set(), 0
    for t in kept:
        for i, (a, b) in enumerate(truth):
            if i not in used and a - tolerance <= t <= b + tolerance:
                used.add(i)
                matched += 1
                break
    scores = two_class_scores(matched, len(kept) - matched, len(truth) - matched)
    return {"true_blinks": len(truth), "counted": len(kept), "matched": matched,
            "recall": scores["recall"], "precision": scores["precision"]}


def evaluate_blinks(video: Path, truth_path: Path, fps: float, fine_fps: float, tolerance: float,
                    open_rels=()) -> dict:
    """The product's blink counter on `video` against the truth file (see the module docstring).
    `open_rels`: also the counts with each of these ``ml.gaze.signals.BLINK_OPEN_REL`` (0 = off), on
    the same decoded frames and landmarks, under "open_rel"."""
    from ml.channels.gaze import GazeChannel
    from ml.gaze import signals
    from ml.media import decode_recording

    t0 = time.perf_counter()
    truth = read_frame_flags(video, truth_path) if Path(truth_path).suffix.lower() == ".csv" \
        else json.loads(Path(truth_path).read_text())
    f = float(truth["fps"])
    media = decode_recording(video, fps=fps, fine_fps=fine_fps, audio=False)
    data = GazeChannel().run(media, lambda *a: None).data
    def seconds(spans):  # [first, last] frames -> [start, end) seconds
        return [(a / f, (b + 1) / f) for a, b in spans]

    out = match_blinks(data["blinks"], seconds(truth["blinks"]), seconds(truth.get("dont_care", [])), tolerance)
    minutes = data["minutes"]
    out.update({
        "true_per_min": round(len(truth["blinks"]) / minutes, 2) if minutes else None,
        "blinks_per_min": None if data["blinks_per_min"] is None else round(data["blinks_per_min"], 2),
        "sampled_fps": round(data["sampled_fps"], 2), "minutes": round(minutes, 3),
        "seconds": round(time.perf_counter() - t0, 2),
    })
    shipped = signals.BLINK_OPEN_REL
    try:
        for v in open_rels:
            signals.BLINK_OPEN_REL = v or None
            again = GazeChannel().run(media, lambda *a: None).data  # face track and eyes: cached on media
            out.setdefault("open_rel", {})[str(v)] = match_blinks(
                again["blinks"], seconds(truth["blinks"]), seconds(truth.get("dont_care", [])), tolerance)
    finally:
        signals.BLINK_OPEN_REL = shipped
    return out


def read_frame_flags(video: Path, csv_path: Path) -> dict:
    """A truth file of one 0/1 per video frame (1 = eyes closed; one per line, as the FOCUS project's
    ``*_ideal.csv``) as the JSON truth: each run of 1s one blink, the video's average frame rate. Rows
    past the video's last frame must be 0."""
    import av

    flags = [int(x) for x in Path(csv_path).read_text(encoding="utf-8-sig").split()]
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        fps, frames = float(stream.average_rate), sum(1 for _ in container.decode(stream))
    if any(flags[frames:]):
        raise SystemExit(f"{csv_path}: eyes marked closed after the video's last frame ({frames})")
    from ml.series import runs
    blinks = [[a, b - 1] for a, b in runs([v != 0 for v in flags[:frames]])]
    return {"fps": fps, "frames": frames, "blinks": blinks, "dont_care": []}


def read_labels(csv_path: Path, root: Path, max_yaw: float, max_pitch: float) -> dict:
    """{image path: (yaw, pitch)} of the labelled images within the limits."""
    import csv

    out = {}
    with open(csv_path, newline="") as f:
        for row in csv.DictReader(f):
            yaw, pitch = float(row["yaw_deg"]), float(row["pitch_deg"])
            if abs(yaw) <= max_yaw and abs(pitch) <= max_pitch:
                p = Path(row["path"])
                out[p if p.is_absolute() else root / p] = (yaw, pitch)
    return out


#: which of those rows show no face at all, by eye (many of them hold a real face)
NOT_A_FACE_BY_EYE = Path(__file__).with_name("not_a_face_by_eye.json")


def export_not_a_face(out: Path, only_no_face: bool = False) -> int:
    """Write the FER2013 Training images that FER+ voters, by majority, call "not a face" as PNGs
    (no model trains on them as faces): a set for counting a face search's false alarms. Many of them
    show a real face; ``only_no_face``: only the rows that show none, by eye (NOT_A_FACE_BY_EYE)."""
    import cv2

    from ml.face.features import load_fer, not_a_face_mask

    d = load_fer()
    idx = np.flatnonzero((d["usage"] == "Training") & not_a_face_mask(d))
    if only_no_face:
        idx = np.intersect1d(idx, json.loads(NOT_A_FACE_BY_EYE.read_text())["no_face"])
    out.mkdir(parents=True, exist_ok=True)
    for i in idx:
        cv2.imwrite(str(out / f"train_{i:05d}.png"), d["pixels"][i])
    return len(idx)


def export_fer(out: Path, limit: int | None, select: Path | None = None) -> int:
    """Write FER2013 PublicTest crops as PNGs: the first ``limit`` (500 by default), or the rows
    of PublicTest listed in ``select`` (a JSON file with ``publictest_rows``)."""
    import cv2

    d = np.load(SHARED / "fer2013" / "fer2013_dev.npz")
    idx = np.flatnonzero(d["usage"] == "PublicTest")
    if select is not None:
        idx = idx[json.loads(Path(select).read_text())["publictest_rows"]]
    idx = idx[:limit] if limit else (idx if select is not None else idx[:500])
    pixels = d["pixels"]
    out.mkdir(parents=True, exist_ok=True)
    for i in idx:
        cv2.imwrite(str(out / f"publictest_{i:05d}.png"), pixels[i])
    return len(idx)


MOTION_SETS = (("still", 0.0, 0.5), ("roll_0.25hz", 10.0, 0.25), ("roll_0.5hz", 10.0, 0.5), ("roll_1hz", 5.0, 1.0))


def motion_frames(photo: Path, amplitude: float, hz: float, rng, fps: int = 15, seconds: float = 10.0):
    """Grey 640x480 frames of ``photo`` rolled by ``amplitude * sin(2 pi hz t)`` degrees, with noise."""
    import cv2
    canvas = nod_canvas(photo, interpolation=cv2.INTER_LINEAR)
    for i in range(int(fps * seconds)):
        m = cv2.getRotationMatrix2D((320, 240), amplitude * np.sin(2 * np.pi * hz * i / fps), 1.0)
        frame = cv2.warpAffine(canvas, m, (640, 480), borderValue=128).astype(np.float32)
        yield np.clip(frame + rng.normal(0, 3.0, frame.shape), 0, 255).astype(np.uint8)


def evaluate_motion(photos: list[Path], seed: int = 0) -> dict:
    """The head-movement figure on still and rolled photos (see the module docstring)."""
    import tempfile

    from ml.channels.gaze import GazeChannel
    from ml.gaze import signals
    from ml.media import decode_recording, encode_video

    rng = np.random.default_rng(seed)
    read = {name: {"smoothed": [], "unsmoothed": []} for name, _, _ in MOTION_SETS}
    still = {"nods": 0, "shakes": 0, "blinks": 0}  # counted on the still photos, where there are none
    with tempfile.TemporaryDirectory() as tmp:
        for k, photo in enumerate(photos):
            for name, amplitude, hz in MOTION_SETS:
                path = encode_video(Path(tmp) / f"{k}_{name}.webm", motion_frames(photo, amplitude, hz, rng), 15)
                d = GazeChannel().run(decode_recording(path, fps=5.0, fine_fps=15.0, audio=False), lambda *a: None).data
                # the product's figure, and the same angles unsmoothed
                unsmoothed = signals.motion(d["t"], d["yaw"], d["pitch"], d["roll"], smooth=1)
                if amplitude == 0:
                    still["nods"] += d["nods"] or 0     # None: not counted (read unsteadily)
                    still["shakes"] += d["shakes"] or 0
                    still["blinks"] += len(d["blinks"])
                for key, value in (("smoothed", d["motion"]), ("unsmoothed", unsmoothed)):
                    if value is not None:
                        read[name][key].append(value)
    from ml.gaze.track import BOX_SMOOTH
    out = {"n_photos": len(photos), "smooth": signals.MOTION_SMOOTH, "box_smooth": BOX_SMOOTH,
           "still_counted": still}
    for name, amplitude, hz in MOTION_SETS:
        out[name] = {"true": round(4 * amplitude * hz, 2), "read": len(read[name]["smoothed"]),
                     **{key: [round(float(f(v)), 2) for f in (np.mean, np.min, np.max)] if v else None
                        for key, v in read[name].items()}}
    return out


NOD_KINDS = ("still", "nods", "shakes", "glances")


def nod_angles(kind: str, rng, fps: int = 15, seconds: float = 10.0):
    """(yaw, pitch) per frame of a clip of ``kind`` (NOD_KINDS), and its events [(kind, start, length,
    amplitude)]: nods pitch down by A and back, shakes turn A one way, A the other and back, glances
    turn away and hold (not a nod or a shake)."""
    t = np.arange(int(fps * seconds)) / fps
    yaw, pitch, events = np.zeros_like(t), np.zeros_like(t), []

    def ramp(t0, t1):  # 0 before t0, 1 after t1, a raised cosine between
        u = np.clip((t - t0) / (t1 - t0), 0.0, 1.0)
        return 0.5 - 0.5 * np.cos(np.pi * u)

    if kind in ("nods", "shakes"):
        for start in (2.0, 5.0, 8.0):
            a = rng.uniform(10.0, 15.0)
            d = rng.uniform(0.6, 1.0) if kind == "nods" else rng.uniform(0.8, 1.2)
            u = np.clip((t - start) / d, 0.0, 1.0)
            if kind == "nods":
                pitch -= a * np.sin(np.pi * u) ** 2
            else:
                yaw += a * np.sin(2 * np.pi * u)
            events.append((kind, start, round(d, 3), round(a, 2)))
    elif kind == "glances":
        yaw += 25.0 * (ramp(0.5, 1.5) - ramp(4.5, 5.5))
        pitch -= 20.0 * (ramp(5.5, 6.5) - ramp(9.0, 10.0))
    return yaw, pitch, events


def nod_frames(head, yaw, pitch, rng, blur: bool = False):
    """The clip's grey frames: the head turned per frame, a poor camera's blur if ``blur`` (each frame
    shrunk to a third and enlarged again), sensor noise SD 3."""
    import cv2

    from ml.gaze.synth import turned

    h, w = head.gray.shape
    for y, p in zip(yaw, pitch):
        frame = turned(head, float(y), float(p))
        if blur:
            frame = cv2.resize(cv2.resize(frame, (w // 3, h // 3), interpolation=cv2.INTER_AREA), (w, h),
                               interpolation=cv2.INTER_LINEAR)
        yield np.clip(frame.astype(np.float32) + rng.normal(0, 3.0, frame.shape), 0, 255).astype(np.uint8)


def nod_canvas(path: Path, fer: bool = False, interpolation: int | None = None) -> np.ndarray:
    """A photo on a 640x480 grey frame (the longer side 400 px, resized with ``interpolation``, by default
    cubic; a small crop such as FER2013's first enlarged and padded as ``prepare`` does), as ``--nods``
    and ``--motion`` show it."""
    import cv2

    img = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if fer:
        img = prepare(img)
    scale = 400 / max(img.shape)
    img = cv2.resize(img, (int(img.shape[1] * scale), int(img.shape[0] * scale)),
                     interpolation=cv2.INTER_CUBIC if interpolation is None else interpolation)
    canvas = np.full((480, 640), 128, np.uint8)
    y0, x0 = (480 - img.shape[0]) // 2, (640 - img.shape[1]) // 2
    canvas[y0:y0 + img.shape[0], x0:x0 + img.shape[1]] = img
    return canvas


def nod_counts(d: dict) -> dict:
    """What each counter of the nod rules counts on one clip's gaze data: C0 every count, C1 the same
    where the series is read steadily (None: not counted), C2 the product's (C1, and where the readings
    hold when the box is nudged), the noise and the nudged shares; and whether a head speed was given."""
    from ml.gaze import signals

    out = {"C0": {}, "C1": {}, "C2": {}, "noise": {}, "nudged": d.get("pose_nudged"), "motion": d.get("motion")}
    for name, series in (("nods", d["pitch"]), ("shakes", d["yaw"])):
        out["C0"][name] = signals.count_oscillations(d["t"], series)
        out["C1"][name], noise = signals.steady_count(d["t"], series)
        out["C2"][name] = d[name]
        out["noise"][name] = None if noise is None else round(noise, 2)
    return out


def nod_peaks(d: dict, events) -> list[float]:
    """For each nod or shake of a clip, the largest reading of its angle away from the clip's median
    within the event (and 0.2 s either side), over its intended amplitude."""
    t = np.asarray(d["t"], dtype=np.float64)
    ratios = []
    for kind, start, length, amplitude in events:
        series = d["pitch"] if kind == "nods" else d["yaw"]
        vals = np.array([np.nan if v is None else v for v in series], dtype=np.float64)
        base = np.nanmedian(vals)
        inside = (t >= start - 0.2) & (t <= start + length + 0.2) & np.isfinite(vals)
        if inside.any():
            ratios.append(float(np.max(np.abs(vals[inside] - base))) / amplitude)
    return ratios


def nod_summary(clips: list[dict]) -> dict:
    """The rule's figures of one face set, per counter (see ``--nods``)."""
    out = {"clips": len(clips), "motion_given": round(sum(c["counts"].get("motion") is not None for c in clips)
                                                      / len(clips), 3) if clips else None}
    for counter in ("C0", "C1", "C2"):
        fig = {}
        counted = [c for c in clips if all(c["counts"][counter][m] is not None for m in ("nods", "shakes"))]
        for m in ("nods", "shakes"):
            measured = [c for c in clips if c["counts"][counter][m] is not None]
            true = sum(c["truth"][m] for c in measured if c["kind"] == m)
            matched = sum(min(c["counts"][counter][m], c["truth"][m]) for c in measured if c["kind"] == m)
            extra = sum(max(c["counts"][counter][m] - c["truth"][m], 0) for c in measured)
            scores = two_class_scores(matched, extra, true - matched, digits=3)
            fig[m] = {"true": true, "matched": matched, "extra": extra,
                      "recall": scores["recall"], "precision": scores["precision"],
                      "coverage": round(len(measured) / len(clips), 3) if clips else None}
        still_counts = sum(c["counts"][counter][m] for c in counted if c["kind"] == "still" for m in ("nods", "shakes"))
        still_minutes = sum(c["seconds"] for c in counted if c["kind"] == "still") / 60.0
        fig["still_per_min"] = round(still_counts / still_minutes, 2) if still_minutes else None
        fig["passes"] = bool(
            all(fig[m]["recall"] is not None and fig[m]["recall"] >= 0.8 and
                (fig[m]["precision"] or 0.0) >= 0.8 for m in ("nods", "shakes"))
            and fig["still_per_min"] is not None and fig["still_per_min"] <= 1.0)
        out[counter] = fig
    ratios = [r for c in clips for r in c["peaks"]]
    out["peak_over_amplitude"] = round(float(np.mean(ratios)), 3) if ratios else None
    return out


def evaluate_nods(sets: dict, seed: int = 0, keep: Path | None = None) -> dict:
    """Nods and shakes of known times on faces turned out of the picture plane (``ml.gaze.synth``)."""
    import tempfile

    from ml.channels.gaze import GazeChannel
    from ml.face import CLASS_NAMES  # FER2013's classes in the order of its `emotion` numbers
    from ml.face.detect import hog_boxes
    from ml.gaze.landmarks import shape
    from ml.gaze.synth import fit
    from ml.media import decode_recording, encode_video

    rng = np.random.default_rng(seed)
    out, clips_out = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for set_name, (paths, fer, blur) in sets.items():
            clips, skipped = [], 0
            for k, path in enumerate(paths):
                canvas = nod_canvas(path, fer)
                boxes = hog_boxes(canvas)
                if not boxes:
                    skipped += 1
                    continue
                head = fit(canvas, shape(canvas, boxes[0]))
                for kind in NOD_KINDS:
                    yaw, pitch, events = nod_angles(kind, rng)
                    video = encode_video(Path(tmp) / f"{set_name}_{k}_{kind}.webm",
                                         nod_frames(head, yaw, pitch, rng, blur), 15, options={"deadline": "realtime"})
                    # the job's 5 frames a second; nods and shakes are counted on them alone (the frames in
                    # between, which the job also reads, serve the blinks)
                    d = GazeChannel().run(decode_recording(video, fps=5.0, audio=False), lambda *a: None).data
                    truth = {"nods": sum(e[0] == "nods" for e in events), "shakes": sum(e[0] == "shakes" for e in events)}
                    clips.append({"photo": path.name, "kind": kind, "truth": truth, "events": events,
                                  "counts": nod_counts(d), "seconds": len(yaw) / 15.0,
                                  "face_share": round(d["face_share"], 3),
                                  "peaks": nod_peaks(d, events) if set_name == "sharp" else []})
                print(f"{set_name} {k + 1}/{len(paths)} {path.name}", file=sys.stderr, flush=True)
            out[set_name] = {"faces": len(paths) - skipped, "no_face_found": skipped, **nod_summary(clips)}
            clips_out[set_name] = clips
    if keep is not None:
        keep.write_text(json.dumps(clips_out, indent=1))
    from ml.gaze.track import BOX_SMOOTH
    from ml.gaze import signals
    return {"box_smooth": BOX_SMOOTH, "steady_max": signals.POSE_STEADY_MAX, "nudge": {
        "scale": signals.NUDGE_SCALE, "deg": signals.NUDGE_DEG, "max_share": signals.NUDGE_MAX_SHARE}, **out}


def smile_counts(pairs, threshold: float) -> dict:
    """The smile figures of ``pairs`` [(ratio, happy)]: a ratio of None or NaN is a face not found (left out
    of the counts); a face counts as smiling when its ratio is above ``threshold``, as ``ml.channels.gaze``
    counts a frame."""
    pairs = [(r, bool(h)) for r, h in pairs]
    found = [(r > threshold, h) for r, h in pairs if r is not None and np.isfinite(r)]
    tp = sum(s and h for s, h in found)
    fp = sum(s and not h for s, h in found)
    fn = sum(h and not s for s, h in found)
    tn = len(found) - tp - fp - fn
    return {"n": len(pairs), "found": len(found), "happy": tp + fn, "happy_shown": sum(h for _, h in pairs),
            "tp": tp, "fp": fp, "fn": fn, "tn": tn, **two_class_scores(tp, fp, fn, tn), "threshold": threshold}


def evaluate_smiles(limit: int | None = None) -> dict:
    """The smile reading on FER2013 PublicTest faces against their "happy" labels (see ``--smile``)."""
    from ml.face import CLASS_NAMES  # FER2013's classes in the order of its `emotion` numbers
    from ml.face.detect import hog_boxes
    from ml.gaze.landmarks import shape
    from ml.gaze.signals import SMILE_RATIO, smile_ratio

    t0 = time.perf_counter()
    d = np.load(SHARED / "fer2013" / "fer2013_dev.npz")
    idx = np.flatnonzero(d["usage"] == "PublicTest")[:limit]
    pixels, emotion, happy = d["pixels"], d["emotion"], CLASS_NAMES.index("happy")
    pairs = []
    for k, i in enumerate(idx):
        work = prepare(pixels[i])
        boxes = hog_boxes(work)
        pairs.append((smile_ratio(shape(work, boxes[0])) if boxes else None, int(emotion[i]) == happy))
        if (k + 1) % 500 == 0:
            print(f"{k + 1}/{len(idx)}", file=sys.stderr, flush=True)
    return {**smile_counts(pairs, SMILE_RATIO), "data": "FER2013 PublicTest",
            "seconds": round(time.perf_counter() - t0, 2)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", nargs="?", type=Path)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--export-fer-publictest", type=Path, default=None, metavar="DIR")
    ap.add_argument("--export-fer-not-a-face", type=Path, default=None, metavar="DIR",
                    help="FER2013 Training images that FER+ voters call 'not a face' as PNGs (false alarms)")
    ap.add_argument("--no-face-by-eye", action="store_true",
                    help="with --export-fer-not-a-face: only those that show no face at all, by eye "
                         "(ml/gaze/not_a_face_by_eye.json)")
    ap.add_argument("--select", type=Path, default=None, metavar="JSON",
                    help="with --export-fer-publictest: only these PublicTest rows (publictest_rows)")
    ap.add_argument("--pose-model", default=None, help="3-D face of ml.gaze.pose.MODELS (default: the product's)")
    ap.add_argument("--mirror-retry", action="store_true",
                    help="also search the mirrored image when no face is found (ml.face.detect.MIRROR_RETRY; measured, not adopted)")
    ap.add_argument("--haar-retry", action="store_true",
                    help="also try the Haar cascade when HOG finds no face (ml.face.detect.HAAR_RETRY)")
    ap.add_argument("--labels", type=Path, default=None, metavar="CSV",
                    help="known poses: columns path, yaw_deg, pitch_deg (pose.py's sign conventions)")
    ap.add_argument("--max-abs-yaw", type=float, default=90.0, help="with --labels: only labels within this yaw")
    ap.add_argument("--max-abs-pitch", type=float, default=90.0, help="with --labels: only labels within this pitch")
    ap.add_argument("--blinks", type=Path, default=None, metavar="VIDEO", help="count blinks in a video (with --truth)")
    ap.add_argument("--truth", type=Path, default=None, metavar="JSON", help="with --blinks: the blinks marked by eye (JSON), or one 0/1 per frame (.csv)")
    ap.add_argument("--fps", type=float, default=5.0, help="with --blinks: frames per second of the face track (the job's)")
    ap.add_argument("--fine-fps", type=float, default=15.0, help="with --blinks: frames per second for blinks (the job's)")
    ap.add_argument("--tolerance", type=float, default=0.2, help="with --blinks: seconds around a true blink")
    ap.add_argument("--open-rel", default="", metavar="V,V",
                    help="with --blinks: also count with these ml.gaze.signals.BLINK_OPEN_REL values (0 = off)")
    ap.add_argument("--motion", type=Path, default=None, metavar="DIR",
                    help="head movement of photos held still and rolled at known speeds (with --limit, --every)")
    ap.add_argument("--every", type=int, default=8, help="with --motion: every n-th photo")
    ap.add_argument("--nods", nargs=3, type=Path, default=None, metavar=("CALTECH", "YALE", "FER"),
                    help="nods and shakes of known times on faces turned out of the picture plane: folders of "
                         "Caltech frontal faces, Yale faces and FER2013 camera-facing faces (see the docstring)")
    ap.add_argument("--keep", type=Path, default=None, metavar="JSON", help="with --nods: every clip's counts")
    ap.add_argument("--smile", action="store_true",
                    help="the smile threshold against FER2013 PublicTest's 'happy' labels (with --limit, --write)")
    ap.add_argument("--write", type=Path, default=None, metavar="JSON",
                    help="with --smile: also write the figures to this file (data/gaze/smile_metrics.json)")
    args = ap.parse_args(argv)
    from ml.gaze.pose import MODELS

    if args.pose_model is not None and args.pose_model not in MODELS:
        ap.error(f"--pose-model must be one of {', '.join(MODELS)}")
    model = MODELS.get(args.pose_model)
    if args.mirror_retry:
        import ml.face.detect
        ml.face.detect.MIRROR_RETRY = True
    if args.haar_retry:
        import ml.face.detect
        ml.face.detect.HAAR_RETRY = True
    if args.blinks is not None:
        if args.truth is None or not args.blinks.is_file():
            ap.error("--blinks needs a video file and --truth JSON")
        print(json.dumps(evaluate_blinks(args.blinks, args.truth, args.fps, args.fine_fps, args.tolerance,
                                        [float(v) for v in args.open_rel.split(",") if v.strip()])))
        return 0
    if args.motion is not None:
        photos = sorted(p for p in args.motion.rglob("*") if p.suffix.lower() in IMAGE_EXTS and p.is_file())
        print(json.dumps(evaluate_motion(photos[::max(1, args.every)][:args.limit or 10])))
        return 0
    if args.nods is not None:
        def photos(d):
            return sorted(p for p in d.rglob("*") if p.suffix.lower() in IMAGE_EXTS | {".gif"} and p.is_file())
        caltech, yale, fer = (photos(d) for d in args.nods)
        sharp = caltech[::6] + yale[::2]
        sets = {"sharp": (sharp, False, False), "blurred": (sharp, False, True), "fer": (fer[::8], True, False)}
        if args.limit:
            sets = {k: (v[0][:args.limit], *v[1:]) for k, v in sets.items()}
        print(json.dumps(evaluate_nods(sets, keep=args.keep)))
        return 0
    if args.smile:
        if args.limit is not None and args.limit < 1:
            ap.error("--limit must be at least 1")
        command = ("python -m ml.gaze.evaluate --smile" + (f" --limit {args.limit}" if args.limit else "")
                   + (f" --write {args.write}" if args.write is not None else ""))
        out = {**evaluate_smiles(args.limit), "command": command}
        if args.write is not None:
            args.write.parent.mkdir(parents=True, exist_ok=True)
            args.write.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
        print(json.dumps(out))
        return 0
    if args.export_fer_not_a_face:
        n = export_not_a_face(args.export_fer_not_a_face, args.no_face_by_eye)
        print(json.dumps({"exported": n, "dir": str(args.export_fer_not_a_face)}))
        return 0
    if args.export_fer_publictest:
        n = export_fer(args.export_fer_publictest, args.limit, args.select)
        print(json.dumps({"exported": n, "dir": str(args.export_fer_publictest)}))
        return 0
    if args.dir is None or not args.dir.is_dir():
        ap.error("DIR must be a folder of images")
    truth = None
    if args.labels is not None:
        truth = read_labels(args.labels, args.dir, args.max_abs_yaw, args.max_abs_pitch)
        paths = sorted(p for p in truth if p.is_file())
    else:
        paths = sorted(p for p in args.dir.rglob("*") if p.suffix.lower() in IMAGE_EXTS and p.is_file())
    if args.limit:
        paths = paths[:args.limit]
    print(json.dumps(evaluate(paths, model, truth)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
