"""`flask forget-short-estimates`: written answers under MIN_WORDS_FOR_ESTIMATE words whose Big Five
was stored before the short-answer rule lose those scores from the averages (and only those), once."""
import pytest
from sqlalchemy import func, select

from tests.helpers import add_user
from webapp import stats
from webapp.extensions import db
from webapp.jobs import run_pending
from webapp.models import Aggregate, AnswerDay, Answer, Contributor, Score, User, WordCount

pytestmark = [pytest.mark.all_databases, pytest.mark.usefixtures("whole_essay_text_figures")]

BIG5 = {"EXT": 0.7, "NEU": 0.4, "AGR": 0.6, "CON": 0.5, "OPN": 0.55}


def add_text(app, email, text):
    """The id of a queued written answer of `email` (the user is created if needed)."""
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == email))
    if user_id is None:
        user_id = add_user(app, email)
    with app.app_context():
        ans = Answer(user_id=user_id, question_id=1, modality="text", status="queued", text=text)
        db.session.add(ans)
        db.session.commit()
        return ans.id


def aggregate(label="EXT"):
    row = db.session.scalar(select(Aggregate).where(Aggregate.scope == stats.OVERALL, Aggregate.modality == "text",
                                                    Aggregate.family == "big5", Aggregate.label == label))
    return (row.count, round(row.total, 6), row.people) if row else (0, 0.0, 0)


def test_short_answers_lose_their_big5_from_the_averages_once(app, monkeypatch):
    flags = {}  # answer id -> what its result says of "short" (absent: a result from before the key)

    def analyse(answer, report):  # stores the Big Five whatever the length, as before the rule
        result = {"big5": BIG5, "word_count": len(answer.text.split())}
        if flags.get(answer.id) is not None:
            result["short"] = flags[answer.id]
        return [("big5", k, 100 * v) for k, v in BIG5.items()], result, {"word_count": len(answer.text.split())}

    monkeypatch.setattr("webapp.jobs.analyzers.analyse", analyse)
    long_text = " ".join(["I led the team well."] * 12)  # 60 words of English prose
    ids = {
        "long": add_text(app, "a@example.com", long_text),
        "short": add_text(app, "b@example.com", "I led a small team well"),
        "old_short": add_text(app, "c@example.com", "We shipped it early and users liked it"),
        "mixed": add_text(app, "a@example.com", "Short again from a"),
    }
    flags.update({ids["long"]: False, ids["short"]: True, ids["mixed"]: True})
    with app.app_context():
        assert run_pending() == 4
        assert aggregate() == (4, 280.0, 3)
        days = db.session.scalar(select(func.sum(AnswerDay.count)))
        words = db.session.scalar(select(func.sum(WordCount.count)))
        answers_people = db.session.scalar(select(func.count()).select_from(Contributor)
                                           .where(Contributor.family == stats.ANSWERS[0], Contributor.answers > 0))
    runner = app.test_cli_runner()
    out = runner.invoke(args=["forget-short-estimates"])
    assert out.exit_code == 0, out.output
    assert "3 short written answers (15 scores)" in out.output
    with app.app_context():
        assert aggregate() == (1, 70.0, 1)            # only the long answer's; its writer is the one candidate left
        for label in BIG5:
            assert aggregate(label)[0] == 1
        assert {a.id: a.score_map("big5") != {} for a in db.session.scalars(select(Answer))} == {
            ids["long"]: True, ids["short"]: False, ids["old_short"]: False, ids["mixed"]: False}
        # the answers themselves still count (answers per day, words, candidates who answered)
        assert db.session.scalar(select(func.sum(AnswerDay.count))) == days
        assert db.session.scalar(select(func.sum(WordCount.count))) == words
        assert db.session.scalar(select(func.count()).select_from(Contributor).where(
            Contributor.family == stats.ANSWERS[0], Contributor.answers > 0)) == answers_people
        assert db.session.scalar(select(func.count()).select_from(Score)) == 5
    again = runner.invoke(args=["forget-short-estimates"])
    assert again.exit_code == 0 and "0 short written answers (0 scores)" in again.output
    with app.app_context():
        assert aggregate() == (1, 70.0, 1)


