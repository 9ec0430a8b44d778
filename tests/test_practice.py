"""Mock interviews (webapp.practice): the "three things to practise" rule, a written session through
the real routes and job runner, its report, the privacy of sessions, the answer page's "try again"
and change since the previous attempt, a failed answer answered again within its interview, the progress page and
migration 0005."""
import json
import re

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select, text

from tests.conftest import csrf_token, fresh_database_url
from tests.helpers import LONG_ANSWER
from webapp import create_app
from webapp.extensions import db
from webapp.jobs import run_pending
from webapp.models import Aggregate, Answer, InterviewSession, User
from webapp.practice.coach import things_to_practise
from webapp.practice.figures import best_of, is_better
from webapp.worker import record_heartbeat

pytestmark = [pytest.mark.all_databases, pytest.mark.usefixtures("whole_essay_text_figures")]

# 60 words that cover none of the seeded talking points
OFF_TOPIC = ("The weather on the coast was grey and windy for most of the week, so the ferry to the island "
             "was cancelled twice. We walked along the cliffs instead, watched the gulls, ate chips in a "
             "small cafe near the harbour and read novels in the evening while rain tapped on the windows "
             "of the old cottage by the lighthouse near the sea.")


def avg(mean, sd, count=10):
    return {"mean": mean, "sd": sd, "count": count}


# --- The rule --------------------------------------------------------------------------------

def test_rule_picks_largest_standardised_gaps_one_per_figure_first():
    items = [
        {"key": "fillers_per_min", "value": 6.0, "question_no": 1, "question_avg": avg(2.0, 1.0)},  # (6-2)/1 = 4
        {"key": "wpm", "value": 200.0, "question_no": 2, "question_avg": avg(120.0, 10.0)},         # not judged
        {"key": "words", "value": 23.3, "question_no": 2},                                           # 26.7/10 = 2.67
        {"key": "face_share", "value": 70.0, "question_no": 1},                                      # 20/10 = 2
        {"key": "face_share", "value": 80.0, "question_no": 2},                                      # 10/10 = 1
        {"key": "big5_EXT", "value": 5.0, "question_no": 1, "question_avg": avg(90.0, 3.0)},          # no direction
        {"key": "long_pauses_per_min", "value": 1.0, "question_no": 1, "question_avg": avg(1.2, 0.1)},  # better
        {"key": "face_share", "value": 95.0, "question_no": 3},                                      # above the goal
        {"key": "face_share", "value": 86.0, "question_no": 3},                                      # 0.4 < MIN_GAP
    ]
    chosen = things_to_practise(items, 3, min_words=50)
    assert [(c["key"], c["question_no"]) for c in chosen] == [("fillers_per_min", 1), ("words", 2), ("face_share", 1)]
    assert [round(c["gap"], 2) for c in chosen] == [4.0, 2.67, 2.0]
    assert [c["reference"] for c in chosen] == ["average", "target", "target"]
    assert "face in the frame" in chosen[2]["advice"]
    # a fourth place goes to the next largest gap, even of a figure already chosen
    assert [(c["key"], c["question_no"]) for c in things_to_practise(items, 4, min_words=50)][-1] == ("face_share", 2)
    # every figure with a gap has its turn before one figure is repeated (then shown largest gap first)
    many = [{"key": "face_share", "value": 0.0, "question_no": n} for n in (1, 2, 3)] + [
        {"key": "words", "value": 30.0, "question_no": 1}]                                          # 20/10 = 2
    assert [(c["key"], c["question_no"]) for c in things_to_practise(many, 3, min_words=50)] == [
        ("face_share", 1), ("face_share", 2), ("words", 1)]


def test_rule_standardises_by_spread_needs_enough_peers_and_uses_own_best():
    # a wide spread makes the same difference smaller: (6-2)/4 = 1
    assert things_to_practise([{"key": "fillers_per_min", "value": 6.0, "question_avg": avg(2.0, 4.0)}])[0]["gap"] == 1.0
    # a question average held back for privacy (webapp.stats.held_back: no mean) is not used: the average of
    # all questions is used instead
    one = things_to_practise([{"key": "fillers_per_min", "value": 6.0, "question_avg": avg(None, None, 2),
                               "overall_avg": avg(3.0, 0.5)}])[0]
    assert (one["gap"], one["scope"]) == (3.0, "all")
    # no average at all: only the candidate's own best earlier attempt: (3-1)/1 = 2
    best = things_to_practise([{"key": "fillers_per_min", "value": 3.0, "best": 1.0}])[0]
    assert (best["reference"], best["gap"]) == ("best", 2.0)
    # pace (no sourced ideal range), Big Five and emotions are never suggestions
    assert things_to_practise([{"key": "wpm", "value": 145.0, "question_avg": avg(100.0, 5.0)},
                               {"key": "wpm", "value": 100.0, "best": 125.0},
                               {"key": "big5_NEU", "value": 99.0, "best": 1.0}]) == []


def test_better_and_best_follow_each_figures_direction():
    assert is_better("fillers_per_min", 1.0, 3.0) is True and is_better("face_share", 25.0, 50.0) is False
    assert is_better("wpm", 150.0, 190.0) is None and best_of("wpm", [100.0, 170.0]) is None
    assert is_better("big5_EXT", 80.0, 20.0) is None and best_of("big5_EXT", [1.0, 2.0]) is None
    assert best_of("long_pauses_per_min", [2.0, 0.5, 1.0]) == 0.5
    # words: judged against the minimum only; above it a longer answer is neither better nor a "best"
    assert best_of("words", [99.0, 315.0]) is None
    assert is_better("words", 315.0, 99.0, min_words=50) is None and is_better("words", 60.0, 30.0, min_words=50)
    assert is_better("words", 30.0, 60.0, min_words=50) is False
    # so a 99-word answer after a 315-word one is no suggestion to "give a fuller answer"
    assert things_to_practise([{"key": "words", "value": 99.0, "best": best_of("words", [315.0])}],
                              min_words=50) == []


def test_a_rate_moved_by_less_than_one_event_is_neither_better_nor_a_best():
    """A review of the numbers: 1 filler in 15.72 s (3.82 per min) then 1 in 16.5 s (3.64) read "3.8 -> 3.6 (better)"
    and "latest, best"; and of two attempts shown as 3.8, the later alone was "best"."""
    from types import SimpleNamespace

    from webapp.practice.figures import best_marks, changes

    def audio(fillers, span):
        speech = {"word_count": 48, "speaking_span_s": span, "wpm": 48 / span * 60, "fillers_per_min": fillers / span * 60,
                  "long_pauses_per_min": 0.0}
        return SimpleNamespace(modality="audio", result={"speech": speech}, word_count=48, text=None)

    row = {r["key"]: r for r in changes(audio(1, 16.5), audio(1, 15.72))}["fillers_per_min"]
    assert (row["previous"], row["value"], row["better"]) == (3.8, 3.6, None)
    # one filler fewer, or one more, is one event's noise too (a review read "+0.6 (worse)" for one hedge)
    row = {r["key"]: r for r in changes(audio(0, 16.5), audio(1, 15.72))}["fillers_per_min"]
    assert (row["previous"], row["value"], row["better"]) == (3.8, 0.0, None)
    row = {r["key"]: r for r in changes(audio(3, 60.0), audio(2, 60.0))}["fillers_per_min"]
    assert row["better"] is None
    # more than one event in either answer is a change: 4 fillers in a minute after 2, 3 in 20 s after 1 in 60 s
    assert {r["key"]: r for r in changes(audio(4, 60.0), audio(2, 60.0))}["fillers_per_min"]["better"] is False
    assert {r["key"]: r for r in changes(audio(1, 60.0), audio(3, 20.0))}["fillers_per_min"]["better"] is True
    # the same one filler in 10 s and in 120 s (6.0 and 0.5 per min): taking it out of the 10 s answer covers it
    row = {r["key"]: r for r in changes(audio(1, 120.0), audio(1, 10.0))}["fillers_per_min"]
    assert row["better"] is None
    assert best_marks("fillers_per_min", [6.0, 2.0, 1.0, 0.5], [6.0, 2.0, 1.0, 0.5]) == []
    assert best_marks("fillers_per_min", [9.0, 2.0, 1.0, 0.5], [3.0, 2.0, 1.0, 0.5]) == [1, 2, 3]
    # best: every attempt equal as shown, or within one event, is marked; none when all are
    assert best_marks("fillers_per_min", [11.1, 3.82, 3.76], [3.7, 3.82, 3.76]) == [1, 2]
    assert best_marks("fillers_per_min", [7.4, 3.82, 3.76], [3.7, 3.82, 3.76]) == []  # 2 fillers beside 1
    assert best_marks("fillers_per_min", [3.82, 3.64], [3.82, 3.64]) == []
    assert best_marks("fillers_per_min", [4.0, 2.0, 1.0], [1.0, 1.0, 1.0]) == [1, 2]
    assert best_marks("long_pauses_per_min", [2.0, 0.5, 1.0]) == [1]
    assert best_marks("face_share", [50.0, 100.0, 100.0]) == [1, 2]
    assert best_marks("wpm", [100.0, 170.0]) == []
    # the best itself, whichever attempts are marked with it: the progress summary's "best" (it gave the latest
    # marked attempt: "best 5.0" where two attempts had 2.4, a numbers review); the latest of equal ones
    from webapp.practice.figures import best_at
    assert best_at("long_pauses_per_min", [3.0, 2.4, 2.4, 5.0]) == 2
    assert best_at("fillers_per_min", [9.0, 0.0, 1.0, 3.6]) == 1
    assert best_at("face_share", [50.0, 100.0, 100.0]) == 2 and best_at("wpm", [100.0, 170.0]) is None


def test_the_minimum_of_words_is_judged_without_filler_sounds_everywhere():
    """A review of the numbers: 51 words with two "um" were 49 for the counter and the Big Five, but 51 for the
    mock report and its "give a fuller answer", and not short for the analysis."""
    from types import SimpleNamespace

    from ml.analysis import analyse_text
    from webapp.practice.figures import key_figures

    text = "Um " + " ".join(["word"] * 24) + " um " + " ".join(["thing"] * 25) + "."
    answer = SimpleNamespace(modality="text", text=text, word_count=51, result={})
    assert key_figures(answer)["words"] == 49.0
    assert analyse_text(text, 50).result["short"] is True and analyse_text(text, 50).result["word_count"] == 51


