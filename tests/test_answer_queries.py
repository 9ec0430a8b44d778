"""The SQL an answer's dashboard runs does not grow with the number of classes, families or scopes.

Video and audio answers are stored through the real job path (claim, run_job, the one
transaction that writes the result, the scores and stats.record), with an analyser that
returns what ml.analysis returns for a recording, built from synthetic per-frame and
per-window probabilities with the ml code's own summaries.
"""
import random
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from ml.analysis import agreement
from ml.channels.face import summarise
from ml.channels.voice import SPEECH_LABELS
from ml.face import CLASS_NAMES as FACE_CLASSES
from ml.voice import CLASS_NAMES as VOICE_CLASSES
from tests.helpers import LONG_ANSWER
from tests.test_interview import post_answer
from webapp import stats
from webapp.extensions import db
from webapp.jobs import run_pending
from webapp.models import Answer, User

pytestmark = pytest.mark.all_databases

# the user, the answer, the candidate's answers, their results still waiting for a batch of the
# averages (webapp.stats.own_contribution), the comparison, one more (a page's word list), and, where an average of
# others is missing, how many of their answers have no result of it (webapp.stats.others_left_out: a Big Five trait's
# length rule, or pace and fillers, is given as the reason only then)
MAX_QUERIES = 7
# a written answer's page also asks whether its words still wait for their batch (stats.words_waiting: the word
# lists' headings say "you included" only once they hold them)
MAX_TEXT_QUERIES = MAX_QUERIES + 1


