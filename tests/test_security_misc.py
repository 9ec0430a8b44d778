"""Lower-severity items of the security review: generic job errors for candidates (the detail for
admins only), capped and rate-limited retries, refusal of form text that is not UTF-8, a JSON 401
for anonymous API calls, and rate limits shared out between the web processes."""
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select

from tests.conftest import Auth, csrf_token
from tests.helpers import LONG_ANSWER
from webapp import create_app
from webapp.cli import seed_questions
from webapp.config import ROOT
from webapp.extensions import db, effective_limit, per_process_limit
from webapp.jobs import INTERNAL_ERROR_MESSAGE, run_pending
from webapp.models import Answer, User
from webapp.security import INVALID_UTF8_MESSAGE


def _user_id(app, email):
    with app.app_context():
        return db.session.execute(select(User.id).where(User.email == email)).scalar_one()


def _add_answer(app, user_id, **fields):
    with app.app_context():
        values = dict(user_id=user_id, question_id=1, modality="text", text=LONG_ANSWER,
                      word_count=len(LONG_ANSWER.split()), status="queued")
        ans = Answer(**{**values, **fields})
        db.session.add(ans)
        db.session.commit()
        return ans.id


def _answer(app, answer_id):
    with app.app_context():
        ans = db.session.get(Answer, answer_id)
        db.session.expunge(ans)
        return ans


def _answer_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Answer))


def _flashes(html):
    return " ".join(re.findall(r'class="flash flash-\w+"[^>]*>(.*?)</div>', html, re.S))


def _admin_client(app, make_admin):
    email, password = make_admin()
    admin = app.test_client()
    assert Auth(admin).login(email, password).status_code == 302
    return admin


# --- 1. a crashing analysis: generic text for the candidate, the detail for admins ------------

def test_crashing_analysis_shows_generic_text_to_candidate_and_detail_to_admin(app, client, auth, make_admin):
    auth.register("crash@example.com", "plum orchard c1")
    uid = _user_id(app, "crash@example.com")
    rel = f"{uid}/crash.webm"
    (Path(app.config["MEDIA_DIR"]) / rel).parent.mkdir(parents=True, exist_ok=True)
    (Path(app.config["MEDIA_DIR"]) / rel).write_bytes(b"\x1a\x45\xdf\xa3" + b"\x00" * 64)
    # A corrupt row (result must be an object): the analyser itself raises, a ValueError from dict().
    answer_id = _add_answer(app, uid, modality="audio", text=None, word_count=0, media_path=rel,
                            result="not an object")
    with app.app_context():
        assert run_pending() == 1
    ans = _answer(app, answer_id)
    assert ans.status == "failed" and ans.error == INTERNAL_ERROR_MESSAGE
    assert ans.error_detail.startswith("ValueError: dictionary update sequence")
    assert "Traceback" in ans.error_detail and "analyzers.py" in ans.error_detail

    technical = ("ValueError", "dictionary update", "Traceback", "analyzers.py")
    page = client.get(f"/answers/{answer_id}").get_data(as_text=True)
    assert "The analysis failed because of an internal error" in page
    assert not any(t in page for t in technical), page
    status = client.get(f"/api/answers/{answer_id}/status").get_json()
    assert status["error"] == INTERNAL_ERROR_MESSAGE and "error_detail" not in status
    assert not any(t in json.dumps(status) for t in technical)
    assert not any(t in client.get("/history").get_data(as_text=True) for t in technical)

    admin = _admin_client(app, make_admin)
    overview = admin.get("/admin/").get_data(as_text=True)
    assert f">#{answer_id}</a> (audio, 1 attempt)" in overview
    assert "Technical detail" in overview and "ValueError: dictionary update sequence" in overview
    assert "analyzers.py" in overview
    # an admin opening the candidate's own page sees what the candidate sees
    assert "ValueError" not in admin.get(f"/answers/{answer_id}").get_data(as_text=True)


def test_analysis_error_keeps_its_reason_and_has_no_detail(app):
    with app.app_context():
        user = User(email="reason@example.com")
        user.set_password("x" * 12)
        db.session.add(user)
        db.session.commit()
        uid = user.id
    answer_id = _add_answer(app, uid, modality="video", text=None, word_count=0)  # no file: AnalysisError
    with app.app_context():
        run_pending()
    ans = _answer(app, answer_id)
    assert ans.status == "failed" and "recording file is missing" in ans.error
    assert ans.error_detail is None


