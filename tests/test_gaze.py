"""The gaze channel: head-pose conventions, blink / nod / shake counting, and the channel on real
clips (FER2013 faces) with no face, two faces, and a face leaving the frame."""
import numpy as np
import pytest

from ml.gaze import signals
from ml.gaze.pose import DEFAULT_MODEL, MODELS, head_pose, project
from tests.mediagen import have_data


def landmarks68(yaw, pitch, roll, noise=0.0, seed=0, offset=(0.0, 0.0), model=None):
    """68 landmarks whose model points (`model`, default the product's) are the 3-D face projected
    with a known pose."""
    model = model or DEFAULT_MODEL
    pts = np.full((68, 2), np.nan)
    known = project(yaw, pitch, roll, size=(480, 640), offset=offset, model=model)
    known += np.random.default_rng(seed).normal(0, noise, known.shape)
    pts[list(model.indices)] = known
    pts[np.isnan(pts[:, 0])] = known[model.nose]  # the rest is not used by the pose
    return pts


@pytest.mark.parametrize("model", list(MODELS.values()), ids=list(MODELS))
@pytest.mark.parametrize("pose", [(0, 0, 0), (25, 0, 0), (-25, 0, 0), (0, 15, 0), (0, -15, 0), (0, 0, 12),
                                  (0, 0, -12), (18, -10, 6), (-30, 12, -8)])
def test_head_pose_recovers_a_known_rotation(pose, model):
    got = head_pose(landmarks68(*pose, noise=0.5, offset=(150, -60), model=model), (480, 640), model=model)
    assert got is not None
    assert np.allclose(got, pose, atol=3.0), (got, pose)


@pytest.mark.parametrize("model", list(MODELS.values()), ids=list(MODELS))
def test_head_pose_signs_mean_what_the_docstring_says(model):
    nose, (eye_l, eye_r) = model.nose, model.eyes
    right = project(30, 0, 0, model=model)   # yaw > 0: turned towards the image's right
    assert abs(right[nose, 0] - right[eye_r, 0]) < abs(right[nose, 0] - right[eye_l, 0])
    assert head_pose(right, (480, 640), model=model)[0] > 25
    up = project(0, 20, 0, model=model)      # pitch > 0: chin up, so the (protruding) nose tip rises towards the eye line
    level = project(0, 0, 0, model=model)
    assert up[nose, 1] - up[eye_l, 1] < level[nose, 1] - level[eye_l, 1]
    assert head_pose(up, (480, 640), model=model)[1] > 15
    cw = project(0, 0, 15, model=model)      # roll > 0: clockwise, the image-right eye lower than the image-left one
    assert cw[eye_r, 1] > cw[eye_l, 1]
    assert head_pose(cw, (480, 640), model=model)[2] > 10
    assert head_pose(np.zeros((68, 2)), (480, 640), model=model) is None  # degenerate landmarks: no pose, no crash


def test_the_models_agree_on_where_the_face_is():
    """Both 3-D faces put the eyes above the nose tip, the image-left eye on the left and the nose tip
    nearest the camera, in the same axes (else one of them would report a turned head as frontal)."""
    for model in MODELS.values():
        p, (l, r), n = model.points, model.eyes, model.nose
        assert p[l, 0] < p[n, 0] < p[r, 0]
        assert p[l, 1] < p[n, 1] and p[r, 1] < p[n, 1]
        assert p[n, 2] < p[l, 2] and p[n, 2] < p[r, 2]
    assert MODELS["rigid13"].indices == (27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 39, 42, 45)


def test_facing_tolerance():
    assert signals.is_facing(19, -19) and not signals.is_facing(21, 0) and not signals.is_facing(0, -25)


def test_blinks_in_a_hand_made_eye_aspect_series():
    fps = 30
    t = np.arange(0, 10, 1 / fps)
    e = np.full(t.size, 0.30) + np.random.default_rng(1).normal(0, 0.01, t.size)
    for start in (1.0, 3.5, 6.0):                       # three blinks of ~130 ms
        e[(t >= start) & (t < start + 0.13)] = 0.12
    e[(t >= 8.0) & (t < 9.0)] = 0.10                    # eyes closed for a second: not a blink
    e[int(5.0 * fps)] = 0.12                            # one 33 ms dip: noise, not a blink
    ears = list(e)
    ears[int(2.0 * fps)] = None                         # no face in one frame: no crash
    got = signals.blinks(list(t), ears)
    assert [round(b, 1) for b in got] == [1.0, 3.5, 6.0]
    assert signals.blinks(list(t), [0.3] * t.size) == []


def test_the_reopen_check_keeps_blinks_between_open_eyes_and_drops_dips_in_a_squint():
    """``open_rel`` (measured, not adopted: runs off by default): a dip counts only between open eyes."""
    fps = 15
    t = np.arange(0, 12, 1 / fps)
    e = np.full(t.size, 0.30)
    e[(t >= 2.0) & (t < 2.15)] = 0.12                   # a blink between open eyes
    e[(t >= 6.0) & (t < 8.0)] = 0.24                    # eyes narrowed for 2 s (a laugh, a look down) ...
    e[(t >= 7.0) & (t < 7.15)] = 0.20                   # ... with a dip under 0.75 x the open level inside
    e[(t >= 11.8)] = 0.10                               # a closure at the recording's end: no sample after it
    ears = [float(v) for v in e]
    assert signals.BLINK_OPEN_REL is None               # the shipped counter
    assert [round(b, 1) for b in signals.blinks(list(t), ears)] == [2.0, 7.0]
    assert [round(b, 1) for b in signals.blinks(list(t), ears, open_rel=0.85)] == [2.0]
    # a blink in the recording's first samples: the side without samples does not reject
    first = list(ears)
    first[:2] = [0.12, 0.12]
    assert [round(b, 1) for b in signals.blinks(list(t), first, open_rel=0.85)] == [0.0, 2.0]


def test_blink_rate_is_not_shown_below_the_sampling_rate_it_needs():
    from ml.channels.gaze import summarise

    t = list(np.arange(0, 10, 0.2))                     # 5 frames per second: blinks fall between samples
    n = len(t)
    s = summarise(t, [0.0] * n, [0.0] * n, [0.0] * n, [1] * n, [0.3] * n, [0.5] * n)
    assert s["blinks_per_min"] is None and "not measured" in s["blinks_note"]
    t30 = list(np.arange(0, 60, 1 / 30))
    ears = [0.12 if (x % 6.0) < 0.1 else 0.3 for x in t30]   # a 100 ms blink every 6 s: 10 per minute
    m = len(t30)
    s30 = summarise(t30, [0.0] * m, [0.0] * m, [0.0] * m, [1] * m, ears, [0.5] * m)
    assert s30["blinks_per_min"] == pytest.approx(10, abs=0.5)


def test_rates_per_minute_need_ten_seconds_of_face():
    """The numbers review: a 2 s video showed "30 blinks a minute" from one blink, and stored it (and nods, shakes and
    looking away per minute) in the averages. Below MIN_RATE_FACE_S of face the counts stay, the rates go."""
    from ml.channels.gaze import MIN_RATE_FACE_S, scores_of, summarise

    def run(seconds, face_from=0.0):
        t = list(np.arange(0, seconds, 1 / 15))
        face = [x >= face_from for x in t]
        ears = [None if not f else (0.12 if (x % 3.0) < 0.1 else 0.3) for x, f in zip(t, face)]  # a blink every 3 s
        pose = [0.0 if f else None for f in face]
        return summarise(t, pose, pose, pose, [1] * len(t), ears, [0.5 if f else None for f in face])

    short = run(6.0)
    assert short["blinks_per_min"] is None and short["blinks_unmeasured"] == "short" and len(short["blinks"]) == 2
    assert "no rate" in short["blinks_note"] and short["face_seconds"] == pytest.approx(6.0, abs=0.1)
    assert {label for _, label, _ in scores_of(short)} == {"facing_share", "motion", "smile_share"}
    # a long answer whose face was in view for less than the minimum: no rates either
    late = run(30.0, face_from=30.0 - MIN_RATE_FACE_S + 2)
    assert late["blinks_per_min"] is None and "nods_per_min" not in {label for _, label, _ in scores_of(late)}
    full = run(12.0)
    assert full["blinks_per_min"] == pytest.approx(20, abs=0.5)
    assert {"blinks_per_min", "nods_per_min", "shakes_per_min", "looking_away_per_min"} <= {
        label for _, label, _ in scores_of(full)}


