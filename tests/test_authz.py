"""Authorisation matrix over EVERY route, CSRF on every POST, and session cookie flags (issue 6).

The matrix is built from app.url_map: a route without an entry in EXPECTED fails
test_every_route_is_in_the_matrix, so each new route must say who may use it. Routes under /admin are
covered generically (anonymous -> log-in page, candidates -> 403, the admin -> neither 403 nor 404).

Roles, relative to the resources used: "anon" (not logged in), "owner" (candidate A, who owns the
answers), "other" (candidate B, who has answers of their own), "admin". Each case runs on a fresh copy of
a database prepared once, with sessions set directly (no password hashing per case).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select
from werkzeug.routing import AnyConverter

from tests.helpers import LONG_ANSWER
from webapp import create_app
from webapp.cli import seed_questions
from webapp.config import ROOT
from webapp.extensions import db
from webapp.models import Answer, InterviewSession, User

MARKER = "ZEBRAFLAMINGO"  # in A's answers only: must never reach B
PASSWORD = "matrix password"
LOGIN = "login"          # 302 to the log-in page
IGNORED_METHODS = {"HEAD", "OPTIONS"}

# (rule, method) -> expected status per role; "cand" stands for both owner and other where
# the route does not touch a particular answer.
EXPECTED = {
    ("/", "GET"): {"anon": 200, "cand": 200, "admin": 200},
    # the prepared world has queued answers and no job worker: an honest health check says so, to everyone
    ("/healthz", "GET"): {"anon": 503, "cand": 503, "admin": 503},
    ("/static/<path:filename>", "GET"): {"anon": 200, "cand": 200, "admin": 200},
    ("/favicon.ico", "GET"): {"anon": 301, "cand": 301, "admin": 301},
    ("/register", "GET"): {"anon": 200, "cand": 302, "admin": 302},
    ("/register", "POST"): {"anon": 302, "cand": 302, "admin": 302},
    ("/login", "GET"): {"anon": 200, "cand": 302, "admin": 302},
    ("/login", "POST"): {"anon": 302, "cand": 302, "admin": 302},
    # the matrix's token is not a valid link: refused alike, whoever asks (tests/test_password_reset.py has the rest)
    ("/reset-password/<token>", "GET"): {"anon": 400, "cand": 400, "admin": 400},
    ("/reset-password/<token>", "POST"): {"anon": 400, "cand": 400, "admin": 400},
    ("/logout", "POST"): {"anon": LOGIN, "cand": 302, "admin": 302},
    ("/account", "GET"): {"anon": LOGIN, "cand": 200, "admin": 200},
    ("/account/password", "POST"): {"anon": LOGIN, "cand": 400, "admin": 400},  # an empty form
    ("/account/email", "POST"): {"anon": LOGIN, "cand": 400, "admin": 400},  # an empty form
    ("/account/sign-out-everywhere", "POST"): {"anon": LOGIN, "cand": 302, "admin": 302},
    ("/account/delete-data", "POST"): {"anon": LOGIN, "cand": 302, "admin": 302},
    ("/account/delete", "POST"): {"anon": LOGIN, "cand": 302, "admin": 409},  # the only admin cannot leave none
    ("/account/export", "POST"): {"anon": LOGIN, "cand": 200, "admin": 200},  # one's own data only (test_export.py)
    # a form's address opened as a page: the account page (tests/test_bad_params.py)
    ("/account/password", "GET"): {"anon": LOGIN, "cand": 302, "admin": 302},
    ("/account/email", "GET"): {"anon": LOGIN, "cand": 302, "admin": 302},
    ("/account/sign-out-everywhere", "GET"): {"anon": LOGIN, "cand": 302, "admin": 302},
    ("/account/delete-data", "GET"): {"anon": LOGIN, "cand": 302, "admin": 302},
    ("/account/delete", "GET"): {"anon": LOGIN, "cand": 302, "admin": 302},
    ("/account/export", "GET"): {"anon": LOGIN, "cand": 302, "admin": 302},
    # a deactivated account's page (tests/test_deactivated_data.py): a token its correct log-in put in the session, no
    # session of Flask-Login; without the token, the log-in page (a signed-in user: their account page)
    ("/account/deactivated", "GET"): {"anon": LOGIN, "cand": 302, "admin": 302},
    ("/account/deactivated/export", "POST"): {"anon": LOGIN, "cand": LOGIN, "admin": LOGIN},
    ("/account/deactivated/delete", "POST"): {"anon": LOGIN, "cand": LOGIN, "admin": LOGIN},
    ("/account/deactivated/sign-out", "POST"): {"anon": 302, "cand": 302, "admin": 302},
    ("/account/deactivated/export", "GET"): {"anon": 302, "cand": 302, "admin": 302},
    ("/account/deactivated/delete", "GET"): {"anon": 302, "cand": 302, "admin": 302},
    ("/account/deactivated/sign-out", "GET"): {"anon": 302, "cand": 302, "admin": 302},
    ("/questions", "GET"): {"anon": LOGIN, "cand": 200, "admin": 200},
    ("/questions/<int:question_id>/text", "GET"): {"anon": LOGIN, "cand": 200, "admin": 200},
    ("/questions/<int:question_id>/text", "POST"): {"anon": LOGIN, "cand": 302, "admin": 302},
    ("/questions/<int:question_id>/<any(video, audio):kind>", "GET"): {"anon": LOGIN, "cand": 200, "admin": 200},
    # an empty upload: refused (without JavaScript, a redirect back with a message), once the user is known
    ("/questions/<int:question_id>/<any(video, audio):kind>", "POST"): {"anon": LOGIN, "cand": 302, "admin": 302},
    ("/history", "GET"): {"anon": LOGIN, "cand": 200, "admin": 200},
    # A's answers: B gets 404 (as for an identifier that does not exist), the admin may see them
    ("/answers/<int:answer_id>", "GET"): {"anon": LOGIN, "owner": 200, "other": 404, "admin": 200},
    ("/answers/<int:answer_id>/heatmap.png", "GET"): {"anon": LOGIN, "owner": 200, "other": 404, "admin": 200},
    ("/answers/<int:answer_id>/media", "GET"): {"anon": LOGIN, "owner": 200, "other": 404, "admin": 200},
    ("/answers/<int:answer_id>/captions.vtt", "GET"): {"anon": LOGIN, "owner": 200, "other": 404, "admin": 200},
    ("/answers/<int:answer_id>/transcript.txt", "GET"): {"anon": LOGIN, "owner": 200, "other": 404, "admin": 200},
    ("/answers/<int:answer_id>/retry", "POST"): {"anon": LOGIN, "owner": 302, "other": 404, "admin": 302},
    ("/answers/<int:answer_id>/delete", "POST"): {"anon": LOGIN, "owner": 302, "other": 404, "admin": 302},
    # the API answers an anonymous call with a JSON 401, not a redirect to an HTML page
    ("/api/answers/<int:answer_id>/status", "GET"): {"anon": 401, "owner": 200, "other": 404, "admin": 200},
    # mock interviews: A's session is A's (B gets 404 as for a missing id); admins see its report
    ("/practice", "GET"): {"anon": LOGIN, "cand": 200, "admin": 200},
    ("/practice", "POST"): {"anon": LOGIN, "cand": 302, "admin": 302},
    ("/practice/progress", "GET"): {"anon": LOGIN, "cand": 200, "admin": 200},
    # an admin is sent on to the report: only the candidate answers their own session
    ("/practice/<int:session_id>", "GET"): {"anon": LOGIN, "owner": 200, "other": 404, "admin": 302},
    # ending or deleting a mock interview is its candidate's alone: an admin reads it, never changes it
    ("/practice/<int:session_id>/finish", "POST"): {"anon": LOGIN, "owner": 302, "other": 404, "admin": 404},
    ("/practice/<int:session_id>/finish", "GET"): {"anon": LOGIN, "owner": 302, "other": 404, "admin": 302},  # the report
    ("/practice/<int:session_id>/delete", "POST"): {"anon": LOGIN, "owner": 302, "other": 404, "admin": 404},
    ("/practice/<int:session_id>/report", "GET"): {"anon": LOGIN, "owner": 200, "other": 404, "admin": 200},
    ("/api/practice/<int:session_id>/status", "GET"): {"anon": 401, "owner": 200, "other": 404, "admin": 200},
}
ROLES = ("anon", "owner", "other", "admin")


# --- a database prepared once, copied for each case -----------------------------------------

def _make_app(base: Path, **extra):
    return create_app({"TESTING": True, "SECRET_KEY": "authz",
                       "SQLALCHEMY_DATABASE_URI": f"sqlite:///{base / 'authz.sqlite'}",
                       "MEDIA_DIR": str(base / "media"), **extra})


def _answer(user, question_id, modality, status, text=None, media=None, error=None):
    return Answer(user_id=user.id, question_id=question_id, modality=modality, status=status,
                  text=text, word_count=len((text or "").split()), media_path=media, error=error,
                  original_filename=f"{modality}-answer.webm" if media else None)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """Users A, B and an admin; A and B each own a text answer and a failed video answer with its file
    and heatmap, created alternately so that identifiers are sequential across candidates."""
    base = tmp_path_factory.mktemp("authz-template")
    app = _make_app(base)
    ids = {}
    with app.app_context():
        upgrade()
        seed_questions()
        users = {}
        for role, email in (("owner", "a@example.com"), ("other", "b@example.com"), ("admin", "admin@example.com")):
            u = User(email=email, role="admin" if role == "admin" else "candidate")
            u.set_password(PASSWORD)
            db.session.add(u)
            users[role] = u
        db.session.commit()
        media = Path(app.config["MEDIA_DIR"])
        for role in ("owner", "other"):
            u = users[role]
            (media / str(u.id)).mkdir(parents=True, exist_ok=True)
        answers = {"owner": [], "other": []}
        for round_ in range(2):
            for role in ("owner", "other"):
                u = users[role]
                secret = MARKER if role == "owner" else "B-ANSWER"
                if round_ == 0:
                    a = _answer(u, 1, "text", "queued", text=f"{secret} {LONG_ANSWER}")
                else:
                    rel = f"{u.id}/{role}-video.webm"
                    (media / rel).write_bytes(b"\x1a\x45\xdf\xa3" + secret.encode() * 10)
                    (media / f"{rel}.cam.png").write_bytes(b"\x89PNG\r\n\x1a\n" + secret.encode())
                    a = _answer(u, 2, "video", "failed", media=rel, error=f"{secret} analysis failed")
                db.session.add(a)
                db.session.commit()
                answers[role].append(a.id)
        sessions = {}
        for role in ("owner", "other"):  # a mock interview each, A's first answer in A's
            s = InterviewSession(user_id=users[role].id, mode="written", category="mixed", question_ids=[1, 3], position=1)
            db.session.add(s)
            db.session.commit()
            sessions[role] = [s.id]
            db.session.get(Answer, answers[role][0]).session_id = s.id
        db.session.commit()
        ids = {"users": {r: u.id for r, u in users.items()}, "answers": answers, "sessions": sessions,
               "tokens": {r: u.session_token for r, u in users.items()}}
        db.session.remove()
        db.engine.dispose()
    return base, ids


@pytest.fixture
def world(template, tmp_path):
    base, ids = template
    shutil.copy(base / "authz.sqlite", tmp_path / "authz.sqlite")
    shutil.copytree(base / "media", tmp_path / "media")
    app = _make_app(tmp_path)
    yield app, ids
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def client_as(app, ids, role):
    client = app.test_client()
    if role != "anon":
        with client.session_transaction() as sess:
            sess["_user_id"] = f"{ids['tokens'][role]}.{int(time.time()) + 3600}"  # as a sign-in writes it
            sess["_fresh"] = True
    return client


def token_for(client, role):
    html = client.get("/login" if role == "anon" else "/account").get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]* value="([^"]+)"', html).group(1)


# --- the routes, from url_map ---------------------------------------------------------------

def _rules():
    app = _make_app(Path(tempfile.mkdtemp(prefix="authz-rules-")))
    out = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - IGNORED_METHODS):
            out.append((rule, method))
    return out


RULES = _rules()
ADMIN_RULES = [(r, m) for r, m in RULES if r.rule == "/admin" or r.rule.startswith("/admin/")]
OTHER_RULES = [(r, m) for r, m in RULES if (r, m) not in ADMIN_RULES]


def _static_file():
    return sorted(p for p in (ROOT / "static").rglob("*") if p.is_file())[0].relative_to(ROOT / "static").as_posix()


def url_for_rule(rule, ids, target="owner"):
    """Fill a rule's arguments: answers of `target`, A's user id, question 1, the first choice of any()."""
    values = {}
    for arg in rule.arguments:
        conv = rule._converters[arg]
        if arg == "answer_id":
            values[arg] = ids["answers"][target][-1]  # the failed video answer: media, heatmap, retry
        elif arg == "session_id":
            values[arg] = ids["sessions"][target][-1]
        elif arg == "user_id":
            values[arg] = ids["users"][target if target in ids["users"] else "owner"]
        elif arg == "question_id":
            values[arg] = 1
        elif arg == "filename":
            values[arg] = _static_file()
        elif isinstance(conv, AnyConverter):
            values[arg] = sorted(conv.items)[-1]
        elif "int" in type(conv).__name__.lower():
            values[arg] = 1
        else:
            values[arg] = "x"
    return rule.build(values, append_unknown=False)[1]


def form_for(rule, ids):
    """Form data that would succeed, so a refusal really is an authorisation decision."""
    if rule.rule == "/register":
        return {"email": "new@example.com", "password": "new password 1", "confirm": "new password 1"}
    if rule.rule == "/login":
        return {"email": "a@example.com", "password": PASSWORD}
    if rule.rule.endswith("/text"):
        return {"answer": LONG_ANSWER}
    if rule.rule == "/account/delete-data":
        return {"data-password": PASSWORD}
    if rule.rule == "/account/delete":
        return {"account-password": PASSWORD}
    if rule.rule == "/practice":
        return {"mode": "written", "count": "2", "category": "mixed"}
    return {}


def snapshot(app, ids):
    """A's answers (status, attempts) and files: what B must never change."""
    with app.app_context():
        rows = db.session.execute(select(Answer.id, Answer.status, Answer.attempts)
                                  .where(Answer.user_id == ids["users"]["owner"]).order_by(Answer.id)).all()
    media = Path(app.config["MEDIA_DIR"]) / str(ids["users"]["owner"])
    return [tuple(r) for r in rows], sorted(p.name for p in media.glob("*"))


