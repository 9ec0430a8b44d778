"""The head's position and movement on a video answer's page: the summary, the timeline's data on
the shared time axis, and every gaze figure beside other candidates' averages.

Answers are stored through the real job path (claim, run_job, stats.record) with an analyser whose
gaze part is built by ml's own ``summarise`` and ``scores_of`` from hand-made pose and eye series."""
import json
import random
import re

import pytest

from ml.channels.gaze import scores_of, summarise
from ml.gaze.pose import DEFAULT_MODEL
from ml.gaze.signals import MOTION_SMOOTH
from ml.gaze.track import BOX_SMOOTH
from tests.helpers import add_user
from tests.test_answer_queries import MAX_QUERIES, add_recording, count_queries, fake_recording_analysis

pytestmark = pytest.mark.all_databases


def gaze_result(facing: bool, blink_every: float, seconds: float = 12.0, pose_model: str | None = DEFAULT_MODEL.name,
                motion_smooth: int | None = MOTION_SMOOTH, box_smooth: float | None = BOX_SMOOTH, jitter: float = 0.0,
                ungated: bool = False, steady_yaw: bool = False, nudged_pitch: float = 0.0):
    """result["gaze"] and its scores for a head turned 5° (facing) or 30° (not) away, still, with
    a 100 ms blink every `blink_every` seconds in a 15 frames/s eye series; its angles read with the
    3-D face `pose_model` (the channel's; None: a result stored before the channel recorded it), its
    head movement smoothed over `motion_smooth` samples (None: stored before it was smoothed), its face box
    steadied by `box_smooth` (None: stored before it was). ``jitter``: the SD (degrees) of noise on the
    yaw and pitch, as a small blurred face's angles jump; ``ungated``: stored before nods and shakes needed
    steadily read angles (counted whatever the noise, without the record of it); ``nudged_pitch``: the up-down
    angle's difference on every other frame when the landmarks are read again in a nudged box (the yaw's is 0.5)."""
    times = [round(i / 5, 2) for i in range(int(seconds * 5))]
    noise = random.Random(11)
    yaw = [(5.0 if facing else 30.0) + (0.0 if steady_yaw else noise.gauss(0, jitter)) for _ in times]
    pitch, roll = [noise.gauss(0, jitter) for _ in times], [0.0] * len(times)

    def ear(t):
        return 0.1 if (t % blink_every) < 0.1 and t > 0.5 else 0.3

    # the eyes read on the frames in between (15 frames/s with the 5-per-second ones, as
    # ml.gaze.track.eye_series gives them: never at a 5-per-second frame's time)
    between = [round(i / 15, 3) for i in range(int(seconds * 15)) if i % 3]
    summary = summarise(times, yaw, pitch, roll, [1 if i % 10 == 0 else None for i in range(len(times))],
                        [ear(t) for t in times], [0.5] * len(times), eyes=(between, [ear(t) for t in between]),
                        nudged=[(0.5, nudged_pitch if i % 2 else 0.5) for i in range(len(times))])
    if ungated:
        from ml.gaze.signals import count_oscillations
        summary.update(nods=count_oscillations(times, pitch), shakes=count_oscillations(times, yaw))
        del summary["pose_noise"], summary["pose_steady_max"], summary["pose_nudged"], summary["pose_nudged_max"]
    data = {"t": times, "yaw": yaw, "pitch": pitch, "roll": roll, "facing": [facing] * len(times), **summary}
    if pose_model is not None:
        data["pose_model"] = pose_model
    if pose_model is not None and motion_smooth is not None:
        data["motion_smooth"] = motion_smooth
    if pose_model is not None and box_smooth is not None:
        data["box_smooth"] = box_smooth
    return data, scores_of(summary)


