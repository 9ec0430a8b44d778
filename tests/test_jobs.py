"""Background analysis: the real text model runs in-process through the job functions."""
import pytest
from datetime import timedelta

from sqlalchemy import func, select, update

from tests.helpers import FULL_ANSWER
from tests.test_interview import post_answer
from webapp.extensions import db
from webapp.jobs import PAUSED_MESSAGE, WAITING_MESSAGE, claim_next, requeue_stale, run_job, run_pending
from webapp.models import Aggregate, Answer, Score, User, WorkerHeartbeat, utcnow
from webapp.worker import record_heartbeat

pytestmark = pytest.mark.all_databases


def _answer(app, **fields):
    with app.app_context():
        user = db.session.execute(select(User)).scalars().first()
        if user is None:
            user = User(email="j@example.com")
            user.set_password("x" * 8)
            db.session.add(user)
            db.session.flush()
        values = dict(user_id=user.id, question_id=1, modality="text", text=FULL_ANSWER, status="queued",
                      word_count=len(FULL_ANSWER.split()))
        ans = Answer(**{**values, **fields})
        db.session.add(ans)
        db.session.commit()
        return ans.id


def test_job_runs_and_stores_five_trait_scores(app):
    answer_id = _answer(app)
    with app.app_context():
        assert run_pending() == 1
        ans = db.session.get(Answer, answer_id)
        assert ans.status == "done" and ans.progress == 100 and ans.attempts == 1
        scores = ans.score_map("big5")
        assert set(scores) == {"EXT", "NEU", "AGR", "CON", "OPN"}
        assert all(0.0 <= v <= 100.0 for v in scores.values())
        assert ans.result["word_count"] == len(FULL_ANSWER.split()) and ans.result["short"] is False
        agg = db.session.execute(select(Aggregate).filter_by(scope="q:1", label="EXT")).scalar_one()
        assert agg.count == 1 and agg.total == scores["EXT"]
        assert run_pending() == 0


def test_unanalysable_answer_fails_with_reason_and_can_be_retried(app):
    answer_id = _answer(app, modality="video")
    with app.app_context():
        run_pending()
        ans = db.session.get(Answer, answer_id)
        assert ans.status == "failed" and "recording file is missing" in ans.error
        assert db.session.scalar(select(func.count()).select_from(Score)) == 0
        assert db.session.scalar(select(func.count()).select_from(Aggregate)) == 0


def test_stale_job_is_requeued_and_result_stored_once(app):
    answer_id = _answer(app)
    with app.app_context():
        first = claim_next()
        assert first[0] == answer_id
        # the first worker "dies": no heartbeat for longer than the stale limit
        db.session.execute(Answer.__table__.update().values(
            heartbeat_at=utcnow() - timedelta(seconds=app.config["JOB_STALE_SECONDS"] + 5)))
        db.session.commit()
        second = claim_next()
        assert second is not None and second[0] == answer_id and second[1] != first[1]
        assert run_job(*second) == "done"
        # the first worker wakes up and tries to store its result: refused
        assert run_job(*first) == "lost"
        # the five traits and the hedges per 100 words, once
        assert db.session.scalar(select(func.count()).select_from(Score)) == 6
        assert db.session.get(Answer, answer_id).attempts == 2
        agg = db.session.execute(select(Aggregate).filter_by(scope="all", label="OPN")).scalar_one()
        assert agg.count == 1


def test_job_interrupted_too_often_fails(app):
    answer_id = _answer(app, attempts=app.config["JOB_MAX_ATTEMPTS"])
    with app.app_context():
        db.session.execute(Answer.__table__.update().values(
            status="running", heartbeat_at=utcnow() - timedelta(days=1), progress_message="Reading vocal emotion"))
        db.session.commit()
        requeue_stale()
        ans = db.session.get(Answer, answer_id)
        # not its last step's message beside "failed" (a reliability review read "Reading vocal emotion" there)
        assert ans.status == "failed" and "interrupted" in ans.error and ans.progress_message == "Failed"


def test_worker_process_analyses_a_submitted_answer(client, auth, app, tmp_path):
    """The real worker entry point, as a separate process, against the same database."""
    import os
    import subprocess
    import sys
    import time

    auth.register()
    post_answer(client, FULL_ANSWER)
    env = dict(os.environ, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               MEDIA_DIR=app.config["MEDIA_DIR"], WORKER_POLL_SECONDS="0.2")
    proc = subprocess.Popen([sys.executable, "-m", "webapp.worker"], env=env)
    try:
        deadline = time.time() + 120
        status = None
        while time.time() < deadline:
            status = client.get("/api/answers/1/status").get_json()["status"]
            if status in ("done", "failed"):
                break
            time.sleep(0.5)
        assert status == "done"
    finally:
        proc.terminate()
        assert proc.wait(timeout=30) == 0


@pytest.mark.parametrize("then", ["result", "failure"])
def test_a_file_written_for_an_answer_deleted_during_its_analysis_goes_too(app, monkeypatch, then, caplog):
    """The candidate deletes a recording while it is analysed, after the deletion removed its files but
    before the analysis wrote its heat map: the job, finding the answer gone, removes that file too (found
    by a privacy review: a face image could be left behind)."""
    import webapp.jobs.analyzers as analyzers
    from webapp import media

    answer_id = _answer(app, modality="video", text=None, word_count=0)
    with app.app_context():
        rel = media.save(db.session.get(Answer, answer_id).user_id, b"webm", ".webm")
        db.session.get(Answer, answer_id).media_path = rel
        db.session.commit()
        heatmap = media.absolute(media.derived(rel, ".cam.png"))

    def analyse(answer, report):
        with db.engine.begin() as other:                   # the deletion, in its own transaction
            other.execute(Answer.__table__.delete().where(Answer.__table__.c.id == answer.id))
        media.delete(rel)
        media.write_derived(rel, ".cam.png", b"png")       # then the analysis writes its heat map
        if then == "failure":
            raise RuntimeError("a failure after the heat map")
        return [], {}

    monkeypatch.setattr(analyzers, "analyse", analyse)
    with app.app_context():
        job = claim_next()
        assert run_job(*job) == ("lost" if then == "result" else "gone")
    # a deletion is no failure: no error and no traceback in the log (the privacy review found one)
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    assert not heatmap.exists() and not heatmap.with_name(heatmap.name.removesuffix(".cam.png")).exists()