def check(resp, expected, label):
    if expected == LOGIN:
        assert resp.status_code == 302 and "/login" in resp.headers["Location"], (label, resp.status_code)
    else:
        assert resp.status_code == expected, (label, resp.status_code, resp.get_data(as_text=True)[:200])
        if expected == 401:  # only the API answers 401: JSON with a readable reason
            assert resp.is_json and "log in" in resp.get_json()["error"], (label, resp.get_data(as_text=True)[:200])


# --- tests ----------------------------------------------------------------------------------

def test_every_route_is_in_the_matrix():
    present = {(r.rule, m) for r, m in OTHER_RULES}
    missing = sorted(present - set(EXPECTED))
    assert not missing, f"routes without an authorisation entry (add them to EXPECTED): {missing}"
    stale = sorted(set(EXPECTED) - present)
    assert not stale, f"EXPECTED lists routes that no longer exist: {stale}"
    for key, roles in EXPECTED.items():
        has_answer = "<int:answer_id>" in key[0] or "<int:session_id>" in key[0]
        assert set(roles) == ({"anon", "owner", "other", "admin"} if has_answer else {"anon", "cand", "admin"}), key


def _cases():
    for rule, method in OTHER_RULES:
        for role in ROLES:
            yield pytest.param(rule, method, role, id=f"{method} {rule.rule} [{role}]")