def gaze_answers_of(client, auth, app, monkeypatch, others_pose_model=DEFAULT_MODEL.name, others_motion_smooth=MOTION_SMOOTH,
                    others_box_smooth=BOX_SMOOTH, mine_jitter=0.0, others_jitter=0.0, others_ungated=False,
                    mine_steady_yaw=False, mine_nudged_pitch=0.0):
    """Five other candidates' video answers on question 1, turned away and blinking every 4 s (their
    angles read with `others_pose_model`); then mine, facing the camera and blinking every 2 s."""
    rng, calls = random.Random(5), []

    def analyse(answer, report):
        scores, result, fields = fake_recording_analysis(answer.modality, rng)
        mine = len(calls) == 5
        calls.append(answer.id)
        result["gaze"], gaze_scores = gaze_result(facing=mine, blink_every=2.0 if mine else 4.0,
                                                  pose_model=DEFAULT_MODEL.name if mine else others_pose_model,
                                                  motion_smooth=MOTION_SMOOTH if mine else others_motion_smooth,
                                                  box_smooth=BOX_SMOOTH if mine else others_box_smooth,
                                                  jitter=mine_jitter if mine else others_jitter,
                                                  ungated=not mine and others_ungated,
                                                  steady_yaw=mine and mine_steady_yaw,
                                                  nudged_pitch=mine_nudged_pitch if mine else 0.0)
        return scores + gaze_scores, result, fields

    monkeypatch.setattr("webapp.jobs.analyzers.analyse", analyse)
    for email in ("a@example.com", "b@example.com", "c@example.com", "d@example.com", "e@example.com"):
        add_user(app, email)
        add_recording(app, email, 1, "video")
    auth.register("me@example.com")
    return add_recording(app, "me@example.com", 1, "video")


@pytest.fixture
def gaze_answers(client, auth, app, monkeypatch):
    return gaze_answers_of(client, auth, app, monkeypatch)


def gaze_counts(app) -> dict:
    """{label: count} of the gaze scores in question 1's averages."""
    from sqlalchemy import select

    from webapp.extensions import db
    from webapp.models import Aggregate
    with app.app_context():
        return dict(db.session.execute(select(Aggregate.label, Aggregate.count).where(
            Aggregate.scope == "q:1", Aggregate.family == "gaze")).all())


def first_others_gaze_section(client, auth, app, mine) -> str:
    """The gaze section (whitespace collapsed) of the first other candidate's answer, as its author
    a@example.com sees it; the client stays logged in as them."""
    from sqlalchemy import select

    from webapp.extensions import db
    from webapp.models import Answer
    with app.app_context():
        first = db.session.scalars(select(Answer.id).where(Answer.id != mine).order_by(Answer.id)).first()
    auth.logout()
    auth.login("a@example.com")
    page = client.get(f"/answers/{first}").get_data(as_text=True)
    return " ".join(page[page.index('id="gaze-section"'):].split())


UNCHECKED = ("Nods, head shakes and how fast your head moved are not shown: they have been checked only on clips made "
             "from still photos, not yet on real videos, so there is no telling how far to trust them.")


def no_head_moves(section: str):
    """Nods, head shakes and the head's speed are on no part of a page (webapp.labels.HEAD_MOVES_HIDDEN): no count,
    rate, speed, average or percentile, and no caveat of theirs."""
    text = " ".join(section.split())
    for label in ("nods_per_min", "shakes_per_min", "motion"):
        assert f'data-label="{label}"' not in text, label
    assert not re.search(r"\d+ (nods?|head shakes?)\b", text) and "° per second" not in text
    assert "made-up clips" not in text and "Head movement:" not in text


def row(html, label):
    part = html[html.index(f'<tr data-label="{label}">'):]
    return part[:part.index("</tr>")]