def test_key_figures_count_words_by_the_tables_rule_and_leave_out_a_recording_with_no_speech():
    """An architecture review: key_figures kept a copy of answers.words_shown's rule, and they differed. A PDF answer
    with no words read is a dash in the tables but was charted as 0 words; a recording flagged "no speech" is listed
    as 0 words (it has none), which is no measured length to chart or to judge against the minimum."""
    from types import SimpleNamespace

    from webapp.answers import words_shown
    from webapp.practice.figures import key_figures

    unread = SimpleNamespace(modality="pdf", text=None, word_count=0, result={})
    assert words_shown(unread) is None and "words" not in key_figures(unread)
    silent = SimpleNamespace(modality="audio", text=None, word_count=0,
                             result={"speech": {"text": "", "word_count": 0, "flags": ["no_speech"]}})
    assert words_shown(silent) == 0 and "words" not in key_figures(silent)
    heard = SimpleNamespace(modality="video", text=None, word_count=0,
                            result={"speech": {"text": "Um, I planned it.", "word_count": 4, "flags": []}})
    assert words_shown(heard) == 3 and key_figures(heard)["words"] == 3.0
    typed = SimpleNamespace(modality="text", text="Um, I planned it.", word_count=4, result={})
    assert words_shown(typed) == 3 and key_figures(typed)["words"] == 3.0


# --- A written session through the routes ---------------------------------------------------

def start_session(client, mode="written", count=3, category="mixed"):
    token = csrf_token(client, "/practice")
    return client.post("/practice", data={"mode": mode, "count": count, "category": category, "csrf_token": token})


def current_answer_url(client, step_url):
    page = client.get(step_url).get_data(as_text=True)
    m = re.search(r'id="start-answer" href="([^"]+)"', page)
    assert m, page[:500]
    return m.group(1).replace("&amp;", "&")


def answer_written(client, url, answer=OFF_TOPIC):
    token = csrf_token(client, url)
    return client.post(url, data={"answer": answer, "csrf_token": token}, content_type="multipart/form-data")


def run_written_session(client, count=3, answers=()):
    resp = start_session(client, count=count)
    assert resp.status_code == 302
    step_url = resp.headers["Location"]
    sid = int(re.search(r"/practice/(\d+)$", step_url).group(1))
    for n in range(count):
        page = client.get(step_url).get_data(as_text=True)
        assert f"question {n + 1} of {count}" in page and 'id="prep-left"' in page
        url = current_answer_url(client, step_url)
        assert re.match(rf"/questions/\d+/text\?session={sid}$", url)
        assert "Mock interview · question" in client.get(url).get_data(as_text=True)
        resp = answer_written(client, url, answers[n] if n < len(answers) else OFF_TOPIC)
        assert resp.status_code == 302
        expected = f"/practice/{sid}/report" if n == count - 1 else step_url
        assert resp.headers["Location"].endswith(expected)
    return sid


# 30 words of OFF_TOPIC: under the minimum of 50, a thing to practise
SHORT_OFF_TOPIC = " ".join(OFF_TOPIC.split()[:30]) + "."


def test_written_session_answers_report_and_suggestions(client, auth, app):
    auth.register()
    assert "Mock interview" in client.get("/questions").get_data(as_text=True)  # the nav link
    sid = run_written_session(client, 3, answers=(OFF_TOPIC, SHORT_OFF_TOPIC, OFF_TOPIC))
    with app.app_context():
        s = db.session.get(InterviewSession, sid)
        assert s.position == 3 and s.finished_at is not None and len(set(s.question_ids)) == 3
        answers = db.session.execute(select(Answer).where(Answer.session_id == sid)).scalars().all()
        assert sorted(a.question_id for a in answers) == sorted(s.question_ids)
        assert {a.status for a in answers} == {"queued"} and {a.modality for a in answers} == {"text"}
    status = client.get(f"/api/practice/{sid}/status").get_json()
    assert status["pending"] == 3 and not status["ready"] and status["finished"]
    # no job worker runs (none has sent a heartbeat): the report says so, not "still running" (a reliability review)
    assert status["paused"].startswith("Analysis is paused on the server") and "Your answers are saved" in status["paused"]
    page = " ".join(client.get(f"/practice/{sid}/report").get_data(as_text=True).split())
    assert "3 answers wait for analysis. Analysis is paused on the server" in page and "still running" not in page
    with app.app_context():
        record_heartbeat("test-worker", "database")
    assert client.get(f"/api/practice/{sid}/status").get_json()["paused"] is None
    page = client.get(f"/practice/{sid}/report").get_data(as_text=True)
    assert "still running" in page and "The suggestions appear when the analyses are finished" in page
    with app.app_context():
        assert run_pending() == 3
    status = client.get(f"/api/practice/{sid}/status").get_json()
    assert status["ready"] and status["pending"] == 0 and [a["status"] for a in status["answers"]] == ["done"] * 3
    page = client.get(f"/practice/{sid}/report").get_data(as_text=True)
    suggestions = re.search(r'<section class="card suggestions" id="suggestions">(.*?)</section>', page, re.S).group(1)
    items = re.findall(r'<li data-figure="([a-z_0-9]+)">.*?question (\d)', suggestions, re.S)
    # the only candidate has no others' averages and no earlier attempt: the goal of the short answer alone is behind
    # (no talking points found is a thing to practise: the check finds words, not meaning, so it is no figure)
    assert items == [("words", "2")] and "One thing to practise next" in suggestions
    assert "talking points" not in suggestions.lower() and "points_pct" not in page
    assert page.count('class="card report-question"') == 3
    assert page.count('data-figure="words"><th') == 3 and "Extraversion" in page
    # each question lists its talking points as a self-check list, a point as its first wording with the others that
    # also count (not "a / b / c"), and none of the off-topic answers' words names one; no "N of M" count
    for no in (1, 2, 3):
        listed = re.search(rf'<div class="report-points" id="points-{no}">(.*?)</div>', page, re.S).group(1)
        assert "What the interviewer listens for in this question" in listed
        assert listed.count("<li>") >= 2 and "data-covered" not in listed and "found" not in listed
        assert " / " not in listed and 'class="hint point-alt">(or ' in listed and " of " not in listed.split("<ul")[0]
    # words have no averages of others (a note says why), and the only candidate has nobody to be
    # compared with, nor an earlier attempt: those columns are left out and said once under each table, instead of
    # in every cell (a first report on a phone was 10,852 px tall: a mobile review)
    row = re.search(r'<tr data-figure="words">(.*?)</tr>', page, re.S).group(1)
    assert row.count("<td") == 1 and "not compared" not in row and "–" not in row
    assert 'id="not-compared"' in page and "Words without fillers: not compared" in page
    # what the figures mean is said once for the whole report, in one collapsed block above the questions, not under
    # each of the three (a fresh-eyes review)
    how = re.search(r'<details class="card report-how" id="how-to-read">\s*<summary>How to read these figures</summary>'
                    r'(.*?)</details>', page, re.S).group(1)
    assert page.index('id="how-to-read"') < page.index('class="card report-question"')
    assert " ".join(page.split()).count("not compared with other candidates") == 1 and 'id="not-compared"' in how
    assert page.count('data-note="hedges_per_100_words"') == 1 and 'data-note="hedges_per_100_words"' in how
    assert page.count("is the model’s probability (×100) that the") == 1 and 'id="traits-scale"' in how
    flat = " ".join(page.split())
    # (talking points and words are never compared with others; hedges per 100 words are, with other candidates'
    # written answers, of which there are none yet)
    row = re.search(r'<tr data-figure="hedges_per_100_words">(.*?)</tr>', page, re.S).group(1)
    assert "(per 100 words)" in row and row.count("<td") == 1 and ">0.0</td>" in row
    assert ('id="figures-alone-1">Other candidates\' averages: not enough results from others yet. Your best before: '
            'no earlier written answer to this question with these figures yet.' in flat.replace("&#39;", "'"))
    row = re.search(r'<tr data-figure="big5_EXT">(.*?)</tr>', page, re.S).group(1)
    assert row.count("<td") == 1 and 'id="traits-alone-1"' in page and flat.count("not enough results from others yet") == 5  # 3 + 2 (the short answer has no traits)
    assert "practice.css" in page and 'id="print-report"' in page
    # each answer's own page leads back to the report; an answer outside a session has no such link
    with app.app_context():
        one = answers[0].id
    page = client.get(f"/answers/{one}").get_data(as_text=True)
    assert f'<a href="/practice/{sid}/report">back to its report</a>' in page
    # the session is over: its questions cannot be answered in it again
    with app.app_context():
        first = db.session.get(InterviewSession, sid).question_ids[0]
    resp = answer_written(client, f"/questions/{first}/text")  # outside the session: fine
    assert resp.status_code == 302 and "/answers/" in resp.headers["Location"]
    assert 'id="session-link"' not in client.get(resp.headers["Location"]).get_data(as_text=True)
    resp = client.get(f"/questions/{first}/text?session={sid}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/practice/{sid}/report")


def test_session_context_refuses_wrong_question_mode_and_double_submit(client, auth, app):
    auth.register()
    step_url = start_session(client, count=2).headers["Location"]
    sid = int(step_url.rsplit("/", 1)[1])
    url = current_answer_url(client, step_url)
    qid = int(re.search(r"/questions/(\d+)/", url).group(1))
    other = 1 if qid != 1 else 2
    resp = client.get(f"/questions/{other}/text?session={sid}")  # not the current question
    assert resp.status_code == 302 and resp.headers["Location"].endswith(step_url)
    resp = client.get(f"/questions/{qid}/video?session={sid}")  # not the session's mode
    assert resp.status_code == 302 and resp.headers["Location"].endswith(step_url)
    resp = client.post(f"/questions/{qid}/audio?session={sid}", headers={"Accept": "application/json"},
                       data={"csrf_token": csrf_token(client, url)})
    assert resp.status_code == 409 and resp.get_json()["redirect"].endswith(step_url)
    token = csrf_token(client, url)
    assert client.post(url, data={"answer": OFF_TOPIC, "csrf_token": token}).status_code == 302
    again = client.post(url, data={"answer": OFF_TOPIC, "csrf_token": token})  # a double submit
    assert again.status_code == 302
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "Your written answer for question 1 of your mock interview had already been received" in page
    # it did arrive: the tab drops its draft, as after the first send (else Back shows the text as "not sent")
    assert '<meta name="draft-sent" content="' in page
    with app.app_context():
        assert db.session.get(InterviewSession, sid).position == 1
        assert len(db.session.execute(select(Answer).where(Answer.session_id == sid)).scalars().all()) == 1
    assert client.get(f"/questions/{qid}/text?session=999").status_code == 404