@pytest.mark.parametrize("rule,method,role", list(_cases()))
def test_matrix(world, rule, method, role):
    app, ids = world
    roles = EXPECTED.get((rule.rule, method))
    if roles is None:
        pytest.fail(f"{method} {rule.rule} has no entry in EXPECTED")
    expected = roles.get(role, roles.get("cand"))
    client = client_as(app, ids, role)
    url = url_for_rule(rule, ids, target="owner")
    before = snapshot(app, ids)
    if method == "GET":
        resp = client.get(url)
    else:
        resp = client.post(url, data={**form_for(rule, ids), "csrf_token": token_for(client, role)})
    check(resp, expected, f"{method} {url} as {role}")
    if role == "other":
        body = resp.get_data()
        if resp.mimetype == "application/zip":  # B's own data export: none of A's in any of its files
            import io
            import zipfile
            archive = zipfile.ZipFile(io.BytesIO(body))
            body = b"".join(archive.read(name) for name in archive.namelist())
        assert MARKER.encode() not in body
        assert snapshot(app, ids) == before, "B changed A's answers or files"
    if role == "anon" and method == "POST":
        assert snapshot(app, ids) == before


@pytest.mark.parametrize("rule,method", ADMIN_RULES or [pytest.param(None, None, marks=pytest.mark.skip("no admin routes"))],
                         ids=[f"{m} {r.rule}" for r, m in ADMIN_RULES] or None)