def test_a_database_outage_during_an_analysis_is_no_verdict_on_the_answer(app, monkeypatch):
    """The operations review: connections cut during an analysis failed the answer for good ("internal error"). The
    job now stays claimed, is taken over once its heartbeats stop, and runs again."""
    from sqlalchemy.exc import OperationalError

    import webapp.jobs.analyzers as analyzers

    answer_id = _answer(app)
    real = analyzers.analyse
    calls = []

    def analyse(answer, report):
        calls.append(answer.id)
        if len(calls) == 1:
            raise OperationalError("UPDATE answers", {}, Exception("server closed the connection unexpectedly"))
        return real(answer, report)

    monkeypatch.setattr(analyzers, "analyse", analyse)
    with app.app_context():
        with pytest.raises(OperationalError):
            run_job(*claim_next())
        ans = db.session.get(Answer, answer_id)
        assert ans.status == "running" and ans.error is None  # no verdict
        ans.heartbeat_at = utcnow() - timedelta(seconds=app.config["JOB_STALE_SECONDS"] + 1)
        db.session.commit()
        assert run_job(*claim_next()) == "done"
        assert db.session.get(Answer, answer_id).attempts == 2 and calls == [answer_id, answer_id]


def test_the_progress_page_says_when_no_job_worker_runs(client, auth, app):
    """A reliability review: with no job worker running, an answer read "Waiting to start: other answers may be
    analysed first" for minutes while /healthz said that no worker had been seen."""
    auth.register()
    resp = post_answer(client, FULL_ANSWER)
    answer_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    message = client.get(f"/api/answers/{answer_id}/status").get_json()["message"]
    assert message == PAUSED_MESSAGE
    assert "Analysis is paused on the server" in client.get(f"/answers/{answer_id}").get_data(as_text=True)
    with app.app_context():
        record_heartbeat("w1", "database")
    assert client.get(f"/api/answers/{answer_id}/status").get_json()["message"] == WAITING_MESSAGE
    with app.app_context():  # its heartbeat gets old: no worker again
        db.session.execute(update(WorkerHeartbeat).values(
            seen_at=utcnow() - timedelta(seconds=app.config["WORKER_STALE_SECONDS"] + 1)))
        db.session.commit()
    assert client.get(f"/api/answers/{answer_id}/status").get_json()["message"] == PAUSED_MESSAGE
    with app.app_context():  # its own job beats (the worker's row late, its beat thread starved): running, not paused
        ans = db.session.get(Answer, answer_id)
        ans.status, ans.progress_message, ans.heartbeat_at = "running", "Reading the words", utcnow()
        db.session.commit()
    assert client.get(f"/api/answers/{answer_id}/status").get_json()["message"] == "Reading the words"


def test_the_progress_page_says_when_a_job_was_interrupted(client, auth, app):
    """A worker killed mid-analysis: its progress message ("Measuring pauses ... 39%") stayed up, untrue, until the
    job was taken over (the operations review). After two missed heartbeats the page says what happened and when
    the analysis starts again."""
    auth.register()
    resp = post_answer(client, FULL_ANSWER)
    answer_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    stale = app.config["JOB_STALE_SECONDS"]
    with app.app_context():
        record_heartbeat("another-worker", "database")  # a worker runs (another one than the job's)
        ans = db.session.get(Answer, answer_id)
        ans.status, ans.progress, ans.progress_message = "running", 39, "Measuring pauses, pitch and loudness"
        ans.heartbeat_at = utcnow()
        db.session.commit()
    assert client.get(f"/api/answers/{answer_id}/status").get_json()["message"] == "Measuring pauses, pitch and loudness"
    with app.app_context():
        db.session.get(Answer, answer_id).heartbeat_at = utcnow() - timedelta(seconds=stale * 0.75)
        db.session.commit()
    message = client.get(f"/api/answers/{answer_id}/status").get_json()["message"]
    assert message.startswith("The analysis was interrupted (its worker stopped); it starts again by itself within "
                              "about ") and message.endswith(" s. Nothing is lost.")
    assert message in client.get(f"/answers/{answer_id}").get_data(as_text=True).replace("&#39;", "'")
    with app.app_context():
        db.session.get(Answer, answer_id).heartbeat_at = utcnow() - timedelta(seconds=stale + 5)
        db.session.commit()
    assert "as soon as a job worker is running" in client.get(f"/api/answers/{answer_id}/status").get_json()["message"]


def test_one_candidates_many_uploads_do_not_keep_others_waiting(app):
    """The security review: jobs were taken strictly oldest first, so one candidate's ten uploads kept another's
    written answer waiting for minutes. The candidates who started the fewest analyses lately go first."""
    from tests.helpers import add_user
    a, b = add_user(app, "many@example.com"), add_user(app, "one@example.com")
    many = [_answer(app, user_id=a) for _ in range(3)]
    one = _answer(app, user_id=b)
    order = []
    with app.app_context():
        while (job := claim_next()) is not None:
            order.append(job[0])
            assert run_job(*job) == "done"
    assert order == [many[0], one, many[1], many[2]]
