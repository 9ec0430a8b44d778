"""Delete my data, delete my account, media retention."""
import pytest
import re
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from tests.conftest import csrf_token
from tests.helpers import FULL_ANSWER, LONG_ANSWER
from tests.pdfs import text_pdf
from tests.test_interview import post_answer
from webapp import stats
from webapp.extensions import db
from webapp.jobs import run_pending
from webapp.models import Aggregate, Answer, Score, User

pytestmark = pytest.mark.all_databases


def finish(app, answer_id, value=40.0):
    """Mark an answer analysed with one score, feeding the averages as the worker does."""
    with app.app_context():
        ans = db.session.get(Answer, answer_id)
        ans.status = "done"
        db.session.add(Score(answer_id=ans.id, family="big5", label="EXT", value=value))
        stats.record(ans, [("big5", "EXT", value)])
        db.session.commit()


def pdfs(app):
    return list(Path(app.config["MEDIA_DIR"]).rglob("*.pdf"))


def ext_count(app):
    with app.app_context():
        agg = db.session.execute(select(Aggregate).filter_by(scope="all", label="EXT")).scalar_one_or_none()
        return agg.count if agg else 0


def test_delete_my_data_removes_answers_media_and_averages(client, auth, app):
    auth.register("other@example.com")
    post_answer(client, LONG_ANSWER)
    finish(app, 1, 80.0)
    auth.logout()
    auth.register()
    post_answer(client, pdf=text_pdf(LONG_ANSWER))
    post_answer(client, LONG_ANSWER, question=3)
    finish(app, 2)
    finish(app, 3)
    assert len(pdfs(app)) == 1 and ext_count(app) == 3
    token = csrf_token(client, "/account")
    assert "You have 2 stored answers" in client.get("/account").get_data(as_text=True)
    resp = client.post("/account/delete-data", data={"csrf_token": token, "data-password": "correct horse"}, follow_redirects=True)
    assert "Deleted 2 answers with 1 uploaded or recorded file." in resp.get_data(as_text=True)  # the PDF; the typed one had none
    assert pdfs(app) == [] and ext_count(app) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Answer)) == 1  # the other candidate's
        assert db.session.scalar(select(func.count()).select_from(User)) == 2
        # nor any row saying which questions they answered, and how (a privacy review found them kept at 0)
        from webapp.models import Contributor, WordUser
        me = db.session.scalar(select(User.id).where(User.email == "cand@example.com"))
        other = db.session.scalar(select(User.id).where(User.email == "other@example.com"))
        assert db.session.scalar(select(func.count()).select_from(Contributor).where(Contributor.user_id == me)) == 0
        assert db.session.scalar(select(func.count()).select_from(WordUser).where(WordUser.user_id == me)) == 0
        assert db.session.scalar(select(func.count()).select_from(Contributor).where(Contributor.user_id == other)) > 0
        # rows left at 0 before: the data step deletes them
        db.session.add(Contributor(scope="all", modality="text", family="answers", label="", user_id=me, answers=0))
        db.session.commit()
    out = app.test_cli_runner().invoke(args=["forget-empty-contributions"])
    assert out.exit_code == 0 and "Deleted 1 row of answers no longer there." in out.output, out.output


def test_delete_account(client, auth, app):
    auth.register()
    post_answer(client, pdf=text_pdf(LONG_ANSWER))
    finish(app, 1)
    lock = Path(app.config["LOCK_DIR"]) / "owner-1.lock"  # the upload check's lock file named after the account
    assert lock.exists()
    token = csrf_token(client, "/account")
    resp = client.post("/account/delete", data={"csrf_token": token, "account-password": "correct horse"})
    assert resp.status_code == 302
    assert client.get("/questions").status_code == 302  # logged out
    assert pdfs(app) == [] and ext_count(app) == 0
    assert not lock.exists()  # its date was the account's first upload
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
    assert auth.login().status_code == 400


def test_the_only_admin_cannot_delete_their_account(client, auth, app, make_admin):
    email, password = make_admin()
    auth.login(email, password)
    token = csrf_token(client, "/account")
    resp = client.post("/account/delete", data={"csrf_token": token, "account-password": password})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 409 and "You are the only administrator" in page and "Nothing was deleted" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1
    # a deactivated admin does not count as another
    make_admin("asleep@example.com")
    with app.app_context():
        db.session.scalar(select(User).where(User.email == "asleep@example.com")).active = False
        db.session.commit()
    assert client.post("/account/delete", data={"csrf_token": token, "account-password": password}).status_code == 409
    # with another active admin, it can go
    make_admin("second@example.com")
    resp = client.post("/account/delete", data={"csrf_token": token, "account-password": password})
    assert resp.status_code == 302
    with app.app_context():
        assert sorted(db.session.scalars(select(User.email))) == ["asleep@example.com", "second@example.com"]