# --- 2. retries: capped for candidates, free for admins, rate-limited ----------------------------

def _retry(client, answer_id):
    token = csrf_token(client, f"/answers/{answer_id}")
    return client.post(f"/answers/{answer_id}/retry", data={"csrf_token": token}, follow_redirects=True)


def test_candidate_retry_is_refused_at_the_attempt_cap(app, client, auth):
    auth.register("retry@example.com", "plum orchard r1")
    uid = _user_id(app, "retry@example.com")
    cap = app.config["JOB_MAX_ATTEMPTS"]
    capped = _add_answer(app, uid, status="failed", attempts=cap, error="bad", error_detail="old detail")
    below = _add_answer(app, uid, status="failed", attempts=cap - 1, error="bad", error_detail="old detail")

    resp = _retry(client, capped)
    assert resp.status_code == 200
    assert f"already been tried {cap} times" in _flashes(resp.get_data(as_text=True))
    ans = _answer(app, capped)
    assert (ans.status, ans.attempts, ans.error) == ("failed", cap, "bad")

    resp = _retry(client, below)
    assert "queued again" in _flashes(resp.get_data(as_text=True))
    ans = _answer(app, below)
    assert ans.status == "queued" and ans.attempts == cap - 1 and ans.error is None and ans.error_detail is None


def test_candidate_retry_of_a_failure_caused_by_the_answer_is_refused(app, client, auth, make_admin):
    """A damaged file, no text, over the limits: the same analysis fails the same way; the route
    refuses it (the page shows no button, and a hand-made POST must not cost an analysis)."""
    auth.register("cause@example.com", "plum orchard c1")
    uid = _user_id(app, "cause@example.com")
    answer_id = _add_answer(app, uid, status="failed", attempts=1, error="This PDF is damaged and cannot be read.")
    assert not _answer(app, answer_id).retry_helps
    resp = _retry(client, answer_id)
    assert "Retrying would fail the same way" in _flashes(resp.get_data(as_text=True))
    assert _answer(app, answer_id).status == "failed"
    admin = _admin_client(app, make_admin)  # an admin may still, e.g. after raising a limit
    token = csrf_token(admin, "/admin/")
    resp = admin.post(f"/answers/{answer_id}/retry", data={"csrf_token": token}, follow_redirects=True)
    assert "queued again" in _flashes(resp.get_data(as_text=True))
    assert _answer(app, answer_id).status == "queued"


def test_admin_retry_past_the_cap_is_allowed_and_resets_the_count(app, auth, make_admin):
    auth.register("capped@example.com", "plum orchard k1")
    uid = _user_id(app, "capped@example.com")
    cap = app.config["JOB_MAX_ATTEMPTS"]
    answer_id = _add_answer(app, uid, status="failed", attempts=cap + 2, error="bad", error_detail="old detail")
    admin = _admin_client(app, make_admin)
    token = csrf_token(admin, "/admin/")  # the retry button of the admin overview
    resp = admin.post(f"/answers/{answer_id}/retry", data={"csrf_token": token}, follow_redirects=True)
    assert "queued again" in _flashes(resp.get_data(as_text=True))
    ans = _answer(app, answer_id)
    assert ans.status == "queued" and ans.attempts == 0 and ans.error_detail is None


def test_retries_share_the_upload_rate_limit(app, client, auth):
    app.config.update(UPLOAD_RATE_LIMIT="2 per minute", WEB_CONCURRENCY=1)
    auth.register("burst@example.com", "plum orchard b1")
    uid = _user_id(app, "burst@example.com")
    answer_id = _add_answer(app, uid, status="failed", error="bad", error_detail="internal")
    token = csrf_token(client, f"/answers/{answer_id}")
    # one typed answer and one retry use up the shared budget of 2
    assert client.post("/questions/1/text", data={"answer": LONG_ANSWER, "csrf_token": token}).status_code == 302
    assert client.post(f"/answers/{answer_id}/retry", data={"csrf_token": token}).status_code == 302
    assert _answer(app, answer_id).status == "queued"
    with app.app_context():
        db.session.get(Answer, answer_id).status = "failed"
        db.session.commit()
    resp = client.post(f"/answers/{answer_id}/retry", data={"csrf_token": token})
    assert resp.status_code == 429 and "Too many attempts" in resp.get_data(as_text=True)
    assert _answer(app, answer_id).status == "failed"  # not queued again


