"""A deactivated account can still download or delete its data, and do nothing else (webapp.auth.deactivated).

Its correct log-in opens a page with those two actions, carried by a short-lived token in the session cookie, not by
a session of Flask-Login (load_user still refuses the account)."""
import io
import json
import re
import zipfile
from types import SimpleNamespace

import itsdangerous.timed
import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_token
from tests.helpers import LONG_ANSWER
from tests.pdfs import text_pdf
from tests.test_interview import post_answer
from tests.test_privacy import ext_count, finish, pdfs
from webapp.admin.service import apply_user_action
from webapp.auth import deactivated
from webapp.extensions import db
from webapp.models import Answer, User

pytestmark = pytest.mark.all_databases

EMAIL, PASSWORD = "cand@example.com", "correct horse"
PAGE = "/account/deactivated"


def user_id(app, email=EMAIL):
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


def set_account(app, action, email=EMAIL):
    """An admin's "deactivate" or "reactivate" (which rotates the session token, as the users page does)."""
    with app.app_context():
        actor = db.session.scalar(select(User).where(User.role == "admin", User.active.is_(True)))
        if actor is None:
            actor = User(email="boss@example.com", role="admin")
            actor.set_password("boss password")
            db.session.add(actor)
            db.session.commit()
        apply_user_action(actor, db.session.scalar(select(User).where(User.email == email)), action)


@pytest.fixture
def candidate(client, auth, app):
    """A candidate with a written answer (analysed, in the averages) and a PDF answer, then deactivated and signed
    out; another candidate's answer is in the averages too."""
    auth.register("other@example.com")
    post_answer(client, LONG_ANSWER)
    finish(app, 1, 80.0)
    auth.logout()
    auth.register()
    post_answer(client, LONG_ANSWER, question=2)
    finish(app, 2)
    post_answer(client, pdf=text_pdf(LONG_ANSWER), question=3)
    auth.logout()
    set_account(app, "deactivate")
    return user_id(app)


def export(client, token_from=PAGE):
    return client.post(f"{PAGE}/export", data={"csrf_token": csrf_token(client, token_from)})


def token_of(client):
    with client.session_transaction() as sess:
        return sess.get(deactivated.SESSION_KEY)


def test_the_correct_password_opens_the_page_with_two_actions_and_no_session(client, auth, app, candidate):
    resp = auth.login()
    assert resp.status_code == 302 and resp.headers["Location"].endswith(PAGE)
    with client.session_transaction() as sess:
        assert "_user_id" not in sess and deactivated.SESSION_KEY in sess
    resp = client.get(PAGE)
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "private, no-store"
    html = resp.get_data(as_text=True)
    text = " ".join(html.split())
    assert "Your account is deactivated" in html and "An administrator of this site deactivated" in html
    assert "cannot practise" in text and "You have 2 stored answers" in text
    # exactly the two actions (and closing the page): no other form, no page of a signed-in user
    assert re.findall(r'<form method="post" action="([^"]+)"', html) == [
        f"{PAGE}/export", f"{PAGE}/delete", f"{PAGE}/sign-out"]
    assert ">Download my data</button>" in html and ">Delete my account and all my data</button>" in html
    assert re.search(r'<label for="account-password">Your password</label>', html)
    for page in ("/questions", "/history", "/practice", "/account", "/answers/2"):
        assert f'href="{page}"' not in html
        resp = client.get(page)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"], page
    assert client.get("/api/answers/2/status").status_code == 401
    assert client.get("/answers/2/media").status_code == 302
    # the cookie holds the account's number and a fingerprint, never its session token or password hash
    with app.app_context():
        data = deactivated._serializer().loads(token_of(client))
        user = db.session.get(User, candidate)
        assert set(data) == {"u", "f"} and data["u"] == candidate
        assert data["f"] not in (user.session_token, user.password_hash)


def test_a_wrong_password_never_reaches_the_page(client, auth, candidate):
    resp = auth.login(password="wrong horse")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "Wrong e-mail or password." in html and "deactivated" not in html
    assert token_of(client) is None
    resp = client.get(PAGE)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login")
    assert export(client, "/login").status_code == 302


def test_an_active_account_is_unaffected(client, auth, app):
    auth.register()
    auth.logout()
    resp = auth.login()
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/questions")
    assert token_of(client) is None and client.get("/questions").status_code == 200
    resp = client.get(PAGE)  # a signed-in candidate has their account page
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/account")
    assert client.post(f"{PAGE}/export", data={"csrf_token": csrf_token(client, "/account")}).status_code == 302
    assert client.get("/account").status_code == 200  # still signed in