def test_gaze_figures_beside_other_candidates(client, app, gaze_answers):
    url = f"/answers/{gaze_answers}"
    client.get(url)
    with count_queries(app) as statements:
        html = client.get(url).get_data(as_text=True)
    assert len(statements) <= MAX_QUERIES, "\n\n".join(statements)
    section = html[html.index('id="gaze-section"'):]
    assert '<strong id="gaze-facing">100%</strong>' in section
    # 12 s at 15 frames/s, a blink every 2 s from 2 s on: 5 blinks, 25 a minute
    assert '<span id="gaze-blinks">25</span>' in section
    assert "(5 in all: at 2.0, 4.0, 6.0, 8.0, 10.0 s), from 15 frames a second" in " ".join(section.split())
    facing = row(section, "facing_share")
    assert '<td class="you num" data-label="You">100 % of frames with a face</td>' in facing
    assert '<span class="num">0</span> % of frames with a face <span class="hint nowrap">(n=5)</span>' in facing  # the others: never facing, in the unit
    blinks = row(section, "blinks_per_min")
    assert '<td class="you num" data-label="You">25 per min</td>' in blinks
    assert '<span class="num">10</span> per min <span class="hint nowrap">(n=5)</span>' in blinks   # every 4 s from 4 s on: 2 in 12 s
    for label in ("looking_away_per_min", "smile_share"):
        assert f'<tr data-label="{label}">' in section, label
    # nods, head shakes and the head's speed are checked only on clips made from photos, never on real videos: not
    # shown (it showed "7 nods and 0 head shakes" with no caveat in the words, the caveat twice a row in the table),
    # said once, and still stored and averaged
    no_head_moves(section)
    assert " ".join(section.split()).count(UNCHECKED) == 1
    assert gaze_counts(app) == {label: 6 for label in ("facing_share", "looking_away_per_min", "nods_per_min",
                                                       "shakes_per_min", "motion", "smile_share", "blinks_per_min")}
    # the timeline's data, on the time axis the face and voice charts share
    data = json.loads(re.search(r'<script type="application/json" id="gaze-data">(.*?)</script>', html, re.S).group(1))
    face = json.loads(re.search(r'<script type="application/json" id="face-data">(.*?)</script>', html, re.S).group(1))
    assert data["duration"] == face["duration"] and data["limit"] == 20
    assert data["yaw"] == [5.0] * 60 and data["blinks"] == pytest.approx([2.0, 4.0, 6.0, 8.0, 10.0], abs=0.01)


def test_unmeasured_blinks_are_said_and_left_out_of_the_table(client, auth, app, monkeypatch):
    def analyse(answer, report):
        scores, result, fields = fake_recording_analysis(answer.modality, random.Random(1))
        times = [round(i / 5, 2) for i in range(60)]
        # 5 fps only, and a head turned 30° away all along
        s = summarise(times, [30.0] * 60, [0.0] * 60, [0.0] * 60, [1] * 60, [0.3] * 60, [0.5] * 60)
        result["gaze"] = {"t": times, "yaw": [30.0] * 60, "pitch": [0.0] * 60, "roll": [0.0] * 60,
                          "facing": [False] * 60, "pose_model": DEFAULT_MODEL.name, "motion_smooth": MOTION_SMOOTH,
                          "box_smooth": BOX_SMOOTH, **s}
        return scores + scores_of(s), result, fields

    monkeypatch.setattr("webapp.jobs.analyzers.analyse", analyse)
    auth.register("me@example.com")
    html = client.get(f"/answers/{add_recording(app, 'me@example.com', 1, 'video')}").get_data(as_text=True)
    section = html[html.index('id="gaze-section"'):]
    assert ("Blinks: not measured — 5 frames a second were read, and blinks need at least 14.25 a second"
            in " ".join(section.split()))
    assert "Next time: more light on your face" in " ".join(section.split())  # what to do about it (a review)
    assert 'id="gaze-blinks"' not in section and '<tr data-label="blinks_per_min">' not in section
    assert '<tr data-label="facing_share">' in section
    # never facing the camera: no episodes of looking away are counted, and the page does not say "never"
    assert '<strong id="gaze-facing">0%</strong>' in section
    assert "Your head was not turned towards the camera in any of those frames" in " ".join(section.split())
    assert "never turned away" not in section


def test_the_product_records_the_3d_face_the_pages_expect():
    from webapp.labels import HEAD_POSE_MODEL, MOTION_SMOOTH as PAGES_MOTION_SMOOTH
    assert HEAD_POSE_MODEL == DEFAULT_MODEL.name == "rigid13"
    assert PAGES_MOTION_SMOOTH == MOTION_SMOOTH == 3