def test_start_form_validates(client, auth):
    auth.register()
    page = client.get("/practice").get_data(as_text=True)
    assert 'value="5"' in page and "Mixed (all categories)" in page and "30 seconds to prepare" in page
    assert 'id="continue-interview"' not in page
    # an interview in progress is offered first, above the form (its link was under the whole form on a phone)
    step = start_session(client, count=2).headers["Location"]
    page = " ".join(client.get("/practice").get_data(as_text=True).split())
    banner = page[page.index('id="continue-interview"'):page.index('class="card practice-start"')]
    assert "You have a mock interview in progress (0 of 2 answered" in banner and f'href="{step}">Continue it</a>' in banner
    assert start_session(client, count=0).status_code == 400
    assert start_session(client, count=11).status_code == 400
    assert start_session(client, mode="telepathy").status_code == 400
    refused = start_session(client, category="nope")  # e.g. its last question retired since the page was shown
    assert refused.status_code == 400 and "This category has no questions to ask now: choose another one." in \
        refused.get_data(as_text=True) and "Not a valid choice" not in refused.get_data(as_text=True)
    assert "Choose a category." in start_session(client, category="").get_data(as_text=True)


def test_sessions_are_private_and_consistent_after_deletions(client, auth, app, make_admin):
    auth.register("a@example.com")
    sid = run_written_session(client, 2)
    with app.app_context():
        run_pending()
        answer_ids = db.session.execute(select(Answer.id).where(Answer.session_id == sid)).scalars().all()
    auth.logout()
    auth.register("b@example.com")
    for url in (f"/practice/{sid}", f"/practice/{sid}/report", f"/api/practice/{sid}/status"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/practice/{sid}/finish", data={"csrf_token": csrf_token(client, "/practice")}).status_code == 404
    auth.logout()
    client.get("/login")
    assert client.get(f"/api/practice/{sid}/status").status_code == 401
    email, password = make_admin()
    auth.login(email, password)
    assert client.get(f"/practice/{sid}/report").status_code == 200
    auth.logout()
    # deleting an answer keeps the session, whose report says that the answer was deleted, not "Not answered" (a
    # fresh-eyes review): the session moves past a question only with an answer, so the data tells
    auth.login("a@example.com")
    token = csrf_token(client, f"/answers/{answer_ids[0]}")
    assert client.post(f"/answers/{answer_ids[0]}/delete", data={"csrf_token": token}).status_code == 302
    page = " ".join(client.get(f"/practice/{sid}/report").get_data(as_text=True).split())
    assert "Not answered" not in page, page
    assert "1 of 2 questions answered, not counting 1 whose answer was deleted." in page
    q1 = page[page.index('id="q1"'):page.index('id="q2"')]
    assert "<p>Answered, but its answer was deleted, so it is no longer in this report — <a href=" in q1, q1
    status = client.get(f"/api/practice/{sid}/status").get_json()
    assert ([a["status"] for a in status["answers"]], status["answered"], status["deleted"]) == (["deleted", "done"], 1, 1)
    # a question skipped by ending the interview early is still "Not answered"
    step_url = start_session(client, count=2).headers["Location"]
    assert answer_written(client, current_answer_url(client, step_url), LONG_ANSWER).status_code == 302
    client.post(step_url + "/finish", data={"csrf_token": csrf_token(client, step_url)})
    page = " ".join(client.get(step_url + "/report").get_data(as_text=True).split())
    assert "<p>Not answered — <a href=" in page and "deleted" not in page and "1 of 2 questions answered." in page
    # deleting the account removes its sessions; the database sets session ids of answers to NULL
    with app.app_context():
        db.session.execute(text("DELETE FROM interview_sessions WHERE id = :i"), {"i": sid})
        db.session.commit()
        assert db.session.get(Answer, answer_ids[1]).session_id is None
        sid2 = InterviewSession(user_id=db.session.execute(select(User.id).where(User.email == "a@example.com")).scalar_one(),
                                mode="written", question_ids=[1], position=0)
        db.session.add(sid2)
        db.session.commit()
    assert client.post("/account/delete", data={"csrf_token": csrf_token(client, "/account"), "account-password": "correct horse"}).status_code == 302
    with app.app_context():
        assert db.session.execute(select(InterviewSession)).scalars().all() == []


def test_answer_page_offers_try_again_and_change_since_previous(client, auth, app):
    from tests.test_interview import post_answer
    auth.register()
    # a short answer with two hedges, then a longer one without: both figures better (one hedge fewer would be one
    # event's noise: figures.within_one_event)
    first = post_answer(client, "I think maybe " + SHORT_OFF_TOPIC, question=1).headers["Location"]
    with app.app_context():
        run_pending()
    page = client.get(first).get_data(as_text=True)
    assert 'id="try-again-link" href="/questions/1/text"' in page and "first analysed written attempt" in page
    second = post_answer(client, LONG_ANSWER, question=1).headers["Location"]
    with app.app_context():
        run_pending()
    page = client.get(second).get_data(as_text=True)
    row = re.search(r'<tr data-figure="words">(.*?)</tr>', page, re.S).group(1)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    assert cells[0] == "33" and cells[2].startswith("+") and "(better)" in cells[2], cells
    row = re.search(r'<tr data-figure="hedges_per_100_words">(.*?)</tr>', page, re.S).group(1)
    assert "(better)" in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[2], row
    # progress: one chart and one table per measured figure, first / latest / best marked
    prog = client.get("/practice/progress").get_data(as_text=True)
    assert 'id="chart-hedges_per_100_words"' in prog and 'id="t-hedges_per_100_words"' in prog
    assert 'id="chart-big5_EXT"' in prog and "points_pct" not in prog
    table = re.search(r'id="t-hedges_per_100_words">(.*?)</table>', prog, re.S).group(1)
    assert "first" in table and "latest, best" in table
    # the page opens with what it shows and how to read the marks; the method is collapsed under a summary, every
    # fact kept (it opened as a ~190-word paragraph: a fresh-eyes review)
    intro = " ".join(re.search(r'<p class="hint" id="progress-intro">(.*?)</p>', prog, re.S).group(1).split())
    assert len(re.sub(r"<[^>]+>", "", intro).split()) < 60 and "★ over ▲ over ◆" in intro
    method = " ".join(re.search(r'<details class="card progress-method" id="progress-method">\s*<summary>How these '
                                r'figures are compared</summary>(.*?)</details>', prog, re.S).group(1).split())
    for fact in ("Attempts are numbered over all your analysed answers", "leaves out the attempts that did not measure",
                 "the two are never drawn together", "minimum of 50 counts", "pace and Big Five traits are descriptions",
                 "differs from the best by no more than one such event in either answer (1 hedge in 156 words "
                 "beside none in 177: one hedge more or less is not progress)",
                 "No best is marked where every attempt is equal"):
        assert fact in method and fact not in intro, fact
    assert client.get("/practice/progress?question=1").status_code == 200
    assert client.get("/practice/progress?question=9999").status_code == 404
    # a retired question: no link to its page (a 404), but a note (found by an admin review)
    from webapp.models import Question
    with app.app_context():
        db.session.get(Question, 1).retired = True
        db.session.commit()
    page = client.get(second).get_data(as_text=True)
    assert 'id="try-again-link"' not in page and "This question was retired from the question bank" in page


# --- Migration 0005 ---------------------------------------------------------------------------

def test_migration_0005_keeps_answers_and_downgrades(tmp_path, db_backend):
    app = create_app({"SQLALCHEMY_DATABASE_URI": fresh_database_url(db_backend, tmp_path),
                      "MEDIA_DIR": str(tmp_path / "media")})
    with app.app_context():
        upgrade(revision="0004")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO questions (id, text, category, retired, created_at) "
                              "VALUES (1, 'Q?', 'behavioural', false, CURRENT_TIMESTAMP)"))
            conn.execute(text("INSERT INTO users (id, email, password_hash, role, active, created_at, session_token) "
                              "VALUES (1, 'u@example.com', 'x', 'candidate', true, CURRENT_TIMESTAMP, 'tok')"))
            conn.execute(text("INSERT INTO answers (user_id, question_id, modality, text, word_count, status, "
                              "progress, attempts, created_at) "
                              "VALUES (1, 1, 'text', 'hello', 1, 'done', 100, 1, CURRENT_TIMESTAMP)"))
            conn.execute(text("INSERT INTO scores (answer_id, family, label, value) VALUES (1, 'big5', 'EXT', 50)"))
        upgrade(revision="0005")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM answers WHERE session_id IS NULL")).scalar() == 1
            assert conn.execute(text("SELECT count(*) FROM scores")).scalar() == 1
            if db_backend == "sqlite":
                for table in ("answers", "interview_sessions"):
                    sql = conn.execute(text(f"SELECT sql FROM sqlite_master WHERE name = '{table}'")).scalar()
                    assert "AUTOINCREMENT" in sql, table
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        downgrade(revision="0004")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM answers")).scalar() == 1
            assert conn.execute(text("SELECT count(*) FROM scores")).scalar() == 1
            if db_backend == "sqlite":
                sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'answers'")).scalar()
                assert "AUTOINCREMENT" in sql and "session_id" not in sql
        db.engine.dispose()


def test_a_short_answers_suggestion_names_the_minimum_in_words(client, auth, app):
    auth.register()
    resp = start_session(client, count=1)
    step_url = resp.headers["Location"]
    sid = int(re.search(r"/practice/(\d+)$", step_url).group(1))
    assert answer_written(client, current_answer_url(client, step_url), "I led the team and it went well in the end."
                          ).status_code == 302
    with app.app_context():
        assert run_pending() == 1
    page = client.get(f"/practice/{sid}/report").get_data(as_text=True)
    # the short-answer note lands on the next page of the interview: it names the question it is about
    assert "Your answer to question 1 has only 11 words" in page
    item = re.search(r'<li data-figure="words">(.*?)</li>', page, re.S)
    assert item, page
    text = re.sub(r"<[^>]+>", "", re.sub(r"\s+", " ", item.group(1)))
    assert "you 11 words, the minimum 50 words." in text, text
    # a first attempt: no "best before" column, and the words' own rule said under the table, for written answers
    alone = " ".join(re.search(r'id="figures-alone-1">(.*?)</p>', page, re.S).group(1).split())
    assert ("Your best before: no earlier written answer to this question with these figures yet." in alone
            and alone.endswith("They appear here once there are some.")), alone
    # the words' own rule, once for the report in "How to read these figures"
    words = " ".join(re.search(r'id="words-no-best">(.*?)</p>', page, re.S).group(1).split())
    assert words == ("Words have no “best”: past 50 a longer answer is not better in itself (though some Big Five "
                     "traits are shown only from longer answers)."), words
    # no Big Five table, and the report says why (the answer page did; the report said nothing)
    note = re.search(r'id="traits-none-1">(.*?)</p>', page, re.S)
    assert note and "Big Five traits the wording suggests" not in page, page
    text = re.sub(r"<[^>]+>", "", re.sub(r"\s+", " ", note.group(1)))
    assert text.startswith("No Big Five trait for this answer: from 11 words (fillers such as “um” not counted)"), text