def test_pace_and_rates_of_under_five_seconds_of_speech_leave_the_averages_once(app):
    """`flask forget-short-span-rates`: a recording analysed before rates needed 5 s of speech (6 words in 1.6 s
    stored "72 words/min") loses its pace and rates, the voice's pauses per minute too; its other scores stay,
    and so does everything of a longer one."""
    from tests.helpers import store_analysed
    uid = add_user(app, "rates@example.com")
    rates = [("speech", label, 70.0) for label in ("wpm", "articulation_wpm", "fillers_per_min", "hedges_per_min",
                                                    "long_pauses_per_min", "pauses_per_min", "voiced_ratio")]
    with app.app_context():
        short, long = (store_analysed(Answer(user_id=uid, question_id=1, modality="audio", status="done", progress=100,
                                             result={"speech": {"speaking_span_s": span, "wpm": 70.0}}),
                                      rates + [("voice", "calm", 50.0)]) for span in (1.6, 12.0))
    run = app.test_cli_runner().invoke
    out = run(args=["forget-short-span-rates"])
    assert out.exit_code == 0 and "Took the pace and rates of 1 recordings" in out.output and "(6 scores)" in out.output
    with app.app_context():
        assert sorted(db.session.get(Answer, short).score_map("speech")) == ["voiced_ratio"]
        assert db.session.get(Answer, short).score_map("voice") == {"calm": 50.0}
        assert len(db.session.get(Answer, long).score_map("speech")) == 7
        wpm = db.session.scalar(select(Aggregate).where(Aggregate.scope == stats.OVERALL, Aggregate.modality == "audio",
                                                        Aggregate.family == "speech", Aggregate.label == "wpm"))
        assert wpm.count == 1
    assert "of 0 recordings" in run(args=["forget-short-span-rates"]).output


def test_forget_short_voice_takes_out_the_voice_figures_of_a_second_of_speech(app):
    """`flask forget-short-voice`: a recording analysed before vocal-emotion shares needed 5 stretches with speech
    (3 stretches read "happy 67%") loses its voice shares, pauses per minute and spreads from the averages and is
    marked short; its speaking share stays, and so does everything of a longer one. Run twice, it does nothing."""
    from tests.helpers import store_analysed
    uid = add_user(app, "voice@example.com")
    figures = [("speech", label, 5.0) for label in ("voiced_ratio", "pauses_per_min", "pitch_sd_semitones",
                                                    "loudness_sd_db")] + [("voice", "happy", 67.0), ("voice", "calm", 33.0)]
    with app.app_context():
        short, long = (store_analysed(Answer(user_id=uid, question_id=1, modality="audio", status="done", progress=100,
                                             result={"voice": {"dominant": {"happy": 67.0, "calm": 33.0},
                                                               "voiced_windows": n}}), figures)
                       for n in (3, 12))
    run = app.test_cli_runner().invoke
    out = run(args=["forget-short-voice"])
    assert out.exit_code == 0 and "of 1 recordings with under 5 stretches with speech (5 scores)" in out.output
    assert "1 results marked" in out.output
    with app.app_context():
        a = db.session.get(Answer, short)
        assert a.score_map("voice") == {} and sorted(a.score_map("speech")) == ["voiced_ratio"]
        assert a.result["voice"]["short"] is True and a.result["voice"]["min_voiced_windows"] == 5
        assert len(db.session.get(Answer, long).score_map("voice")) == 2
        happy = db.session.scalar(select(Aggregate).where(Aggregate.scope == stats.OVERALL, Aggregate.modality == "audio",
                                                          Aggregate.family == "voice", Aggregate.label == "happy"))
        assert happy.count == 1
    out = run(args=["forget-short-voice"])
    assert "of 1 recordings" in out.output and "(0 scores)" in out.output and "0 results marked" in out.output


def test_the_pages_and_the_ml_side_agree_on_the_voices_minimum():
    from ml.channels.voice import MIN_VOICED_WINDOWS
    from webapp.labels import VOICE_MIN_STRETCHES, voice_short

    assert VOICE_MIN_STRETCHES == MIN_VOICED_WINDOWS
    assert voice_short({"dominant": {"happy": 100.0}, "voiced_windows": 3})         # stored before the mark
    assert not voice_short({"dominant": {"happy": 100.0}, "voiced_windows": 12})
    assert voice_short({"dominant": {"happy": 100.0}, "voiced_windows": 3, "short": True})
    assert not voice_short({"dominant": None, "voiced_windows": 0}) and not voice_short(None)