def test_purge_media_keeps_results(client, auth, app, runner):
    auth.register()
    post_answer(client, pdf=text_pdf(FULL_ANSWER))  # long enough for every trait to be stored
    post_answer(client, pdf=text_pdf(FULL_ANSWER + " again"))
    with app.app_context():  # the real jobs: a PDF's text is extracted by the worker
        assert run_pending() == 2
    with app.app_context():
        db.session.get(Answer, 1).created_at -= timedelta(days=40)
        db.session.commit()
    result = runner.invoke(args=["purge-media", "--days", "30"])
    assert result.exit_code == 0 and "Removed the media of 1 answers" in result.output
    assert len(pdfs(app)) == 1
    with app.app_context():
        assert db.session.get(Answer, 1).media_path is None and db.session.get(Answer, 1).text
        assert db.session.get(Answer, 1).original_filename is None  # the candidate's file name went with the file
        assert db.session.get(Answer, 2).media_path is not None and db.session.get(Answer, 2).original_filename
    assert ext_count(app) == 2


def test_an_upload_left_half_checked_is_private_and_swept(app, runner):
    """A web worker killed while it checked an upload leaves the whole recording in MEDIA_DIR/tmp: it is written
    0600 like every stored file, and `flask purge-media` (and every job worker at start) deletes it once it is an
    hour old; a younger one (an upload being checked now) stays."""
    import os
    import time

    from webapp import media

    with app.test_request_context():
        old, new = media.write_temp(b"a recording"), media.write_temp(b"another one")
    assert old.parent.name == "tmp" and (old.stat().st_mode & 0o777) == 0o600
    hour_ago = time.time() - media.TEMP_MAX_AGE_S - 60
    os.utime(old, (hour_ago, hour_ago))
    result = runner.invoke(args=["purge-media", "--days", "30"])
    assert result.exit_code == 0 and "Removed 1 unfinished upload older than 60 minutes." in result.output
    assert not old.exists() and new.exists()
    os.utime(new, (hour_ago, hour_ago))  # the job worker sweeps too when it starts
    from webapp.worker import _sweep_uploads
    _sweep_uploads(app)
    assert not new.exists()


def test_a_file_the_disk_refuses_to_delete_fails_no_deletion_and_is_swept_later(client, auth, app, runner,
                                                                                 monkeypatch):
    """Deleting all of one's answers when the disk refuses to delete the first recording (an I/O error, a read-only
    remount): the rows are gone and committed, so the page says it is done, and that one file is left (it was a 500),
    the other files still go, and the file left behind, which no answer names any more, goes with
    `flask purge-media` once it is an hour old (also without --days)."""
    import html
    import os
    import time

    from webapp import media

    auth.register()
    with app.app_context():
        uid = db.session.scalar(select(User.id))
        rels = []
        for _ in range(2):
            rel = media.save(uid, b"\x1a\x45\xdf\xa3 recording", ".webm")
            media.write_derived(rel, ".cam.png", b"a heat map")
            db.session.add(Answer(user_id=uid, question_id=1, modality="video", media_path=rel, status="done",
                                  result={}))
            rels.append(rel)
        db.session.commit()
    folder = Path(app.config["MEDIA_DIR"]) / str(uid)
    stuck = (folder / Path(rels[0]).name).resolve()
    real_unlink = Path.unlink

    def refuses(self, missing_ok=False):
        if self.resolve() == stuck:
            raise OSError(5, "Input/output error")
        return real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", refuses)
    resp = client.post("/account/delete-data", data={"csrf_token": csrf_token(client, "/account"),
                                                     "data-password": "correct horse"}, follow_redirects=True)
    assert resp.status_code == 200
    page = html.unescape(" ".join(resp.get_data(as_text=True).split()))
    assert "Deleted 2 answers with 2 uploaded or recorded files." in page
    assert "1 file could not be removed from the disk at once; it is named in the site's log for its operator to " \
           "remove." in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Answer)) == 0
    assert sorted(p.name for p in folder.iterdir()) == [stuck.name]  # its heat map and the other answer's files went
    monkeypatch.setattr(Path, "unlink", real_unlink)  # the disk is well again
    new = folder / "new.webm"  # an upload being stored now: no answer names it yet, but it is under an hour old
    new.write_bytes(b"a recording")
    result = runner.invoke(args=["purge-media", "--days", "30"])
    assert result.exit_code == 0 and "could not be deleted" not in result.output and stuck.exists()  # under an hour
    hour_ago = time.time() - media.TEMP_MAX_AGE_S - 60
    os.utime(stuck, (hour_ago, hour_ago))
    result = runner.invoke(args=["purge-media"])  # no retention: the sweeps alone
    assert result.exit_code == 0 and "Removed 1 file of deleted answers that could not be deleted" in result.output
    assert "Removed the media" not in result.output
    assert sorted(p.name for p in folder.iterdir()) == ["new.webm"]