def test_answers_analysed_with_the_earlier_head_pose_keep_only_blinks_and_smiles(client, auth, app, monkeypatch):
    """Answers whose angles an earlier 3-D face read (the six-point face read turns about 1.4 times
    too large; their results name no pose model): their pages show no angle figures and no timeline,
    and `flask forget-old-head-pose` takes those figures out of the averages, once."""
    from webapp import stats
    from webapp.extensions import db
    from webapp.labels import HEAD_POSE_LABELS
    from webapp.models import Answer

    mine = gaze_answers_of(client, auth, app, monkeypatch, others_pose_model=None)

    assert gaze_counts(app) == {label: 6 for label in (*HEAD_POSE_LABELS, "smile_share", "blinks_per_min")}
    section = first_others_gaze_section(client, auth, app, mine)
    assert 'id="gaze-old-pose"' in section and "read turns about 1.4 times too large" in section
    assert 'id="gaze-facing"' not in section and 'id="gaze-data"' not in section and "Head movement:" not in section
    assert '<span id="gaze-blinks">10</span>' in section                   # blinks and smiles stay
    for label in HEAD_POSE_LABELS:
        assert f'<tr data-label="{label}">' not in section, label
    # their blinks were counted in an unsteadied face box too (test_answers_counted_in_an_unsteadied_face_box_...)
    assert 'id="gaze-old-box"' in section and '<tr data-label="blinks_per_min">' not in section
    assert '<tr data-label="smile_share">' in section

    runner = app.test_cli_runner()
    out = runner.invoke(args=["forget-old-head-pose"])
    assert out.exit_code == 0, out.output
    assert "of 5 video answers (25 scores)" in out.output
    assert "unsteadied face box of 5 video answers (5 scores)" in out.output  # their blinks
    assert gaze_counts(app) == {**{label: 1 for label in HEAD_POSE_LABELS}, "smile_share": 6, "blinks_per_min": 1}
    with app.app_context():
        assert sorted(db.session.get(Answer, mine).score_map("gaze")) == sorted((*HEAD_POSE_LABELS, "smile_share",
                                                                                 "blinks_per_min"))
        assert stats.comparison("q:1", "video", "gaze")["facing_share"]["mean"] == 100.0   # mine alone
    assert "unsmoothed head movement of 0 more video answers (0 scores)" in out.output
    again = runner.invoke(args=["forget-old-head-pose"])
    assert again.exit_code == 0 and "of 0 video answers (0 scores)" in again.output
    # my own answer (the current face) still shows everything
    auth.logout()
    auth.login("me@example.com")
    section = client.get(f"/answers/{mine}").get_data(as_text=True)
    assert '<strong id="gaze-facing">100%</strong>' in section and 'id="gaze-old-pose"' not in section


def test_answers_with_unsmoothed_head_movement_lose_only_that_figure(client, auth, app, monkeypatch):
    """Answers read with today's 3-D face but stored before the head's speed was smoothed (a still
    head read about 5 deg/s): their pages leave out the head movement and keep every other figure,
    and `flask forget-old-head-pose` takes only their head movement out of the averages, once."""
    from webapp.labels import HEAD_POSE_LABELS

    mine = gaze_answers_of(client, auth, app, monkeypatch, others_motion_smooth=None)

    section = first_others_gaze_section(client, auth, app, mine)
    assert 'id="gaze-old-pose"' not in section and '<strong id="gaze-facing">0%</strong>' in section
    no_head_moves(section)  # (no head speed is shown at all: test_gaze_figures_beside_other_candidates)
    assert UNCHECKED in section and '<tr data-label="looking_away_per_min">' in section

    runner = app.test_cli_runner()
    out = runner.invoke(args=["forget-old-head-pose"])
    assert out.exit_code == 0, out.output
    assert "head-angle figures of 0 video answers" in out.output
    assert "unsmoothed head movement of 5 more video answers (5 scores)" in out.output
    assert gaze_counts(app) == {**{label: 6 for label in HEAD_POSE_LABELS}, "motion": 1, "smile_share": 6, "blinks_per_min": 6}
    again = runner.invoke(args=["forget-old-head-pose"])
    assert "unsmoothed head movement of 0 more video answers (0 scores)" in again.output
    auth.logout()
    auth.login("me@example.com")
    section = " ".join(client.get(f"/answers/{mine}").get_data(as_text=True).split())
    no_head_moves(section)
    assert UNCHECKED in section