# --- 3. form text that is not UTF-8 ------------------------------------------------------------

def _urlencoded(fields):
    """fields: (name, bytes) pairs, percent-encoded byte by byte as a browser would."""
    return b"&".join(name.encode() + b"=" + quote(value, safe="").encode() for name, value in fields)


def _utf8_refusal(resp):
    assert resp.status_code == 400
    text = resp.get_json()["error"] if resp.is_json else resp.get_data(as_text=True).replace("&#39;", "'")
    assert INVALID_UTF8_MESSAGE in text


@pytest.mark.parametrize("answer", [b"Caf\xe9 \xff " + LONG_ANSWER.encode(),  # Latin-1 and a stray byte
                                    b"price 10\xe2\x82 " + LONG_ANSWER.encode(),  # truncated sequence
                                    b"\xed\xa0\x80 " + LONG_ANSWER.encode()])  # an encoded surrogate
def test_urlencoded_field_that_is_not_utf8_is_refused(app, client, auth, answer):
    auth.register()
    token = csrf_token(client, "/questions/1/text")
    resp = client.post("/questions/1/text", data=_urlencoded([("answer", answer), ("csrf_token", token.encode())]),
                       content_type="application/x-www-form-urlencoded")
    _utf8_refusal(resp)
    assert _answer_count(app) == 0


def test_urlencoded_body_stays_readable_after_the_check(app, client, auth):
    """The hook reads the raw body first: the CSRF check and the form still get every field."""
    auth.register()
    token = csrf_token(client, "/questions/1/text")
    text = "Café, naïve, 日本語: " + LONG_ANSWER
    resp = client.post("/questions/1/text", data=_urlencoded([("answer", text.encode()), ("csrf_token", token.encode())]),
                       content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    with app.app_context():
        assert db.session.execute(select(Answer.text)).scalar_one() == text


def test_every_form_post_is_checked_before_anything_else(app, client):
    """Log-in and sign-up too, before the CSRF check and whatever the client asks for (JSON here)."""
    for url in ("/login", "/register"):
        resp = client.post(url, data=b"email=a%FF@example.com&password=x", content_type="application/x-www-form-urlencoded")
        _utf8_refusal(resp)
        resp = client.post(url, data=b"email=\xe9@example.com", content_type="application/x-www-form-urlencoded",
                           headers={"Accept": "application/json"})
        assert resp.is_json
        _utf8_refusal(resp)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


def _multipart(fields, boundary=b"utf8-test-boundary"):
    """fields: (name, bytes, filename or None) -> (body, content type), built byte by byte."""
    out = b""
    for name, value, filename in fields:
        out += b"--" + boundary + b'\r\nContent-Disposition: form-data; name="' + name.encode() + b'"'
        if filename is not None:
            out += b'; filename="' + filename.encode() + b'"\r\nContent-Type: application/pdf'
        out += b"\r\n\r\n" + value + b"\r\n"
    return out + b"--" + boundary + b"--\r\n", f"multipart/form-data; boundary={boundary.decode()}"


def test_multipart_field_that_is_not_utf8_is_refused(app, client, auth):
    auth.register()
    token = csrf_token(client, "/questions/1/text").encode()
    # a field the view does not check itself: refused before anything else
    body, ctype = _multipart([("csrf_token", token, None), ("answer", LONG_ANSWER.encode(), None),
                              ("note", b"Caf\xe9", None)])
    _utf8_refusal(client.post("/questions/1/text", data=body, content_type=ctype))
    assert _answer_count(app) == 0
    # the written answer: refused at its field, the text kept to correct (tests/test_pdf_text.py)
    body, ctype = _multipart([("csrf_token", token, None), ("answer", b"Caf\xe9 " + LONG_ANSWER.encode(), None)])
    resp = client.post("/questions/1/text", data=body, content_type=ctype)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400 and 'id="answer-error-1">The answer contains “\ufffd” once' in page
    assert "Caf\ufffd " + LONG_ANSWER[:40] in page
    assert _answer_count(app) == 0
    # file contents are bytes, not text: a binary part is not refused for its encoding
    body, ctype = _multipart([("csrf_token", token, None), ("answer", LONG_ANSWER.encode(), None),
                              ("pdf", b"%PDF-1.4\n\xff\xfe\xe9 binary", "letter.pdf")])
    resp = client.post("/questions/1/text", data=body, content_type=ctype)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "not both" in page and "not valid UTF-8" not in page
    # and valid UTF-8 in a multipart form goes through
    body, ctype = _multipart([("csrf_token", token, None), ("answer", ("Café " + LONG_ANSWER).encode(), None)])
    assert client.post("/questions/1/text", data=body, content_type=ctype).status_code == 302
    assert _answer_count(app) == 1


# --- 4. anonymous API calls ------------------------------------------------------------------

def test_anonymous_api_call_gets_json_401_and_pages_still_redirect(app, client, auth):
    resp = client.get("/api/answers/1/status")
    assert resp.status_code == 401 and resp.is_json and "log in" in resp.get_json()["error"]
    assert "Location" not in resp.headers
    resp = client.get("/history")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/login?next=") and "history" in resp.headers["Location"]
    assert "Please log in to continue." in client.get(resp.headers["Location"]).get_data(as_text=True)
    # after logging out, the API says so again
    auth.register()
    auth.logout()
    assert client.get("/api/answers/1/status").status_code == 401


# --- 5. rate limits with several web processes ------------------------------------------------

@pytest.mark.parametrize("limit,processes,expected", [
    ("10 per minute; 50 per hour", 2, "5 per minute; 25 per hour"),
    ("20 per minute; 200 per hour", 3, "6 per minute; 66 per hour"),  # rounded down
    ("10/minute,3 per 2 seconds", 2, "5/minute,1 per 2 seconds"),
    ("1 per minute", 4, "1 per minute"),  # at least 1
    ("10 per minute", 1, "10 per minute"),
    ("10 per minute", 0, "10 per minute"),  # nonsense process counts mean one
])
def test_per_process_limit(limit, processes, expected):
    assert per_process_limit(limit, processes) == expected


def test_limits_are_shared_out_only_with_the_in_memory_storage(app):
    app.config.update(LOGIN_RATE_LIMIT="10 per minute; 50 per hour", WEB_CONCURRENCY=2)
    with app.test_request_context():
        assert effective_limit("LOGIN_RATE_LIMIT") == "5 per minute; 25 per hour"
        app.config["RATELIMIT_STORAGE_URI"] = "redis://cache:6379/0"  # shared counters: exact limits
        assert effective_limit("LOGIN_RATE_LIMIT") == "10 per minute; 50 per hour"


@pytest.fixture
def two_worker_app(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "rl2", "WEB_CONCURRENCY": 2,
                      "RATELIMIT_STORAGE_URI": "memory://", "LOGIN_RATE_LIMIT": "4 per minute",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'rl2.sqlite'}",
                      "MEDIA_DIR": str(tmp_path / "media")})
    with app.app_context():
        upgrade()
        seed_questions()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_memory_storage_app_with_two_workers_applies_half_the_limit(two_worker_app):
    client = two_worker_app.test_client()
    token = csrf_token(client, "/login")

    def bad_login():
        return client.post("/login", data={"email": "nobody@example.com", "password": "wrong password",
                                           "csrf_token": token})
    assert [bad_login().status_code for _ in range(2)] == [400, 400]
    resp = bad_login()
    assert resp.status_code == 429 and "the limit is 2 per minute" in resp.get_data(as_text=True)


