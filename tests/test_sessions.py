"""Sessions that can be revoked (the security issue's account takeover, reproduced).

Flask-Login's session and remember cookies carry the user's random session token, never the
numeric id; the token rotates at logout, password change and "sign out everywhere", and ids of
deleted rows are never handed out again, so an old cookie can never open someone else's account.
"""
import io

import pytest
from sqlalchemy import func, select

from tests.conftest import Auth, csrf_token
from tests.helpers import LONG_ANSWER
from webapp.extensions import db
from webapp.models import Answer, User

pytestmark = pytest.mark.all_databases

COOKIES = ("session", "remember_token")


def login_remembered(client, email, password="correct horse"):
    token = csrf_token(client, "/login")
    resp = client.post("/login", data={"email": email, "password": password, "remember": "y", "csrf_token": token})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    assert client.get_cookie("remember_token") is not None
    return {name: client.get_cookie(name).value for name in COOKIES if client.get_cookie(name)}


def replay(app, cookies, only=None):
    """A fresh browser holding the saved cookies (or only some of them)."""
    client = app.test_client()
    for name, value in cookies.items():
        if only is None or name in only:
            client.set_cookie(name, value)
    return client


def signed_in_as(client):
    resp = client.get("/account")
    if resp.status_code != 200:
        return None
    html = resp.get_data(as_text=True)
    return html.split("Signed in as <strong>", 1)[1].split("</strong>", 1)[0]


def test_cookies_of_a_deleted_account_do_not_open_the_next_account(app, client):
    auth = Auth(client)
    auth.register("first@example.com")
    auth.logout()
    saved = login_remembered(client, "first@example.com")
    assert signed_in_as(replay(app, saved)) == "first@example.com"
    with app.app_context():
        first_id = db.session.execute(select(User.id).where(User.email == "first@example.com")).scalar_one()
    token = csrf_token(client, "/account")
    assert client.post("/account/delete", data={"csrf_token": token, "account-password": "correct horse"}).status_code == 302

    other = app.test_client()
    Auth(other).register("second@example.com")
    token = csrf_token(other, "/questions/1/text")
    assert other.post("/questions/1/text", data={"answer": LONG_ANSWER, "csrf_token": token}).status_code == 302
    with app.app_context():
        second_id = db.session.execute(select(User.id).where(User.email == "second@example.com")).scalar_one()
    assert second_id != first_id  # the deleted account's id is not handed out again

    for only in (None, {"session"}, {"remember_token"}):
        old = replay(app, saved, only)
        assert signed_in_as(old) is None, only
        assert old.get("/history").status_code == 302
        assert "second@example.com" not in old.get("/questions").get_data(as_text=True)


def test_cookies_stop_working_after_logout(app, client):
    auth = Auth(client)
    auth.register()
    auth.logout()
    saved = login_remembered(client, "cand@example.com")
    assert signed_in_as(replay(app, saved, {"remember_token"})) == "cand@example.com"  # "remember me" works
    auth.logout()
    for only in (None, {"session"}, {"remember_token"}):
        assert signed_in_as(replay(app, saved, only)) is None, only
    # and logging in again works, with a new session
    assert Auth(client).login().status_code == 302
    assert signed_in_as(client) == "cand@example.com"


def test_keep_me_logged_in_ends_after_remember_days_on_the_server_too(app, client, monkeypatch):
    """A copied remember cookie given a longer life by hand still ends after REMEMBER_DAYS (30): the signed value
    carries its end."""
    import time as time_module
    auth = Auth(client)
    auth.register()
    auth.logout()
    saved = login_remembered(client, "cand@example.com")
    now = time_module.time()
    monkeypatch.setattr(time_module, "time", lambda: now + 29 * 86400)
    assert signed_in_as(replay(app, saved, {"remember_token"})) == "cand@example.com"
    assert signed_in_as(replay(app, saved, {"session"})) == "cand@example.com"
    # 30 days and an hour: before Flask's own limit on the session cookie (PERMANENT_SESSION_LIFETIME, 31 days)
    monkeypatch.setattr(time_module, "time", lambda: now + 30 * 86400 + 3600)
    for only in (None, {"session"}, {"remember_token"}):
        assert signed_in_as(replay(app, saved, only)) is None, only


