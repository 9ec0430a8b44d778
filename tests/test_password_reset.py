"""Password-reset links (the site sends no e-mail: an admin makes a link for a candidate) and
`flask set-password`."""
import re
import time

import pytest
from sqlalchemy import select

from tests.conftest import Auth, csrf_token
from webapp.extensions import db
from webapp.models import User

NEW = "quiet meadow lantern"


def reset_link(client, user_email):
    """As the signed-in admin: make the link for `user_email` from the users page; return its path."""
    with client.application.app_context():
        user_id = db.session.execute(select(User.id).where(User.email == user_email)).scalar_one()
    resp = client.post(f"/admin/users/{user_id}/reset-link", data={"csrf_token": csrf_token(client, "/admin/users")})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    return re.search(r'value="http://localhost(/reset-password/[^"]+)"', resp.get_data(as_text=True)).group(1)


def set_password(client, path, password=NEW, confirm=None):
    token = csrf_token(client, path)
    return client.post(path, data={"password": password, "confirm": confirm or password, "csrf_token": token})


@pytest.fixture
def link(app, client, auth, make_admin):
    """A candidate (signed in on another device) and the admin's reset link for them."""
    candidate = app.test_client()
    Auth(candidate).register()
    email, password = make_admin()
    auth.login(email, password)
    path = reset_link(client, "cand@example.com")
    auth.logout()
    return path, candidate


def test_the_link_sets_the_password_once_and_signs_out_everywhere(app, client, auth, link):
    path, candidate = link
    html = client.get(path).get_data(as_text=True)
    assert "cand@example.com" in html and 'autocomplete="new-password"' in html
    assert set_password(client, path, confirm="something else").status_code == 400
    resp = set_password(client, path)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login")
    assert candidate.get("/account").status_code == 302  # the other device was signed out
    assert auth.login(password="correct horse").status_code == 400
    assert auth.login(password=NEW).status_code == 302
    auth.logout()
    # used: the link no longer opens the form, and a second set is refused
    resp = client.get(path)
    assert resp.status_code == 400 and "does not work" in resp.get_data(as_text=True)
    assert client.post(path, data={"password": "another long one 9", "confirm": "another long one 9",
                                   "csrf_token": csrf_token(client, "/login")}).status_code == 400
    assert auth.login(password=NEW).status_code == 302


def test_the_link_ends_when_the_password_changes_otherwise(app, client, auth, link):
    path, candidate = link
    token = csrf_token(candidate, "/account")
    assert candidate.post("/account/password", data={"csrf_token": token, "current": "correct horse",
                                                     "password": NEW, "confirm": NEW}).status_code == 302
    assert client.get(path).status_code == 400


def test_the_link_expires(app, client, link):
    path, _ = link
    app.config["PASSWORD_RESET_HOURS"] = 0
    time.sleep(1.1)
    assert client.get(path).status_code == 400


def test_a_weak_password_is_refused_and_the_link_still_works(client, link):
    path, _ = link
    resp = set_password(client, path, password="password1")
    assert resp.status_code == 400 and "too easy to guess" in resp.get_data(as_text=True)
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("tamper", [lambda p: p[:-2] + ("AA" if not p.endswith("AA") else "BB"),
                                    lambda p: "/reset-password/" + "x" * 300, lambda p: "/reset-password/abc"])
def test_a_forged_or_damaged_link_is_refused(client, link, tamper):
    path, _ = link
    resp = client.get(tamper(path))
    assert resp.status_code == 400 and "Ask an administrator of this site for a new one" in resp.get_data(as_text=True)


def test_a_link_made_for_a_candidate_stops_once_the_account_is_an_admin(app, client, link):
    """Links are for candidates only: whoever holds one must not get an admin's account by a later promotion."""
    path, _ = link
    with app.app_context():
        db.session.execute(select(User).where(User.email == "cand@example.com")).scalar_one().role = "admin"
        db.session.commit()
    assert client.get(path).status_code == 400
    assert client.post(path, data={"password": NEW, "confirm": NEW,
                                   "csrf_token": csrf_token(client, "/login")}).status_code == 400


def test_a_link_older_than_its_hours_is_refused(app, client, make_admin, monkeypatch):
    from itsdangerous.timed import TimestampSigner
    from webapp.auth.reset import make_token
    Auth(app.test_client()).register()
    real = TimestampSigner.get_timestamp
    with app.test_request_context():
        user = db.session.execute(select(User).where(User.email == "cand@example.com")).scalar_one()
        monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) - 24 * 3600 - 5)
        old = make_token(user)
        monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) - 24 * 3600 + 60)
        fresh = make_token(user)
        monkeypatch.setattr(TimestampSigner, "get_timestamp", real)
    assert client.get(f"/reset-password/{old}").status_code == 400
    assert client.get(f"/reset-password/{fresh}").status_code == 200


def test_a_deactivated_or_deleted_account_cannot_use_its_link(app, client, link):
    path, _ = link
    with app.app_context():
        user = db.session.execute(select(User).where(User.email == "cand@example.com")).scalar_one()
        user.active = False
        db.session.commit()
    assert client.get(path).status_code == 400
    with app.app_context():
        db.session.delete(db.session.execute(select(User).where(User.email == "cand@example.com")).scalar_one())
        db.session.commit()
    assert client.get(path).status_code == 400