def test_admin_routes_generic(world, rule, method):
    app, ids = world
    url = url_for_rule(rule, ids)
    for role in ("anon", "owner", "other", "admin"):
        client = client_as(app, ids, role)
        data = {"csrf_token": token_for(client, role)} if method != "GET" else None
        resp = client.open(url, method=method, data=data)
        label = f"{method} {url} as {role}"
        if role == "anon":
            check(resp, LOGIN, label)
        elif role in ("owner", "other"):
            check(resp, 403, label)
        else:
            assert resp.status_code < 500 and resp.status_code != 403, (label, resp.status_code)
            if method == "GET" and not rule.arguments:
                assert resp.status_code != 404, label


ANSWER_RULES = [(r, m) for r, m in RULES if "answer_id" in r.arguments]


def test_guessing_sequential_ids_reveals_nothing(world):
    """B walks every identifier on every answer route (API, heatmap, media, retry, delete included):
    A's answers answer exactly like answers that do not exist, and nothing of A's changes."""
    app, ids = world
    client = client_as(app, ids, "other")
    token = token_for(client, "other")
    before = snapshot(app, ids)
    a_ids = ids["answers"]["owner"]
    missing = [0, max(a_ids + ids["answers"]["other"]) + 1, 10_000]
    assert a_ids == sorted(a_ids) and any(b < a for a in a_ids for b in ids["answers"]["other"])  # interleaved
    for rule, method in ANSWER_RULES:
        bodies = {}
        for answer_id in a_ids + missing:
            url = rule.build({"answer_id": answer_id}, append_unknown=False)[1]
            resp = client.get(url) if method == "GET" else client.post(url, data={"csrf_token": token})
            assert resp.status_code == 404, (method, url, resp.status_code)
            body = resp.get_data(as_text=True)
            assert MARKER not in body
            body = re.sub(r'name="csrf_token" value="[^"]*"', "", body)  # signed with the time: differs by the second
            bodies[answer_id] = (resp.headers.get("Content-Type"), re.sub(r"\d+", "N", body))
        assert len(set(bodies.values())) == 1, f"{method} {rule.rule}: A's ids answer differently from missing ids"
    assert snapshot(app, ids) == before