def test_progress_says_what_a_trait_score_is_and_how_often_the_model_is_right(client, auth, app, monkeypatch):
    """A review: the progress page drew Big Five traits as a line with "First 63, latest 82", the comparison the answer
    page says the model cannot make, and quoted the whole-essay accuracy (63% for Openness) beside 129- to 177-word
    answers whose own pages said 60% on the first 150 words; Neuroticism's note ended "diagnosis))"."""
    from tests.test_others_minimum import analysed, user_id
    from webapp import modelinfo
    from webapp.labels import TRAIT_NAMES
    from webapp.modelinfo import text_metrics, text_words
    # the shipped figures by length (this module's answers otherwise get the whole-essay ones: whole_essay_text_figures)
    shipped = modelinfo.normalise("text", json.loads((modelinfo.MODELS_DIR / "text" / "metrics.json").read_text()))
    assert shipped.by_length
    others = modelinfo.model_metrics
    monkeypatch.setattr(modelinfo, "model_metrics", lambda kind: shipped if kind == "text" else others(kind))
    auth.register("bob@example.com")
    bob = user_id(app, "bob@example.com")
    scores = [("big5", code, 63.0) for code in TRAIT_NAMES]
    written = " ".join(f"word{k}" for k in range(177))
    spoken = " ".join(f"said{k}" for k in range(129))
    assert (text_words(written), text_words(spoken)) == (177, 129)
    analysed(app, bob, 1, text=written, scores=scores)
    # a recording's transcript is rated at its own length, as the spoken answer page rates it
    analysed(app, bob, 1, modality="audio", text=spoken, scores=[("big5", c, 82.0) for c in TRAIT_NAMES],
             result={"speech": {"text": spoken, "word_count": 129, "flags": [], "short": False,
                                "big5": {c: 0.82 for c in TRAIT_NAMES}}})
    page = client.get("/practice/progress").get_data(as_text=True)
    flat = " ".join(page.split())
    # how often the model is right is the measured figure of metrics.json, rounded as the model note rounds it
    # (dashboard/_model_note.html in100), never a typed "6 times in 10"
    measured = json.loads((modelinfo.MODELS_DIR / "text" / "metrics.json").read_text())["accuracy"]
    caveat = (f"Big Five traits are not compared between attempts: a model right about {100 * measured:.0f} times in "
              "100 cannot tell a change in you from a change of wording")
    for code in ("OPN", "NEU"):
        section = " ".join(page[page.index(f'id="fig-big5_{code}"'):].split("</section>")[0].split())
        # points, not a trend: no first / latest summary, no marks, no line (practice_progress.js: showLine)
        shown = re.sub(r"<script.*?</script>", "", section, flags=re.S)
        assert "First " not in shown and "latest" not in shown and "Marked" not in shown, shown
        assert f"Each point is one answer's estimate, on its own. {caveat}." in section
        data = json.loads(re.search(r'<script type="application/json" class="progress-data"[^>]*>(.*?)</script>',
                                    section, re.S).group(1))
        assert data["trait"] is True and data["first"] is None and data["latest"] is None and data["bests"] == []
        assert data["values"] == [63.0, 82.0]
        # the accuracy at the charted answers' lengths, in the answer pages' words, never the whole-essay figure
        note = re.sub(r"<[^>]+>", "", re.search(rf'data-accuracy="big5_{code}">(.*?)</p>', section, re.S).group(1))
        assert "whole student essays" not in note, note
        for words in (129, 177):
            tm = text_metrics(words)
            fig = tm.per_class[code]
            assert (f"{100 * fig.accuracy:.0f}% on the first {tm.band_words} words of essays{tm.beside(code)}, for "
                    f"your answer of {words} words") in note, note
        assert '<td data-label="Length (words)">129</td>' in section and '<td data-label="Length (words)">177</td>' in section
    # what a score is, with Neuroticism's description bracketed once
    neu = " ".join(re.search(r'data-note="big5_NEU">(.*?)</p>', page, re.S).group(1).split())
    assert neu.startswith("Neuroticism: high, inclined to worry") and "diagnosis))" not in page, neu
    assert "a style, not an illness or a diagnosis). Its score is the text model" in neu
    # measures keep their summary and their line
    words = " ".join(page[page.index('id="fig-words"'):].split("</section>")[0].split())
    assert "First 177, latest 129." in words and '"trait": false' in words
    # the answer page's change table gives the same reason, from the same place (practice/_traits_caveat.html)
    third = analysed(app, bob, 1, text=" ".join(f"again{k}" for k in range(156)), scores=scores)
    answer = client.get(f"/answers/{third}").get_data(as_text=True)
    assert "Change since your previous written attempt" in answer
    assert f"{caveat} (each answer's estimate" in " ".join(answer.split())

