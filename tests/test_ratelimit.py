"""Rate limits on log-in, sign-up and uploads (Flask-Limiter), with a clear 429 page or JSON.

The limits come from the config (LOGIN_RATE_LIMIT, LOGIN_ACCOUNT_RATE_LIMIT, REGISTER_RATE_LIMIT, UPLOAD_RATE_LIMIT, env vars of the
same names); the default test config keeps them on with the production defaults, which no other test
comes near, because each app starts with its own empty in-memory counters. With the in-memory storage
each process applies 1/WEB_CONCURRENCY of a limit (tests/test_security_misc.py); the apps made here
say WEB_CONCURRENCY=1, so the configured limits apply as written.
"""
import io
import os
import re

import pytest
from flask_migrate import upgrade

from tests.conftest import Auth, csrf_token
from tests.helpers import LONG_ANSWER
from webapp import create_app
from webapp.cli import seed_questions
from webapp.extensions import db, effective_limit


@pytest.fixture
def make_app(tmp_path):
    apps = []

    def make(name="rl", **config):
        app = create_app({"TESTING": True, "SECRET_KEY": "rl", "WEB_CONCURRENCY": 1,
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / (name + '.sqlite')}",
                          "MEDIA_DIR": str(tmp_path / name / "media"), **config})
        with app.app_context():
            upgrade()
            seed_questions()
        apps.append(app)
        return app
    yield make
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def human_429(resp):
    assert resp.status_code == 429
    text = resp.get_json()["error"] if resp.is_json else re.search(
        r'class="error-message">(.*?)</p>', resp.get_data(as_text=True), re.S).group(1)
    assert "Too many attempts" in text and "wait" in text and "Traceback" not in text
    assert resp.headers.get("Retry-After")
    return text


def bad_login(client, token):
    return client.post("/login", data={"email": "nobody@example.com", "password": "wrong password",
                                       "csrf_token": token})