SESSION_RULES = [(r, m) for r, m in RULES if "session_id" in r.arguments]


def test_guessing_session_ids_reveals_nothing(world):
    """B walks identifiers on every mock interview route: A's session answers exactly like a missing
    one, and B's requests change nothing of it."""
    app, ids = world
    client = client_as(app, ids, "other")
    token = token_for(client, "other")
    mine = ids["sessions"]["owner"][0]
    assert len(SESSION_RULES) >= 4
    for rule, method in SESSION_RULES:
        bodies = {}
        for session_id in (mine, 0, 10_000):
            url = rule.build({"session_id": session_id}, append_unknown=False)[1]
            resp = client.get(url) if method == "GET" else client.post(url, data={"csrf_token": token})
            assert resp.status_code == 404, (method, url, resp.status_code)
            body = re.sub(r'name="csrf_token" value="[^"]*"', "", resp.get_data(as_text=True))  # signed with the time
            bodies[session_id] = (resp.headers.get("Content-Type"), re.sub(r"\d+", "N", body))
        assert len(set(bodies.values())) == 1, f"{method} {rule.rule}: A's session answers differently"
    with app.app_context():
        s = db.session.get(InterviewSession, mine)
        assert s.finished_at is None and s.position == 1


def test_b_sees_only_own_answers_in_history_and_account(world):
    app, ids = world
    client = client_as(app, ids, "other")
    for url in ("/history", "/account", "/questions", "/practice", "/practice/progress"):
        assert MARKER not in client.get(url).get_data(as_text=True)