def test_a_sign_in_without_keep_me_logged_in_ends_after_session_hours_on_the_server(app, client, monkeypatch):
    """The security review: a plain sign-in's cookie carried the bare session token, so a copy of it worked until the
    account signed out. It now carries its end, SESSION_HOURS (12) after the sign-in. Past it the browser is simply
    signed out, with nothing lost: other pages lead to the log-in page (never an error page), a written answer comes
    back on the signed-out page with its text ("Submit again"), and the recorder is told to sign in again, keeping
    its recording."""
    import time as time_module
    from datetime import timedelta

    assert app.config["SESSION_DURATION"] == timedelta(hours=12)
    auth = Auth(client)
    auth.register()
    auth.logout()
    now = time_module.time()
    assert auth.login().status_code == 302
    assert client.get_cookie("remember_token") is None
    with client.session_transaction() as sess:
        token, _, until = sess["_user_id"].partition(".")
    assert abs(int(until) - (now + 12 * 3600)) < 60
    saved = {"session": client.get_cookie("session").value}
    form_token = csrf_token(client, "/questions/1/text")  # a page opened before the session ended
    monkeypatch.setattr(time_module, "time", lambda: now + 11.9 * 3600)
    assert signed_in_as(replay(app, saved)) == "cand@example.com"
    monkeypatch.setattr(time_module, "time", lambda: now + 12 * 3600 + 60)
    assert signed_in_as(replay(app, saved)) is None  # a copy of the cookie too
    resp = client.get("/account")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
    page = client.get(resp.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Please log in to continue." in html and 'name="password"' in html
    site = {"Origin": "http://localhost"}
    typed = "Written while the session ran out: " + "word " * 60
    resp = client.post("/questions/1/text", data={"answer": typed, "csrf_token": form_token}, headers=site)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 401 and typed.strip() in html and "Submit again" in html
    resp = client.post("/questions/2/audio", content_type="multipart/form-data",
                       headers={"Accept": "application/json", "X-CSRFToken": form_token, **site},
                       data={"media": (io.BytesIO(b"\x1aE\xdf\xa3 not really"), "a.webm")})
    assert resp.status_code == 401 and resp.get_json()["login_url"] == "/login"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Answer)) == 0
    # signing in again starts another 12 hours
    assert auth.login().status_code == 302 and signed_in_as(client) == "cand@example.com"
    # the setting decides the length
    app.config["SESSION_DURATION"] = timedelta(hours=2)
    auth.logout()
    auth.login()
    with client.session_transaction() as sess:
        assert abs(int(sess["_user_id"].partition(".")[2]) - (time_module.time() + 2 * 3600)) < 60


def test_a_session_from_before_sign_ins_had_an_end_signs_in_once_more(app, client):
    """Cookies issued before every sign-in carried its end (a plain session's bare token, and a "Keep me logged in"
    cookie from before its end was written in) worked until the account signed out: they are the finding itself,
    so they end at the upgrade, cleanly: the log-in page, and a sign-in works."""
    from flask_login.utils import encode_cookie

    Auth(client).register()
    with app.app_context():
        bare = db.session.execute(select(User.session_token)).scalar_one()
        old_remember = encode_cookie(bare)
    old = app.test_client()
    with old.session_transaction() as sess:
        sess["_user_id"] = bare
        sess["_fresh"] = True
    assert signed_in_as(old) is None
    resp = old.get("/account", follow_redirects=True)
    assert resp.status_code == 200 and "Please log in to continue." in resp.get_data(as_text=True)
    remembered = app.test_client()
    remembered.set_cookie("remember_token", old_remember)
    assert signed_in_as(remembered) is None
    assert Auth(old).login().status_code == 302 and signed_in_as(old) == "cand@example.com"