@pytest.mark.parametrize("how", ["deactivate-reactivate", "sign-out-everyone", "sign-out-everywhere"])
def test_whatever_ends_the_accounts_sessions_ends_its_link(app, client, runner, link, how):
    """A link made before the account was taken over and deactivated (then reactivated), before `flask
    sign-out-everyone` after a leak, or before its candidate signed out everywhere, no longer sets the password (it
    did: its fingerprint covered the password only)."""
    path, candidate = link
    if how == "deactivate-reactivate":
        with app.app_context():
            user = db.session.execute(select(User).where(User.email == "cand@example.com")).scalar_one()
            user.active = False
            user.rotate_session()  # as the admin's deactivation does
            db.session.commit()
            user.active = True
            db.session.commit()
    elif how == "sign-out-everyone":
        assert runner.invoke(args=["sign-out-everyone"]).exit_code == 0
    else:
        assert candidate.post("/account/sign-out-everywhere",
                              data={"csrf_token": csrf_token(candidate, "/account")}).status_code == 302
    assert client.get(path).status_code == 400
    token = csrf_token(client, "/login")
    assert client.post(path, data={"password": NEW, "confirm": NEW, "csrf_token": token}).status_code == 400
    assert Auth(app.test_client()).login(password=NEW).status_code != 302  # the password is unchanged


def test_no_link_for_oneself_another_admin_or_a_deactivated_account(app, client, auth, make_admin):
    Auth(app.test_client()).register("off@example.com")
    email, password = make_admin()
    make_admin("second@example.com")
    auth.login(email, password)
    with app.app_context():
        ids = dict(db.session.execute(select(User.email, User.id)).all())
        db.session.get(User, ids["off@example.com"]).active = False
        db.session.commit()
    token = csrf_token(client, "/admin/users")
    for address, message in [(email, "Change your own password on your account page."),
                             ("second@example.com", "is an admin: set an admin&#39;s password on the server"),
                             ("off@example.com", "is deactivated: reactivate the account first.")]:
        resp = client.post(f"/admin/users/{ids[address]}/reset-link", data={"csrf_token": token}, follow_redirects=True)
        assert resp.status_code == 200 and message in resp.get_data(as_text=True), address
    assert client.post("/admin/users/999999/reset-link", data={"csrf_token": token}).status_code == 404


def test_the_link_starts_with_the_public_url_when_set(app, client, auth, make_admin):
    Auth(app.test_client()).register("c@example.com")
    app.config["PUBLIC_URL"] = "https://interview.example.org"
    email, password = make_admin()
    auth.login(email, password)
    with app.app_context():
        uid = db.session.execute(select(User.id).where(User.email == "c@example.com")).scalar_one()
    html = client.post(f"/admin/users/{uid}/reset-link", data={"csrf_token": csrf_token(client, "/admin/users")}
                       ).get_data(as_text=True)
    assert re.search(r'value="https://interview\.example\.org/reset-password/[^"]+"', html)


def test_the_users_page_offers_the_link_for_active_candidates_only(app, client, auth, make_admin):
    Auth(app.test_client()).register("c@example.com")
    email, password = make_admin()
    auth.login(email, password)
    html = client.get("/admin/users").get_data(as_text=True)
    assert html.count("Password-reset link<span") == 1 and "for c@example.com" in html


def test_the_token_is_masked_in_the_request_log(app, link):
    """The request log (webapp.logs, on outside tests) writes the path of each request: not the link's token."""
    from webapp.logs import logged_path
    path, _ = link
    # a link with a character added; a token of one letter; a mangled one with a quote or a space in it (decoded)
    for masked in (path, path + "/", "/reset-password/e", '/reset-password/"' + path[16:], "/reset-password/x%20" + path[16:]):
        with app.test_request_context(masked):
            assert logged_path() == "/reset-password/***"
    with app.test_request_context("/questions/1/text"):
        assert logged_path() == "/questions/1/text"


def test_the_link_page_is_not_cached_nor_sent_as_referer_to_other_sites(client, link):
    path, _ = link
    for resp in (client.get(path), client.get(path + "x")):
        assert resp.headers["Cache-Control"] == "private, no-store" and resp.headers["Referrer-Policy"] == "strict-origin"


def test_over_https_the_form_goes_through_with_the_referer_its_page_lets_the_browser_send(app, client, link):
    """Over HTTPS Flask-WTF wants a Referer of this site (no-referrer made the form fail: tests/browser/test_https)."""
    path, _ = link
    https = "https://localhost"
    token = csrf_token(client, path)
    data = {"password": NEW, "confirm": NEW, "csrf_token": token}
    assert client.post(path, base_url=https, data=data).status_code == 400  # no Referer at all
    resp = client.post(path, base_url=https, data=data, headers={"Referer": https + "/"})  # strict-origin's
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login")


def test_someone_signed_in_as_another_account_is_told(app, client, auth, link):
    path, _ = link
    auth.register("other@example.com")
    page = " ".join(client.get(path).get_data(as_text=True).split())
    assert 'id="reset-other-account"' in page and "signed in here as other@example.com, not cand@example.com" in page


def test_set_password_command(app, runner, auth):
    auth.register()
    result = runner.invoke(args=["set-password", "CAND@example.com", "--password", NEW])
    assert result.exit_code == 0 and "is set" in result.output
    assert auth.login(password=NEW).status_code == 302
    for args, message in [(["nobody@example.com", "--password", NEW], "no account has the address"),
                          (["cand@example.com", "--password", "password1"], "too easy to guess")]:
        result = runner.invoke(args=["set-password", *args])
        assert result.exit_code != 0 and message in result.output