def test_forget_no_face_share_takes_the_0_percent_face_found_out_of_the_averages(app):
    """`flask forget-no-face-share`: a video answer analysed before a 0% "face found in frame" stopped being stored
    (an outside review: a figure about the camera drew others' average down) loses that score, and only it; an
    answer with a face keeps its share; the candidate's own 0% stays in the result. Run twice, it does nothing."""
    from tests.helpers import store_analysed
    uid = add_user(app, "camera@example.com")
    speech = [("speech", "voiced_ratio", 40.0)]
    with app.app_context():
        none, seen = (store_analysed(Answer(user_id=uid, question_id=1, modality="video", status="done", progress=100,
                                            result={"face": {"face_share": share, "flags": flags}}),
                                     [("face_meta", "face_share", 100.0 * share)] + speech)
                      for share, flags in ((0.0, ["no_face"]), (0.95, [])))
    run = app.test_cli_runner().invoke
    out = run(args=["forget-no-face-share"])
    assert out.exit_code == 0 and "of 1 video answer in which no face was found" in out.output, out.output
    with app.app_context():
        a = db.session.get(Answer, none)
        assert a.score_map("face_meta") == {} and a.score_map("speech") == {"voiced_ratio": 40.0}
        assert a.result["face"]["face_share"] == 0.0
        assert db.session.get(Answer, seen).score_map("face_meta") == {"face_share": 95.0}
        row = db.session.scalar(select(Aggregate).where(Aggregate.scope == stats.OVERALL, Aggregate.modality == "video",
                                                        Aggregate.family == "face_meta"))
        assert (row.count, row.total) == (1, 95.0)
        voiced = db.session.scalar(select(Aggregate).where(Aggregate.scope == stats.OVERALL,
                                                           Aggregate.modality == "video", Aggregate.family == "speech"))
        assert voiced.count == 2
    assert "of 0 video answers" in run(args=["forget-no-face-share"]).output


def averages_state() -> dict:
    """Every stored figure the averages rest on, rows at 0 left out: {table: {key columns: value columns}}."""
    from webapp.models import AggregateBin, AggregateDay, PendingResult
    values = {"count", "total", "total_sq", "people", "answers", "value", "sign"}
    out = {}
    for model in (Aggregate, AggregateBin, AggregateDay, AnswerDay, Contributor, PendingResult):
        cols = [c.name for c in model.__table__.columns if c.name != "id"]
        rows = {}
        for row in db.session.execute(select(model.__table__)).mappings():
            key = tuple(str(row[c]) for c in cols if c not in values)
            vals = tuple(round(float(row[c]), 6) for c in cols if c in values)
            if any(vals):
                rows[key] = vals
        out[model.__name__] = rows
    return out


NO_FACE = {"face_share": 0.0, "steps": 15, "probs": [None] * 15, "flags": ["no_face"], "dominant": {}}
SILENT = {"voice": {"dominant": None, "flags": ["silent"], "windows": []},
          "speech": {"text": "", "words": [], "flags": ["no_speech"], "word_count": 0}}