def _web_concurrency_in_subprocess(value):
    env = {k: v for k, v in os.environ.items() if k != "WEB_CONCURRENCY"}
    if value is not None:
        env["WEB_CONCURRENCY"] = value
    out = subprocess.run([sys.executable, "-c", "from webapp.config import Config; print(Config.WEB_CONCURRENCY)"],
                         env=env, cwd=ROOT, check=True, capture_output=True, text=True, timeout=120)
    return int(out.stdout.strip().splitlines()[-1])


def test_web_concurrency_is_read_from_the_environment_like_gunicorn():
    assert _web_concurrency_in_subprocess(None) == 2  # gunicorn.conf.py's default too
    assert _web_concurrency_in_subprocess("4") == 4


def test_signed_in_pages_and_files_are_kept_in_no_cache(app, client, auth):
    """A candidate's pages and files (a PDF here) are sent with "no-store", so the next user of a shared
    computer finds none of them in the browser's cache; the site's static files stay cacheable (found by a
    privacy review: recordings and heat maps were sent with "no-cache", which lets the browser store them)."""
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")
    auth.register()
    token = csrf_token(client, "/questions/1/text")
    resp = client.post("/questions/1/text", data={"csrf_token": token, "pdf": (io.BytesIO(b"%PDF-1.4 a letter"), "l.pdf")},
                       content_type="multipart/form-data")
    answer = resp.headers["Location"]
    for url in (answer, answer + "/media", "/history", "/account", "/practice", "/questions"):
        resp = client.get(url)
        assert resp.status_code == 200 and resp.headers["Cache-Control"] == "private, no-store", url
    assert "no-store" not in client.get("/static/css/app.css").headers.get("Cache-Control", "")