def test_the_export_is_the_account_pages_archive(client, auth, app, candidate):
    auth.login()
    resp = export(client)
    assert resp.status_code == 200 and resp.mimetype == "application/zip" and resp.is_streamed
    assert resp.headers["Content-Disposition"].startswith("attachment; filename=interview-simulator-my-data-")
    assert "no-store" in resp.headers["Cache-Control"]
    archive = zipfile.ZipFile(io.BytesIO(resp.get_data()))
    resp.close()
    assert archive.testzip() is None
    assert json.loads(archive.read("account.json"))["email"] == EMAIL
    answers = json.loads(archive.read("answers.json"))
    assert len(answers) == 2 and all(a["question_id"] in (2, 3) for a in answers)  # not the other candidate's
    pdf = next(a for a in answers if a["file"])
    assert archive.read(pdf["file"]).startswith(b"%PDF")


def test_no_export_without_a_valid_token(client, auth, app, candidate, monkeypatch):
    # never logged in on this browser
    assert export(client, "/login").headers["Location"].endswith("/login")
    # no CSRF token
    auth.login()
    assert client.post(f"{PAGE}/export").status_code == 400
    # a forged or odd session value: the log-in page, never a 500
    for value in ("garbage", 12345, ["x"], "x" * 5000):
        with client.session_transaction() as sess:
            sess[deactivated.SESSION_KEY] = value
        resp = client.get(PAGE)
        assert resp.status_code == 302 and resp.headers["Location"].endswith("/login"), value
    page = client.get("/login").get_data(as_text=True)
    assert "That page has expired. To download or delete your data, log in again." in page
    assert token_of(client) is None  # an expired token is dropped
    # a token made for another account's fingerprint (the right id, a wrong fingerprint)
    with app.app_context():
        forged = deactivated._serializer().dumps({"u": candidate, "f": "0" * 16})
    with client.session_transaction() as sess:
        sess[deactivated.SESSION_KEY] = forged
    assert client.get(PAGE).status_code == 302


def test_the_token_expires(client, auth, app, candidate, monkeypatch):
    auth.login()
    token = csrf_token(client, PAGE)
    real = itsdangerous.timed.time.time
    minutes = app.config["DEACTIVATED_ACCESS_MINUTES"]
    assert minutes == 15
    monkeypatch.setattr(itsdangerous.timed, "time", SimpleNamespace(time=lambda: real() + (minutes - 1) * 60))
    assert client.get(PAGE).status_code == 200
    monkeypatch.setattr(itsdangerous.timed, "time", SimpleNamespace(time=lambda: real() + minutes * 60 + 5))
    resp = client.post(f"{PAGE}/export", data={"csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login")
    resp = client.post(f"{PAGE}/delete", data={"csrf_token": token, "account-password": PASSWORD})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login")
    with app.app_context():
        assert db.session.get(User, candidate) is not None


@pytest.mark.parametrize("change", ["reactivated", "reactivated and deactivated again", "new password",
                                    "signed out everywhere"])
def test_a_change_to_the_account_ends_the_token(client, auth, app, runner, candidate, change):
    auth.login()
    token = csrf_token(client, PAGE)
    if change.startswith("reactivated"):
        set_account(app, "reactivate")
        if change.endswith("again"):
            set_account(app, "deactivate")
    elif change == "new password":
        out = runner.invoke(args=["set-password", EMAIL], env={"NEW_PASSWORD": "another horse 7"})
        assert out.exit_code == 0, out.output
    else:
        out = runner.invoke(args=["sign-out-everyone"])
        assert out.exit_code == 0, out.output
    resp = client.post(f"{PAGE}/export", data={"csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login")
    assert token_of(client) is None
    if change == "reactivated":  # an active account logs in as usual again
        resp = auth.login()
        assert resp.headers["Location"].endswith("/questions") and client.get("/questions").status_code == 200


def test_deleting_takes_everything_out_of_the_averages(client, auth, app, candidate):
    auth.login()
    assert len(pdfs(app)) == 1 and ext_count(app) == 2
    token = csrf_token(client, PAGE)
    # the password again, as on the account page
    for password, message in (("", "Enter your password to confirm."),
                              ("wrong horse", "This is not your password. Nothing was deleted.")):
        resp = client.post(f"{PAGE}/delete", data={"csrf_token": token, "account-password": password})
        html = resp.get_data(as_text=True)
        assert resp.status_code == 400 and html.count(message) == 1
        assert re.search(r'<input aria-describedby="account-password-error-1" aria-invalid="true"[^>]* '
                         r'id="account-password"', html)
        assert "Your account is deactivated" in html
    assert client.post(f"{PAGE}/delete", data={"account-password": PASSWORD}).status_code == 400  # no CSRF token
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Answer).where(Answer.user_id == candidate)) == 2
    resp = client.post(f"{PAGE}/delete", data={"csrf_token": token, "account-password": PASSWORD})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/")
    html = client.get("/").get_data(as_text=True)
    assert "Your account and all your answers, files and mock interviews were deleted." in html
    assert "Your scores are out of the averages." in html
    with client.session_transaction() as sess:
        assert deactivated.SESSION_KEY not in sess and "_user_id" not in sess
    assert pdfs(app) == [] and ext_count(app) == 1  # the other candidate's stays
    with app.app_context():
        assert db.session.get(User, candidate) is None
        assert db.session.scalar(select(func.count()).select_from(Answer)) == 1
    assert client.get(PAGE).headers["Location"].endswith("/login")
    assert auth.login().status_code == 400


