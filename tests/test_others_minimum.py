"""What a candidate sees of OTHER candidates rests on at least stats.MIN_OTHERS_FOR_AVERAGE of their
answers (small-cell suppression), and a short written answer is kept out of the averages like a
short transcript.

Other candidates' answers are stored here as the worker stores them (Score rows and stats.record in
one transaction), without running a model; the short-answer tests run the real text model.
"""
import json
import re

import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_token
from tests.helpers import LONG_ANSWER, SHORT_ANSWER, store_analysed
from tests.pdfs import text_pdf
from tests.test_answer_queries import add_recording
from tests.test_interview import post_answer
from tests.test_speech_coach import speech_analyser  # noqa: F401 (a fixture)
from webapp import stats
from webapp.extensions import db
from webapp.jobs import run_pending
from webapp.labels import TRAIT_NAMES
from webapp.models import Aggregate, Answer, AnswerDay, InterviewSession, User

pytestmark = pytest.mark.all_databases

HELD_BACK = '<span class="hint">not enough answers from others yet</span>'


def add_user(app, email: str) -> int:
    with app.app_context():
        user = User(email=email)
        user.set_password("correct horse")
        db.session.add(user)
        db.session.commit()
        return user.id


def user_id(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


def analysed(app, uid: int, question_id: int, modality: str = "text", text: str = LONG_ANSWER,
             scores=None, result=None, session_id=None) -> int:
    """An analysed answer stored as the worker stores it: its scores and stats.record together.
    Written answers default to a Big Five of 87 on every trait."""
    if scores is None:
        scores = [("big5", code, 87.0) for code in TRAIT_NAMES]
    if result is None:
        result = {"big5": {f: v / 100 for fam, f, v in scores if fam == "big5"},
                  "word_count": len(text.split()), "short": False}
    with app.app_context():
        ans = Answer(user_id=uid, question_id=question_id, modality=modality, status="done", progress=100,
                     text=text if modality == "text" else None, word_count=len(text.split()) if modality == "text" else 0,
                     result=result, session_id=session_id)
        return store_analysed(ans, scores)


def big5_chart(page: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="big5-data">(.*?)</script>', page, re.S).group(1))


def trait_row(page: str, code: str) -> str:
    row = page[page.index(f'data-trait="{code}"'):]
    return row[:row.index("</tr>")]


# --- Averages on the answer pages -------------------------------------------------------------

def test_answer_page_shows_others_averages_from_five_answers_on(client, auth, app):
    auth.register("bob@example.com")
    bob = user_id(app, "bob@example.com")
    alice = add_user(app, "alice@example.com")
    analysed(app, alice, 1)
    analysed(app, bob, 1, scores=[("big5", code, 20.0) for code in TRAIT_NAMES])
    mine = analysed(app, bob, 1, scores=[("big5", code, 20.0) for code in TRAIT_NAMES])
    page = client.get(f"/answers/{mine}").get_data(as_text=True)
    # one answer from others: "their average" would be Alice's own scores, so nothing of them is shown
    chart = big5_chart(page)
    assert chart["question"] == [None] * 5 and chart["overall"] == [None] * 5
    row = trait_row(page, "EXT")
    assert row.count(HELD_BACK) == 4 and "87" not in row and "(n=" not in row  # averages, percentiles
    assert "(n=1)" not in page
    assert "Their average is shown once at least 5 answers from others are in" in " ".join(page.split())
    # four answers from others on this question and a fifth on another: the average of all questions
    # (5 answers of others, Bob's two left out) is shown, this question's (4) is not
    for k in range(3):
        analysed(app, add_user(app, f"other{k}@example.com"), 1)
    analysed(app, add_user(app, "late@example.com"), 2)
    page = client.get(f"/answers/{mine}").get_data(as_text=True)
    row = trait_row(page, "EXT")
    assert f'<td class="others-question">{HELD_BACK}</td>' in row
    assert '<td class="others-overall"><span class="num">87</span> <span class="hint nowrap">(n=5)</span></td>' in row
    chart = big5_chart(page)
    assert chart["question"] == [None] * 5 and chart["overall"] == [pytest.approx(87.0)] * 5
    assert stats.MIN_OTHERS_FOR_AVERAGE == 5


def test_word_lists_need_five_answers_from_others(client, auth, app):
    auth.register("bob@example.com")
    bob = user_id(app, "bob@example.com")
    others = "I steered the zeppelin project with care, planning every flight with the crew."
    for k in range(4):
        analysed(app, add_user(app, f"other{k}@example.com"), 1, text=others)
    # Bob's own three answers on the question do not make up for the missing answers of others
    for _ in range(2):
        analysed(app, bob, 1)
    mine = analysed(app, bob, 1)
    with app.app_context():
        assert stats.answers_total(stats.question_scope(1), "text") == 7
    page = client.get(f"/answers/{mine}").get_data(as_text=True)
    assert "zeppelin" not in page
    for where in ("question", "overall"):
        block = page[page.index(f'id="words-{where}"'):]
        assert block[:block.index("</div>")].count("not enough answers from others yet") == 1
    assert ("The words of all candidates are shown once at least 5 written answers from others are in"
            in " ".join(page.split()))
    # a fifth answer from others, on another question: enough for the list of all questions only
    analysed(app, add_user(app, "late@example.com"), 2, text=others)
    page = client.get(f"/answers/{mine}").get_data(as_text=True)
    overall = page[page.index('id="words-overall"'):]
    overall = overall[:overall.index("</div>")]
    question = page[page.index('id="words-question"'):]
    question = question[:question.index("</div>")]
    assert "zeppelin" in overall and "not enough" not in overall
    assert "zeppelin" not in question and "not enough answers from others yet" in question


def test_speech_coach_hint_needs_five_answers_from_others(client, auth, app, speech_analyser):  # noqa: F811
    add_user(app, "alice@example.com")
    add_recording(app, "alice@example.com", 1, "audio")
    auth.register("me@example.com")
    mine = add_recording(app, "me@example.com", 1, "audio")
    html = client.get(f"/answers/{mine}").get_data(as_text=True)
    hint = html[html.index('<li data-label="wpm">'):]
    hint = hint[:hint.index("</li>")]
    assert "Not enough answers from other candidates to compare with yet." in hint
    assert "(n=1)" not in html
    voice = json.loads(re.search(r'id="voice-dist-data">(.*?)</script>', html, re.S).group(1))
    assert set(voice["question"]) == {None} and set(voice["overall"]) == {None}


# --- The mock-interview report ----------------------------------------------------------------

def written_session(app, uid: int) -> int:
    with app.app_context():
        s = InterviewSession(user_id=uid, mode="written", question_ids=[1], position=1)
        db.session.add(s)
        db.session.commit()
        return s.id


def test_report_averages_leave_out_my_answers_and_need_five_from_others(client, auth, app):
    auth.register("bob@example.com")
    bob = user_id(app, "bob@example.com")
    for k in range(4):
        analysed(app, add_user(app, f"other{k}@example.com"), 1)
    sid = written_session(app, bob)
    analysed(app, bob, 1, scores=[("big5", code, 20.0) for code in TRAIT_NAMES])  # an earlier attempt
    analysed(app, bob, 1, scores=[("big5", code, 20.0) for code in TRAIT_NAMES], session_id=sid)
    page = client.get(f"/practice/{sid}/report").get_data(as_text=True)
    row = re.search(r'<tr data-figure="big5_EXT">(.*?)</tr>', page, re.S).group(1)
    # 4 answers of others (Bob's two are not counted): too few for an average
    assert row.count(HELD_BACK) == 2 and "(n=" not in row
    analysed(app, add_user(app, "late@example.com"), 1)
    page = client.get(f"/practice/{sid}/report").get_data(as_text=True)
    row = re.search(r'<tr data-figure="big5_EXT">(.*?)</tr>', page, re.S).group(1)
    assert row.count("87 <span class=\"hint\">(n=5)</span>") == 2 and "not enough" not in row


def test_practise_next_works_when_averages_are_held_back(app):
    from webapp.practice import service
    bob = add_user(app, "bob@example.com")

    def speech(fillers, words):
        result = {"speech": {"word_count": words, "wpm": 120.0, "fillers_per_min": fillers,
                             "long_pauses_per_min": 0.0, "flags": []}}
        return [("speech", "wpm", 120.0), ("speech", "fillers_per_min", fillers),
                ("speech", "long_pauses_per_min", 0.0)], result

    for k in range(4):  # four calm answers of others: enough for the coach's MIN_PEERS, not to be shown
        scores, result = speech(1.0, 200)
        analysed(app, add_user(app, f"other{k}@example.com"), 1, modality="audio", scores=scores, result=result)
    with app.app_context():
        s = InterviewSession(user_id=bob, mode="audio", question_ids=[1], position=1)
        db.session.add(s)
        db.session.commit()
        sid = s.id
    scores, result = speech(6.0, 20)
    analysed(app, bob, 1, modality="audio", scores=scores, result=result, session_id=sid)
    with app.test_request_context():
        report = service.report(db.session.get(InterviewSession, sid))
        figures = {f["key"]: f for f in report["items"][0]["figures"]}
        assert figures["fillers_per_min"]["question_avg"] == {"mean": None, "sd": None, "count": 4}
        # the suggestions use no held-back average: the too-short answer (a goal) is still suggested
        suggestions = report["suggestions"]
        assert [s["key"] for s in suggestions] == ["words"] and suggestions[0]["reference"] == "target"
        assert all(s["reference"] != "average" for s in suggestions)


# --- Short written answers are kept out of the averages ---------------------------------------

def test_short_typed_and_pdf_answers_are_not_added_to_the_averages(client, auth, app):
    auth.register()
    post_answer(client, LONG_ANSWER)
    post_answer(client, SHORT_ANSWER)
    post_answer(client, pdf=text_pdf(SHORT_ANSWER), question=2)
    with app.app_context():
        assert run_pending() == 3
        long_ext = db.session.get(Answer, 1).score_map("big5")["EXT"]
        for short_id in (2, 3):
            ans = db.session.get(Answer, short_id)
            assert ans.status == "done" and ans.result["short"] is True
            assert ans.score_map("big5") == {}  # the estimate stays in the result only
            assert set(ans.result["big5"]) == set(TRAIT_NAMES)
        agg = db.session.execute(select(Aggregate).filter_by(scope="all", label="EXT")).scalar_one()
        assert agg.count == 1 and agg.total == pytest.approx(long_ext)  # the long answer only
        # still analysed answers: counted as such, and their words are in the word lists
        assert stats.answers_total(stats.OVERALL, "text") == 3
    for short_id in (2, 3):
        page = client.get(f"/answers/{short_id}").get_data(as_text=True)
        assert "estimate is very uncertain, so it is not added to the averages" in page
        assert 'data-trait="EXT"' in page  # shown to the candidate, with the caution
    # deleting them takes out nothing that was never added
    for short_id in (2, 3):
        token = csrf_token(client, f"/answers/{short_id}")
        assert client.post(f"/answers/{short_id}/delete", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        agg = db.session.execute(select(Aggregate).filter_by(scope="all", label="EXT")).scalar_one()
        assert agg.count == 1 and agg.total == pytest.approx(long_ext)
        assert db.session.scalar(select(func.sum(AnswerDay.count)).where(AnswerDay.scope == "all")) == 1