def test_a_head_in_too_few_frames_is_marked_few_frames_as_the_face_channel_marks_a_face():
    """The summary says itself that the head was followed in fewer than MIN_FACE_FRAMES sampled frames (few_frames,
    the face channel's flag and rule: more than none, fewer than the minimum), and scores_of reads it: no figure of
    such a head goes into the averages, and one of a head in enough frames does."""
    from ml.channels.face import MIN_FACE_FRAMES
    from ml.channels.gaze import scores_of, summarise

    def run(face_n, steps=40):
        t = [round(0.2 * k, 2) for k in range(steps)]
        pose = [None] * (steps - face_n) + [0.0] * face_n
        return summarise(t, pose, pose, pose, [1] * steps, [None if p is None else 0.3 for p in pose],
                         [None if p is None else 0.5 for p in pose])

    for face_n, few in ((0, False), (1, True), (MIN_FACE_FRAMES - 1, True), (MIN_FACE_FRAMES, False), (40, False)):
        s = run(face_n)
        assert (s["face_frames"], s["few_frames"], s["min_face_frames"]) == (face_n, few, MIN_FACE_FRAMES), face_n
        assert (scores_of(s) == []) == (few or face_n == 0), face_n


def test_nods_and_shakes_counted_from_pose_series():
    t = np.arange(0, 20, 0.2)
    rng = np.random.default_rng(2)
    pitch = rng.normal(0, 1.0, t.size)
    for c in (3.0, 8.0, 14.0):                          # three nods: down ~12° and back within ~0.8 s
        pitch -= 12 * np.exp(-((t - c) / 0.3) ** 2)
    yaw = rng.normal(0, 1.0, t.size)
    yaw[(t >= 5) & (t < 7)] += 15 * np.sin(2 * np.pi * (t[(t >= 5) & (t < 7)] - 5))  # two side-to-side cycles
    assert signals.count_oscillations(t, list(pitch)) == 3
    assert signals.count_oscillations(t, list(yaw)) == 2  # one per full side-to-side cycle
    drift = list(np.linspace(0, 25, t.size))            # a slow turn is not a nod
    assert signals.count_oscillations(t, drift) == 0
    assert signals.count_oscillations(t, list(rng.normal(0, 1.0, t.size))) == 0
    gap = list(pitch)
    gap[15] = None                                      # a frame without a face inside the first nod
    assert signals.count_oscillations(t, gap) == 2
    assert signals.motion(t, list(yaw), list(pitch), [0.0] * t.size) > signals.motion(t, [0.0] * t.size,
                                                                                     [0.0] * t.size, [0.0] * t.size)


def test_head_speed_is_taken_from_smoothed_angles():
    """Landmark jitter alone (a still head, SD 0.7° per angle, as seen on still photos) read about
    5 deg/s unsmoothed; a slow turn keeps its speed; a missing pose breaks the smoothing."""
    rng = np.random.default_rng(3)
    t = np.arange(0, 20, 0.2)
    still = [list(rng.normal(0, 0.7, t.size)) for _ in range(3)]
    raw, smoothed = signals.motion(t, *still, smooth=1), signals.motion(t, *still)
    assert raw > 4.0 and smoothed < raw / 2.5
    turn = [list(10 * np.sin(2 * np.pi * 0.25 * t)), [0.0] * t.size, [0.0] * t.size]   # true mean speed 10°/s
    assert signals.motion(t, *turn, smooth=1) == pytest.approx(10.0, rel=0.05)
    assert signals.motion(t, *turn) == pytest.approx(10.0, rel=0.1)
    # two runs split by a frame without a face: no speed across the gap, each run smoothed alone
    step = [0.0] * 10 + [None] + [30.0] * 10
    assert signals.motion(list(range(21)), step, [0.0] * 21, [0.0] * 21) == 0.0
    assert signals.motion([0, 1], [None, 1.0], [0.0, 0.0], [0.0, 0.0]) is None


def test_looking_away_episodes():
    t = [k * 0.2 for k in range(50)]                   # 10 s
    facing = [True] * 50
    for k in range(10, 22):                            # 2.4 s turned away from 2.0 s
        facing[k] = False
    for k in range(30, 38):                            # 1.6 s: too short
        facing[k] = None
    for k in range(40, 50):                            # 2 s to the end: not longer than 2 s
        facing[k] = False
    assert signals.looking_away(t, facing) == [{"start": 2.0, "duration": 2.4}]
    assert signals.looking_away(t, [None] * 50) == []


# --- the channel on real clips -----------------------------------------------------------------

needs_data = pytest.mark.skipif(not have_data(), reason="needs ../shared/data (FER2013)")


def run_channel(path, fps=5.0):
    from ml.channels.gaze import GazeChannel
    from ml.media import decode_recording

    media = decode_recording(path, fps=fps, audio=False)
    return GazeChannel().run(media, lambda *a: None), media


@needs_data
def test_channel_on_a_clip_with_one_face(tmp_path):
    from tests.mediagen import write_video

    res, media = run_channel(write_video(tmp_path / "one.webm", seconds=3, audio=False))
    d = res.data
    assert len(d["t"]) == len(d["yaw"]) == len(d["facing"]) == len(media.frames) == d["steps"]
    assert d["face_share"] >= 0.9 and d["flags"] == []
    # the clip shows a new still FER2013 face every second: within a second the pose barely moves
    # (VP8 noise only), and "facing" follows the documented tolerance
    for second in range(3):
        yaws = [y for t, y in zip(d["t"], d["yaw"]) if second + 0.05 < t < second + 0.95]
        pitches = [p for t, p in zip(d["t"], d["pitch"]) if second + 0.05 < t < second + 0.95]
        assert len(yaws) >= 3 and np.ptp(yaws) < 3 and np.ptp(pitches) < 3
    assert d["facing"] == [abs(y) <= 20 and abs(p) <= 20 for y, p in zip(d["yaw"], d["pitch"])]
    assert d["facing_share"] == pytest.approx(np.mean(d["facing"]))
    assert d["pose_model"] == "rigid13"                # which 3-D face read the angles (webapp.labels)
    assert d["motion_smooth"] == signals.MOTION_SMOOTH  # how the head's speed was smoothed (webapp.labels)
    assert 0 <= d["smile_share"] <= 1
    assert d["blinks_per_min"] is None                 # 5 sampled frames per second
    labels = {label for family, label, _ in res.scores if family == "gaze"}
    assert {"facing_share", "motion", "smile_share"} <= labels
    # 3 s of face: no rates per minute (test_rates_per_minute_need_ten_seconds_of_face)
    assert not labels & {"blinks_per_min", "looking_away_per_min", "nods_per_min", "shakes_per_min"}
    import json
    json.dumps(d)                                       # stored as JSON