def test_sign_out_everywhere_ends_other_sessions(app, client):
    Auth(client).register()
    laptop = app.test_client()
    login_remembered(laptop, "cand@example.com")
    assert signed_in_as(laptop) == "cand@example.com"
    token = csrf_token(client, "/account")
    resp = client.post("/account/sign-out-everywhere", data={"csrf_token": token})
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert signed_in_as(laptop) is None
    assert signed_in_as(client) is None


def test_password_change_signs_out_other_devices_and_checks_the_new_password(app, client):
    Auth(client).register()
    laptop = app.test_client()
    login_remembered(laptop, "cand@example.com")
    token = csrf_token(client, "/account")

    def change(current, new, confirm=None):
        return client.post("/account/password", data={"csrf_token": token, "current": current, "password": new,
                                                      "confirm": confirm or new})

    resp = change("wrong password", "a brand new phrase")
    assert resp.status_code == 400 and "not your current password" in resp.get_data(as_text=True)
    resp = change("correct horse", "12345678")
    assert resp.status_code == 400 and "too easy to guess" in resp.get_data(as_text=True)
    assert signed_in_as(laptop) == "cand@example.com"  # nothing changed yet
    resp = change("correct horse", "a brand new phrase")
    assert resp.status_code == 302
    assert signed_in_as(client) == "cand@example.com"  # this device stays signed in
    assert signed_in_as(laptop) is None
    Auth(client).logout()
    assert Auth(client).login(password="correct horse").status_code == 400
    assert Auth(client).login(password="a brand new phrase").status_code == 302


def test_session_and_csrf_token_rotate_at_login_and_logout(app, client):
    auth = Auth(client)
    auth.register()
    auth.logout()
    before_login = csrf_token(client, "/login")
    anonymous_session = client.get_cookie("session").value
    assert auth.login().status_code == 302
    after_login = csrf_token(client, "/questions")
    assert after_login != before_login
    assert client.get_cookie("session").value != anonymous_session
    # the anonymous token no longer works once logged in
    resp = client.post("/questions/1/text", data={"answer": LONG_ANSWER, "csrf_token": before_login})
    assert resp.status_code == 400
    auth.logout()
    assert csrf_token(client, "/login") not in (before_login, after_login)


def test_the_cookie_carries_no_user_id(app, client):
    Auth(client).register()
    with client.session_transaction() as sess:
        carried, _, until = sess["_user_id"].partition(".")
    with app.app_context():
        user = db.session.execute(select(User)).scalar_one()
        assert carried == user.session_token and carried != str(user.id) and len(carried) >= 40 and until.isdecimal()
    with client.session_transaction() as sess:  # a forged session naming an id gets nowhere
        sess["_user_id"] = "1"
    assert signed_in_as(client) is None


def test_ids_of_deleted_rows_are_never_reused(app):
    with app.app_context():
        users = [User(email=f"u{i}@example.com", role="candidate") for i in range(3)]
        for u in users:
            u.set_password("x" * 8)
        db.session.add_all(users)
        db.session.commit()
        answers = [Answer(user_id=users[0].id, question_id=1, modality="text", text="t") for _ in range(2)]
        db.session.add_all(answers)
        db.session.commit()
        top_user, top_answer = users[-1].id, answers[-1].id
        db.session.delete(users[-1])
        db.session.delete(answers[-1])
        db.session.commit()
        again = User(email="again@example.com", role="candidate")
        again.set_password("x" * 8)
        db.session.add(again)
        db.session.add(Answer(user_id=users[0].id, question_id=1, modality="text", text="t"))
        db.session.commit()
        assert again.id > top_user
        assert db.session.scalar(select(Answer.id).order_by(Answer.id.desc()).limit(1)) > top_answer