def fake_recording_analysis(kind: str, rng: random.Random, seconds: float = 12.0):
    """(scores, result, fields) shaped like ml.analysis.analyse_recording's, for the job adapter."""
    result, scores = {}, []
    face = None
    if kind == "video":
        times = [round(i / 5, 2) for i in range(int(seconds * 5))]
        probs, faces = [], []
        for _ in times:
            if rng.random() < 0.1:
                probs.append(None)
                faces.append(0)
                continue
            raw = [rng.random() ** 3 for _ in FACE_CLASSES]
            probs.append([v / sum(raw) for v in raw])
            faces.append(1)
        face = {"classes": list(FACE_CLASSES), "t": times, "faces": faces, "probs": probs,
                **summarise(times, faces, probs, FACE_CLASSES, strongest_index=3),
                "heatmap": True, "strongest_class": "happy", "strongest_p": 0.81}
        result["face"] = face
        scores += [("face", c, v) for c, v in face["dominant"].items()]
        scores.append(("face_meta", "face_share", 100.0 * face["face_share"]))
    windows = []
    for i in range(int(seconds // 2)):
        raw = [rng.random() ** 3 for _ in VOICE_CLASSES]
        windows.append({"start": 2.0 * i, "end": 2.0 * i + 2, "silent": i == 0,
                        "probs": {c: v / sum(raw) for c, v in zip(VOICE_CLASSES, raw)}})
    voiced = [w for w in windows if not w["silent"]]
    counts = {c: 0 for c in VOICE_CLASSES}
    for w in voiced:
        counts[max(w["probs"], key=w["probs"].get)] += 1
    dominant = {c: 100.0 * n / len(voiced) for c, n in counts.items()}
    metrics = {"voiced_ratio": rng.uniform(0.4, 0.9), "pauses_per_min": rng.uniform(2, 30),
               "pitch_sd_semitones": rng.uniform(0.5, 6), "loudness_sd_db": rng.uniform(2, 12),
               "pitch_mean_hz": rng.uniform(90, 250), "pause_longest_s": rng.uniform(0.3, 3), "pause_count": 4}
    result["voice"] = {"classes": list(VOICE_CLASSES), "windows": windows, "metrics": metrics,
                       "dominant": dominant, "voiced_windows": len(voiced), "flags": []}
    scores += [("voice", c, v) for c, v in dominant.items()]
    scores += [("speech", label, 100.0 * metrics[label] if label == "voiced_ratio" else metrics[label])
               for label in SPEECH_LABELS]
    if face:
        result["agreement"] = agreement(face, result["voice"])
    result["media"] = {"duration": seconds}
    return scores, result, {}


@pytest.fixture
def fake_analyser(monkeypatch):
    """The job adapter returns a synthetic recording analysis (no media, no face or voice model)."""
    from webapp.jobs import analyzers
    real, rng = analyzers.analyse, random.Random(7)

    def analyse(answer, report):
        if answer.modality not in ("video", "audio"):
            return real(answer, report)
        report(50, "Analysing")
        return fake_recording_analysis(answer.modality, rng)

    monkeypatch.setattr("webapp.jobs.analyzers.analyse", analyse)


def add_recording(app, email, question_id, kind, session_id=None):
    """A queued recording of the user `email` (in mock interview `session_id`, if given), analysed
    through the job functions."""
    with app.app_context():
        uid = db.session.scalar(select(User.id).where(User.email == email))
        ans = Answer(user_id=uid, question_id=question_id, modality=kind, status="queued",
                     media_path=f"{uid}/answer.webm", original_filename="answer.webm", session_id=session_id)
        db.session.add(ans)
        db.session.commit()
        assert run_pending() == 1
        ans = db.session.get(Answer, ans.id)
        assert ans.status == "done", ans.error
        return ans.id


@contextmanager
def count_queries(app):
    statements = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


@pytest.fixture
def recordings(client, auth, app, fake_analyser):
    """Candidates' video and audio answers on two questions; the client is logged in as the last one.
    Three other candidates have videos (question 1: four of two candidates; all questions: seven of three)."""
    ids = {}
    for email in ("a@example.com", "b@example.com"):
        auth.register(email)
        auth.logout()
        ids[email] = [add_recording(app, email, q, kind)
                      for q, kind in ((1, "video"), (2, "video"), (1, "audio"), (1, "video"))]
    auth.register("c@example.com")
    auth.logout()
    ids["c@example.com"] = [add_recording(app, "c@example.com", 2, "video")]
    auth.register("me@example.com")
    ids["video"] = add_recording(app, "me@example.com", 1, "video")
    ids["audio"] = add_recording(app, "me@example.com", 1, "audio")
    return ids


def test_video_answer_page_runs_few_queries(client, app, recordings):
    url = f"/answers/{recordings['video']}"
    client.get(url)  # warm-up: templates compiled, model metrics read
    with count_queries(app) as statements:
        page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    # every family is on the page, with averages over this question and overall
    assert 'id="face-timeline"' in html and 'id="voice-timeline"' in html and 'id="agreement"' in html
    assert 'data-label="happy"' in html and 'data-label="pitch_sd_semitones"' in html
    # face rows: OTHER candidates' videos only (mine are left out): 7 overall, of 3 candidates; the 4 on
    # question 1 are fewer than MIN_OTHERS_FOR_AVERAGE, so that average is held back
    assert stats.MIN_OTHERS_FOR_AVERAGE == 5 and stats.MIN_OTHERS_PEOPLE == 3
    assert "(n=7)" in html and "(n=4)" not in html and "(n=8)" not in html and "(n=9)" not in html
    assert ('<td class="others-question" data-label="Others’ video answers, this question: average"><span class="hint">'
            'not enough results from others yet</span>') in html
    assert len(statements) <= MAX_QUERIES, "\n\n".join(statements)


def test_recording_pages_say_whose_answers_the_others_are(client, app, recordings):
    """The averages of a recording's figures are kept per answer type (stats.modality_group): a video answer's face,
    voice and head figures are set beside other candidates' video answers only, an audio answer's beside audio answers
    only. The tables' headers and the note above them say so, from the answer's own type ("Others, all questions" read
    as every answer of every type: a review)."""
    video = " ".join(client.get(f"/answers/{recordings['video']}").get_data(as_text=True).split())
    assert "<th scope=\"col\">Others’ video answers, all questions: average</th>" in video
    assert 'data-label="Others’ video answers, all questions: average"><span class="num">' in video
    # (no percentile yet: one note across both percentile columns, still saying whose answers)
    assert 'data-label="Your percentile among others’ video answers, this question and all questions"' in video
    assert "<th scope=\"col\">Others, " not in video and 'data-label="Others, ' not in video and "audio answers" not in video
    # the two audio answers of others are too few for an average: the note above each table says whose they would be
    audio = " ".join(client.get(f"/answers/{recordings['audio']}").get_data(as_text=True).split())
    assert ("<p class=\"hint no-others\">Averages of other candidates’ audio answers and your percentile among them: not "
            "enough results from others yet.") in audio
    assert "Other candidates' averages" not in audio and "video answers" not in audio
    for kind, html in (("video", video), ("audio", audio)):
        assert (f"“Others” are the other candidates’ analysed {kind} answers (not their answers of other types): yours "
                "are left out") in html


def test_audio_and_text_answer_pages_run_few_queries(client, app, recordings):
    post_answer(client, LONG_ANSWER)
    with app.app_context():
        run_pending()  # the text analyser is the real one
        text_id = db.session.scalar(select(Answer.id).where(Answer.modality == "text"))
    for answer_id, marker, most in ((text_id, "Extraversion", MAX_TEXT_QUERIES),
                                    (recordings["audio"], 'id="voice-timeline"', MAX_QUERIES)):
        client.get(f"/answers/{answer_id}")
        with count_queries(app) as statements:
            html = client.get(f"/answers/{answer_id}").get_data(as_text=True)
        assert marker in html
        assert len(statements) <= most, "\n\n".join(statements)


def test_video_page_numbers_match_the_stored_scores(client, app, recordings, monkeypatch):
    """The batched comparison (one query for every family, label and scope) shows the means,
    counts and histogram percentiles of OTHER candidates computed here directly from their stored
    scores (the thresholds lowered so that these few answers show an average and a percentile)."""
    from webapp.dashboard.routes import recording_context
    from webapp.models import Score
    monkeypatch.setattr(stats, "MIN_OTHERS_FOR_PERCENTILE", 1)
    monkeypatch.setattr(stats, "MIN_OTHERS_FOR_AVERAGE", 1)
    monkeypatch.setattr(stats, "MIN_OTHERS_PEOPLE", 1)
    with app.app_context():
        ans = db.session.get(Answer, recordings["video"])
        me = ans.user_id
        own = db.session.execute(select(Answer).where(Answer.user_id == me, Answer.status == "done",
                                                      Answer.modality == "video")).scalars().all()
        ctx = recording_context(ans, own)
        stored = db.session.execute(
            select(Answer.question_id, Score.family, Score.label, Score.value).join(Score)
            .where(Answer.modality == "video", Answer.status == "done", Answer.user_id != me)).all()
        checked = 0
        for key, family in (("face_rows", "face"), ("face_share_row", "face_meta"), ("voice_rows", "voice"),
                            ("speech_rows", "speech")):
            assert [r["label"] for r in ctx[key]] == list(ans.score_map(family))
            for row in ctx[key]:
                label, value = row["label"], row["value"]
                assert value == ans.score_map(family)[label]
                for scope, question_ids in (("question", {ans.question_id}), ("overall", {1, 2})):
                    others = [v for q, f, l, v in stored if q in question_ids and (f, l) == (family, label)]
                    b = stats._bin(value, family, label)
                    bins = [stats._bin(v, family, label) for v in others]
                    expected = 100.0 * (sum(x < b for x in bins) + 0.5 * bins.count(b)) / len(others)
                    assert row[f"{scope}_count"] == len(others)
                    assert row[f"{scope}_mean"] == pytest.approx(sum(others) / len(others))
                    assert row[f"percentile_{scope}"] == pytest.approx(expected), (family, label, scope)
                checked += 1
        assert checked == len(FACE_CLASSES) + 1 + len(VOICE_CLASSES) + len(SPEECH_LABELS)


def test_percentiles_only_with_twenty_answers_from_others(client, auth, app, fake_analyser):
    """Averages and counts are those of other candidates, whatever the candidate's own number of
    answers; a percentile appears from MIN_OTHERS_FOR_PERCENTILE (20) answers of others on (of at
    least MIN_OTHERS_PEOPLE of them)."""
    assert stats.MIN_OTHERS_FOR_PERCENTILE == 20 and stats.MIN_OTHERS_PEOPLE == 3
    for email in ("one@example.com", "two@example.com", "other@example.com"):
        auth.register(email)
        auth.logout()
    others = [add_recording(app, "one@example.com", 1, "audio"), add_recording(app, "two@example.com", 1, "audio")]
    others += [add_recording(app, "other@example.com", 1, "audio") for _ in range(17)]
    auth.register("me@example.com")
    mine = [add_recording(app, "me@example.com", 1, "audio") for _ in range(3)]
    html = client.get(f"/answers/{mine[-1]}").get_data(as_text=True)
    assert "(n=19)" in html and "(n=22)" not in html and "(n=3)" not in html
    assert "not enough results from others yet" in html
    assert 'class="pct-question" data-label="Your percentile among others’ audio answers, this question"><span class="num">' not in html
    auth.logout()
    auth.login("other@example.com")
    others.append(add_recording(app, "other@example.com", 1, "audio"))
    auth.logout()
    auth.login("me@example.com")
    html = client.get(f"/answers/{mine[-1]}").get_data(as_text=True)
    assert "(n=20)" in html and "(n=23)" not in html
    assert ('class="pct-question" data-label="Your percentile among others’ audio answers, this question"><span class="num">'
            in html)
    assert ('class="pct-overall" data-label="Your percentile among others’ audio answers, all questions"><span class="num">'
            in html)
    # the "other" candidate's own 18 answers are left out: they see my three and the two of one@ and
    # two@ (5, of 3 candidates), enough for an average but not for a percentile
    auth.logout()
    auth.login("other@example.com")
    html = client.get(f"/answers/{others[-1]}").get_data(as_text=True)
    assert "(n=5)" in html and "(n=3)" not in html and "(n=20)" not in html and "(n=23)" not in html
    # (the same note for both percentiles: once, across the two columns)
    assert ('<td class="pct-question pct-overall wide" colspan="2" data-label="Your percentile among others’ audio '
            'answers, this question and all questions"><span class="hint">not enough results from others yet</span>') in html
    assert 'class="pct-question" data-label="Your percentile among others’ audio answers, this question"><span class="num">' not in html


def test_compare_excludes_given_results(app, auth):
    """stats.compare(exclude=...) gives the figures the aggregates would hold without those results."""
    from datetime import datetime
    from webapp.models import Question
    values = [10.0, 20.0, 60.0, 90.0]
    auth.register("x@example.com")
    with app.app_context():
        uid = db.session.scalar(select(User.id).where(User.email == "x@example.com"))
        qid = db.session.scalar(select(Question.id))
        for v in values:
            a = Answer(user_id=uid, question_id=qid, modality="audio", status="done", created_at=datetime(2026, 1, 1))
            db.session.add(a)
            db.session.flush()
            stats.record(a, [("voice", "calm", v)])
        db.session.commit()
        scope = stats.question_scope(qid)
        full = stats.compare([scope], "audio", {"voice": {"calm": 50.0}})[scope]["voice"]["calm"]
        assert full["count"] == 4 and full["mean"] == pytest.approx(45.0)
        assert full["percentile"] == pytest.approx(50.0)
        out = stats.compare([scope], "audio", {"voice": {"calm": 50.0}},
                            exclude={scope: [("voice", "calm", 10.0), ("voice", "calm", 60.0), ("face", "x", 1.0)]})
        row = out[scope]["voice"]["calm"]
        assert row["count"] == 2 and row["mean"] == pytest.approx(55.0) and row["sd"] == pytest.approx(35.0)
        assert row["percentile"] == pytest.approx(50.0)  # 20 below, 90 above
        out = stats.compare([scope], "audio", {"voice": {"calm": 50.0}},
                            exclude={scope: [("voice", "calm", v) for v in values]})
        assert "calm" not in out.get(scope, {}).get("voice", {})  # nothing left to compare with