def test_the_orphan_sweep_keeps_every_file_an_answer_names(client, auth, app):
    """Files named by an answer, and those derived from them, stay, however old."""
    import os

    from webapp import media
    from webapp.answers import sweep_orphans

    auth.register()
    with app.app_context():
        uid = db.session.scalar(select(User.id))
        rel = media.save(uid, b"\x1a\x45\xdf\xa3 recording", ".webm")
        media.write_derived(rel, ".cam.png", b"a heat map")
        db.session.add(Answer(user_id=uid, question_id=1, modality="video", media_path=rel, status="done", result={}))
        db.session.commit()
        gone = media.save(uid, b"a file no answer names", ".webm")
        folder = Path(app.config["MEDIA_DIR"]) / str(uid)
        for p in folder.iterdir():
            os.utime(p, (0, 0))
        assert sweep_orphans() == 1
    assert sorted(p.name for p in folder.iterdir()) == sorted([Path(rel).name, Path(rel).name + ".cam.png"])
    assert not (Path(app.config["MEDIA_DIR"]) / gone).exists()


def test_the_orphan_sweep_refuses_when_the_database_does_not_match_the_files(client, auth, app, runner):
    """A worker or purge-media run against another (or an empty, not yet restored) database would find no answer naming
    the files: it deletes nothing and says why, rather than every recording."""
    import os

    from webapp import media
    from webapp.answers import SWEEP_MAX_FILES

    auth.register()
    with app.app_context():
        uid = db.session.scalar(select(User.id))
        rels = [media.save(uid, b"a recording", ".webm") for _ in range(SWEEP_MAX_FILES + 1)]
    for rel in rels:
        os.utime(Path(app.config["MEDIA_DIR"]) / rel, (0, 0))
    result = runner.invoke(args=["purge-media"])
    assert result.exit_code == 1 and "are named by no answer in this database" in result.output
    assert "Nothing was deleted." in result.output
    assert all((Path(app.config["MEDIA_DIR"]) / rel).exists() for rel in rels)


def test_security_headers(client):
    resp = client.get("/login")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "media-src 'self' blob:" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert "camera=(self)" in resp.headers["Permissions-Policy"]


def test_session_cookie_flags(client, auth):
    resp = auth.register()
    cookie = resp.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_healthz(client, app):
    body = client.get("/healthz").get_json()
    assert body == {"status": "ok", "database": "ok",
                    "queue": {"backend": "database", "queued": 0, "running": 0, "workers": 0}}


def test_delete_my_data_removes_mock_interviews_too(client, auth, app):
    from tests.test_practice import start_session
    from webapp.models import InterviewSession

    auth.register("other@example.com")
    assert start_session(client).status_code == 302
    auth.logout()
    auth.register()
    assert start_session(client).status_code == 302
    assert start_session(client, count=2).status_code == 302
    token = csrf_token(client, "/account")
    resp = client.post("/account/delete-data", data={"csrf_token": token, "data-password": "correct horse"}, follow_redirects=True)
    assert "Deleted 0 answers, and 2 mock interviews." in resp.get_data(as_text=True)
    with app.app_context():
        owners = db.session.scalars(select(InterviewSession.user_id)).all()
        other = db.session.scalar(select(User.id).where(User.email == "other@example.com"))
    assert owners == [other]  # the other candidate's mock interview stays