def test_login_costs_a_hash_check_for_unknown_addresses_too(app, client, monkeypatch):
    """The same work whether or not the address has an account (no timing oracle)."""
    import werkzeug.security

    import webapp.auth.routes
    import webapp.models

    Auth(client).register()
    Auth(client).logout()
    calls = []
    real = werkzeug.security.check_password_hash
    for module in (webapp.auth.routes, webapp.models):
        monkeypatch.setattr(module, "check_password_hash", lambda h, p: calls.append(h) or real(h, p))
    assert Auth(client).login(email="nobody@example.com", password="whatever it is").status_code == 400
    assert Auth(client).login(password="wrong password").status_code == 400
    assert len(calls) == 2
    assert calls[0].split("$")[0] == calls[1].split("$")[0]  # the same hashing method and cost


@pytest.mark.parametrize("password, why", [
    ("12345678", "too easy to guess"),
    ("password1", "too easy to guess"),
    ("newcomer@example.com", "e-mail address"),
    ("newcomer1", "e-mail address"),
    ("short", "at least 8"),
])
def test_weak_passwords_are_refused_at_sign_up(client, password, why):
    resp = Auth(client).register("newcomer@example.com", password)
    assert resp.status_code == 400 and why in resp.get_data(as_text=True)


def test_sign_up_does_not_say_whether_an_address_has_an_account(client):
    Auth(client).register()
    Auth(client).logout()
    taken = Auth(client).register("cand@example.com", "a different phrase")
    assert taken.status_code == 400
    body = taken.get_data(as_text=True)
    assert "already exists" not in body and "could not be created" in body


def test_deleting_the_account_removes_its_media_folder(app, client):
    from pathlib import Path

    from tests.pdfs import text_pdf

    Auth(client).register()
    token = csrf_token(client, "/questions/1/text")
    import io
    resp = client.post("/questions/1/text", data={"csrf_token": token, "answer": "",
                                                  "pdf": (io.BytesIO(text_pdf(LONG_ANSWER)), "letter.pdf")},
                       content_type="multipart/form-data")
    assert resp.status_code == 302
    with app.app_context():
        user_id = db.session.execute(select(User.id)).scalar_one()
    folder = Path(app.config["MEDIA_DIR"]) / str(user_id)
    assert any(folder.iterdir())
    token = csrf_token(client, "/account")
    assert client.post("/account/delete", data={"csrf_token": token, "account-password": "correct horse"}).status_code == 302
    assert not folder.exists()


def test_deactivating_an_account_ends_its_sessions_for_good(app, client, make_admin):
    """The security review: deactivation refused the account's cookies, but reactivating it brought them back (an
    account deactivated because it was taken over gave the attacker's cookies back)."""
    auth = Auth(client)
    auth.register("dave@example.com")
    auth.logout()
    saved = login_remembered(client, "dave@example.com")
    with app.app_context():
        dave = db.session.execute(select(User.id).where(User.email == "dave@example.com")).scalar_one()
    admin = app.test_client()
    Auth(admin).login(*make_admin())
    for action in ("deactivate", "reactivate"):
        token = csrf_token(admin, "/admin/users")
        assert admin.post(f"/admin/users/{dave}/{action}", data={"csrf_token": token}).status_code == 302
    assert signed_in_as(replay(app, saved)) is None
    assert signed_in_as(replay(app, saved, only={"remember_token"})) is None


def test_sign_out_everyone_ends_every_session_and_remember_cookie(app, client, runner):
    auth = Auth(client)
    auth.register()
    auth.logout()
    saved = login_remembered(client, "cand@example.com")
    assert signed_in_as(replay(app, saved, {"remember_token"})) == "cand@example.com"
    result = runner.invoke(args=["sign-out-everyone"])
    assert result.exit_code == 0 and "Signed out 1 account everywhere" in result.output
    for only in (None, {"session"}, {"remember_token"}):
        assert signed_in_as(replay(app, saved, only)) is None, only