def test_media_files_are_private_to_the_server_user_and_a_cleared_folder_goes(app, client, auth):
    """Recordings and PDFs are readable by the server's user only (files 0600, folders 0700), and deleting
    all of one's data leaves no empty folder named after the account (found by a privacy review)."""
    import stat
    auth.register()
    token = csrf_token(client, "/questions/1/text")
    client.post("/questions/1/text", data={"csrf_token": token, "pdf": (io.BytesIO(b"%PDF-1.4 a letter"), "l.pdf")},
                content_type="multipart/form-data")
    with app.app_context():
        rel = db.session.scalar(select(Answer.media_path))
        from webapp import media
        path = media.absolute(rel)
        media.write_derived(rel, ".cam.png", b"png")
    for p, mode in ((path, 0o600), (path.parent, 0o700), (Path(str(path) + ".cam.png"), 0o600)):
        assert stat.S_IMODE(p.stat().st_mode) == mode, p
    # and so are the media folder itself (its sub-folders are named after accounts) and the SQLite files, which hold
    # e-mail addresses, password hashes and answers (0644 under the usual umask: found by a security review)
    assert stat.S_IMODE(Path(app.config["MEDIA_DIR"]).stat().st_mode) == 0o700
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        db_file = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
        found = [f for f in (db_file, Path(f"{db_file}-wal"), Path(f"{db_file}-shm")) if f.exists()]
        for f in found:  # as the usual umask 022 leaves them (the test would pass anyway under umask 077)
            f.chmod(0o644)
        with app.app_context():  # a process opening the database makes them private again
            db.engine.dispose()
            db.session.execute(select(func.count()).select_from(User))
            db.session.remove()
        assert db_file in found and all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in found), found
    resp = client.post("/account/delete-data", data={"csrf_token": csrf_token(client, "/account"), "data-password": "correct horse"})
    assert resp.status_code == 302 and not path.exists() and not path.parent.exists()


def test_a_stored_file_is_sent_as_what_it_is_whatever_its_name(app, client, auth):
    """A valid PDF uploaded as "Cover letter.html" was sent back as text/html, inline: a page of the candidate's
    making on this site, which an admin opening the file would see (it could send them elsewhere: found by a
    security review). The type comes from what the upload checks found; the name keeps the stored suffix."""
    auth.register()
    token = csrf_token(client, "/questions/1/text")
    resp = client.post("/questions/1/text", content_type="multipart/form-data", data={
        "csrf_token": token, "pdf": (io.BytesIO(b'%PDF-1.4\n%<meta http-equiv="refresh" content="0;url=https://example.org">'),
                                     "Cover letter.html")})
    media = client.get(resp.headers["Location"] + "/media")
    assert media.status_code == 200 and media.mimetype == "application/pdf"
    assert media.headers["X-Content-Type-Options"] == "nosniff"
    assert 'filename="Cover letter.html.pdf"' in media.headers["Content-Disposition"]
    from webapp.dashboard.routes import stored_type
    assert stored_type(Answer(media_path="1/x.webm", modality="video")) == "video/webm"
    assert stored_type(Answer(media_path="1/x.webm", modality="audio")) == "audio/webm"
    assert stored_type(Answer(media_path="1/x.html", modality="text")) == "application/octet-stream"


def test_a_deleted_answers_text_leaves_the_sqlite_files(app, client, auth):
    """SQLite: a deleted answer's text is neither in the database file's free pages nor in its write-ahead log
    (which kept it until a later checkpoint: found by a privacy review)."""
    auth.register()
    marker = "zqxjvwmarker"
    token = csrf_token(client, "/questions/1/text")
    page = client.post("/questions/1/text", data={"csrf_token": token, "answer": f"{marker} " + LONG_ANSWER})
    answer_id = int(page.headers["Location"].rsplit("/", 1)[1])
    db_file = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    files = [db_file, Path(str(db_file) + "-wal")]
    assert any(marker.encode() in f.read_bytes() for f in files if f.exists())
    resp = client.post(f"/answers/{answer_id}/delete", data={"csrf_token": csrf_token(client, f"/answers/{answer_id}")})
    assert resp.status_code == 302
    assert not any(marker.encode() in f.read_bytes() for f in files if f.exists())