def test_deletions_lock_answers_in_the_order_of_their_ids(app, db_backend):
    """PostgreSQL locks the rows an UPDATE touches in the order it scans them. Two deletions of the
    same answers (two tabs of one candidate) must take them in one order, the order of their ids,
    or each could hold a part and wait for the other's. Here the table's rows lie in the order 2, 1;
    another transaction holds answer 1: the deletion must wait for it holding nothing, so answer 2
    stays free."""
    if db_backend != "postgresql":
        pytest.skip("row locks: PostgreSQL (SQLite locks its whole database)")
    import threading
    import time

    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    from tests.helpers import add_user
    from webapp.answers import delete_answers

    uid = add_user(app, "two-tabs@example.com")
    with app.app_context():
        for i in (2, 1):  # stored in this order: a table scan meets answer 2 first
            db.session.add(Answer(id=i, user_id=uid, question_id=1, modality="text", status="failed"))
            db.session.commit()
    other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    errors, started = [], threading.Event()

    def delete():
        try:
            with app.app_context():
                answers = db.session.scalars(select(Answer).where(Answer.user_id == uid)).all()
                started.set()
                delete_answers(answers)
                db.session.remove()
        except Exception as exc:  # reported below
            errors.append(exc)

    try:
        with other.connect() as conn:
            conn.execute(text("SELECT id FROM answers WHERE id = 1 FOR UPDATE"))
            worker = threading.Thread(target=delete)
            worker.start()
            assert started.wait(10)
            time.sleep(1.0)  # the deletion now waits for answer 1
            try:
                conn.execute(text("SELECT id FROM answers WHERE id = 2 FOR UPDATE NOWAIT"))
                free = True
            except OperationalError:  # "could not obtain lock": the deletion took answer 2 first
                free = False
            conn.rollback()
            worker.join(30)
        assert free, "the deletion locked answer 2 while it waited for answer 1"
        assert not errors, errors
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(Answer)) == 0
    finally:
        other.dispose()


@pytest.mark.parametrize("url,field", [("/account/delete-data", "data-password"), ("/account/delete", "account-password")])
@pytest.mark.parametrize("password,message", [("", "Enter your password to confirm."),
                                              ("wrong horse", "This is not your password. Nothing was deleted.")])
def test_deleting_asks_for_the_password(client, auth, app, url, field, password, message):
    """Someone at a computer where the candidate is still signed in cannot delete their data or account."""
    auth.register()
    post_answer(client, LONG_ANSWER)
    token = csrf_token(client, "/account")
    resp = client.post(url, data={"csrf_token": token, field: password})
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert html.count(message) == 1  # under the field of the form that was sent, marked invalid
    assert re.search(rf'<input aria-describedby="{field}-error-1" aria-invalid="true"[^>]* id="{field}"', html)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Answer)) == 1
        assert db.session.scalar(select(func.count()).select_from(User)) == 1
    assert client.get("/account").status_code == 200  # still signed in


def test_a_database_error_does_not_put_the_statements_values_in_its_message(app):
    """A failed statement's message (what the logs get) says where it failed, not the candidate's data: here an
    answer whose question is gone (a foreign key). (PostgreSQL's own DETAIL line, which can quote a key's value, is
    hidden in the logs: test_the_logs_hide_the_data_a_database_detail_line_quotes.)"""
    from sqlalchemy.exc import IntegrityError

    with app.app_context():
        user = User(email="writer@example.com", password_hash="x", role="candidate")
        db.session.add(user)
        db.session.commit()
        db.session.add(Answer(user_id=user.id, question_id=999_999, modality="text", word_count=4,
                              text="The secret words of my answer"))
        with pytest.raises(IntegrityError) as failed:
            db.session.commit()
        db.session.rollback()
    assert "secret words" not in str(failed.value)
    assert "SQL parameters hidden" in str(failed.value)



def test_the_logs_hide_the_data_a_database_detail_line_quotes(app, db_backend):
    """PostgreSQL's DETAIL line quotes a duplicate key's value or a whole failing row; the log formatters and a failed
    job's error detail hide it (webapp.logs.redact_db_detail), keeping the column names."""
    import json
    import logging
    import sys
    from sqlalchemy.exc import IntegrityError
    from webapp.logs import JsonFormatter, TextFormatter, redact_db_detail

    with app.app_context():
        db.session.add(User(email="ann@example.com", password_hash="x", role="candidate"))
        db.session.commit()
        db.session.add(User(email="ann@example.com", password_hash="x", role="candidate"))
        with pytest.raises(IntegrityError):
            try:
                db.session.commit()
            except IntegrityError:
                exc_info = sys.exc_info()
                raise
        db.session.rollback()
    record = logging.LogRecord("webapp", logging.ERROR, __file__, 1, "commit failed: %s", (exc_info[1],), exc_info)
    for line in (TextFormatter("%(message)s").format(record), JsonFormatter().format(record)):
        assert "ann@example.com" not in line
    if db_backend == "postgresql":  # the server's words are there, without the value
        assert "Key (email)=(…) already exists" in json.loads(JsonFormatter().format(record))["msg"]
    row = 'DETAIL:  Failing row contains (7, 1, null, My secret (private) answer\nover two lines, 4).\n[SQL: INSERT'
    assert redact_db_detail(row) == "DETAIL:  Failing row contains (…).\n[SQL: INSERT"
