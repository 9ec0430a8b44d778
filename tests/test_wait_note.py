"""How long an analysis may take (webapp.jobs.wait_note): the answers sent before it that wait too, and how long
recent answers of its type took here, from the stored rows only. A review: the pages said "Analysing… (0%)" or
"Waiting to start: other answers may be analysed first", with no idea how long to wait."""
import re
from datetime import timedelta

import pytest

from tests.helpers import add_user
from webapp.extensions import db
from webapp.models import Answer, InterviewSession, utcnow

pytestmark = pytest.mark.all_databases


def _answer(uid, modality="video", status="queued", took=None, ago=0, **kw):
    """An answer sent `ago` seconds before now; `took`: the seconds its analysis took (a finished one)."""
    sent = utcnow() - timedelta(seconds=ago)
    a = Answer(user_id=uid, question_id=1, modality=modality, status=status, created_at=sent, **kw)
    if took is not None:
        a.started_at, a.finished_at = sent + timedelta(seconds=5), sent + timedelta(seconds=5 + took)
    db.session.add(a)
    db.session.commit()
    return a.id


def test_the_status_says_how_many_answers_wait_before_and_how_long_recent_ones_took(client, auth, app):
    other = add_user(app, "other@example.com")
    auth.register("me@example.com")
    with app.app_context():
        from webapp.models import User
        me = db.session.scalar(db.select(User.id).where(User.email == "me@example.com"))
        # two finished video analyses: too few for a typical time
        for took in (60, 180):
            _answer(other, status="done", took=took, ago=3000)
        _answer(other, modality="audio", status="done", took=900, ago=2900)  # another type: not counted
        _answer(other, modality="video", status="failed", took=900, ago=2800)  # not finished well: not counted
        _answer(other, status="running", ago=200, started_at=utcnow())  # started: not waiting
        _answer(other, status="queued", ago=100)
        _answer(other, modality="text", status="queued", ago=90)  # any type waits in the one queue
        mine = _answer(me, status="queued", ago=10)
        later = _answer(other, status="queued", ago=5)  # sent after mine: not before it
    status = client.get(f"/api/answers/{mine}/status").get_json()
    assert (status["queued_ahead"], status["typical_seconds"]) == (2, None)
    assert status["wait"] == "2 answers sent before this one are waiting to be analysed too."
    page = " ".join(client.get(f"/answers/{mine}").get_data(as_text=True).split())
    assert '<p id="job-wait" class="hint" data-while-polling>2 answers sent before this one are waiting to be analysed too.</p>' in page
    with app.app_context():
        _answer(other, status="done", took=240, ago=2000)  # a third: median of 60, 180, 240
        db.session.delete(db.session.get(Answer, later))
        db.session.commit()
    status = client.get(f"/api/answers/{mine}/status").get_json()
    assert (status["queued_ahead"], status["typical_seconds"]) == (2, 180.0)
    assert status["wait"].endswith(" Recent video recordings took about 3 minutes each to analyse here.")
    with app.app_context():  # its analysis started: nothing waits before it; the typical time stays
        row = db.session.get(Answer, mine)
        row.status, row.started_at, row.heartbeat_at = "running", utcnow(), utcnow()
        db.session.commit()
    status = client.get(f"/api/answers/{mine}/status").get_json()
    assert (status["queued_ahead"], status["wait"]) == (None, "Recent video recordings took about 3 minutes each to "
                                                              "analyse here.")
    # the last 20 analysed answers only, sent latest: 20 quick ones make the typical time less than a minute
    with app.app_context():
        for n in range(20):
            _answer(other, status="done", took=20, ago=1000 - n)
    assert client.get(f"/api/answers/{mine}/status").get_json()["typical_seconds"] == 20.0
    with app.app_context():
        row = db.session.get(Answer, mine)
        row.status, row.finished_at = "done", utcnow()
        db.session.commit()
    status = client.get(f"/api/answers/{mine}/status").get_json()
    assert (status["queued_ahead"], status["typical_seconds"], status["wait"]) == (None, None, "")


def _written_interview(app, auth):
    """Another candidate's id, and a finished written mock interview of "me" (signed in) on questions 1 and 2:
    (other, me, the interview's id); the caller adds the answers, in the app context it opens."""
    other = add_user(app, "other@example.com")
    auth.register("me@example.com")
    with app.app_context():
        from webapp.models import User
        me = db.session.scalar(db.select(User.id).where(User.email == "me@example.com"))
        s = InterviewSession(user_id=me, mode="written", question_ids=[1, 2], position=2, finished_at=utcnow())
        db.session.add(s)
        db.session.commit()
        return other, me, s.id


def test_the_mock_report_says_the_same_for_its_first_waiting_answer(client, auth, app):
    other, me, sid = _written_interview(app, auth)
    with app.app_context():
        for took in (30, 40, 50):
            _answer(other, modality="text", status="done", took=took, ago=3000)
        _answer(other, status="queued", ago=100)
        for qid in (1, 2):
            db.session.add(Answer(user_id=me, question_id=qid, modality="text", text="An answer.", status="queued",
                                  session_id=sid))
        db.session.commit()
    status = client.get(f"/api/practice/{sid}/status").get_json()
    assert (status["pending"], status["queued_ahead"], status["typical_seconds"]) == (2, 1, 40.0)
    said = ("1 answer sent before this interview's answers is waiting to be analysed too. Recent written answers "
            "took less than a minute each to analyse here.")
    assert status["wait"] == said
    page = " ".join(client.get(f"/practice/{sid}/report").get_data(as_text=True).split())
    shown = said.replace("'", "&#39;")  # as Jinja escapes it
    assert f'<span id="session-wait" data-while-polling>{shown}</span>' in page, re.search(r'id="session-status".{0,1500}', page).group(0)


def test_a_written_interview_waiting_on_a_pdf_gives_pdf_answers_typical_time(client, auth, app):
    """A written interview holds typed and PDF answers; the report's wait line speaks of the first waiting answer's
    own type (a PDF's analysis is not a typed answer's), not of the mode's first type."""
    other, me, sid = _written_interview(app, auth)
    with app.app_context():
        for took in (30, 40, 50):
            _answer(other, modality="text", status="done", took=took, ago=3000)
        for took in (100, 200, 300):
            _answer(other, modality="pdf", status="done", took=took, ago=3000)
        db.session.add(Answer(user_id=me, question_id=1, modality="pdf", status="queued", session_id=sid))
        db.session.add(Answer(user_id=me, question_id=2, modality="text", text="An answer.", status="done",
                              session_id=sid))
        db.session.commit()
    status = client.get(f"/api/practice/{sid}/status").get_json()
    assert (status["pending"], status["queued_ahead"], status["typical_seconds"]) == (1, 0, 200.0)
    assert status["wait"] == "Recent PDF answers took about 3 minutes each to analyse here."