def test_login_limit_gives_clear_429(make_app):
    app = make_app(LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    token = csrf_token(client, "/login")
    assert [bad_login(client, token).status_code for _ in range(3)] == [400, 400, 400]
    text = human_429(bad_login(client, token))
    assert "the limit is 3 per minute" in text  # not "3 per 1 minute"
    assert client.get("/login").status_code == 200  # showing the form is not limited


@pytest.mark.parametrize("target, held", [("%2Fadmin%2Fquestions", ""), ("%2Fquestions%2F1%2Ftext", ""),
                                          ("%2Faccount", None)])
def test_a_limited_log_in_keeps_the_drafts_held(make_app, target, held):
    """The bug: the log-in page a draft form sent to (its session had ended) keeps the tab's drafts, but the 429 page
    of too many tries there held none, so the next page (it) dropped what was typed. The log-in page comes back with
    the message, holding them as after a wrong password (only when it leads back to a draft form)."""
    from tests.test_drafts import _meta
    app = make_app(LOGIN_RATE_LIMIT="2 per minute")
    client = app.test_client()
    url = f"/login?next={target}"
    token = csrf_token(client, url)
    sent = {"email": "admin@example.com", "password": "wrong password", "csrf_token": token}
    assert [client.post(url, data=sent).status_code for _ in range(2)] == [400, 400]
    resp = client.post(url, data=sent, headers={"Origin": "http://localhost"})
    assert "the limit is 2 per minute" in human_429(resp)
    page = resp.get_data(as_text=True)
    assert _meta(page, "draft-owner") == "" and _meta(page, "draft-hold") == held
    assert ('id="draft-held" role="status" hidden>What you typed' in page) and '<form method="post"' in page
    assert 'value="admin@example.com"' in page and "wrong password" not in page
    # sent from another site: the page keeps nothing it sent
    other = client.post(url, data=sent, headers={"Origin": "https://evil.example"})
    assert other.status_code == 429 and "admin@example.com" not in other.get_data(as_text=True)


def test_failed_log_ins_to_one_address_are_limited_wherever_they_come_from(make_app):
    """The security review: log-ins were limited per network address only, so guesses at one account spread over
    many addresses (or forged X-Forwarded-For headers where gunicorn is reachable directly) went unlimited. Failed
    log-ins to one e-mail address count together; successful ones do not count."""
    app = make_app(LOGIN_ACCOUNT_RATE_LIMIT="3 per minute", LOGIN_RATE_LIMIT="100 per minute")
    owner = app.test_client()
    Auth(owner).register("victim@example.com", "plum orchard v1")
    for _ in range(4):  # the owner's own log-ins are not counted
        Auth(owner).logout()
        assert Auth(owner).login("victim@example.com", "plum orchard v1").status_code == 302
    statuses = []
    for n in range(4):
        guesser = app.test_client()
        token = csrf_token(guesser, "/login")
        statuses.append(guesser.post("/login", data={"email": " Victim@Example.com", "password": f"guess {n}",
                                                     "csrf_token": token},
                                     environ_base={"REMOTE_ADDR": f"203.0.113.{n + 1}"}))
    assert [r.status_code for r in statuses[:3]] == [400, 400, 400]
    human_429(statuses[3])
    other = app.test_client()  # another address is not affected
    assert bad_login(other, csrf_token(other, "/login")).status_code == 400
    # the diff review: the limit locked the owner out too. A browser that has logged in to the address before still
    # can (a signed cookie, for /login only); a new one waits like the guesser
    Auth(owner).logout()
    cookie = owner.get_cookie("known_device", path="/login")
    assert cookie is not None  # the address hashed, not readable (a security review)
    import base64
    assert b"victim" not in base64.urlsafe_b64decode(cookie.value.split(".")[0] + "==")
    assert Auth(owner).login("victim@example.com", "plum orchard v1").status_code == 302
    fresh = app.test_client()
    human_429(Auth(fresh).login("victim@example.com", "plum orchard v1"))
    forged = app.test_client()
    forged.set_cookie("known_device", "not signed", path="/login")
    human_429(Auth(forged).login("victim@example.com", "plum orchard v1"))


def test_register_limit_gives_clear_429(make_app):
    app = make_app(REGISTER_RATE_LIMIT="2 per minute")
    client = app.test_client()
    token = csrf_token(client, "/register")
    for i in range(2):
        resp = client.post("/register", data={"email": "x", "password": "p", "confirm": "q", "csrf_token": token})
        assert resp.status_code == 400
    resp = client.post("/register", data={"email": "ok@example.com", "password": "long password",
                                          "confirm": "long password", "csrf_token": token})
    human_429(resp)


def test_upload_limit_is_shared_per_candidate_and_answers_json(make_app):
    app = make_app(UPLOAD_RATE_LIMIT="2 per minute")
    a, b = app.test_client(), app.test_client()
    Auth(a).register("a@example.com", "plum orchard a1")
    Auth(b).register("b@example.com", "plum orchard b1")
    token = csrf_token(a, "/questions/1/text")
    assert a.post("/questions/1/text", data={"answer": LONG_ANSWER, "csrf_token": token}).status_code == 302
    json_upload = dict(headers={"Accept": "application/json"}, content_type="multipart/form-data",
                       data={"csrf_token": token, "media": (io.BytesIO(b"not a video"), "a.webm")})
    assert a.post("/questions/1/video", **json_upload).status_code == 400  # counted, though refused
    json_upload["data"]["media"] = (io.BytesIO(b"not a video"), "a.webm")
    resp = a.post("/questions/1/audio", **json_upload)
    assert resp.is_json
    human_429(resp)
    # per candidate, not per address: B (same address) still can
    token_b = csrf_token(b, "/questions/1/text")
    assert b.post("/questions/1/text", data={"answer": LONG_ANSWER, "csrf_token": token_b}).status_code == 302
    # pages are not limited
    assert a.get("/questions/1/video").status_code == 200


def test_limits_can_be_switched_off(make_app):
    app = make_app(RATELIMIT_ENABLED=False, LOGIN_RATE_LIMIT="1 per minute")
    client = app.test_client()
    token = csrf_token(client, "/login")
    assert {bad_login(client, token).status_code for _ in range(4)} == {400}


def test_each_app_counts_from_zero_and_is_limited_again_after_a_disabled_one(make_app):
    """The limiter object is global: its counters and on/off state must follow the app being created."""
    first = make_app("one", LOGIN_RATE_LIMIT="1 per minute")
    c1 = first.test_client()
    t1 = csrf_token(c1, "/login")
    assert bad_login(c1, t1).status_code == 400
    assert bad_login(c1, t1).status_code == 429
    make_app("off", RATELIMIT_ENABLED=False)
    second = make_app("two", LOGIN_RATE_LIMIT="1 per minute")
    c2 = second.test_client()
    t2 = csrf_token(c2, "/login")
    assert bad_login(c2, t2).status_code == 400
    assert bad_login(c2, t2).status_code == 429


def test_default_test_config_keeps_generous_limits_on(app):
    assert app.config["RATELIMIT_ENABLED"] is True
    if not (os.environ.get("REDIS_URL") or os.environ.get("RATELIMIT_STORAGE_URI")):
        assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"  # fresh counters for each test's app
    with app.test_request_context():
        for key in ("LOGIN_RATE_LIMIT", "REGISTER_RATE_LIMIT", "UPLOAD_RATE_LIMIT"):
            assert int(app.config[key].split()[0]) >= 10, key
            # what this process applies (its share with WEB_CONCURRENCY processes, default 2)
            per_minute = int(effective_limit(key).split()[0])
            assert per_minute >= 5, key  # no test logs in, signs up or uploads 5 times in one app


@pytest.mark.parametrize("proxies", [0, 1])
def test_forwarded_for_is_trusted_only_behind_a_configured_proxy(make_app, proxies):
    """TRUSTED_PROXIES=1: limits apply per real client (X-Forwarded-For); 0: the header is ignored,
    so a client cannot dodge the limit by sending it."""
    app = make_app(LOGIN_RATE_LIMIT="2 per minute", TRUSTED_PROXIES=proxies)
    client = app.test_client()
    token = csrf_token(client, "/login")

    def login_from(ip):
        return client.post("/login", headers={"X-Forwarded-For": ip},
                           data={"email": "nobody@example.com", "password": "wrong password",
                                 "csrf_token": token})
    assert [login_from("203.0.113.1").status_code for _ in range(2)] == [400, 400]
    human_429(login_from("203.0.113.1"))
    other = login_from("203.0.113.2")
    if proxies:
        assert other.status_code == 400  # another client behind the proxy has its own budget
    else:
        human_429(other)  # same socket address: same budget, whatever the header says


def test_password_checks_are_limited_per_candidate(make_app):
    """A session left open is not a way to guess the password: changing it and the deletions that ask for
    it share one budget per candidate."""
    app = make_app(PASSWORD_RATE_LIMIT="3 per minute")
    a, b = app.test_client(), app.test_client()
    Auth(a).register("a@example.com", "plum orchard a1")
    Auth(b).register("b@example.com", "plum orchard b1")
    token = csrf_token(a, "/account")
    guesses = [a.post("/account/password", data={"csrf_token": token, "current": "guess one",
                                                  "password": "new password 1", "confirm": "new password 1"}),
               a.post("/account/delete-data", data={"csrf_token": token, "data-password": "guess two"}),
               a.post("/account/delete", data={"csrf_token": token, "account-password": "guess three"})]
    assert [r.status_code for r in guesses] == [400, 400, 400]
    human_429(a.post("/account/delete", data={"csrf_token": token, "account-password": "plum orchard a1"}))
    assert a.get("/account").status_code == 200  # still signed in, nothing deleted
    token_b = csrf_token(b, "/account")  # per candidate: B is not held back
    assert b.post("/account/delete", data={"csrf_token": token_b, "account-password": "plum orchard b1"}).status_code == 302


@pytest.mark.parametrize("uri", ["redis://127.0.0.1:9/0"])  # nothing listens there: a Redis that is down
def test_a_rate_limit_store_that_is_down_stops_no_log_in_and_no_answer(make_app, uri):
    """The operations review: with REDIS_URL set (the limits' store too), stopping Redis gave 500 pages on log-in,
    sign-up and every answer. Now the limits are counted in memory meanwhile, and still apply."""
    app = make_app(RATELIMIT_STORAGE_URI=uri, LOGIN_RATE_LIMIT="3 per minute")
    assert app.config["RATELIMIT_STORAGE_OPTIONS"] == {"socket_timeout": 2, "socket_connect_timeout": 2}
    client = app.test_client()
    auth = Auth(client)
    assert auth.register().status_code == 302
    resp = client.post("/questions/1/text", data={"answer": LONG_ANSWER, "csrf_token": csrf_token(client, "/questions/1/text")})
    assert resp.status_code == 302 and "/answers/" in resp.headers["Location"]
    auth.logout()
    token = csrf_token(client, "/login")
    assert [bad_login(client, token).status_code for _ in range(3)] == [400, 400, 400]
    assert bad_login(client, token).status_code == 429  # the in-memory fallback still limits