def test_answers_counted_in_an_unsteadied_face_box_lose_blinks_nods_and_shakes(client, auth, app, monkeypatch):
    """Answers stored before the face box was steadied (2026-12-06; a still face read 48 blinks a minute): their pages
    keep the counts with a note and leave the three rates out of the comparison, and `flask forget-old-head-pose` takes
    them out of the averages, once."""
    mine = gaze_answers_of(client, auth, app, monkeypatch, others_box_smooth=None)

    section = first_others_gaze_section(client, auth, app, mine)
    assert 'id="gaze-old-box"' in section and '<strong id="gaze-facing">0%</strong>' in section
    assert '<tr data-label="blinks_per_min">' not in section
    no_head_moves(section)
    assert '<tr data-label="facing_share">' in section
    assert ("The blinks of this answer were counted before 6 December 2026, when the box the face was followed in could "
            "jump in size on a still face, which read as blinks: they are not compared") in section

    runner = app.test_cli_runner()
    out = runner.invoke(args=["forget-old-head-pose"])
    assert out.exit_code == 0, out.output
    assert "counted in an unsteadied face box of 5 video answers (15 scores)" in out.output
    counts = gaze_counts(app)
    assert counts["blinks_per_min"] == counts["nods_per_min"] == counts["shakes_per_min"] == 1 and counts["motion"] == 6
    again = runner.invoke(args=["forget-old-head-pose"])
    assert "unsteadied face box of 0 video answers (0 scores)" in again.output
    auth.logout()
    auth.login("me@example.com")
    section = client.get(f"/answers/{mine}").get_data(as_text=True)
    assert 'id="gaze-old-box"' not in section and '<tr data-label="blinks_per_min">' in section


def test_nods_and_shakes_are_not_counted_from_unsteadily_read_angles(client, auth, app, monkeypatch):
    """Angles that jump by several degrees from frame to frame (a small or blurred face): nods and head shakes are not
    counted, and neither is stored for the averages (ml.gaze.signals.steady_count); the page, which shows neither
    anyway, reads as any other's."""
    mine = gaze_answers_of(client, auth, app, monkeypatch, mine_jitter=5.0)
    html = " ".join(client.get(f"/answers/{mine}").get_data(as_text=True).split())
    section = html[html.index('id="gaze-section"'):]
    no_head_moves(section)
    assert UNCHECKED in section and "jittered" not in section
    with app.app_context():
        from webapp.extensions import db
        from webapp.models import Answer
        gaze = db.session.get(Answer, mine).result["gaze"]
        assert gaze["nods"] is None and gaze["shakes"] is None and gaze["pose_noise"]["pitch"] > gaze["pose_steady_max"]
        assert not {"nods_per_min", "shakes_per_min"} & set(db.session.get(Answer, mine).score_map("gaze"))
    assert gaze_counts(app)["nods_per_min"] == 5  # the five others', read steadily


def test_forget_unsteady_nods_counts_old_answers_again(client, auth, app, monkeypatch):
    """Answers stored before nods and shakes needed steadily read angles: `flask forget-unsteady-nods` counts them again
    from their stored angles, takes the counts of the unsteady ones out of the averages and marks every result, so
    their pages say "not counted"; run twice, it does nothing."""
    mine = gaze_answers_of(client, auth, app, monkeypatch, others_jitter=5.0, others_ungated=True)
    assert gaze_counts(app)["nods_per_min"] == 6
    runner = app.test_cli_runner()
    out = runner.invoke(args=["forget-unsteady-nods"])
    assert out.exit_code == 0, out.output
    assert ("Took the nods or head shakes of 5 video answers whose head angles were read unsteadily (10 scores) out of "
            "the averages; 5 results counted again.") in out.output
    counts = gaze_counts(app)
    assert counts["nods_per_min"] == counts["shakes_per_min"] == 1 and counts["motion"] == 6
    again = runner.invoke(args=["forget-unsteady-nods"])
    assert "of 0 video answers" in again.output and "0 results counted again" in again.output
    section = first_others_gaze_section(client, auth, app, mine)
    no_head_moves(section)
    assert UNCHECKED in section


def test_only_the_unsteady_axis_goes_uncounted(client, auth, app, monkeypatch):
    """Up-down angles that jitter and left-right ones read steadily: the shakes are counted and stored for the averages,
    the nods are not; the page shows neither."""
    mine = gaze_answers_of(client, auth, app, monkeypatch, mine_jitter=5.0, mine_steady_yaw=True)
    html = " ".join(client.get(f"/answers/{mine}").get_data(as_text=True).split())
    no_head_moves(html[html.index('id="gaze-section"'):])
    with app.app_context():
        from webapp.extensions import db
        from webapp.models import Answer
        answer = db.session.get(Answer, mine)
        assert answer.result["gaze"]["nods"] is None and answer.result["gaze"]["shakes"] == 0
        assert "nods_per_min" not in answer.score_map("gaze") and answer.score_map("gaze")["shakes_per_min"] == 0