def test_a_fields_errors_are_tied_to_it(client, auth):
    """A refused form marks the field invalid and points it at its error (after its hint), so a screen reader
    says what is wrong (found by an accessibility review: the errors were loose paragraphs)."""
    auth.register()
    page = client.post("/practice", data={"mode": "written", "count": 0, "category": "mixed",
                                          "csrf_token": csrf_token(client, "/practice")}).get_data(as_text=True)
    count = re.search(r"<input[^>]*name=\"count\"[^>]*>", page).group(0)
    assert 'aria-invalid="true"' in count and 'aria-describedby="count-hint count-error-1"' in count
    assert re.search(r'<p class="error" id="count-error-1">[^<]+</p>', page)
    assert 'id="count-hint"' in page
    plain = client.get("/practice").get_data(as_text=True)
    assert "aria-invalid" not in plain and 'aria-describedby="count-hint"' in plain


def test_flask_private_media_narrows_files_stored_before(app, runner):
    """Files and folders stored before the 0600/0700 rule are narrowed by `flask private-media`."""
    import stat
    root = Path(app.config["MEDIA_DIR"])
    (root / "7").mkdir(parents=True, mode=0o755)
    old = root / "7" / "old.webm"
    old.write_bytes(b"webm")
    old.chmod(0o644)
    result = runner.invoke(args=["private-media"])
    assert result.exit_code == 0 and "1 files and 1 folders" in result.output
    assert stat.S_IMODE(old.stat().st_mode) == 0o600 and stat.S_IMODE((root / "7").stat().st_mode) == 0o700


def test_a_urlencoded_body_over_the_form_limit_is_refused_before_it_is_read(app, client, monkeypatch):
    """The security review: the UTF-8 check runs before routing and the log-in check, and decoding a 59 MB body of
    "%ab" took a worker to 4.8 GB. A body over MAX_FORM_MEMORY_SIZE (which the form parser would refuse anyway) is
    refused (413) unread, on any address; one under it is still checked."""
    from flask import Request
    read = []
    real = Request.get_data
    monkeypatch.setattr(Request, "get_data", lambda self, *a, **k: read.append(1) or real(self, *a, **k))
    big = b"%ab" * (app.config["MAX_FORM_MEMORY_SIZE"] // 3 + 1)
    for url in ("/login", "/no-such-page"):
        resp = client.post(url, data=big, content_type="application/x-www-form-urlencoded")
        assert resp.status_code == 413
    assert read == []
    _utf8_refusal(client.post("/login", data=b"%ab" * 1000, content_type="application/x-www-form-urlencoded"))
    assert read


def test_a_huge_crafted_address_gets_the_length_error_alone(client):
    """A 400,000-character "a@....@" once kept the e-mail regular expression busy for minutes (its time grew with the
    square of the length): the length check now stops the field's checks, and the address check is one pass."""
    from webapp.auth.forms import looks_like_email
    token = csrf_token(client, "/register")
    crafted = "a@" + "." * 400_000 + "@"
    resp = client.post("/register", data={"email": crafted, "password": "correct horse", "confirm": "correct horse",
                                          "csrf_token": token})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "E-mail is too long: at most 254 characters (400,003 here)." in page
    assert "Enter a valid e-mail address." not in page  # the checks after the length never ran
    assert not looks_like_email(crafted)  # and the check itself is one pass, whatever the length
    assert [looks_like_email(a) for a in ("ann@example.com", "a@b.c", "a@b", "@b.c", "a@.c", "a@@b.c", "a b@c.d")] \
        == [True, True, False, False, False, False, False]


def test_text_edges_and_line_ends_are_read_in_one_pass():
    """A word or a PDF line of tens of thousands of characters: punctuation at its ends and a hyphen at its end are
    found without a regular expression anchored at the end (whose time grew with the square of the length)."""
    from ml.speech.metrics import norm
    from webapp.uploads import unwrap_lines
    assert norm("a" + "." * 50_000 + "b!") == "a" + "." * 50_000 + "b" and norm("“Door.”") == "door"
    long_line = "x" * 60_000 + "1-"
    assert unwrap_lines(long_line + "\n" + "y" * 50_000) == long_line + " " + "y" * 50_000  # joined, no word split