def test_deleting_own_account_leaves_others_untouched(world):
    app, ids = world
    before = snapshot(app, ids)
    client = client_as(app, ids, "other")
    assert client.post("/account/delete", data={"csrf_token": token_for(client, "other"),
                                                "account-password": PASSWORD}).status_code == 302
    assert snapshot(app, ids) == before
    with app.app_context():
        assert db.session.get(User, ids["users"]["other"]) is None
        assert db.session.get(User, ids["users"]["owner"]) is not None


# --- CSRF on every state-changing request ---------------------------------------------------

STATE_CHANGING = [(r, m) for r, m in RULES if m not in ("GET",)]


def counts(app):
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(Answer)),
                db.session.scalar(select(func.count()).select_from(User)))


def test_state_changing_routes_found():
    assert {"POST"} >= {m for _, m in STATE_CHANGING}, "a PUT/PATCH/DELETE route: extend the CSRF test"
    assert len(STATE_CHANGING) >= 8


@pytest.mark.parametrize("rule,method", STATE_CHANGING, ids=[f"{m} {r.rule}" for r, m in STATE_CHANGING])
@pytest.mark.parametrize("token", ["missing", "wrong", "from-another-session"])
def test_post_without_valid_csrf_token_is_refused(world, rule, method, token):
    app, ids = world
    role = "anon" if rule.rule in ("/login", "/register") else "admin" if rule.rule.startswith("/admin") else "owner"
    client = client_as(app, ids, role)
    data = form_for(rule, ids)
    if token == "wrong":
        data["csrf_token"] = "not-a-token"
    elif token == "from-another-session":
        data["csrf_token"] = token_for(client_as(app, ids, "other"), "other")
    before = counts(app), snapshot(app, ids)
    resp = client.open(url_for_rule(rule, ids), method=method, data=data)
    assert resp.status_code == 400, (rule.rule, resp.status_code)
    assert "security token" in resp.get_data(as_text=True)
    assert (counts(app), snapshot(app, ids)) == before
    if role != "anon":  # still logged in: the request did nothing, not even log out
        assert client.get("/account").status_code == 200


def test_json_upload_without_csrf_token_is_refused(world):
    app, ids = world
    client = client_as(app, ids, "owner")
    resp = client.post("/questions/1/video", headers={"Accept": "application/json"},
                       data={"media": (__import__("io").BytesIO(b"\x1a\x45\xdf\xa3" * 100), "a.webm")})
    assert resp.status_code == 400 and "security token" in resp.get_json()["error"]


# --- session cookies ------------------------------------------------------------------------

def _cookie_headers(resp):
    return {h.split("=", 1)[0]: h for h in resp.headers.getlist("Set-Cookie")}


@pytest.mark.parametrize("secure", [False, True])
def test_session_and_remember_cookies_are_httponly_samesite_and_secure_in_production(template, tmp_path, secure):
    base, ids = template
    shutil.copy(base / "authz.sqlite", tmp_path / "authz.sqlite")
    extra = {"SESSION_COOKIE_SECURE": True, "REMEMBER_COOKIE_SECURE": True} if secure else {}
    app = _make_app(tmp_path, **extra)
    client = app.test_client()
    token = token_for(client, "anon")
    resp = client.post("/login", data={"email": "a@example.com", "password": PASSWORD, "remember": "y",
                                       "csrf_token": token})
    assert resp.status_code == 302
    cookies = _cookie_headers(resp)
    assert {"session", "remember_token"} <= set(cookies)
    for name in ("session", "remember_token"):
        attrs = cookies[name].lower()
        assert "httponly" in attrs and "samesite=lax" in attrs, cookies[name]
        assert ("; secure" in attrs) == secure, cookies[name]
    # "Keep me logged in" lasts 30 days, not Flask-Login's year (a security review)
    from email.utils import parsedate_to_datetime
    from datetime import datetime, timezone
    expires = re.search(r"expires=([^;]+)", cookies["remember_token"], re.I).group(1)
    days = (parsedate_to_datetime(expires) - datetime.now(timezone.utc)).total_seconds() / 86400
    assert 29.9 < days <= 30.01, cookies["remember_token"]
    if secure:
        assert "max-age" in resp.headers.get("Strict-Transport-Security", "")
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_https_only_cookies_over_plain_http_say_use_https(template, tmp_path):
    """Production cookies are HTTPS-only: a browser on plain HTTP never sends them back, so every form fails its
    token check. Reloading cannot help, so the page says to use HTTPS (not "form expired")."""
    base, _ = template
    shutil.copy(base / "authz.sqlite", tmp_path / "authz.sqlite")
    app = _make_app(tmp_path, SESSION_COOKIE_SECURE=True)
    fresh = {"email": "new@example.com", "password": "new password 1", "confirm": "new password 1"}
    resp = app.test_client().post("/register", data=fresh)  # as a browser over HTTP: no cookie, no token
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "Use HTTPS" in html and "https://" in html and "Form expired" not in html
    resp = app.test_client().post("/register", data=fresh, base_url="https://localhost")
    assert resp.status_code == 400 and "Form expired" in resp.get_data(as_text=True)
    # over HTTP but with the session cookie (localhost keeps secure cookies; a proxy gives HTTPS without
    # TRUSTED_PROXIES): forms work, so a refused token is an expired form, not a matter of HTTPS
    client = app.test_client()
    client.get("/register")
    assert client.get_cookie("session") is not None  # the test client sends it back over HTTP, as localhost does
    resp = client.post("/register", data={**fresh, "csrf_token": "stale"})
    assert resp.status_code == 400 and "Form expired" in resp.get_data(as_text=True) and "Use HTTPS" not in resp.get_data(as_text=True)