def test_fail_empty_videos_marks_old_empty_videos_failed_and_takes_them_out_as_a_deletion_would(app, client, auth):
    """`flask fail-empty-videos`: a video analysed before empty videos failed, with no face in any frame and no speech
    (silent, no sound track, or an unreadable one), is marked failed with the message the check gives today and leaves
    the averages exactly as if it had been deleted; its result stays. A video with a face or with speech, or whose
    result does not certainly say neither, is left alone. Run twice, it does nothing."""
    from ml.analysis import EMPTY_VIDEO_MESSAGE
    from tests.helpers import store_analysed

    auth.register("camera@example.com")
    with app.app_context():
        uid = db.session.scalar(select(User.id).where(User.email == "camera@example.com"))
    unread = {"error": "The sound track could not be decoded."}
    kept_results = {
        "speech_only": {"face": NO_FACE, "voice": {"dominant": {"calm": 100.0}, "flags": []},
                        "speech": {"text": "Hello there", "words": [{"w": "Hello"}, {"w": "there"}], "flags": []}},
        "face_only": {"face": dict(NO_FACE, face_share=0.9, probs=[[1 / 7] * 7] * 15, flags=[]), **SILENT},
        "words_only": {"face": NO_FACE, "voice": {"dominant": None, "flags": ["silent"]},
                       "speech": {"text": "Hello", "words": [{"w": "Hello"}], "flags": []}},
        "no_steps": {"face": {"face_share": 0.0, "flags": ["no_face"]}, **SILENT},  # not a face channel's result
        "odd_voice": {"face": NO_FACE, "voice": {"windows": []}},  # neither vocal emotion nor an error: unknown
    }
    empty_results = {"silent": ({"face": NO_FACE, "gaze": {"steps": 15, "facing_share": None}, **SILENT},
                                "no speech was heard"),
                     "no_track": ({"face": NO_FACE}, "it has no sound track"),
                     "unreadable": ({"face": NO_FACE, "voice": unread, "speech": dict(unread, flags=["no_speech"])},
                                    "its sound track could not be read")}
    with app.app_context():
        kept = {name: store_analysed(Answer(user_id=uid, question_id=1, modality="video", status="done", progress=100,
                                            result=result), [("speech", "voiced_ratio", 40.0)])
                for name, result in kept_results.items()}
        before = averages_state()
        empty = {name: store_analysed(Answer(user_id=uid, question_id=1 + k % 2, modality="video", status="done",
                                             progress=100, result=result),
                                      [("face_meta", "face_share", 0.0)] if name == "silent" else [])
                 for k, (name, (result, _)) in enumerate(empty_results.items())}
        assert averages_state() != before
    run = app.test_cli_runner().invoke
    out = run(args=["fail-empty-videos"])
    assert out.exit_code == 0 and "Marked 3 video answers with no face in any frame and no speech failed" in out.output
    with app.app_context():
        assert averages_state() == before  # as if they had been deleted
        for name, (result, sound) in empty_results.items():
            a = db.session.get(Answer, empty[name])
            assert (a.status, a.error, a.scores, a.retry_helps) == ("failed", EMPTY_VIDEO_MESSAGE.format(sound=sound),
                                                                    [], False), name
            assert a.result == result
        for name, ident in kept.items():
            a = db.session.get(Answer, ident)
            assert a.status == "done" and a.score_map("speech") == {"voiced_ratio": 40.0}, name
    page = client.get(f"/answers/{empty['silent']}").get_data(as_text=True)
    assert 'id="job-error">No face was found in any frame of the video and no speech was heard' in page
    assert "Retry the analysis" not in page and 'id="answer-again" href="/questions/1/video"' in page
    out = run(args=["fail-empty-videos"])
    assert out.exit_code == 0 and "Marked 0 video answers" in out.output
    with app.app_context():
        assert averages_state() == before


def face_frames_results(face_n, gaze_n, steps=40):
    """A video's face and gaze results as today's channels summarise them (ml.channels.face and gaze), with a face in
    the last `face_n` (face) and `gaze_n` (gaze: landmarks placed) of `steps` sampled frames, and their scores under
    today's rule: (face, gaze, scores)."""
    from ml.channels import face as face_channel, gaze as gaze_channel
    from ml.face import CLASS_NAMES
    from ml.gaze.pose import DEFAULT_MODEL
    from ml.gaze.signals import MOTION_SMOOTH
    from ml.gaze.track import BOX_SMOOTH

    t = [round(0.2 * k, 2) for k in range(steps)]
    happy, neutral = [.02, .02, .02, .8, .02, .02, .1], [.05, .05, .05, .1, .05, .05, .65]
    probs = [None] * (steps - face_n) + [happy if k % 3 else neutral for k in range(face_n)]
    face = {"classes": list(CLASS_NAMES), "t": t, "faces": [1] * steps, "probs": probs,
            **face_channel.summarise(t, [1] * steps, probs, CLASS_NAMES)}

    def seen(value):
        return [None] * (steps - gaze_n) + [value(k) for k in range(gaze_n)]

    yaw, pitch, roll = seen(lambda k: 4.0 + k % 2), seen(lambda k: -3.0 + 0.5 * (k % 3)), seen(lambda k: 1.0)
    summary = gaze_channel.summarise(t, yaw, pitch, roll, [1] * steps, seen(lambda k: 0.3),
                                     seen(lambda k: 0.75 if k % 2 else 0.6))
    gaze = {"t": t, "yaw": yaw, "pitch": pitch, "roll": roll, "pose_model": DEFAULT_MODEL.name,
            "motion_smooth": MOTION_SMOOTH, "box_smooth": BOX_SMOOTH, **summary}
    return face, gaze, face_channel.scores_of(face) + gaze_channel.scores_of(summary)


def before_the_minimum(face, gaze):
    """The same results and their scores as stored before 2026-12-07: no count of frames with a face, and every
    figure of a face in a handful of frames among the scores."""
    from ml.channels import face as face_channel, gaze as gaze_channel
    face = {k: v for k, v in face.items() if k not in ("face_frames", "few_frames", "min_face_frames")}
    gaze = {k: v for k, v in gaze.items() if k not in ("face_frames", "few_frames", "min_face_frames")}
    return face, gaze, face_channel.scores_of(face) + gaze_channel.scores_of(gaze)


