"""A service down (the operations review): the database unreachable while a candidate is signed in gives a page
that says so and keeps a typed answer, not gunicorn's bare "Internal Server Error"."""
import re
from pathlib import Path

from sqlalchemy.exc import OperationalError

from tests.conftest import csrf_token
from tests.helpers import LONG_ANSWER
from webapp.extensions import login_manager


def test_a_signed_in_candidate_gets_a_clear_page_and_the_typed_answer_when_the_database_is_down(client, auth, app):
    auth.register()
    token = csrf_token(client, "/questions/1/text")
    typed = "My answer <b>with</b> & marks. " + LONG_ANSWER
    real = login_manager._user_callback

    def database_down(user_id):
        raise OperationalError("SELECT users", {}, Exception("could not connect to server"))

    login_manager._user_callback = database_down
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the error handler answers
    try:
        resp = client.post("/questions/1/text", data={"answer": typed, "csrf_token": token},
                           headers={"Origin": "http://localhost"})  # sent from the site's own page, as a browser does
        page = resp.get_data(as_text=True)
        assert resp.status_code == 503 and "Something went wrong" in page and "try again in a few minutes" in page
        assert re.search(r"<textarea readonly[^>]*>My answer &lt;b&gt;with&lt;/b&gt; &amp; marks\. ", page)
        assert resp.headers["Cache-Control"] == "private, no-store"  # who asked is unknown: kept out of caches
        resp = client.get("/history")
        assert resp.status_code == 503 and "Something went wrong" in resp.get_data(as_text=True)
        assert "<textarea" not in resp.get_data(as_text=True)
    finally:
        login_manager._user_callback = real
    assert client.get("/history").status_code == 200  # back once the database is


def test_a_database_locked_by_another_writer_gives_503_and_keeps_the_answer_and_the_recording(client, auth, app,
                                                                                             db_backend, monkeypatch):
    """A reliability review held SQLite's write lock for 30 s from another process: a written answer got a 500, and the
    recorder was told "Go back and try again", which leaves the page and its recording. Now: 503 with Retry-After,
    the typed answer shown again, the recorder told its recording is still there; and afterwards it goes through."""
    import io
    import sqlite3

    import pytest
    from sqlalchemy.engine import make_url

    from webapp import sqlite as app_sqlite
    from webapp.extensions import db

    if db_backend != "sqlite":
        pytest.skip("SQLite's write lock")
    auth.register()
    token = csrf_token(client, "/questions/1/text")
    monkeypatch.setattr(app_sqlite, "BUSY_TIMEOUT_MS", 300)  # new connections wait 0.3 s, not 10 s
    with app.app_context():
        db.engine.dispose()
    app.config["PROPAGATE_EXCEPTIONS"] = False
    holder = sqlite3.connect(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        resp = client.post("/questions/1/text", data={"answer": LONG_ANSWER, "csrf_token": token},
                           headers={"Origin": "http://localhost"})
        page = " ".join(resp.get_data(as_text=True).split())
        assert resp.status_code == 503 and resp.headers["Retry-After"].isdigit(), page[:400]
        assert "did not answer in time" in page and "not saved" in page and LONG_ANSWER.split()[0] in page
        spoken = (Path(__file__).parent / "fixtures" / "espeak_en.webm").read_bytes()
        resp = client.post("/questions/1/audio", data={"media": (io.BytesIO(spoken), "a.webm"), "csrf_token": token},
                           headers={"Accept": "application/json", "Origin": "http://localhost"},
                           content_type="multipart/form-data")
        error = resp.get_json()["error"]
        assert resp.status_code == 503 and "Your recording is still here" in error and "Go back" not in error, error
        assert not [p for p in Path(app.config["MEDIA_DIR"]).rglob("*") if p.is_file()]  # its file went too
        # and in a mock interview, whose step moves on before the answer is stored (the diff review)
        holder.execute("ROLLBACK")
        from tests.test_recording import _audio_session
        _, step_url, url = _audio_session(client)
        holder.execute("BEGIN EXCLUSIVE")
        resp = client.post(url, data={"media": (io.BytesIO(spoken), "a.webm"), "csrf_token": csrf_token(client, step_url)},
                           headers={"Accept": "application/json", "Origin": "http://localhost"},
                           content_type="multipart/form-data")
        assert resp.status_code == 503 and "Your recording is still here" in resp.get_json()["error"]
        assert not [p for p in Path(app.config["MEDIA_DIR"]).rglob("*") if p.is_file()]
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    resp = client.post("/questions/1/text", data={"answer": LONG_ANSWER, "csrf_token": token},
                       headers={"Origin": "http://localhost"})
    assert resp.status_code == 302


def test_a_fault_of_the_database_is_a_500_with_its_traceback_not_a_busy_503(client, auth, app, caplog):
    """A review of the 503: SQLite reports "no such column" (a bug, or a missed upgrade) as an OperationalError too,
    which was told "busy or restarting" with Retry-After, for ever, and logged in one line."""
    from webapp.errors import passing_database_failure

    assert passing_database_failure(OperationalError("x", {}, Exception("database is locked")))
    assert passing_database_failure(OperationalError("x", {}, Exception("connection failed: Connection refused")))
    assert not passing_database_failure(OperationalError("x", {}, Exception("no such column: users.nickname")))
    auth.register()
    real = login_manager._user_callback

    def broken(user_id):
        raise OperationalError("SELECT users.nickname", {}, Exception("no such column: users.nickname"))

    login_manager._user_callback = broken
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        resp = client.get("/history")
    finally:
        login_manager._user_callback = real
    assert resp.status_code == 500 and "Retry-After" not in resp.headers
    assert any(r.exc_info for r in caplog.records if "database error" in r.getMessage())