@needs_data
def test_channel_flags_a_clip_without_a_face(tmp_path):
    from tests.mediagen import write_video

    res, _ = run_channel(write_video(tmp_path / "none.webm", seconds=2, face=False, audio=False))
    d = res.data
    assert d["flags"] == ["no_face"] and d["face_share"] == 0 and d["facing_share"] is None
    assert d["looking_away"] == [] and res.scores == []


@needs_data
def test_channel_flags_two_faces(tmp_path):
    from tests.mediagen import write_video

    res, _ = run_channel(write_video(tmp_path / "two.webm", seconds=3, audio=False, faces_per_frame=2))
    assert "multiple_faces" in res.data["flags"]


@needs_data
def test_channel_flags_a_face_leaving_the_frame(tmp_path):
    from tests.mediagen import encode_video, face_crops

    from ml.gaze.evaluate import measure

    crop = next(c for c in face_crops() if (m := measure(c)) is not None and signals.is_facing(m[0], m[1]))
    fps = 15

    def frames():
        for k in range(6 * fps):                        # 3 s centred, 0.5 s sliding out to the right, 2.5 s gone
            img = np.full((480, 640), 120, np.uint8)
            x = 200 if k < 3 * fps else 200 + int((k - 3 * fps) * 440 / (0.5 * fps))
            if x < 640:
                img[120:360, x:min(640, x + 240)] = crop[:, :min(240, 640 - x)]
            yield img

    res, _ = run_channel(encode_video(tmp_path / "leave.webm", frames(), fps))
    d = res.data
    assert "face_left_frame" in d["flags"] and "no_face" not in d["flags"]
    assert d["face_share"] == pytest.approx(3.25 / 6, abs=0.1)
    assert len(d["looking_away"]) == 1 and 3.0 <= d["looking_away"][0]["start"] <= 3.6
    assert all(y is None for t, y in zip(d["t"], d["yaw"]) if t > 3.6)
    assert all(y is not None for t, y in zip(d["t"], d["yaw"]) if t < 2.9)


# --- blinks from the frames in between (fine_fps) ------------------------------------------------

BLINK_FRAMES = ((22, 23), (61, 62), (94, 95))  # at 15 fps: ~133 ms shut, never on a 5-per-second frame