def test_a_text_sent_to_a_finished_mock_interview_comes_back_to_be_kept(client, auth, app):
    """A second tab's answer to a mock interview that has moved on is not thrown away: the form comes
    back with the text, posting without the session, and saves it as a separate answer."""
    auth.register()
    resp = start_session(client, count=1)
    step_url = resp.headers["Location"]
    sid = int(re.search(r"/practice/(\d+)$", step_url).group(1))
    url = current_answer_url(client, step_url)
    token = csrf_token(client, url)
    assert answer_written(client, url).status_code == 302                      # the first tab: session over
    typed = "From the second tab: " + LONG_ANSWER
    resp = client.post(url, data={"answer": typed, "csrf_token": token}, content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 409 and "This mock interview is over, so this answer was not added to it" in html
    assert "From the second tab:" in html
    action = re.search(r'<form method="post" enctype="multipart/form-data"[^>]*action="([^"]+)"', html).group(1)
    assert "session" not in action
    assert client.post(action, data={"answer": typed, "csrf_token": token}).status_code == 302
    with app.app_context():
        answers = db.session.execute(select(Answer).order_by(Answer.id)).scalars().all()
        assert len(answers) == 2 and answers[0].session_id == sid and answers[1].session_id is None
        assert answers[1].text.startswith("From the second tab:")
    # without text the refusal stays a redirect to the report
    resp = client.post(url, data={"answer": " ", "csrf_token": token}, content_type="multipart/form-data")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/practice/{sid}/report")


def _other_tab_moves_first(app, monkeypatch, same_text=None):
    """Between an answer's session check and its conditional UPDATE, another tab's submit commits first (in
    its own transaction): the session is moved on, with ``same_text`` as that tab's answer when given."""
    import webapp.practice.service as service  # place_answer calls advance / replace there
    from sqlalchemy import insert, update
    real = service.advance

    def advance(s, answer):
        with db.engine.begin() as other:
            if same_text is not None:
                other.execute(insert(Answer).values(user_id=s.user_id, question_id=answer.question_id, modality="text",
                                                    text=same_text, word_count=60, status="queued", session_id=s.id))
            other.execute(update(InterviewSession).where(InterviewSession.id == s.id)
                          .values(position=InterviewSession.position + 1))
        return real(s, answer)

    monkeypatch.setattr(service, "advance", advance)


def test_a_text_that_loses_the_race_for_its_question_comes_back_to_be_kept(client, auth, app, monkeypatch):
    """Two submits that both pass the session check before either is stored (two tabs at once): the
    conditional UPDATE takes one; the other's text comes back, to be kept as a separate answer, not lost."""
    auth.register()
    step_url = start_session(client, count=2).headers["Location"]
    sid = int(step_url.rsplit("/", 1)[1])
    url = current_answer_url(client, step_url)
    _other_tab_moves_first(app, monkeypatch)
    resp = answer_written(client, url, "From this tab: " + LONG_ANSWER)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 409, html[:300]
    assert "This is no longer the current question of your mock interview, so this answer was not added" in html
    assert "From this tab:" in html
    action = re.search(r'<form method="post" enctype="multipart/form-data"[^>]*action="([^"]+)"', html).group(1)
    assert "session" not in action
    with app.app_context():
        assert db.session.get(InterviewSession, sid).position == 1  # moved once, by the other tab
        assert db.session.scalar(select(Answer.id)) is None           # nothing half-stored


def test_the_same_text_twice_in_a_race_is_a_double_submit_and_refused(client, auth, app, monkeypatch):
    auth.register()
    step_url = start_session(client, count=2).headers["Location"]
    sid = int(step_url.rsplit("/", 1)[1])
    url = current_answer_url(client, step_url)
    _other_tab_moves_first(app, monkeypatch, same_text=OFF_TOPIC)
    resp = answer_written(client, url, OFF_TOPIC)
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/practice/{sid}")
    with app.app_context():
        assert len(db.session.execute(select(Answer)).scalars().all()) == 1


def test_a_change_is_the_difference_of_the_figures_as_shown():
    """Before 42.26 and now 43.53 read "42 → 44": the change says +2 (not +1, the unrounded difference), and
    figures that read the same have no change and no better or worse."""
    from types import SimpleNamespace

    from webapp.practice.figures import changes

    def answer(share):
        return SimpleNamespace(result={"face": {"face_share": share}}, modality="video", text=None, word_count=0)
    rows = {r["key"]: r for r in changes(answer(0.4353), answer(0.4226))}
    found = rows["face_share"]
    assert (found["previous"], found["value"], found["delta"]) == (42.0, 44.0, 2.0)
    assert found["better"] is None  # 2 points of a share: under what the mock report mentions (too_small)
    assert {r["key"]: r for r in changes(answer(0.4753), answer(0.4226))}["face_share"]["better"] is True  # 5 points
    # the review's "Facing the camera 71 -> 68: -3 (worse)", and 71 alone "best" beside 68, 67 and 66
    from webapp.practice.figures import best_marks, too_small
    assert too_small("facing_share", 71.0, 68.0) and not too_small("facing_share", 71.0, 66.0)
    assert best_marks("facing_share", [71.0, 68.0, 67.0, 66.0]) == [0, 1, 2]
    assert not too_small("facing_share", 71.4, 66.5)  # as shown: 71 and 66, 5 points
    assert not too_small("words", 51.0, 47.0)  # crossing the minimum of 50 words is a change
    same = {r["key"]: r for r in changes(answer(0.4249), answer(0.4201))}["face_share"]
    assert same["delta"] == 0.0 and str(same["delta"]) == "0.0" and same["better"] is None


def test_big_five_traits_are_not_compared_between_attempts():
    """Two tellings of one story read Openness 67 and 46 (the written-answer review): a model right about 6 times in
    10 cannot tell a change in the person from one of wording, so the change table leaves the traits out."""
    from types import SimpleNamespace

    from webapp.labels import TRAIT_NAMES
    from webapp.practice.figures import changes

    def answer(ext):
        return SimpleNamespace(result={"big5": {code: ext for code in TRAIT_NAMES}}, modality="text",
                               text=LONG_ANSWER, word_count=len(LONG_ANSWER.split()))
    rows = changes(answer(0.67), answer(0.46))
    assert [r["key"] for r in rows] == ["words"] and rows[0]["delta"] == 0.0


def test_a_report_with_nothing_answered_says_so_not_that_nothing_stands_out(client, auth):
    auth.register()
    step_url = start_session(client, count=2).headers["Location"]
    sid = int(step_url.rsplit("/", 1)[1])
    client.post(f"/practice/{sid}/finish", data={"csrf_token": csrf_token(client, step_url)})
    page = client.get(f"/practice/{sid}/report").get_data(as_text=True)
    assert "0 of 2 questions answered" in page and "Nothing stands out" not in page
    assert "Nothing to suggest: no question of this interview was answered" in page


def test_nothing_stands_out_names_the_goals_of_the_figures_measured(client, auth, app):
    """A 120-word written answer, nobody to compare with and no earlier attempt: nothing stands out, and the sentence
    names the goal it was judged against, from the figures' definitions (a review: "the goals" with none named on
    the page); the face's goal is not named for a written interview."""
    from tests.test_text_lengths import _words
    auth.register()
    step_url = start_session(client, count=1).headers["Location"]
    assert answer_written(client, current_answer_url(client, step_url), _words(120)).status_code == 302
    with app.app_context():
        assert run_pending() == 1
    page = " ".join(client.get(step_url + "/report").get_data(as_text=True).split())
    sentence = re.search(r'<p id="nothing-stands-out">(.*?)</p>', page).group(1)
    assert sentence == ("Nothing stands out: no measured figure is clearly behind the averages, your best or the goal "
                        f"(words without fillers: at least {app.config['MIN_WORDS_FOR_ESTIMATE']}).")
    assert "face found" not in sentence
    # a video interview's goals: the length and the face found in frame, each from its figure
    from webapp.practice.figures import FIGURES
    from webapp.practice.service import goals
    assert goals({"words", "face_share", "fillers_per_min"}, 50) == [
        {"name": "Words without fillers", "value": 50.0, "fmt": "%.0f", "unit": ""},
        {"name": "Face found in frame", "value": FIGURES["face_share"].target, "fmt": "%.0f", "unit": "% of frames"}]


def test_a_gap_of_less_than_one_event_in_the_answer_is_not_a_thing_to_practise():
    """Long pauses 16.4 per minute against others' 15.2 (spread 0.5): in a 12-second answer one pause is 5 per
    minute, so the gap is one event's noise and not chosen; in a minute-long answer (1 per minute) it is."""
    from webapp.practice.coach import gap_of
    item = {"key": "long_pauses_per_min", "value": 16.4, "question_avg": avg(15.2, 0.5)}
    assert gap_of(dict(item, resolution=60 / 12)) is None
    assert gap_of(dict(item, resolution=60 / 60))["reference"] == "average"
    assert gap_of(item)["reference"] == "average"  # no span known: as before


def test_a_candidate_deletes_one_mock_interview_with_its_answers(client, auth, app, make_admin):
    """One mock interview goes with its answers, their scores and their part in the averages; the candidate's
    other answers stay. Only its candidate can delete it (or end it): not another candidate, not an admin."""
    from webapp.models import Score
    auth.register("a@example.com")
    sid = run_written_session(client, 2)
    assert answer_written(client, "/questions/3/text", "Outside the interview: " + LONG_ANSWER).status_code == 302
    with app.app_context():
        run_pending()
        in_session = db.session.scalars(select(Answer.id).where(Answer.session_id == sid)).all()
        assert len(in_session) == 2 and db.session.scalar(select(func.count(Score.id))) > 0
        assert db.session.scalar(select(Aggregate.count).where(Aggregate.scope == "all", Aggregate.family == "big5",
                                                               Aggregate.label == "EXT")) == 3
    page = client.get(f"/practice/{sid}/report").get_data(as_text=True)
    assert "Delete this mock interview" in page and "its 2 answers" in page
    auth.logout()
    auth.register("b@example.com")
    token = csrf_token(client, "/practice")
    for action in ("delete", "finish"):
        assert client.post(f"/practice/{sid}/{action}", data={"csrf_token": token}).status_code == 404
    auth.logout()
    auth.login(*make_admin())
    assert "Delete this mock interview" not in client.get(f"/practice/{sid}/report").get_data(as_text=True)
    token = csrf_token(client, "/practice")
    for action in ("delete", "finish"):
        assert client.post(f"/practice/{sid}/{action}", data={"csrf_token": token}).status_code == 404
    auth.logout()
    auth.login("a@example.com")
    resp = client.post(f"/practice/{sid}/delete", data={"csrf_token": csrf_token(client, f"/practice/{sid}/report")})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/practice")
    assert "The mock interview and its 2 answers were deleted." in client.get("/practice").get_data(as_text=True)
    assert client.get(f"/practice/{sid}/report").status_code == 404
    with app.app_context():
        left = db.session.scalars(select(Answer)).all()
        assert [a.text.startswith("Outside the interview:") for a in left] == [True]
        assert db.session.scalar(select(func.count(Score.id)).where(Score.answer_id.in_(in_session))) == 0
        assert db.session.get(InterviewSession, sid) is None
        overall = db.session.scalar(select(Aggregate.count).where(Aggregate.scope == "all", Aggregate.family == "big5",
                                                                  Aggregate.label == "EXT"))
        assert overall == 1   # only the answer outside the interview is in the averages


def test_a_report_says_an_unanswered_question_was_retired(client, auth, app):
    """An admin retires a question that a mock interview left unanswered: its report says so instead of linking to
    the question's page (a 404)."""
    from webapp.models import Question
    auth.register()
    step = start_session(client, count=2).headers["Location"]
    sid = int(re.search(r"/practice/(\d+)$", step).group(1))
    client.post(f"/practice/{sid}/finish", data={"csrf_token": csrf_token(client, step)})
    with app.app_context():
        first, second = db.session.get(InterviewSession, sid).question_ids
        db.session.get(Question, first).retired = True
        db.session.commit()
    page = " ".join(client.get(f"/practice/{sid}/report").get_data(as_text=True).split())
    assert "Not answered — this question was retired from the question bank, so it cannot be answered now." in page
    assert f'href="/questions/{first}/text' not in page and f'href="/questions/{second}/text' in page


def test_talking_points_are_a_list_to_check_not_a_figure(client, auth, app):
    """On answers as candidates give them the word check finds about one point made in four, and half its ticks are
    words used without making the point (README, "Talking points"), so a share of points found is no figure to
    improve: there is none in the report, its things to practise, the change since the previous attempt or the
    progress page, where an admin's change of the points in between made it "not compared". The report lists each
    question's points to check the answer against, with none marked found or not: a tick was right less often than a
    guess (a review), and says why under "How to read these figures"."""
    from webapp.models import Question
    auth.register()
    with app.app_context():
        db.session.get(Question, 1).talking_points = ["situation", "result"]
        db.session.commit()
    from tests.test_interview import post_answer
    post_answer(client, "The situation was hard and the result was good. " * 12, question=1)
    with app.app_context():
        assert run_pending() == 1
        db.session.get(Question, 1).talking_points = ["situation", "result", "what you learned"]
        db.session.commit()
    step = start_session(client, count=1, category="behavioural").headers["Location"]
    sid = int(re.search(r"/practice/(\d+)$", step).group(1))
    with app.app_context():
        s = db.session.get(InterviewSession, sid)
        s.question_ids = [1]
        db.session.commit()
    answer_written(client, current_answer_url(client, step), "The situation was hard and the result was good. " * 12)
    with app.app_context():
        assert run_pending() == 1
    page = client.get(f"/practice/{sid}/report").get_data(as_text=True)
    assert "points_pct" not in page and "Talking points found" not in page
    listed = re.search(r'<div class="report-points" id="points-1">(.*?)</div>', page, re.S).group(1)
    # (as analysed, "situation" and "result" were covered and "what you learned" not: listed alike)
    assert re.findall(r'<li><span class="point">(.*?)</span>', listed) == ["situation", "result", "what you learned"]
    assert "found" not in listed and "✓" not in listed and "○" not in listed
    how = " ".join(re.search(r'<details class="card report-how" id="how-to-read">(.*?)</details>', page, re.S)
                   .group(1).split())
    assert "no point is marked made or missed" in how and 'id="points-measured">Why nothing is ticked: on ' in how
    # the earlier attempt's figures are still the report's "best before" (its hedges, 0.0)
    hedges = re.search(r'<tr data-figure="hedges_per_100_words">(.*?)</tr>', page, re.S).group(1)
    assert 'data-label="Your best before (written answers to this question)">0.0</td>' in hedges
    # the change since the previous attempt compares the figures, and says nothing of the points
    for n in (1, 2):
        answer_page = client.get(f"/answers/{n}").get_data(as_text=True)
        change = answer_page[answer_page.index('id="try-again"'):]
        change = change[:change.index("</section>")]
        assert "points_pct" not in change and "points-not-compared" not in change and "talking points" not in change
    assert '<tr data-figure="words">' in client.get("/answers/2").get_data(as_text=True)
    # the first answer was checked against the points as they were: its checklist says so
    assert 'id="points-changed"' in client.get("/answers/1").get_data(as_text=True)
    progress = client.get("/practice/progress?question=1").get_data(as_text=True)
    assert 'id="fig-words"' in progress and "points_pct" not in progress and "talking points" not in progress


def test_the_progress_of_a_question_not_answered_yet_names_it_in_the_choice(client, auth):
    """The "one question" page of a question without analysed attempts offered only "All questions" in its list
    (found by a review), so the list contradicted the heading."""
    auth.register()
    page = " ".join(client.get("/practice/progress?question=3").get_data(as_text=True).split())
    assert "Your progress: one question" in page and '<option value="3" selected>' in page


def test_the_report_of_an_unfinished_interview_keeps_the_questions_to_come(client, auth, app):
    """Mid-interview, the report listed the texts of the questions still to come (before their preparation time)
    with "answer it now" links that answered outside the interview (found by a review): now they read "Not asked
    yet", and the current question links to the interview itself."""
    from webapp.models import Question
    auth.register()
    step_url = start_session(client, count=3).headers["Location"]
    sid = int(re.search(r"/practice/(\d+)$", step_url).group(1))
    assert answer_written(client, current_answer_url(client, step_url)).status_code == 302
    with app.app_context():
        s = db.session.get(InterviewSession, sid)
        texts = [db.session.get(Question, q).text for q in s.question_ids]
    page = " ".join(client.get(f"/practice/{sid}/report").get_data(as_text=True).split())
    third = page[page.index('id="q3"'):]
    assert texts[2] not in page and "Not asked yet" in third and "answer it now" not in page
    second = page[page.index('id="q2"'):page.index('id="q3"')]
    assert texts[1] in second and f'<a href="/practice/{sid}">answer it in the interview</a>' in second


@pytest.mark.parametrize("count,message", [("2.5", "Give the number of questions as a whole number, such as 5."),
                                           ("three", "Give the number of questions as a whole number, such as 5."),
                                           ("0", "Choose between 1 and"), ("", "Give a number of questions."),
                                           ("  ", "Give a number of questions.")])
def test_a_number_of_questions_that_is_not_one_gets_one_message(client, auth, count, message):
    """ "2.5" got two messages at once, WTForms' "Not a valid integer value." and the range's (found by a review)."""
    auth.register()
    token = csrf_token(client, "/practice")
    resp = client.post("/practice", data={"mode": "written", "count": count, "category": "mixed", "csrf_token": token})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400 and message in page and "Not a valid integer value" not in page
    assert page.count('class="error" id="count-error-') == 1


def test_starting_mock_interviews_shares_the_answer_budget_and_the_list_is_bounded(app, client, auth, monkeypatch):
    """A security review made 1,000 mock interviews in ten seconds (a 593 kB start page): starting one counts in the
    candidate's upload budget, and the start page lists the newest SESSIONS_LISTED."""
    from webapp.practice import service
    app.config.update(UPLOAD_RATE_LIMIT="3 per minute", WEB_CONCURRENCY=1)
    auth.register()
    token = csrf_token(client, "/practice")
    form = {"csrf_token": token, "mode": "written", "category": "mixed", "count": "2"}
    assert [client.post("/practice", data=form).status_code for _ in range(4)] == [302, 302, 302, 429]
    monkeypatch.setattr(service, "SESSIONS_LISTED", 2)
    page = client.get("/practice").get_data(as_text=True)
    assert page.count("continue<span") == 2 and 'id="older-sessions"' in page


# --- A failed answer answered again within the interview (a retake) ---------------------------
# An outside review: an answer that failed in analysis (a scanned PDF, a recording with nothing to analyse) left its
# question without a result in the report, whose only "try again" answered outside the interview.

def _failed_written_session(client, app):
    """A finished written interview of 2 questions: the first answered with a scanned PDF (no text layer), whose
    analysis failed, the second in text (analysed). Returns (session id, first question id, failed answer id)."""
    import io

    from tests.pdfs import image_only_pdf
    step_url = start_session(client, count=2).headers["Location"]
    sid = int(step_url.rsplit("/", 1)[1])
    url = current_answer_url(client, step_url)
    qid = int(re.search(r"/questions/(\d+)/", url).group(1))
    resp = client.post(url, content_type="multipart/form-data",
                       data={"answer": "", "pdf": (io.BytesIO(image_only_pdf()), "scan.pdf"),
                             "csrf_token": csrf_token(client, url)})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(step_url)
    assert answer_written(client, current_answer_url(client, step_url)).status_code == 302
    with app.app_context():
        assert run_pending() == 2
        failed = db.session.scalar(select(Answer).where(Answer.session_id == sid, Answer.question_id == qid))
        assert failed.status == "failed" and "No text could be extracted" in failed.error
        s = db.session.get(InterviewSession, sid)
        assert s.position == 2 and s.finished_at is not None
        return sid, qid, failed.id


def test_a_failed_pdf_answer_is_answered_again_in_writing_from_the_report(client, auth, app):
    """The report offers the failed question again within the finished interview; the new written answer takes the
    failed one's place in the report (the failed one stays among the candidate's answers, outside it), the
    interview's position does not move, and a double submit adds nothing."""
    from webapp.practice import service
    auth.register()
    sid, qid, failed_id = _failed_written_session(client, app)
    with app.app_context():
        finished_at = db.session.get(InterviewSession, sid).finished_at
    page = " ".join(client.get(f"/practice/{sid}/report").get_data(as_text=True).split())
    retake = f"/questions/{qid}/text?session={sid}&amp;retake=1"
    assert f'<p class="retake" id="retake-1"><a href="{retake}">Answer this question again in the interview<span class="visually-hidden"> (question 1)</span></a>' in page
    assert 'id="retake-2"' not in page  # the analysed answer is not offered again
    # the failed answer's own page leads to the same place, not to an answer outside the interview
    failed_page = client.get(f"/answers/{failed_id}").get_data(as_text=True)
    assert f'id="answer-again" href="{retake}"' in failed_page and f'id="try-again-link" href="{retake}"' in failed_page
    url = retake.replace("&amp;", "&")
    form = " ".join(client.get(url).get_data(as_text=True).split())
    assert "Mock interview · question 1 of 2, answered again. In the" in form
    assert "The interview stays finished." in form
    assert 'action="' not in form.split('<form method="post" enctype="multipart/form-data"')[1].split(">")[0]
    token = csrf_token(client, url)
    resp = client.post(url, data={"answer": "Typed instead: " + LONG_ANSWER, "csrf_token": token},
                       content_type="multipart/form-data")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/practice/{sid}/report#q1")
    again = client.post(url, data={"answer": "Typed instead: " + LONG_ANSWER, "csrf_token": token},
                        content_type="multipart/form-data")  # a double submit: refused, nothing added
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/practice/{sid}/report#q1")
    with app.app_context():
        s = db.session.get(InterviewSession, sid)
        assert (s.position, s.finished_at) == (2, finished_at)  # a replacement, not a step
        in_session = db.session.scalars(select(Answer).where(Answer.session_id == sid).order_by(Answer.id)).all()
        assert len(in_session) == 2 and len(db.session.scalars(select(Answer)).all()) == 3
        new = service.session_answers(s)[qid]
        assert new.text.startswith("Typed instead:") and new.modality == "text" and new.status == "queued"
        new_id = new.id
        kept = db.session.get(Answer, failed_id)
        assert kept.session_id is None and kept.status == "failed"  # the candidate's own history, outside the report
        assert service.status(s)["answered"] == 2 and service.user_sessions(s.user_id)[0]["answered"] == 2
        assert run_pending() == 1
    page = " ".join(client.get(f"/practice/{sid}/report").get_data(as_text=True).split())
    assert "Your new answer to question 1 is in this report in place of the one whose analysis failed" in page
    assert "The analysis failed" not in page and 'id="retake-1"' not in page
    first = page[page.index('id="q1"'):page.index('id="q2"')]
    assert '<tr data-figure="words">' in first and "The full result of this answer" in first
    status = client.get(f"/api/practice/{sid}/status").get_json()
    assert status["answered"] == 2 and [a["status"] for a in status["answers"]] == ["done", "done"]
    assert status["answers"][0]["answer_id"] == new_id
    # the replaced answer's page no longer belongs to the interview: answering it again is outside it, as before
    kept_page = client.get(f"/answers/{failed_id}").get_data(as_text=True)
    assert f'id="answer-again" href="/questions/{qid}/text"' in kept_page
    # and the retake is no longer offered: the question's answer in the interview is analysed
    resp = client.get(url)
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/practice/{sid}/report#q1")
    assert "has been analysed, so it is not answered again in the interview" in client.get(
        resp.headers["Location"]).get_data(as_text=True)


def test_a_retake_is_refused_unless_the_candidate_s_answer_in_the_session_failed(client, auth, app, make_admin):
    """Not for an answer done or being analysed, a question not in the session or not reached yet, another
    candidate's or an admin's request, a retired question, or another mode: a clear refusal (typed text handed back
    to be kept as a separate answer), never a 500 or a lost answer."""
    from webapp.models import Question
    auth.register("a@example.com")
    sid, qid, failed_id = _failed_written_session(client, app)
    with app.app_context():
        s = db.session.get(InterviewSession, sid)
        second = s.question_ids[1]
        elsewhere = next(q for q in range(1, 30) if q not in s.question_ids and db.session.get(Question, q))
    retake = f"/questions/{{}}/text?session={sid}&retake=1"

    def refused(url, where, message):
        resp = client.get(url)
        assert resp.status_code == 302 and resp.headers["Location"].endswith(where), resp.headers.get("Location")
        page = " ".join(client.get(resp.headers["Location"]).get_data(as_text=True).split())
        assert message in page, page[:2000]

    refused(retake.format(second), f"/practice/{sid}/report#q2",
            "Your answer to question 2 of this mock interview has been analysed, so it is not answered again")
    refused(retake.format(elsewhere), f"/practice/{sid}/report", "That question is not part of this mock interview")
    refused(f"/questions/{qid}/audio?session={sid}&retake=1", retake.format(qid),  # another mode: the right page
            "This mock interview takes written answers; here is question 1 to answer again.")
    # typed text for an answer that is not failed comes back, to be kept outside the interview
    url = retake.format(second)
    token = csrf_token(client, "/questions")
    resp = client.post(url, content_type="multipart/form-data",
                       data={"answer": "From a stale tab: " + LONG_ANSWER, "csrf_token": token})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 409 and "From a stale tab:" in html
    assert "Your mock interview already has another answer to this question, so this answer was not added to it" in html
    # being analysed: not yet
    with app.app_context():
        db.session.get(Answer, failed_id).status = "queued"
        db.session.commit()
    refused(retake.format(qid), f"/practice/{sid}/report#q1", "is being analysed; only an answer whose analysis failed can be given again")
    with app.app_context():
        db.session.get(Answer, failed_id).status = "failed"
        db.session.commit()
    # a question an unfinished interview has not reached
    step_url = start_session(client, count=3).headers["Location"]
    sid2 = int(step_url.rsplit("/", 1)[1])
    with app.app_context():
        current, _, later = db.session.get(InterviewSession, sid2).question_ids
    refused(f"/questions/{later}/text?session={sid2}&retake=1", step_url, "has not reached that question yet")
    refused(f"/questions/{current}/text?session={sid2}&retake=1", step_url,
            "Question 1 has not been answered yet: it is the current question")
    client.post(f"/practice/{sid2}/finish", data={"csrf_token": csrf_token(client, step_url)})  # ended before them
    refused(f"/questions/{later}/text?session={sid2}&retake=1", f"/practice/{sid2}/report#q3",
            "Question 3 has no answer in this mock interview, so there is none to replace")
    # another candidate, and an admin: the session is not theirs to answer in (404; a POST's text is handed back)
    auth.logout()
    auth.register("b@example.com")
    assert client.get(retake.format(qid)).status_code == 404
    resp = client.post(retake.format(qid), data={"answer": LONG_ANSWER, "csrf_token": csrf_token(client, "/questions")},
                       content_type="multipart/form-data")
    assert resp.status_code == 409 and "This mock interview could not be found" in resp.get_data(as_text=True)
    auth.logout()
    auth.login(*make_admin())
    assert client.get(retake.format(qid)).status_code == 404
    page = " ".join(client.get(f"/practice/{sid}/report").get_data(as_text=True).split())
    assert "The analysis failed" in page and 'id="retake-1"' not in page and "retake=1" not in page
    assert 'id="answer-again"' not in client.get(f"/answers/{failed_id}").get_data(as_text=True)
    auth.logout()
    auth.login("a@example.com")
    with app.app_context():
        assert db.session.scalar(select(func.count(Answer.id))) == 2  # nothing was added by any refusal
        assert db.session.get(Answer, failed_id).session_id == sid
        db.session.get(Question, qid).retired = True  # retired: said, not a 404 or a link to one
        db.session.commit()
    refused(retake.format(qid), f"/practice/{sid}/report#q1",
            "Question 1 was retired from the question bank, so it cannot be answered again")
    page = " ".join(client.get(f"/practice/{sid}/report").get_data(as_text=True).split())
    assert 'id="retake-1"' not in page and "This question was retired from the question bank, so it cannot be" in page


def test_a_retake_that_loses_the_race_for_its_place_comes_back_to_be_kept(client, auth, app, monkeypatch):
    """Two retakes that both pass the check before either is stored (two tabs): the conditional UPDATE takes one;
    the other's text comes back to be kept as a separate answer, or, the same text, is a double submit refused."""
    import webapp.practice.service as service  # place_answer calls advance / replace there
    from sqlalchemy import insert, update
    auth.register()
    sid, qid, failed_id = _failed_written_session(client, app)
    real = service.replace

    def other_tab_first(s, answer):
        with db.engine.begin() as other:
            other.execute(update(Answer).where(Answer.id == failed_id).values(session_id=None))
            other.execute(insert(Answer).values(user_id=s.user_id, question_id=qid, modality="text", text=OFF_TOPIC,
                                                word_count=60, status="queued", session_id=s.id))
        return real(s, answer)

    monkeypatch.setattr(service, "replace", other_tab_first)
    url = f"/questions/{qid}/text?session={sid}&retake=1"
    resp = answer_written(client, url, "From this tab: " + LONG_ANSWER)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 409 and "From this tab:" in html
    assert "Your mock interview already has another answer to this question, so this answer was not added to it" in html
    with app.app_context():
        assert db.session.scalar(select(func.count(Answer.id)).where(Answer.text.like("From this tab:%"))) == 0
        assert db.session.get(InterviewSession, sid).position == 2


def test_a_recording_is_answered_again_through_the_recorder_in_an_unfinished_interview(client, auth, app, tmp_path):
    """An audio interview's failed answer, answered again through the recorder's upload (JSON, as recorder.js
    expects) while the interview is still under way: stored in its place, the interview's current question kept."""
    import io

    from tests.mediagen import have_data, write_audio
    if not have_data():
        pytest.skip("needs ../shared/data (RAVDESS)")
    data = write_audio(tmp_path / "a.webm", 3).read_bytes()
    auth.register()
    step_url = start_session(client, mode="audio", count=2).headers["Location"]
    sid = int(step_url.rsplit("/", 1)[1])
    url = current_answer_url(client, step_url)
    qid = int(re.search(r"/questions/(\d+)/", url).group(1))

    def upload(to):
        return client.post(to, headers={"Accept": "application/json"}, content_type="multipart/form-data",
                           data={"csrf_token": csrf_token(client, "/questions"), "media": (io.BytesIO(data), "a.webm")})
    assert upload(url).status_code == 201
    with app.app_context():  # its analysis failed (nothing analysable in it, as the job would say)
        failed = db.session.scalar(select(Answer).where(Answer.session_id == sid))
        failed.status, failed.error = "failed", "No speech or face could be analysed in this recording."
        db.session.commit()
        failed_id = failed.id
    page = " ".join(client.get(f"/practice/{sid}/report").get_data(as_text=True).split())
    retake = f"/questions/{qid}/audio?session={sid}&amp;retake=1"
    assert f'<a href="{retake}">Answer this question again in the interview<span class="visually-hidden"> (question 1)</span></a>' in page
    recorder = client.get(retake.replace("&amp;", "&")).get_data(as_text=True)
    upload_url = re.search(r'data-upload-url="([^"]+)"', recorder).group(1).replace("&amp;", "&")
    assert upload_url == f"/questions/{qid}/audio?session={sid}&retake=1"
    assert f'action="{retake}"' in recorder  # the file form too
    flat = " ".join(recorder.split())
    assert "answered again. In the" in flat and "The interview stays at question 2." in flat
    resp = upload(upload_url)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["redirect"].endswith(f"/practice/{sid}/report#q1")
    again = upload(upload_url)  # the same take sent again (its reply lost): received already, nothing stored
    assert again.status_code == 200 and again.get_json() == body
    shown = client.get(body["redirect"]).get_data(as_text=True)
    assert "Your recording for question 1 of your mock interview had already been received" in shown
    other = write_audio(tmp_path / "b.webm", 4).read_bytes()  # another take: refused, the recorder keeps it
    again = client.post(upload_url, headers={"Accept": "application/json"}, content_type="multipart/form-data",
                        data={"csrf_token": csrf_token(client, "/questions"), "media": (io.BytesIO(other), "b.webm")})
    assert again.status_code == 409
    assert again.get_json()["error"].startswith("Your mock interview already has another answer to this question, so "
                                                "this recording was not added to it. It is still here")
    assert again.get_json()["keep_url"] == f"/questions/{qid}/audio"
    with app.app_context():
        s = db.session.get(InterviewSession, sid)
        assert (s.position, s.finished_at, s.current_question_id) == (1, None, s.question_ids[1])
        answers = db.session.scalars(select(Answer).order_by(Answer.id)).all()
        assert [(a.id, a.session_id) for a in answers] == [(failed_id, None), (body["id"], sid)]
        assert answers[1].modality == "audio" and answers[1].status == "queued"
    # the interview goes on at its current question
    assert current_answer_url(client, step_url) != url


# --- Hedges: per minute in spoken answers, per 100 words in written ones -------------------------

def spoken(hedges, span=60.0, words=150):
    """(scores, result) of a spoken answer as the speech channel stores them, with `hedges` per minute."""
    speech = {"text": " ".join(["word"] * words), "word_count": words, "speaking_span_s": span,
              "wpm": words / span * 60, "fillers_per_min": 1.0, "long_pauses_per_min": 0.0, "hedges_per_min": hedges,
              "flags": []}
    return ([("speech", k, speech[k]) for k in ("wpm", "fillers_per_min", "long_pauses_per_min", "hedges_per_min")],
            {"speech": speech})


def typed(rate):
    """(scores, result) of a written answer (LONG_ANSWER) as the job stores them, with `rate` hedges per 100 words."""
    return [("writing", "hedges_per_100_words", rate)], {"word_count": 99, "short": False, "hedges": ["maybe"],
                                                          "hedges_per_100_words": rate}


def store(app, uid, modality, scores_result, session_id=None):
    from tests.helpers import store_analysed
    scores, result = scores_result
    written = modality == "text"
    with app.app_context():
        return store_analysed(Answer(user_id=uid, question_id=1, modality=modality, status="done", progress=100,
                                     text=LONG_ANSWER if written else None, word_count=99 if written else 0,
                                     result=result, session_id=session_id), scores)


def test_hedges_are_in_the_report_and_the_progress_per_minute_spoken_and_per_100_words_written(client, auth, app):
    """Hedges per minute were on the answer page only: the mock report's key figures and the progress charts had
    fillers but no hedges. A written answer's hedges are per 100 words, beside other candidates' written answers
    only (their spoken answers hedge 2.0 a minute, their written ones 1.0 per 100 words)."""
    from tests.helpers import add_user
    for n in range(5):
        uid = add_user(app, f"other{n}@example.com")
        store(app, uid, "audio", spoken(2.0))
        store(app, uid, "text", typed(1.0))
    auth.register("me@example.com")
    with app.app_context():
        me = db.session.scalar(select(User.id).where(User.email == "me@example.com"))
        sessions = {mode: InterviewSession(user_id=me, mode=mode, category="mixed", question_ids=[1], position=1)
                    for mode in ("audio", "written")}
        db.session.add_all(sessions.values())
        db.session.commit()
        sessions = {mode: s.id for mode, s in sessions.items()}
    store(app, me, "audio", spoken(6.0), sessions["audio"])
    store(app, me, "text", typed(3.0), sessions["written"])
    others = {"audio": "2.0 <span class=\"hint\">(n=5)</span>", "written": "1.0 <span class=\"hint\">(n=5)</span>"}
    for mode, key, unit, mine in (("audio", "hedges_per_min", "per min", "6.0"),
                                  ("written", "hedges_per_100_words", "per 100 words", "3.0")):
        page = client.get(f"/practice/{sessions[mode]}/report").get_data(as_text=True)
        row = re.search(rf'<tr data-figure="{key}">(.*?)</tr>', page, re.S).group(1)
        assert f"Hedges <span class=\"hint\">({unit})</span>" in row and f'data-label="You">{mine}</td>' in row
        assert row.count(others[mode]) == 2, row   # this question and all questions: the same five answers
        other_mode = "written" if mode == "audio" else "audio"
        assert others[other_mode] not in row       # never the other kind of answer's average
        assert f'data-note="{key}"' in page
        # three times others' average, with their spread under the floor: a thing to practise, with its advice
        suggestions = re.search(r'<section class="card suggestions" id="suggestions">(.*?)</section>', page, re.S).group(1)
        item = re.search(rf'<li data-figure="{key}">(.*?)</li>', suggestions, re.S).group(1)
        assert "say it directly" in item and "other candidates' average" in item.replace("&#39;", "'")
    # the progress page: one chart per minute (spoken answers), one per 100 words (written answers)
    page = client.get("/practice/progress").get_data(as_text=True)
    charts = {}
    for key in ("hedges_per_min", "hedges_per_100_words", "fillers_per_min"):
        chart = page[page.index(f'id="fig-{key}"'):]
        charts[key] = json.loads(re.search(r'class="progress-data"[^>]*>(.*?)</script>', chart).group(1))
    assert (charts["hedges_per_min"]["unit"], charts["hedges_per_min"]["values"]) == ("per min", [6.0])
    assert (charts["hedges_per_100_words"]["unit"], charts["hedges_per_100_words"]["values"]) == ("per 100 words", [3.0])
    # one numbering of attempts on every chart: the recording is attempt 1, the written answer attempt 2
    assert charts["hedges_per_min"]["labels"] == charts["fillers_per_min"]["labels"] == [1]
    assert charts["hedges_per_100_words"]["labels"] == [2]


def test_hedges_per_100_words_moved_by_less_than_one_hedge_are_neither_better_nor_a_best():
    """As for fillers per minute: 1 hedge in 95 words and 1 in 105 (1.1 and 0.9 per 100 words) is the same count,
    not progress; the smallest step of a written answer's rate is one hedge in its words (from 20 words on)."""
    from types import SimpleNamespace

    from ml.speech.metrics import written_hedges
    from webapp.practice.coach import gap_of
    from webapp.practice.figures import best_marks, changes, key_figures, resolution

    def written(hedges, words, **result):
        text = " ".join(["maybe"] * hedges + ["word"] * (words - hedges))
        return SimpleNamespace(modality="text", text=text, word_count=words,
                               result={**written_hedges(text), **result})

    def rows(now, before):
        return {r["key"]: r for r in changes(now, before)}

    row = rows(written(1, 105), written(1, 95))["hedges_per_100_words"]
    assert (row["previous"], row["value"], row["better"]) == (1.1, 0.9, None)
    # one hedge more or less is no change: the review's 0 in 177 words, then 1 in 156 read "+0.6 (worse)" in red
    row = rows(written(1, 156), written(0, 177))["hedges_per_100_words"]
    assert (row["previous"], row["value"], row["better"]) == (0.0, 0.6, None)
    assert rows(written(0, 105), written(1, 95))["hedges_per_100_words"]["better"] is None
    assert rows(written(2, 100), written(1, 100))["hedges_per_100_words"]["better"] is None
    assert rows(written(3, 100), written(1, 100))["hedges_per_100_words"]["better"] is False
    assert rows(written(0, 105), written(2, 95))["hedges_per_100_words"]["better"] is True
    # nor a "best": three attempts without a hedge are not best beside one with one hedge in 156 words
    values = [key_figures(written(h, n))["hedges_per_100_words"] for h, n in ((0, 177), (0, 150), (1, 156), (0, 160))]
    steps = [resolution(written(h, n), "hedges_per_100_words") for h, n in ((0, 177), (0, 150), (1, 156), (0, 160))]
    assert best_marks("hedges_per_100_words", values, steps) == []
    assert resolution(written(1, 40), "hedges_per_100_words") == 2.5
    assert resolution(written(1, 40), "hedges_per_min") is None
    assert best_marks("hedges_per_100_words", [100 / 95, 100 / 105], [100 / 95, 100 / 105]) == []
    assert best_marks("hedges_per_100_words", [3.0, 1.0], [1.0, 1.0]) == [1]
    # a gap under one hedge in the answer's words is its noise, not a thing to practise
    item = {"key": "hedges_per_100_words", "value": 3.0, "question_avg": avg(1.0, 0.2)}
    assert gap_of(dict(item, resolution=2.5)) is None and gap_of(dict(item, resolution=1.0))["gap"] == 4.0
    # nor one hedge: one in 156 words beside an earlier best of none is one event, as in the change table
    one = {"key": "hedges_per_100_words", "value": 0.64, "best": 0.0, "resolution": 100 / 156}
    assert gap_of(one) is None and gap_of(dict(one, value=1.92))["reference"] == "best"
    # and the best's own step counts: 0 fillers in an 8.6 s answer (one there is 7.0 a minute) is no better than 4.5 a
    # minute in a longer one (a review read "your fewest found before 0.0: replace fillers")
    short_best = {"key": "fillers_per_min", "value": 4.5, "best": 0.0, "resolution": 60 / 40}
    assert gap_of(short_best)["reference"] == "best" and gap_of(dict(short_best, best_resolution=60 / 8.6)) is None
    # a written answer not in English has no hedges (they are English phrases), nor one too short for a rate
    assert "hedges_per_100_words" in key_figures(written(0, 40))
    assert "hedges_per_100_words" not in key_figures(written(0, 40, not_english=True))
    assert "hedges_per_100_words" not in key_figures(written(1, 15))
    # a recording's hedges per minute, from a transcript neither flagged nor under 5 s of speech; never per 100 words
    def recording(**speech):
        return SimpleNamespace(modality="audio", text=None, word_count=0, result={"speech": {
            "text": "word " * 30, "speaking_span_s": 12.0, "hedges_per_min": 5.0, "flags": [], **speech}})
    assert key_figures(recording())["hedges_per_min"] == 5.0 and "hedges_per_100_words" not in key_figures(recording())
    assert "hedges_per_min" not in key_figures(recording(flags=["not_english_or_unclear"]))
    assert "hedges_per_min" not in key_figures(recording(speaking_span_s=3.0))
    assert resolution(recording(), "hedges_per_min") == 5.0


def test_fewest_fillers_found_is_not_called_a_best(client, auth, app):
    """Fillers are a lower bound (the transcriber leaves many out): their lowest rate is marked "fewest found", not
    "best", on the progress page (summary, table, chart data) and in the mock report (its "best before" cell and a
    suggestion that compares with it); other figures keep "best"."""
    auth.register("me@example.com")
    with app.app_context():
        me = db.session.scalar(select(User.id).where(User.email == "me@example.com"))
        s = InterviewSession(user_id=me, mode="audio", category="mixed", question_ids=[1], position=1)
        db.session.add(s)
        db.session.commit()
        sid = s.id

    def fillers(rate, pauses):
        scores, result = spoken(1.0)
        result["speech"].update(fillers_per_min=rate, long_pauses_per_min=pauses)
        return [(f, k, result["speech"][k] if k in ("fillers_per_min", "long_pauses_per_min") else v)
                for f, k, v in scores], result
    store(app, me, "audio", fillers(0.0, 0.0))  # an earlier answer to question 1, outside the interview
    store(app, me, "audio", fillers(4.0, 3.0), sid)
    page = " ".join(client.get("/practice/progress").get_data(as_text=True).split())
    chart = page[page.index('id="fig-fillers_per_min"'):].split("</section>", 1)[0]
    assert "First 0.0, latest 4.0, fewest found 0.0." in chart and ", best " not in chart
    assert '<td data-label="Marked">first, fewest found</td>' in chart
    assert json.loads(re.search(r'class="progress-data"[^>]*>(.*?)</script>', chart).group(1))["best_label"] == "fewest found"
    pauses = page[page.index('id="fig-long_pauses_per_min"'):].split("</section>", 1)[0]
    assert "latest 3.0, best 0.0." in pauses and '<td data-label="Marked">first, best</td>' in pauses
    report = " ".join(client.get(f"/practice/{sid}/report").get_data(as_text=True).split())
    row = re.search(r'<tr data-figure="fillers_per_min">(.*?)</tr>', report).group(1)
    assert row.endswith('0.0 <span class="hint">(fewest found)</span></td>'), row
    item = re.search(r'<li data-figure="fillers_per_min">(.*?)</li>', report).group(1)
    assert "your fewest found before in audio answers to this question" in item and "your best" not in item, item
    row = re.search(r'<tr data-figure="long_pauses_per_min">(.*?)</tr>', report).group(1)
    assert "fewest found" not in row


def test_answers_just_under_the_minimum_of_words_are_things_to_practise(client, auth, app):
    """A review: a mock report of two answers of 47 and 48 words said "Nothing stands out: no measured figure is
    clearly behind ... the goals (words without fillers: at least 50)" while each answer said it was too short for
    any Big Five trait. The minimum is a hard threshold, so any answer under it is a suggestion, however small the
    shortfall (coach: the module's rule, 4)."""
    from tests.test_text_lengths import _words
    from webapp.practice.coach import MIN_GAP
    auth.register()
    step_url = start_session(client, count=2).headers["Location"]
    for n in (47, 48):
        assert answer_written(client, current_answer_url(client, step_url), _words(n)).status_code == 302
    with app.app_context():
        assert run_pending() == 2
    page = " ".join(client.get(step_url + "/report").get_data(as_text=True).split())
    assert "Nothing stands out" not in page
    items = [re.sub(r"<[^>]+>", "", i) for i in re.findall(r'<li data-figure="words">(.*?)</li>', page)]
    assert len(items) == 2 and "you 47 words, the minimum 50 words." in items[0], items
    assert "you 48 words, the minimum 50 words." in items[1], items
    # the rule itself: a shortfall of one word is still a gap; at the minimum there is none
    assert things_to_practise([{"key": "words", "value": 49.0}], min_words=50)[0]["gap"] == MIN_GAP
    assert things_to_practise([{"key": "words", "value": 50.0}], min_words=50) == []


@pytest.mark.parametrize("mode", ["written", "audio", "video"])
def test_the_next_question_says_the_answer_before_it_arrived(client, auth, app, tmp_path, mode):
    """A review: after a video answer's upload the next question opened with its clock running and nothing said
    answer 1 arrived. Each mode's answer (the recorder's JSON upload, the written form) says so on the next
    question's page, in a status line; the last answer goes to the report, which lists it itself."""
    import io

    from tests.mediagen import have_data, write_audio, write_video
    auth.register()
    step_url = start_session(client, mode=mode, count=2).headers["Location"]
    sid = int(step_url.rsplit("/", 1)[1])
    for no in (1, 2):
        url = current_answer_url(client, step_url)
        if mode == "written":
            resp = answer_written(client, url, LONG_ANSWER)
            assert resp.status_code == 302
            target = resp.headers["Location"]
        else:
            if not have_data():
                pytest.skip("needs ../shared/data (RAVDESS)")
            path = (write_audio(tmp_path / "a.webm", 3) if mode == "audio"
                    else write_video(tmp_path / "v.webm", 3))
            resp = client.post(url, headers={"Accept": "application/json"}, content_type="multipart/form-data",
                               data={"csrf_token": csrf_token(client, "/questions"),
                                     "media": (io.BytesIO(path.read_bytes()), path.name)})
            assert resp.status_code == 201, resp.get_json()
            target = resp.get_json()["redirect"]
        page = " ".join(client.get(target).get_data(as_text=True).split())
        said = f'role="status">Your answer to question {no} was received and is being analysed'
        if no == 1:
            assert target.endswith(f"/practice/{sid}") and "question 2 of 2" in page
            assert said + "; you will see it in the report.</div>" in page, page[:3000]
        else:
            assert target.endswith(f"/practice/{sid}/report") and said not in page