def test_nods_and_the_head_speed_are_not_given_when_the_readings_move_with_the_face_box(client, auth, app, monkeypatch):
    """Angles that read steadily over time but move by more than 3 degrees when the landmarks are placed again in a
    box 3% larger (a small or blurred face, ml.gaze.signals.nudge_share): no nods and no head speed, the shakes
    kept; neither the nods nor the speed is stored for the averages, and the page shows none of the three."""
    mine = gaze_answers_of(client, auth, app, monkeypatch, mine_nudged_pitch=6.0)
    html = " ".join(client.get(f"/answers/{mine}").get_data(as_text=True).split())
    section = html[html.index('id="gaze-section"'):]
    no_head_moves(section)
    assert UNCHECKED in section and "did not hold" not in section
    with app.app_context():
        from webapp.extensions import db
        from webapp.models import Answer
        answer = db.session.get(Answer, mine)
        gaze = answer.result["gaze"]
        assert gaze["nods"] is None and gaze["motion"] is None and gaze["pose_nudged"] == {"yaw": 0.0, "pitch": 0.5}
        assert not {"nods_per_min", "motion"} & set(answer.score_map("gaze"))
    counts = gaze_counts(app)
    assert counts["nods_per_min"] == counts["motion"] == 5 and counts["shakes_per_min"] == 6


def test_counts_made_before_the_second_reading_are_not_shown_either(client, auth, app, monkeypatch):
    """An answer analysed before the landmarks were read a second time in a nudged box (no ``pose_nudged`` in its
    result) keeps its stored counts, and its page shows them no more than a new answer's."""
    mine = gaze_answers_of(client, auth, app, monkeypatch, others_ungated=True)
    section = first_others_gaze_section(client, auth, app, mine)
    no_head_moves(section)
    assert UNCHECKED in section and "150 of 162" not in section


def few_frames_gaze(face_n: int = 8, steps: int = 60):
    """result["gaze"] and its scores of a head followed only in the last ``face_n`` of ``steps`` sampled frames (5 a
    second), turned 5° away and turning slowly, smiling, with one blink in the 15 frames/s eye series: without a
    rule, a nod count, a head speed and a blink would be given from them."""
    times = [round(i / 5, 2) for i in range(steps)]

    def seen(value):
        return [None] * (steps - face_n) + [value(k) for k in range(face_n)]

    yaw, pitch, roll = seen(lambda k: 5.0 + 0.5 * k), seen(lambda k: 0.0), seen(lambda k: 0.0)
    start = times[steps - face_n]
    between = [round(i / 15, 3) for i in range(steps * 3) if i % 3]
    ears = [None if t < start else 0.1 if abs(t - start - 0.5) < 0.05 else 0.3 for t in between]
    summary = summarise(times, yaw, pitch, roll, [1 if i % 10 == 0 else None for i in range(steps)],
                        seen(lambda k: 0.3), seen(lambda k: 0.75), eyes=(between, ears),
                        nudged=seen(lambda k: (0.5, 0.5)))
    data = {"t": times, "yaw": yaw, "pitch": pitch, "roll": roll, "facing": [None if y is None else True for y in yaw],
            "pose_model": DEFAULT_MODEL.name, "motion_smooth": MOTION_SMOOTH, "box_smooth": BOX_SMOOTH, **summary}
    return data, scores_of(summary)