def _config_in_subprocess(env):
    code = ("import json; from webapp.config import Config as C; print(json.dumps({k: getattr(C, k) for k in "
            "('SESSION_COOKIE_SECURE', 'REMEMBER_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', "
            "'SESSION_COOKIE_SAMESITE', 'RATELIMIT_STORAGE_URI', 'RATELIMIT_ENABLED', 'LOGIN_RATE_LIMIT')}))")
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("APP_ENV", "SESSION_COOKIE", "REDIS_URL", "RATELIMIT", "LOGIN_RATE"))}
    out = subprocess.run([sys.executable, "-c", code], env={**clean, **env}, cwd=ROOT, check=True,
                         capture_output=True, text=True, timeout=120)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_production_config_sets_secure_cookies_and_redis_rate_limit_storage():
    prod = _config_in_subprocess({"APP_ENV": "production", "SECRET_KEY": "s" * 32,
                                  "REDIS_URL": "redis://cache:6379/0", "LOGIN_RATE_LIMIT": "5 per minute"})
    assert prod["SESSION_COOKIE_SECURE"] is True and prod["REMEMBER_COOKIE_SECURE"] is True
    assert prod["SESSION_COOKIE_HTTPONLY"] is True and prod["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert prod["RATELIMIT_STORAGE_URI"] == "redis://cache:6379/0" and prod["LOGIN_RATE_LIMIT"] == "5 per minute"
    dev = _config_in_subprocess({})
    assert dev["SESSION_COOKIE_SECURE"] is False and dev["RATELIMIT_STORAGE_URI"] == "memory://"
    assert dev["RATELIMIT_ENABLED"] is True


def test_a_form_sent_from_another_host_over_https_says_whoever_runs_the_site_must_fix_the_proxy(template, tmp_path,
                                                                                                 caplog):
    """The install review: nginx with 'proxy_set_header Host $host' drops a non-standard port, so over HTTPS every
    form failed Flask-WTF's referrer check and said "Form expired ... reload", which never helps. The page now says
    reloading will not help, and the log names both hosts and the proxy setting."""
    base, _ = template
    shutil.copy(base / "authz.sqlite", tmp_path / "authz.sqlite")
    app = _make_app(tmp_path)
    client = app.test_client()
    html = client.get("/login", base_url="https://interview.example.org").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]* value="([^"]+)"', html).group(1)
    with caplog.at_level("WARNING"):
        resp = client.post("/login", data={"email": "a@example.com", "password": PASSWORD, "csrf_token": token},
                           base_url="https://interview.example.org",
                           headers={"Referer": "https://interview.example.org:8443/login"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "Form refused" in html and "Reloading the page will not help" in html
    assert "Form expired" not in html
    assert any("sent from a page on interview.example.org:8443 but this request is for host interview.example.org"
               in r.getMessage() for r in caplog.records)