def blinking_clip(path, fps=15, seconds=12, size=(640, 480)):
    """A still real face (FER2013, neutral) at 15 fps whose eyes are painted shut (mediagen.close_eyes)
    for two frames three times. The face is the first of mediagen.face_crops whose eye aspect ratio
    falls by at least 40% when shut, so that the test is about the pipeline, not about the crude
    closure (tests/mediagen.py says why it is no measure of real blinks). ``size`` = (width, height)
    of the picture, the face in its middle."""
    from ml.face.detect import hog_boxes
    from ml.gaze.landmarks import shape
    from tests.mediagen import close_eyes, encode_video, face_crops

    w, h = size
    for crop in face_crops(8, 6):
        img = np.full((h, w), 120, np.uint8)
        img[h // 2 - 120:h // 2 + 120, w // 2 - 120:w // 2 + 120] = crop
        boxes = hog_boxes(img)
        if not boxes:
            continue
        shut = close_eyes(img, shape(img, boxes[0]))
        if signals.ear(shape(shut, boxes[0])) < 0.6 * signals.ear(shape(img, boxes[0])):
            break
    else:
        pytest.skip("no face in the set whose painted-shut eyes the landmarks follow")
    closed = {k for pair in BLINK_FRAMES for k in pair}
    frames = [shut if round(k * 15 / fps) in closed else img for k in range(int(seconds * fps))]
    return encode_video(path, frames, fps, size=size)


@needs_data
def test_media_keeps_the_frames_in_between_apart(tmp_path):
    from ml.media import decode_recording
    from tests.mediagen import write_video

    clip = write_video(tmp_path / "c.webm", seconds=3, audio=False)   # 15 fps
    plain = decode_recording(clip, fps=5, audio=False)
    fine = decode_recording(clip, fps=5, audio=False, fine_fps=15)
    assert [t for t, _ in fine.frames] == [t for t, _ in plain.frames]  # the face channel sees the same frames
    assert plain.fine_frames == [] and len(fine.fine_frames) == 2 * len(fine.frames)
    merged = sorted([t for t, _ in fine.frames] + [t for t, _ in fine.fine_frames])
    assert len(set(merged)) == 45 and signals.sampled_fps(merged) == pytest.approx(15, abs=0.2)
    assert decode_recording(clip, fps=5, audio=False, fine_fps=5).fine_frames == []  # not above fps: none


@needs_data
def test_blinks_are_counted_from_the_frames_in_between(tmp_path):
    from ml.channels.gaze import GazeChannel
    from ml.media import decode_recording

    clip = blinking_clip(tmp_path / "blinks.webm")
    media = decode_recording(clip, fps=5, audio=False, fine_fps=15)
    res = GazeChannel().run(media, lambda *a: None)
    d = res.data
    assert d["blinks_note"] is None and d["sampled_fps"] == pytest.approx(15, abs=0.2)
    assert d["blinks"] == pytest.approx([a / 15 for a, _ in BLINK_FRAMES], abs=0.01)
    assert d["blinks_per_min"] == pytest.approx(3 / (12 / 60), rel=0.02)     # 3 in 12 s
    assert ("gaze", "blinks_per_min", d["blinks_per_min"]) in res.scores
    # the same clip read at the face's 5 frames per second alone: every shut frame falls between
    # them, and the rate is "not measured", not 0
    res5, _ = run_channel(clip)
    assert res5.data["blinks_per_min"] is None and "not measured" in res5.data["blinks_note"]
    assert "blinks_per_min" not in {label for _, label, _ in res5.scores}


@needs_data
def test_the_blink_measurement_counts_with_and_without_the_reopen_check(tmp_path):
    """``python -m ml.gaze.evaluate --blinks CLIP --truth JSON --open-rel 0,0.85``: the shipped
    counter and the reopen check on the same frames; the clip's blinks lie between open eyes, so
    the check keeps all three (and an open level no eye reaches, 1.5 x the median, keeps none),
    and the shipped setting is back afterwards."""
    import json

    from ml.gaze.evaluate import main

    clip = blinking_clip(tmp_path / "blinks.webm")
    truth = tmp_path / "truth.json"
    truth.write_text(json.dumps({"fps": 15, "blinks": [list(b) for b in BLINK_FRAMES], "dont_care": []}))
    import contextlib
    import io
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--blinks", str(clip), "--truth", str(truth), "--open-rel", "0,0.85,1.5"]) == 0
    r = json.loads(out.getvalue().splitlines()[-1])
    assert (r["matched"], r["counted"], r["true_blinks"]) == (3, 3, 3)
    assert {k: (v["matched"], v["counted"]) for k, v in r["open_rel"].items()} == {"0.0": (3, 3), "0.85": (3, 3), "1.5": (0, 0)}
    assert signals.BLINK_OPEN_REL is None


@needs_data
def test_blinks_are_not_measured_from_a_slow_camera(tmp_path):
    from ml.channels.gaze import GazeChannel
    from ml.media import decode_recording

    clip = blinking_clip(tmp_path / "slow.webm", fps=10)     # 10 frames per second: too few whatever is asked
    media = decode_recording(clip, fps=5, audio=False, fine_fps=15)
    d = GazeChannel().run(media, lambda *a: None).data
    assert d["blinks_per_min"] is None and "read 10.0 per second; blinks need at least 14.25" in d["blinks_note"]


@needs_data
def test_the_camera_facing_set_exports_the_listed_publictest_rows(tmp_path):
    import json
    from pathlib import Path

    from ml.gaze.evaluate import SHARED, export_fer, main

    listing = Path(__file__).resolve().parents[1] / "data" / "gaze" / "camera_facing_publictest.json"
    rows = json.loads(listing.read_text())["publictest_rows"]
    assert len(rows) == len(set(rows)) == 117 and all(0 <= r < 300 for r in rows)
    assert export_fer(tmp_path / "all", limit=5) == 5
    assert export_fer(tmp_path / "facing", None, listing) == 117
    d = np.load(SHARED / "fer2013" / "fer2013_dev.npz")
    first = int(np.flatnonzero(d["usage"] == "PublicTest")[0])
    names = sorted(p.name for p in (tmp_path / "facing").iterdir())
    assert names == sorted(f"publictest_{first + r:05d}.png" for r in rows)
    assert main([str(tmp_path / "all")]) == 0


@needs_data
def test_evaluate_scores_known_poses_from_a_labels_file(tmp_path, capsys):
    """--labels: only the listed images within the limits, scored against their labels with the
    product's facing rule; the figures follow from measure()'s poses."""
    import json

    import cv2

    from ml.gaze.evaluate import export_fer, main, measure
    from ml.gaze.pose import MODELS
    from ml.gaze.signals import is_facing

    export_fer(tmp_path / "img", limit=12)
    names = sorted(p.name for p in (tmp_path / "img").iterdir())
    labels = {n: (0.0, 0.0) if i % 2 else (60.0, -15.0) for i, n in enumerate(names[:10])}
    labels[names[10]] = (75.0, 0.0)   # beyond --max-abs-yaw 60: left out
    (tmp_path / "labels.csv").write_text("path,yaw_deg,pitch_deg\n" + "".join(
        f"{n},{y},{p}\n" for n, (y, p) in labels.items()))
    for model in ("rigid13", "mallick6"):
        assert main([str(tmp_path / "img"), "--labels", str(tmp_path / "labels.csv"), "--max-abs-yaw", "60",
                     "--pose-model", model]) == 0
        got = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        poses = {n: measure(cv2.imread(str(tmp_path / "img" / n), cv2.IMREAD_GRAYSCALE), MODELS[model])
                 for n in names[:10]}
        found = {n: p for n, p in poses.items() if p is not None}
        assert got["pose_model"] == model and got["n"] == 10 and got["detected"] == len(found) > 0
        truly = {n: is_facing(*labels[n]) for n in found}
        read = {n: is_facing(p[0], p[1]) for n, p in found.items()}
        assert got["truly_facing"] == sum(truly.values())
        assert got["facing_accuracy"] == pytest.approx(np.mean([read[n] == truly[n] for n in found]), abs=1e-4)
        assert got["mae_yaw"] == pytest.approx(np.mean([abs(found[n][0] - labels[n][0]) for n in found]), abs=1e-3)
        t = np.array([labels[n][0] for n in found])
        assert got["yaw_slope"] == pytest.approx(t @ np.array([found[n][0] for n in found]) / (t @ t), abs=1e-3)
    with pytest.raises(SystemExit):
        main([str(tmp_path / "img"), "--pose-model", "nope"])


@needs_data
def test_a_face_lit_from_one_side_is_found_after_equalising():
    """FER2013 faces darkened towards one side (a window beside the desk): the CLAHE retry finds
    faces that the plain HOG search misses, and never loses one; a face found at once is searched once."""
    import cv2

    from ml.face.detect import hog_boxes
    from ml.gaze.evaluate import SHARED

    d = np.load(SHARED / "fer2013" / "fer2013_dev.npz")
    ramp = np.linspace(1.0, 0.12, 240)[None, :]
    plain = retried = 0
    for i in np.flatnonzero(d["usage"] == "PublicTest")[:60]:
        face = cv2.resize(d["pixels"][i], (240, 240), interpolation=cv2.INTER_CUBIC).astype(float)
        img = cv2.copyMakeBorder(np.clip(face * ramp * 0.6, 0, 255).astype(np.uint8), 40, 40, 40, 40,
                                 cv2.BORDER_REPLICATE)
        a, b = hog_boxes(img, equalise=False), hog_boxes(img, equalise=True)
        assert not a or a == b
        plain, retried = plain + bool(a), retried + bool(b)
        if b and not a:
            assert hog_boxes(img) == b  # the product's default searches again
    assert retried >= plain + 3, (plain, retried)
    lit = cv2.copyMakeBorder(cv2.resize(d["pixels"][np.flatnonzero(d["usage"] == "PublicTest")[0]], (240, 240)),
                             40, 40, 40, 40, cv2.BORDER_REPLICATE)
    assert hog_boxes(lit) == hog_boxes(lit, equalise=False)


@needs_data
def test_the_mirrored_search_maps_its_boxes_back(monkeypatch):
    """MIRROR_RETRY (measured, not adopted): when the plain and equalised searches find nothing, the
    mirrored image is searched and its boxes are mirrored back onto the face; off by default."""
    import threading

    import cv2

    import ml.face.detect as D
    from ml.gaze.evaluate import SHARED

    d = np.load(SHARED / "fer2013" / "fer2013_dev.npz")
    img = cv2.copyMakeBorder(cv2.resize(d["pixels"][np.flatnonzero(d["usage"] == "PublicTest")[0]], (240, 240)),
                             40, 40, 80, 10, cv2.BORDER_REPLICATE)   # off centre: a wrong mapping shows
    (x, y, w, h), = D.hog_boxes(img)
    real, _ = D.hog_detector()
    calls = []

    def blind_twice(image, upsample):  # the plain and the equalised searches find nothing
        calls.append(image)
        return real(image, upsample) if len(calls) > 2 else []

    monkeypatch.setattr(D, "hog_detector", lambda: (blind_twice, threading.Lock()))
    assert not D.MIRROR_RETRY and D.hog_boxes(img) == [] and len(calls) == 2
    calls.clear()
    (mx, my, mw, mh), = D.hog_boxes(img, mirror=True)
    assert np.array_equal(calls[2], img[:, ::-1])
    assert abs(mx - x) <= 3 and abs(my - y) <= 3 and abs(mw - w) <= 3 and abs(mh - h) <= 3


@needs_data
def test_the_haar_retry_finds_a_face_hog_misses_in_hog_framing():
    """HAAR_RETRY (measured, not adopted): when both HOG searches find nothing, the Haar cascade's box is
    turned into a HOG-like one (``fer_to_hog``, the inverse of ``hog_to_fer``); off by default. The face
    is the one camera-facing PublicTest face that only the cascade finds in the measurement."""
    import cv2

    import ml.face.detect as D
    from ml.gaze.evaluate import SHARED, prepare
    from ml.gaze.landmarks import shape

    assert D.fer_to_hog(D.hog_to_fer((100, 80, 120, 120))) == pytest.approx((100, 80, 120, 120))
    d = np.load(SHARED / "fer2013" / "fer2013_dev.npz")
    img = prepare(d["pixels"][28902])
    assert not D.HAAR_RETRY and D.hog_boxes(img) == []
    (x, y, w, h), = D.hog_boxes(img, haar=True)
    haar, = D._cascade().detectMultiScale(cv2.equalizeHist(img), scaleFactor=1.1, minNeighbors=5, minSize=(80, 80))
    assert (x, y, w, h) == tuple(int(round(v)) for v in D.fer_to_hog(haar))
    eyes_y = shape(img, (x, y, w, h))[36:48, 1].mean()
    assert y < eyes_y < y + h / 2                       # the eyes in the box's upper half, as with HOG's
    blank = np.full((300, 300), 120, np.uint8)
    assert D.hog_boxes(blank, haar=True) == []


def test_match_blinks_pairs_each_true_blink_once_and_skips_dont_care_spans():
    from ml.gaze.evaluate import match_blinks

    truth = [(1.0, 1.2), (3.0, 3.1), (5.0, 5.3)]
    # 0.9 and 1.35 both fall on the first blink: one match, one extra; 3.4 is too late for the
    # second; 7.05 lies near a don't-care span and is left out; 9.0 matches nothing
    got = match_blinks([0.9, 1.35, 3.4, 5.1, 7.05, 9.0], truth, dont_care=[(7.2, 8.0)], tolerance=0.2)
    assert got == {"true_blinks": 3, "counted": 5, "matched": 2, "recall": round(2 / 3, 4), "precision": 0.4}
    assert match_blinks([], truth)["precision"] is None and match_blinks([1.1], [])["recall"] is None


def test_a_truth_of_one_flag_per_frame_reads_as_blinks(tmp_path):
    """--truth CSV (one 0/1 per video frame, 1 = eyes closed, maybe with a byte-order mark): each run
    of 1s is one blink, at the video's frame rate; rows after the last frame must be 0."""
    import av

    from ml.gaze.evaluate import read_frame_flags
    from tests.mediagen import write_video

    video = write_video(tmp_path / "v.webm", seconds=2, fps=15, face=False, audio=False)
    with av.open(str(video)) as c:
        frames = sum(1 for _ in c.decode(c.streams.video[0]))
    flags = [0, 1, 1, 0, 1] + [0] * (frames - 5)
    (tmp_path / "ok.csv").write_text("\ufeff" + "\n".join(map(str, flags + [0, 0])) + "\n", encoding="utf-8")
    got = read_frame_flags(video, tmp_path / "ok.csv")
    assert got["blinks"] == [[1, 2], [4, 4]] and got["frames"] == frames and got["fps"] == pytest.approx(15, abs=0.5)
    (tmp_path / "late.csv").write_text("\n".join(map(str, flags + [1])))
    with pytest.raises(SystemExit, match="after the video's last frame"):
        read_frame_flags(video, tmp_path / "late.csv")


def test_the_blink_truth_file_is_well_formed():
    """data/gaze/franck_blinks.json: sorted, disjoint spans of a few frames inside the video, none
    overlapping a don't-care span (ml.gaze.evaluate --blinks reads it)."""
    import json
    from pathlib import Path

    doc = json.loads((Path(__file__).resolve().parents[1] / "data" / "gaze" / "franck_blinks.json").read_text())
    blinks, skip = doc["blinks"], doc["dont_care"]
    assert doc["fps"] == 25 and len(blinks) == 55
    spans = sorted(blinks + skip)
    assert all(0 <= a <= b < 4998 for a, b in spans)
    assert all(b1 < a2 for (_, b1), (a2, _) in zip(spans, spans[1:]))
    assert all(1 <= b - a + 1 <= int(0.5 * doc["fps"]) for a, b in blinks)  # closed at most 0.5 s


def test_box_at_interpolates_only_between_steps_that_found_the_face():
    from ml.gaze.track import EYE_BOX_GAP, box_at

    times = [0.0, 0.2, 0.4, 0.6]
    boxes = [(100, 100, 80, 80), (110, 100, 80, 80), None, (120, 90, 90, 90)]
    assert box_at(0.1, times, boxes) == pytest.approx((105, 100, 80, 80))
    assert box_at(0.2, times, boxes) == pytest.approx((110, 100, 80, 80))
    assert box_at(0.25, times, boxes) is None          # the next step lost the face
    assert box_at(0.5, times, boxes) is None           # and the one before
    assert box_at(0.6 + EYE_BOX_GAP / 2, times, boxes) == (120, 90, 90, 90)  # after the last step, close to it
    assert box_at(0.6 + 2 * EYE_BOX_GAP, times, boxes) is None
    assert box_at(-0.05, times, boxes) == (100, 100, 80, 80)
    assert box_at(0.3, [0.0], [None]) is None and box_at(0.3, [], []) is None


@needs_data
@pytest.mark.parametrize("camera_fps", [60, 30, 25, 24, 20, 15])
def test_fine_frames_leave_no_long_hole(tmp_path, camera_fps):
    """Whatever the camera's rate, the frames read for blinks are at most ~85 ms apart (24 fps: 42 or
    83 ms), 15 to 20 a second in all from faster cameras (every frame from slower ones), and the
    face's frames stay what they were without them."""
    from ml.media import decode_recording
    from tests.mediagen import encode_video

    frames = [np.full((240, 320), (20 * k) % 255, np.uint8) for k in range(camera_fps * 4)]
    clip = encode_video(tmp_path / "c.webm", frames, camera_fps, size=(320, 240))
    plain = decode_recording(clip, fps=5, audio=False)
    fine = decode_recording(clip, fps=5, audio=False, fine_fps=15)
    assert [t for t, _ in fine.frames] == [t for t, _ in plain.frames]
    times = sorted([t for t, _ in fine.frames] + [t for t, _ in fine.fine_frames])
    assert len(set(times)) == len(times)
    assert max(np.diff(times)) <= 0.085, np.diff(times)
    assert signals.blinks_measurable(signals.sampled_fps(times))
    # at most the grid's 15 with the face's 5 beside it (a 60 fps camera: 5 ms early or late, they drift off it)
    assert signals.sampled_fps(times) <= min(camera_fps, 20) + 0.1
    assert len(fine.fine_frames) <= 15 * 4 + 1


@needs_data
def test_portrait_fine_frames_are_scaled_down_and_read_in_the_scaled_box(tmp_path):
    """A portrait picture's fine frames are stored smaller; the face box is scaled to them, so the
    eyes read on them match those read on the full-size frames of a still face (an unscaled box
    would put the landmarks on the wrong part of the picture)."""
    from ml.channels.gaze import GazeChannel
    from ml.gaze.track import eye_series, face_track
    from ml.media import FINE_MAX_PIXELS, decode_recording
    from tests.mediagen import encode_video, face_crops

    img = np.full((800, 480), 120, np.uint8)            # 384,000 pixels a frame
    img[280:520, 120:360] = face_crops(8, 6)[2]
    clip = encode_video(tmp_path / "portrait.webm", [img] * 45, 15, size=(480, 800))
    media = decode_recording(clip, fps=5, audio=False, fine_fps=15)
    assert media.frames[0][1].shape == (800, 480) and len(media.fine_frames) == 30
    assert all(g.size <= FINE_MAX_PIXELS for _, g in media.fine_frames)
    scale = (FINE_MAX_PIXELS / (480 * 800)) ** 0.5
    assert media.fine_frames[0][1].shape == (int(800 * scale), int(480 * scale))
    main = [signals.ear(s.landmarks) for s in face_track(media)]
    _, fine = eye_series(media)
    assert None not in main and None not in fine
    assert np.median(fine) == pytest.approx(np.median(main), rel=0.1)
    assert media.fine_frames == []                     # let go of once read
    assert GazeChannel().run(media, lambda *a: None).data["sampled_fps"] == pytest.approx(15, abs=0.3)


@needs_data
@pytest.mark.parametrize("container", ["webm", "mp4"])
def test_grey_frames_are_those_of_the_library_conversion(tmp_path, container):
    import av

    from ml.media import _gray
    from tests.mediagen import write_video

    clip = write_video(tmp_path / f"c.{container}", seconds=1, audio=False, container=container)
    with av.open(str(clip)) as c:
        frames = list(c.decode(video=0))
    assert frames and all(np.array_equal(_gray(f), f.to_ndarray(format="gray")) for f in frames)


@needs_data
def test_eye_landmarks_are_the_68_point_models_own():
    from ml.face.detect import hog_boxes
    from ml.gaze.landmarks import eyes, shape
    from tests.mediagen import face_crops

    img = np.full((480, 640), 120, np.uint8)
    img[120:360, 200:440] = face_crops()[0]
    box = hog_boxes(img)[0]
    assert np.array_equal(eyes(img, box), shape(img, box)[36:48])


def test_depth_check_reads_the_nose_depth_of_a_known_face():
    """ml.gaze.depth_check, noise-free: the 68-point mean face turned through known yaws, seen from
    afar (weak perspective), gives back its own nose depth over eye span (0.47), and the six-point
    face's depth would read differently. (On real videos the method fails: README.)"""
    from ml.gaze.depth_check import depth_ratio
    from ml.gaze.pose import FULL68, _eye_spacing

    p = FULL68.points
    true = (np.mean(p[[36, 45], 2]) - p[30, 2]) / _eye_spacing(FULL68)
    assert 0.45 < true < 0.49
    yaws = [0.0] * 20 + list(np.linspace(-40, 40, 81))
    series = [project(y, 0, 0, size=(480, 640), distance=200 * _eye_spacing(FULL68), model=FULL68) for y in yaws]
    got = depth_ratio(series)
    assert got["frames"] == len(yaws) and got["turned"] > 20
    assert abs(got["depth_over_span"] - true) < 0.03, got


@needs_data
def test_motion_evaluation_reads_a_still_face_slower_smoothed(tmp_path, capsys):
    """`python -m ml.gaze.evaluate --motion DIR` on one FER2013 face: every set is read, with its
    true speed, and the still face reads slower smoothed (the product's figure) than unsmoothed."""
    import cv2
    import json

    from ml.gaze.evaluate import MOTION_SETS, main
    from tests.mediagen import face_crops

    cv2.imwrite(str(tmp_path / "face.png"), face_crops(1)[0])
    assert main(["--motion", str(tmp_path), "--limit", "1"]) == 0
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert res["n_photos"] == 1 and res["smooth"] == signals.MOTION_SMOOTH
    assert [res[name]["true"] for name, _, _ in MOTION_SETS] == [0.0, 10.0, 20.0, 20.0]
    assert all(res[name]["read"] == 1 for name, _, _ in MOTION_SETS)
    assert res["still"]["smoothed"][0] < res["still"]["unsmoothed"][0]


@needs_data
def test_the_not_a_face_rows_by_eye_are_not_a_face_rows_and_export_alone(tmp_path):
    """ml/gaze/not_a_face_by_eye.json sorts FER+'s "not a face" rows by eye: its rows are all of that set,
    in one group each, and --no-face-by-eye exports only the group with no face at all."""
    import json

    from ml.face.features import load_fer, not_a_face_mask
    from ml.gaze.evaluate import NOT_A_FACE_BY_EYE, export_not_a_face
    marks = json.loads(NOT_A_FACE_BY_EYE.read_text())
    d = load_fer()
    rows = set(np.flatnonzero((d["usage"] == "Training") & not_a_face_mask(d)).tolist())
    assert set(marks["no_face"]) <= rows and set(marks["unclear"]) <= rows
    assert not set(marks["no_face"]) & set(marks["unclear"])
    assert export_not_a_face(tmp_path / "no_face", only_no_face=True) == len(marks["no_face"]) == 60
    assert sorted(p.name for p in (tmp_path / "no_face").iterdir())[0] == f"train_{min(marks['no_face']):05d}.png"


def test_the_face_box_moves_part_of_the_way_and_jumps_when_the_face_does():
    from ml.gaze.track import BOX_SMOOTH, smooth_box

    assert smooth_box(None, (10, 10, 100, 100)) == (10, 10, 100, 100) and smooth_box((0, 0, 90, 90), None) is None
    x, y, w, h = smooth_box((100, 100, 200, 200), (90, 90, 220, 220))  # near: part of the way
    assert w == h == pytest.approx(200 + BOX_SMOOTH * 20) and x + w / 2 == pytest.approx(200)
    assert smooth_box((100, 100, 200, 200), (400, 100, 200, 200)) == (400, 100, 200, 200)  # moved far: there at once
    assert smooth_box((100, 100, 200, 200), (100, 100, 320, 320)) == (100, 100, 320, 320)  # much nearer the camera
    assert smooth_box((100, 100, 200, 200), (90, 90, 220, 220), rate=1) == (90, 90, 220, 220)


@needs_data
def test_a_still_faces_box_stays_still():
    """The numbers review: on a still face HOG's box alternated between two sizes about 10% apart, and the landmarks
    with it: 48 blinks a minute counted on a face that never blinked, and nods. Steadied, it moves under 4% a step."""
    from ml.gaze.track import FaceTracker
    from tests.mediagen import face_crops

    for crop in face_crops(4, 6):
        img = np.full((480, 640), 120, np.uint8)
        img[120:360, 200:440] = crop
        tracker = FaceTracker()
        sizes = np.array([step.box[2] for step in (tracker.step(img) for _ in range(30))])
        assert float(np.max(np.abs(np.diff(sizes[5:])) / sizes[5:-1])) < 0.04


def test_pose_noise_reads_unsteady_angles_and_not_a_few_turns():
    """signals.pose_noise: about 1.65 SD of independent noise, barely moved by three clear nods, runs
    broken by frames without a face."""
    t = np.arange(0, 20, 0.2)
    rng = np.random.default_rng(4)
    noisy = rng.normal(0, 2.0, t.size)
    assert signals.pose_noise(list(noisy)) == pytest.approx(1.65 * 2.0, rel=0.25)
    nods = np.zeros(t.size)
    for c in (3.0, 8.0, 14.0):
        nods -= 12 * np.exp(-((t - c) / 0.3) ** 2)
    assert signals.pose_noise(list(nods)) < 0.5
    broken = [None if i % 3 == 2 else 10.0 * (i % 2) for i in range(30)]  # runs of 2: nothing to read
    assert signals.pose_noise(broken) is None
    # counted unless read unsteadily: jitter of SD 2 deg (noise about 3.3) is not counted; too broken to tell, counted
    assert signals.steady_count(list(t), list(noisy))[0] is None
    assert signals.steady_count(list(t), list(nods))[0] == 3
    assert signals.steady_count(list(range(30)), broken)[0] == signals.count_oscillations(list(range(30)), broken)
    assert signals.pose_noise([]) is None


def test_nudge_share_counts_readings_that_move_with_the_box():
    """signals.nudge_share: the share of readings that moved more than NUDGE_DEG when the box was nudged, frames
    without a face skipped; steady_count leaves a series uncounted when that share is above NUDGE_MAX_SHARE, and
    counts it as before when the share was not measured (results stored before the check)."""
    assert signals.nudge_share([0.5, -4.0, None, 3.5, 1.0]) == pytest.approx(0.5)
    assert signals.nudge_share([None, None]) is None and signals.nudge_share([]) is None
    assert signals.nudge_share([signals.NUDGE_DEG, -signals.NUDGE_DEG]) == 0.0  # "more than"
    t = np.arange(0, 20, 0.2)
    nods = np.zeros(t.size)
    for c in (3.0, 8.0, 14.0):
        nods -= 12 * np.exp(-((t - c) / 0.3) ** 2)
    assert signals.steady_count(list(t), list(nods), nudged=signals.NUDGE_MAX_SHARE)[0] == 3
    assert signals.steady_count(list(t), list(nods), nudged=None)[0] == 3
    count, noise = signals.steady_count(list(t), list(nods), nudged=signals.NUDGE_MAX_SHARE + 0.01)
    assert count is None and noise < 0.5  # the series itself reads steadily: the nudge alone leaves it uncounted


def test_head_moves_give_each_axis_and_the_speed_only_where_the_readings_hold():
    """ml.channels.gaze.head_moves with the nudged differences: an up-down axis that moves with the box loses its
    nods and the head's speed, the left-right axis keeps its shakes; without differences (stored before the
    check) both are counted and no shares are recorded."""
    from ml.channels.gaze import head_moves

    t = [i / 5 for i in range(100)]
    yaw = [0.0] * 100
    for c in (15, 45, 75):  # three shakes: 10 deg one way, the other, back
        for k, v in enumerate((5.0, 10.0, 5.0, -5.0, -10.0, -5.0)):
            yaw[c + k] = v
    pitch, roll = [0.0] * 100, [0.0] * 100
    unsteady_pitch = [(0.1, 6.0 if i % 4 == 0 else 0.5) for i in range(100)]  # 25% of up-down readings move
    moves = head_moves(t, yaw, pitch, unsteady_pitch, roll)
    assert moves["shakes"] == 3 and moves["nods"] is None and moves["motion"] is None
    assert moves["pose_nudged"] == {"yaw": 0.0, "pitch": 0.25} and moves["pose_nudged_max"] == signals.NUDGE_MAX_SHARE
    steady = head_moves(t, yaw, pitch, [(0.1, 0.5)] * 100, roll)
    assert steady["shakes"] == 3 and steady["nods"] == 0 and steady["motion"] > 0
    old = head_moves(t, yaw, pitch)
    assert old["shakes"] == 3 and old["nods"] == 0 and "pose_nudged" not in old and "motion" not in old


@needs_data
def test_a_face_that_cannot_be_read_again_counts_as_unsteady_not_as_an_error(monkeypatch):
    """head_pose can find no pose (solvePnP fails, or puts the face behind the camera): when the second reading in the
    nudged box finds none, that frame's reading is unsteady on both axes, and the recording is still analysed."""
    import ml.gaze.pose as pose
    from ml.channels.gaze import GazeChannel
    from ml.media import DecodedMedia
    from tests.mediagen import face_crops

    calls = []

    def every_second_none(landmarks, size, model=None):
        calls.append(1)
        return None if len(calls) % 2 == 0 else (2.0, 1.0, 0.0)

    monkeypatch.setattr(pose, "head_pose", every_second_none)
    img = np.full((480, 640), 120, np.uint8)
    img[120:360, 200:440] = face_crops(8, 3)[0]
    d = GazeChannel().run(DecodedMedia(frames=[(k / 5.0, img) for k in range(20)]), lambda *a: None).data
    assert d["face_share"] == 1.0 and d["pose_nudged"] == {"yaw": 1.0, "pitch": 1.0}
    assert d["nods"] is None and d["shakes"] is None and d["motion"] is None


def test_nudged_box_grows_about_its_centre():
    from ml.gaze.track import nudged_box

    x, y, w, h = nudged_box((100.0, 50.0, 200.0, 200.0), 1.03)
    assert (x + w / 2, y + h / 2, w, h) == pytest.approx((200.0, 150.0, 206.0, 206.0))


@needs_data
def test_a_still_blurred_photo_is_not_read_as_nodding(tmp_path):
    """An outside review's case: an enlarged FER2013 face, perfectly still for 10 s (150 identical frames, the same
    file the review fed to Chromium's fake camera). The landmarks on that blurred face jump when the box moves by a
    pixel: by the series alone (C1) the up-down angle reads steady enough and 7 nods are counted; the second
    reading in a nudged box shows the readings do not hold, so the channel counts no nod and no head shake and gives
    no head speed (README, "Nods on a blurred face: a second reading")."""
    from ml.channels.gaze import GazeChannel
    from ml.media import decode_recording
    from tests.mediagen import face_crops

    img = np.full((480, 640), 120, np.uint8)
    img[120:360, 200:440] = face_crops(8, 3)[5]
    path = tmp_path / "still.y4m"
    with open(path, "wb") as f:
        f.write(b"YUV4MPEG2 W640 H480 F15:1 Ip A1:1 C420jpeg\n")
        chroma = np.full(240 * 320 * 2, 128, np.uint8).tobytes()
        for _ in range(150):
            f.write(b"FRAME\n" + img.tobytes() + chroma)
    d = GazeChannel().run(decode_recording(path, fps=5.0, audio=False), lambda *a: None).data
    assert d["face_share"] == 1.0
    assert signals.steady_count(d["t"], d["pitch"])[0] >= 3  # the series alone would count nods
    assert d["pose_nudged"]["pitch"] > signals.NUDGE_MAX_SHARE
    assert d["nods"] is None and d["shakes"] is None and d["motion"] is None


def test_nod_clips_hold_their_events():
    """The --nods clips: 3 nods down and back, 3 full side-to-side shakes, glances held, a still head."""
    from ml.gaze.evaluate import nod_angles

    rng = np.random.default_rng(0)
    yaw, pitch, events = nod_angles("nods", rng)
    assert len(events) == 3 and not yaw.any() and pitch.max() <= 0
    for _, start, length, amplitude in events:
        assert 10 <= amplitude <= 15 and 0.6 <= length <= 1.0
        assert -pitch[int(round((start + length / 2) * 15))] == pytest.approx(amplitude, abs=0.5)
    yaw, pitch, events = nod_angles("shakes", rng)
    assert len(events) == 3 and not pitch.any() and yaw.max() > 9.5 and yaw.min() < -9.5
    yaw, pitch, events = nod_angles("glances", rng)
    assert events == [] and yaw.max() == pytest.approx(25) and pitch.min() == pytest.approx(-20)
    assert signals.count_oscillations(np.arange(150) / 15, list(yaw)) == 0  # held turns are no shakes
    yaw, pitch, events = nod_angles("still", rng)
    assert events == [] and not yaw.any() and not pitch.any()


@needs_data
def test_a_photo_turned_out_of_the_picture_plane_reads_turned():
    """ml.gaze.synth turns a real face (a FER2013 crop, enlarged) by a known yaw and pitch: the
    product's head pose reads the turn in its direction and about its size; no turn is the photo."""
    import cv2

    from ml.face.detect import hog_boxes
    from ml.gaze.evaluate import nod_canvas
    from ml.gaze.landmarks import shape
    from ml.gaze.synth import fit, turned
    from tests.mediagen import face_crops

    def read(gray):
        boxes = hog_boxes(gray)
        assert boxes
        return head_pose(shape(gray, boxes[0]), gray.shape)

    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as tmp:  # the first of these faces that looks about straight ahead
        for k, crop in enumerate(face_crops(8)):
            cv2.imwrite(str(Path(tmp) / f"{k}.png"), crop)
            canvas = nod_canvas(Path(tmp) / f"{k}.png", fer=True)
            y0, p0, _ = read(canvas)
            if abs(y0) < 10 and abs(p0) < 10:
                break
    assert abs(y0) < 10 and abs(p0) < 10
    head = fit(canvas, shape(canvas, hog_boxes(canvas)[0]))
    assert (turned(head, 0.0, 0.0) == canvas).all()
    for yaw in (15.0, -15.0):
        y, p, _ = read(turned(head, yaw, 0.0))
        assert 0.5 * abs(yaw) < (y - y0) * np.sign(yaw) < 2 * abs(yaw) and abs(p - p0) < 5
    for pitch in (12.0, -12.0):
        y, p, _ = read(turned(head, 0.0, pitch))
        assert 0.5 * abs(pitch) < (p - p0) * np.sign(pitch) < 2 * abs(pitch) and abs(y - y0) < 5


def test_nod_summary_scores_counts_against_the_truth():
    """The rule's figures: recall over the clips of a kind, extras over every clip, a gate's clips left
    out of both and out of the coverage."""
    from ml.gaze.evaluate import nod_summary

    def clip(kind, c0, c1, truth, c2=None, motion=1.0):
        return {"kind": kind, "truth": dict(zip(("nods", "shakes"), truth)), "seconds": 10.0, "peaks": [],
                "counts": {"C0": dict(zip(("nods", "shakes"), c0)), "C1": dict(zip(("nods", "shakes"), c1)),
                           "C2": dict(zip(("nods", "shakes"), c2 or c1)), "motion": motion}}

    clips = [clip("still", (1, 0), (None, None), (0, 0)), clip("nods", (3, 1), (3, 1), (3, 0), (None, 1), None),
             clip("shakes", (0, 2), (0, 2), (0, 3)), clip("glances", (0, 0), (0, 0), (0, 0))]
    s = nod_summary(clips)
    assert s["motion_given"] == 0.75
    assert s["C2"]["nods"] == {"true": 0, "matched": 0, "extra": 0, "recall": None, "precision": None, "coverage": 0.5}
    assert s["C2"]["shakes"]["extra"] == 1 and s["C2"]["passes"] is False
    assert s["C0"]["nods"] == {"true": 3, "matched": 3, "extra": 1, "recall": 1.0, "precision": 0.75, "coverage": 1.0}
    assert s["C0"]["shakes"] == {"true": 3, "matched": 2, "extra": 1, "recall": 0.667, "precision": 0.667,
                                 "coverage": 1.0}
    assert s["C0"]["still_per_min"] == 6.0 and s["C0"]["passes"] is False
    assert s["C1"]["nods"]["extra"] == 0 and s["C1"]["nods"]["coverage"] == 0.75
    assert s["C1"]["still_per_min"] is None and s["C1"]["passes"] is False  # no still clip counted


@needs_data
def test_the_nod_evaluation_counts_known_nods_on_one_face(tmp_path):
    """`--nods` end to end on one FER2013 face (4 clips through VP8 and the gaze channel): the figures
    of the rule are there, and the product's counter finds the 3 nods and 3 shakes and nothing on the
    still face (as it did on every face of the run in the README)."""
    import cv2

    from ml.gaze.evaluate import evaluate_nods
    from tests.mediagen import face_crops

    path = tmp_path / "face.png"
    for crop in face_crops(8):  # a face about straight ahead, as the rule's sets are
        cv2.imwrite(str(path), crop)
        if _reads_straight(path):
            break
    res = evaluate_nods({"fer": ([path], True, False)}, keep=tmp_path / "clips.json")
    fer = res["fer"]
    assert fer["faces"] == 1 and fer["clips"] == 4 and res["steady_max"] > 0
    for counter in ("C0", "C1"):
        assert set(fer[counter]) == {"nods", "shakes", "still_per_min", "passes"}
    assert fer["C0"]["nods"]["true"] == fer["C0"]["shakes"]["true"] == 3  # C0 counts every clip
    assert fer["C0"]["nods"]["matched"] >= 2 and fer["C0"]["shakes"]["matched"] >= 2
    assert fer["C0"]["still_per_min"] == 0.0
    assert fer["C1"]["nods"]["coverage"] == fer["C1"]["shakes"]["coverage"] == 1.0  # a sharp enlarged face: counted
    assert fer["C1"]["nods"]["matched"] >= 2 and fer["C1"]["still_per_min"] == 0.0
    import json
    kept = json.loads((tmp_path / "clips.json").read_text())["fer"]
    assert [c["kind"] for c in kept] == ["still", "nods", "shakes", "glances"]


def _reads_straight(path) -> bool:
    from ml.gaze.evaluate import nod_canvas
    from ml.face.detect import hog_boxes
    from ml.gaze.landmarks import shape

    canvas = nod_canvas(path, fer=True)
    boxes = hog_boxes(canvas)
    if not boxes:
        return False
    yaw, pitch, _ = head_pose(shape(canvas, boxes[0]), canvas.shape)
    return abs(yaw) < 10 and abs(pitch) < 10


def test_smile_counts_on_hand_made_ratios_and_labels():
    """``--smile``'s counting: a ratio above the threshold is smiling (as the channel counts a frame; at the
    threshold itself it is not), against "happy"; faces not found (None, NaN) are shown but not counted."""
    from ml.gaze.evaluate import smile_counts

    pairs = [(0.75, True), (0.70, True), (0.68, True),    # two caught, one at the threshold missed
             (0.72, False),                               # called smiling, not labelled happy
             (0.60, False), (0.50, False), (0.65, False),  # rightly not smiling
             (None, True), (float("nan"), False)]          # no face found
    got = smile_counts(pairs, 0.68)
    assert got == {"n": 9, "found": 7, "happy": 3, "happy_shown": 4, "tp": 2, "fp": 1, "fn": 1, "tn": 3,
                   "precision": round(2 / 3, 4), "recall": round(2 / 3, 4), "accuracy": round(5 / 7, 4),
                   "threshold": 0.68}
    none = smile_counts([(None, True), (0.5, False)], 0.68)
    assert none["precision"] is None and none["recall"] is None and none["accuracy"] == 1.0


@needs_data
def test_the_smile_evaluation_measures_publictest_faces_and_writes_its_line(tmp_path, capsys):
    """``python -m ml.gaze.evaluate --smile --limit 12 --write FILE``: the first 12 PublicTest faces, each
    prepared and searched as ``measure`` does, their smile ratios against SMILE_RATIO and "happy"; the file
    holds the JSON line, with the command that made it."""
    import json

    from ml.face.detect import hog_boxes
    from ml.face import CLASS_NAMES
    from ml.gaze.evaluate import SHARED, main, prepare, smile_counts
    from ml.gaze.landmarks import shape

    out = tmp_path / "gaze" / "smile.json"
    assert main(["--smile", "--limit", "12", "--write", str(out)]) == 0
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert json.loads(out.read_text(encoding="utf-8")) == line
    d = np.load(SHARED / "fer2013" / "fer2013_dev.npz")
    idx = np.flatnonzero(d["usage"] == "PublicTest")[:12]
    pairs = []
    for i in idx:
        work = prepare(d["pixels"][i])
        boxes = hog_boxes(work)
        pairs.append((signals.smile_ratio(shape(work, boxes[0])) if boxes else None, d["emotion"][i] == CLASS_NAMES.index("happy")))
    assert {k: line[k] for k in smile_counts(pairs, signals.SMILE_RATIO)} == smile_counts(pairs, signals.SMILE_RATIO)
    assert line["n"] == 12 and line["found"] > 0 and line["threshold"] == signals.SMILE_RATIO
    assert line["command"] == f"python -m ml.gaze.evaluate --smile --limit 12 --write {out}"
    with pytest.raises(SystemExit):
        main(["--smile", "--limit", "0"])


@needs_data
def test_the_committed_smile_figures_are_of_every_publictest_face_and_the_shipped_threshold():
    """data/gaze/smile_metrics.json, whose numbers the video answer pages give, was written by the ``--smile``
    command over all PublicTest faces (none of PrivateTest, which is withheld) with today's SMILE_RATIO."""
    import json
    from pathlib import Path

    from ml.gaze.evaluate import SHARED

    m = json.loads((Path(__file__).resolve().parents[1] / "data" / "gaze" / "smile_metrics.json").read_text())
    usage = np.load(SHARED / "fer2013" / "fer2013_dev.npz")["usage"]
    assert m["n"] == int((usage == "PublicTest").sum()) and m["threshold"] == signals.SMILE_RATIO
    assert m["command"] == "python -m ml.gaze.evaluate --smile --write data/gaze/smile_metrics.json"
    assert m["found"] == m["tp"] + m["fp"] + m["fn"] + m["tn"] and m["happy"] == m["tp"] + m["fn"]
    assert m["precision"] == round(m["tp"] / (m["tp"] + m["fp"]), 4) and m["recall"] == round(m["tp"] / m["happy"], 4)