def test_a_head_in_too_few_frames_shows_no_counts_speed_or_rates(client, auth, app, monkeypatch):
    """A head followed in fewer than MIN_FACE_FRAMES sampled frames: its answer page says why it gives no share of
    those frames facing the camera or smiling, and no nods, head shakes, head speed, blinks or looking away, which from
    one or two moments mean nothing (it showed the nod count and the speed, with a note that none was compared; then
    the shares, beside the face section's refusal of its own shares from so few frames); the chart marks neither. A result stored before the gaze channel wrote its few_frames flag (only
    face_frames and min_face_frames, as `flask forget-few-face-frames` marked it too) reads the same."""
    gaze, scores = few_frames_gaze()
    assert gaze["few_frames"] and scores == []
    assert gaze["nods"] is not None and gaze["motion"] is not None and gaze["blinks"]  # there to be shown
    older = {k: v for k, v in gaze.items() if k != "few_frames"}
    stored = iter([gaze, older])

    def analyse(answer, report):
        fake_scores, result, fields = fake_recording_analysis(answer.modality, random.Random(1))
        result["gaze"] = next(stored)
        return fake_scores, result, fields

    monkeypatch.setattr("webapp.jobs.analyzers.analyse", analyse)
    auth.register("me@example.com")
    new, old = add_recording(app, "me@example.com", 1, "video"), add_recording(app, "me@example.com", 1, "video")
    sections = []
    for answer_id in (new, old):
        html = client.get(f"/answers/{answer_id}").get_data(as_text=True)
        section = html[html.index('id="gaze-section"'):html.index("</section>", html.index('id="gaze-section"'))]
        sections.append(section)
        text = " ".join(section.split())
        assert 'id="gaze-facing"' not in text and "the shape of a smile" not in text
        assert not re.search(r"\d+ (nod|head shake)", text)
        for shown in ("Head movement:", "° per second", "Blinks:", 'id="gaze-blinks"', 'id="gaze-away"',
                      "for more than 2 seconds", "The dots at the bottom mark blinks", "Beside other candidates"):
            assert shown not in text, (answer_id, shown)
        assert ('id="gaze-too-few">Your face was followed in only 8 of the 60 sampled frames: figures from fewer than '
                '10 rest on one or two moments, so how often your head was turned towards the camera, smiles, blinks '
                'and the times you looked away are not given') in text
        assert UNCHECKED in text
        data = json.loads(re.search(r'<script type="application/json" id="gaze-data">(.*?)</script>', section,
                                    re.S).group(1))
        assert data["yaw"] == gaze["yaw"] and data["blinks"] == [] and data["away"] == []
    assert sections[0] == sections[1]


def smile_sentence(page: str) -> str:
    flat = " ".join(page.split())
    return re.search(r'Your mouth had the shape of a smile in (.*?)</li>', flat).group(1)


def test_the_smile_caveat_gives_the_measured_numbers_from_the_committed_file(client, app, gaze_answers, tmp_path,
                                                                              monkeypatch):
    """The smile line says how far the mouth reading was right with the numbers of data/gaze/smile_metrics.json
    (``python -m ml.gaze.evaluate --smile``, read through webapp.modelinfo, never typed in the template), as plain
    fractions of its counts: written here with other numbers, the page gives those; without a usable file (or with
    figures of another threshold than the product's), the caveat without numbers."""
    from ml.gaze.signals import SMILE_RATIO
    from webapp import modelinfo

    m = json.loads(modelinfo.SMILE_METRICS.read_text(encoding="utf-8"))
    url = f"/answers/{gaze_answers}"
    modelinfo.smile_metrics.cache_clear()
    recall = modelinfo.about_fraction(m["tp"] / (m["tp"] + m["fn"]))
    precision = modelinfo.about_fraction(m["tp"] / (m["tp"] + m["fp"]))
    assert smile_sentence(client.get(url).get_data(as_text=True)) == (
        f"0% of those frames (<span id=\"smile-measured\">a rough reading from the width of the mouth: on "
        f"{m['found']:,} photos of faces it had not been tuned on, it caught {recall} of the faces people had "
        f"labelled happy, and {precision} of the faces it called smiling were labelled happy</span>). It reads the "
        "mouth alone, so it can differ from the share of “happy” in the expressions above, which the expression "
        "model reads from the whole face.")
    other = tmp_path / "smile_metrics.json"
    monkeypatch.setattr(modelinfo, "SMILE_METRICS", other)

    def measured():
        modelinfo.smile_metrics.cache_clear()
        page = client.get(url).get_data(as_text=True)
        return re.search(r'<span id="smile-measured">(.*?)</span>', " ".join(page.split())).group(1)

    try:
        # 50 of 100 happy faces caught, 50 of 200 called smiling were happy
        other.write_text(json.dumps({**m, "n": 1500, "found": 1200, "tp": 50, "fn": 50, "fp": 150, "tn": 950}))
        assert measured() == ("a rough reading from the width of the mouth: on 1,200 photos of faces it had not been "
                              "tuned on, it caught about 1 in 2 of the faces people had labelled happy, and about 1 in "
                              "4 of the faces it called smiling were labelled happy")
        no_numbers = "a rough reading from the width of the mouth: a wide mouth is not always a smile, and mouths differ"
        for broken in ("{}", "not json", json.dumps({**m, "threshold": SMILE_RATIO + 0.04}),
                       json.dumps({**m, "found": m["found"] + 1}), json.dumps({**m, "tp": "566"})):
            other.write_text(broken)
            assert measured() == no_numbers, broken
        other.unlink()
        assert measured() == no_numbers
    finally:
        modelinfo.smile_metrics.cache_clear()