def section(page, name):
    import re
    found = re.search(rf'<section class="card" id="{name}">.*?</section>', page, re.S)
    assert found, name
    return found.group(0)


def test_forget_few_face_frames_leaves_the_averages_as_todays_rule_stores_them(app, client, auth):
    """`flask forget-few-face-frames`: video answers analysed before a face in fewer than MIN_FACE_FRAMES sampled frames
    kept its expression shares and head figures out of the averages end with the averages, results and pages of the
    same answers analysed today; the face's and the head's frames are judged apart (here the face in 12 frames, the
    head's landmarks in 8). A result whose stored frames do not tell the count keeps its scores. Run twice, the second
    run changes nothing."""
    from webapp.answers import delete_answers
    from tests.helpers import store_analysed

    auth.register("camera@example.com")
    with app.app_context():
        uid = db.session.scalar(select(User.id).where(User.email == "camera@example.com"))
    frames = {"both_few": (7, 6), "head_few": (12, 8), "enough": (30, 30), "no_face": (0, 0)}
    today = {name: face_frames_results(*n) for name, n in frames.items()}
    before = {name: before_the_minimum(face, gaze) for name, (face, gaze, _) in today.items()}
    # a handful of frames, but per-frame series that are not one entry a sampled frame: the count is not certain
    face, gaze, scores = before["both_few"]
    untold = dict(face, probs=face["probs"][1:]), dict(gaze, yaw=gaze["yaw"][1:]), scores
    speech = [("speech", "voiced_ratio", 40.0)]

    def store(results):
        return {name: store_analysed(Answer(user_id=uid, question_id=1 + k % 2, modality="video", status="done",
                                            progress=100, result={"face": face, "gaze": gaze}), scores + speech)
                for k, (name, (face, gaze, scores)) in enumerate({**results, "untold": untold}.items())}

    with app.app_context():
        new = store(today)
        expected = averages_state()
        new_results = {name: db.session.get(Answer, i).result for name, i in new.items()}
    pages = {name: client.get(f"/answers/{i}").get_data(as_text=True) for name, i in new.items()}
    assert 'id="face-too-few"' in pages["both_few"] and 'id="gaze-too-few"' in pages["both_few"]
    # nor shares of so few frames: facing the camera and smiling (they were given beside the face's refusal)
    assert 'id="gaze-facing"' not in pages["both_few"] and "had the shape of a smile" not in pages["both_few"]
    assert 'id="gaze-facing"' in pages["enough"]
    with app.app_context():
        delete_answers(db.session.scalars(select(Answer)).all())
        old = store(before)
        assert averages_state() != expected
    run = app.test_cli_runner().invoke
    out = run(args=["forget-few-face-frames"])
    assert out.exit_code == 0, out.output
    assert ("took the expression shares of 1 answer and the head figures of 2 answers (13 scores) out of the "
            "averages") in out.output, out.output
    with app.app_context():
        assert averages_state() == expected
        results = {name: db.session.get(Answer, i).result for name, i in old.items()}
    assert results["both_few"] == new_results["both_few"]
    # the head's part marked as the gaze channel marks it today, flag and all
    assert [results[n]["gaze"].get("few_frames") for n in ("both_few", "head_few", "enough")] == [True, True, None]
    assert results["head_few"]["gaze"] == new_results["head_few"]["gaze"]
    assert results["head_few"]["face"] == before["head_few"][0]  # enough frames: left as stored
    assert results["untold"] == new_results["untold"] and results["enough"]["face"] == before["enough"][0]
    page = client.get(f"/answers/{old['both_few']}").get_data(as_text=True)
    for name in ("face-section", "gaze-section"):  # reads as the same answer analysed today
        assert section(page, name) == section(pages["both_few"], name)
    page = client.get(f"/answers/{old['head_few']}").get_data(as_text=True)
    assert 'id="face-too-few"' not in page and 'id="gaze-too-few"' in page and "face-distribution" in page
    out = run(args=["forget-few-face-frames"])
    assert out.exit_code == 0 and "expression shares of 0 answers and the head figures of 0 answers (0 scores)" in out.output
    with app.app_context():
        assert averages_state() == expected
        assert {name: db.session.get(Answer, i).result for name, i in old.items()} == results