def test_a_deactivated_admin_keeps_the_site_with_an_active_admin(client, auth, app, make_admin):
    email, password = make_admin("asleep@example.com", "asleep password")
    with app.app_context():  # no other admin at all (only a shell makes this): the account stays
        user = db.session.scalar(select(User).where(User.email == email))
        user.active = False
        user.rotate_session()
        db.session.commit()
    auth.login(email, password)
    token = csrf_token(client, PAGE)
    resp = client.post(f"{PAGE}/delete", data={"csrf_token": token, "account-password": password})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 409 and "no other active administrator" in html and "Nothing was deleted." in html
    make_admin("second@example.com")
    # another deactivated admin does not count
    with app.app_context():
        db.session.scalar(select(User).where(User.email == "second@example.com")).active = False
        db.session.commit()
    assert client.post(f"{PAGE}/delete", data={"csrf_token": token, "account-password": password}).status_code == 409
    make_admin("third@example.com")
    resp = client.post(f"{PAGE}/delete", data={"csrf_token": token, "account-password": password})
    assert resp.status_code == 302
    with app.app_context():
        assert sorted(db.session.scalars(select(User.email))) == ["second@example.com", "third@example.com"]


def test_signing_out_closes_the_page(client, auth, candidate):
    auth.login()
    resp = client.post(f"{PAGE}/sign-out", data={"csrf_token": csrf_token(client, PAGE)})
    assert resp.status_code == 302 and token_of(client) is None
    assert "You are signed out." in client.get("/").get_data(as_text=True)
    assert client.get(PAGE).headers["Location"].endswith("/login")


def test_signing_out_ends_a_copy_of_the_cookie_too(client, auth, app, candidate):
    """A copy of the page's cookie (left in a shared computer's browser profile) opens neither the page nor the
    export once its person has signed out (it did until the token's 15 minutes ran out); their next log-in works."""
    auth.login()
    copied = client.get_cookie("session").value
    assert client.post(f"{PAGE}/sign-out", data={"csrf_token": csrf_token(client, PAGE)}).status_code == 302
    other = app.test_client()
    other.set_cookie("session", copied)
    assert other.get(PAGE).headers["Location"].endswith("/login")
    resp = other.post(f"{PAGE}/export", data={"csrf_token": csrf_token(other, "/login")})
    assert resp.status_code != 200 or resp.mimetype != "application/zip"
    auth.login()
    assert client.get(PAGE).status_code == 200


def test_the_usual_limits_apply(client, auth, app, candidate):
    """Log-in guesses count as before; the export and the password checks count under the account, as on the
    account page (conftest: WEB_CONCURRENCY=2 with in-memory counters, so each limit is halved)."""
    app.config["EXPORT_RATE_LIMIT"] = "2 per minute"  # 1 here
    app.config["PASSWORD_RATE_LIMIT"] = "4 per minute"  # 2 here
    auth.login()
    token = csrf_token(client, PAGE)
    codes = [client.post(f"{PAGE}/export", data={"csrf_token": token}).status_code for _ in range(2)]
    assert codes == [200, 429]
    codes = [client.post(f"{PAGE}/delete", data={"csrf_token": token, "account-password": "wrong horse"}).status_code
             for _ in range(3)]
    assert codes == [400, 400, 429]
    # another browser of the same account, elsewhere, shares the budget (counted per account, not per address)
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    token = csrf_token(other, "/login")
    other.post("/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token})
    assert export(other).status_code == 429


def test_log_in_guesses_still_count(client, auth, app, candidate):
    app.config["LOGIN_ACCOUNT_RATE_LIMIT"] = "4 per hour"  # 2 here
    for _ in range(2):
        assert auth.login(password="wrong horse").status_code == 400
    resp = auth.login()  # the right password, once the address's guesses are used up: refused
    assert resp.status_code == 429 and token_of(client) is None


def test_the_users_page_says_what_a_deactivated_person_can_still_do(client, auth, make_admin):
    auth.login(*make_admin())
    page = " ".join(client.get("/admin/users").get_data(as_text=True).split())
    assert "A deactivated person cannot practise or sign in, but can still download their data or delete their account" in page