def test_the_smile_figures_reader_returns_none_on_a_broken_file(tmp_path, monkeypatch):
    """``modelinfo.smile_metrics``: the committed figures as counts; None (no numbers on the pages) when the file is
    missing, not JSON, lacks a count, has counts that do not add up or are not whole numbers, nothing to divide by,
    or was made with another threshold than the product's SMILE_RATIO."""
    from ml.gaze.signals import SMILE_RATIO
    from webapp import modelinfo

    m = json.loads(modelinfo.SMILE_METRICS.read_text(encoding="utf-8"))
    modelinfo.smile_metrics.cache_clear()
    got = modelinfo.smile_metrics()
    assert got == modelinfo.SmileMetrics(shown=m["n"], found=m["found"], happy=m["tp"] + m["fn"],
                                         smiling=m["tp"] + m["fp"], tp=m["tp"], threshold=SMILE_RATIO)
    assert got.recall == pytest.approx(m["recall"], abs=1e-4) and got.precision == pytest.approx(m["precision"], abs=1e-4)
    other = tmp_path / "smile_metrics.json"
    monkeypatch.setattr(modelinfo, "SMILE_METRICS", other)
    counts = {"n": 10, "found": 8, "tp": 2, "fp": 1, "fn": 1, "tn": 4, "threshold": SMILE_RATIO}
    try:
        other.write_text(json.dumps(counts))
        modelinfo.smile_metrics.cache_clear()
        assert modelinfo.smile_metrics() == modelinfo.SmileMetrics(10, 8, 3, 3, 2, SMILE_RATIO)
        for broken in ("", "[1, 2]", "{}", json.dumps({**counts, "tn": 5}), json.dumps({**counts, "tp": 2.0}),
                       json.dumps({**counts, "tp": True}), json.dumps({**counts, "fp": -1, "tn": 6}),
                       json.dumps({**counts, "n": 7}), json.dumps({**counts, "tp": 0, "fn": 0, "tn": 7}),
                       json.dumps({**counts, "threshold": 0.7}), json.dumps({**counts, "threshold": "0.68"}),
                       json.dumps({k: v for k, v in counts.items() if k != "fn"})):
            other.write_text(broken)
            modelinfo.smile_metrics.cache_clear()
            assert modelinfo.smile_metrics() is None, broken
        other.unlink()
        modelinfo.smile_metrics.cache_clear()
        assert modelinfo.smile_metrics() is None
    finally:
        modelinfo.smile_metrics.cache_clear()


def test_shares_are_said_as_plain_fractions():
    """The nearest of the halves, thirds, quarters, fifths and tenths (the simplest on a tie); none or all of them
    would mislead, so those ends are whole percentages."""
    from webapp.modelinfo import about_fraction

    assert [about_fraction(x) for x in (0.66, 0.59, 0.6, 0.5, 0.7165, 0.6869, 0.26, 0.13, 0.86)] == [
        "about 2 in 3", "about 3 in 5", "about 3 in 5", "about 1 in 2", "about 7 in 10", "about 7 in 10",
        "about 1 in 4", "about 1 in 10", "about 9 in 10"]
    assert [about_fraction(x) for x in (0.0, 0.03, 0.97, 1.0)] == ["0%", "3%", "97%", "100%"]
