import re

from sqlalchemy import select
from tests.conftest import csrf_token

from webapp.extensions import db
from webapp.models import User


def test_register_logs_in_and_hashes_password(client, auth, app):
    resp = auth.register()
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/questions")
    assert client.get("/questions").status_code == 200
    with app.app_context():
        user = db.session.execute(select(User)).scalar_one()
        assert user.email == "cand@example.com" and user.role == "candidate"
        assert "correct horse" not in user.password_hash and user.check_password("correct horse")


def test_register_rejects_duplicates_and_bad_input(client, auth):
    auth.register()
    auth.logout()
    resp = auth.register(email="CAND@example.com")
    assert resp.status_code == 400 and "could not be created" in resp.get_data(as_text=True)
    assert "already exists" not in resp.get_data(as_text=True)
    resp = auth.register(email="not-an-email")
    assert resp.status_code == 400 and "valid e-mail" in resp.get_data(as_text=True)
    resp = auth.register(email="new@example.com", password="short")
    assert resp.status_code == 400 and "at least 8" in resp.get_data(as_text=True)


def test_an_address_that_passes_for_another_is_refused_at_sign_up(client, auth, app):
    """"аlice@…" with a Cyrillic "а", "ali̇ce@…" with a dot above written as a mark, and "alice@exampӏe.com" all signed
    up beside alice@example.com and looked the same in the admin's list (a security review). Addresses in one
    alphabet per part stay welcome, and an accent typed as a mark is stored composed."""
    from tests.test_admin import html_text
    for email, why in (("\u0430lice@example.com", "“\u0430lice” in this address mixes letters of different alphabets "
                                                   "(Cyrillic and Latin)"),
                       ("ali\u0307ce@example.com", "a mark that cannot be seen (U+0307)"),
                       ("alice@examp\u04cfe.com", "mixes letters of different alphabets"),
                       ("\uff41lice@example.com", "letters in a special form (fullwidth or styled")):
        resp = auth.register(email=email)
        assert resp.status_code == 400 and why in html_text(resp), email
    with app.app_context():
        assert db.session.scalar(select(User.id)) is None
    from types import SimpleNamespace

    from webapp.auth.forms import OWN_LOOK
    for email in ("山田@例え.jp", "コーヒー@example.jp", "пример@пример.рф", "नमस्ते@उदाहरण.भारत", "müller@straße.de",
                  "ade\u0301\u1eb9\u0301@example.ng", "b\u02bcer@example.com"):
        OWN_LOOK(None, SimpleNamespace(data=email))  # raises for a refused address
    assert auth.register(email="cafe\u0301@example.com").status_code == 302
    auth.logout()
    with app.app_context():
        assert "café@example.com" in set(db.session.scalars(select(User.email)))  # composed: one "é"
    # an account stored before addresses were composed (a letter and a separate mark) still signs in, typed either way
    with app.app_context():
        db.session.add(User(email="jose\u0301@example.com", role="candidate",
                            password_hash=db.session.scalar(select(User.password_hash))))
        db.session.commit()
    for typed in ("jose\u0301@example.com", "josé@example.com"):
        assert auth.login(typed).status_code == 302, ascii(typed)
        auth.logout()
    # the same rule when an address is changed
    auth.login("café@example.com")
    token = csrf_token(client, "/account")
    resp = client.post("/account/email", data={"csrf_token": token, "email-email": "caf\u0435@example.com",
                                                "email-password": "correct horse"})
    assert resp.status_code == 400 and "mixes letters of different alphabets" in html_text(resp)


def test_two_different_passwords_put_the_error_on_the_first_field(client):
    """Neither password comes back filled in, so the error (and the focus, which goes to the first invalid field) is
    on the first one, where typing starts again; the repeat field is not marked (an accessibility review)."""
    token = csrf_token(client, "/register")
    resp = client.post("/register", data={"email": "new@example.com", "password": "correct horse",
                                          "confirm": "correct horsf", "csrf_token": token})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "The two passwords do not match: type both again." in html
    inputs = {m.group(1): m.group(0) for m in re.finditer(r'<input[^>]*name="(password|confirm)"[^>]*>', html)}
    assert 'aria-invalid="true"' in inputs["password"] and 'aria-invalid' not in inputs["confirm"]


def test_login_logout(client, auth):
    auth.register()
    auth.logout()
    assert client.get("/questions").status_code == 302
    resp = auth.login(password="wrong password")
    assert resp.status_code == 400 and "Wrong e-mail or password" in resp.get_data(as_text=True)
    assert auth.login().status_code == 302
    assert client.get("/questions").status_code == 200


def test_login_next_only_redirects_locally(client, auth):
    auth.register()
    auth.logout()
    from tests.conftest import csrf_token
    token = csrf_token(client, "/login")
    resp = client.post("/login?next=https://evil.example/x",
                       data={"email": "cand@example.com", "password": "correct horse", "csrf_token": token})
    assert resp.headers["Location"].endswith("/questions")


def test_an_admin_lands_on_the_admin_overview_unless_sent_elsewhere(client, auth, make_admin):
    """Without a `next`, an admin's log-in leads to the admin overview, not to the candidates' questions; with one,
    to that page; a candidate still lands on the questions."""
    email, password = make_admin()
    resp = auth.login(email, password)
    assert resp.status_code == 302 and resp.headers["Location"] == "/admin/"
    auth.logout()
    token = csrf_token(client, "/login")
    resp = client.post("/login?next=/admin/users", data={"email": email, "password": password, "csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"] == "/admin/users"
    auth.logout()
    auth.register()
    auth.logout()
    assert auth.login().headers["Location"] == "/questions"


def test_a_signed_in_user_opening_login_goes_where_a_log_in_would(client, auth, make_admin):
    """/login while signed in leads where a log-in does: an admin to the admin overview, a candidate to the
    questions, a `next` of this site to that page, one elsewhere to the default (a fresh-eyes review)."""
    email, password = make_admin()
    auth.login(email, password)
    resp = client.get("/login")
    assert resp.status_code == 302 and resp.headers["Location"] == "/admin/"
    assert client.get("/login?next=/admin/users").headers["Location"] == "/admin/users"
    assert client.get("/login?next=https://evil.example/x").headers["Location"] == "/admin/"
    assert client.get("/register").headers["Location"] == "/admin/"
    auth.logout()
    auth.register()
    resp = client.get("/login")
    assert resp.status_code == 302 and resp.headers["Location"] == "/questions"
    assert client.get("/login?next=/history").headers["Location"] == "/history"
    assert client.get("/register").headers["Location"] == "/questions"


def test_deactivated_user_cannot_log_in(client, auth, app):
    """No session: the page to download or delete one's data, nothing else (tests/test_deactivated_data.py)."""
    auth.register()
    auth.logout()
    with app.app_context():
        db.session.execute(select(User)).scalar_one().active = False
        db.session.commit()
    resp = auth.login()
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/account/deactivated")
    assert "deactivated" in client.get("/account/deactivated").get_data(as_text=True)
    assert client.get("/questions").status_code == 302
    with client.session_transaction() as sess:
        assert "_user_id" not in sess


def test_csrf_rejected_without_token(client, auth):
    resp = client.post("/register", data={"email": "x@example.com", "password": "correct horse",
                                          "confirm": "correct horse"})
    assert resp.status_code == 400 and "security token" in resp.get_data(as_text=True)
    auth.register()
    resp = client.post("/questions/1/text", data={"answer": "hello"})
    assert resp.status_code == 400
    resp = client.post("/logout")
    assert resp.status_code == 400
    assert client.get("/questions").status_code == 200  # still logged in


def test_create_admin_command(runner, app):
    result = runner.invoke(args=["create-admin", "Boss@Example.com", "--password", "admin password"])
    assert result.exit_code == 0, result.output
    # the output names the database written to (its password hidden): a shell without DATABASE_URL writes elsewhere
    from sqlalchemy.engine import make_url
    shown = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).render_as_string(hide_password=True)
    assert f"(Database: {shown}.)" in result.output  # its password hidden: tests/test_config.py
    with app.app_context():
        user = db.session.execute(select(User)).scalar_one()
        assert user.email == "boss@example.com" and user.is_admin and user.check_password("admin password")
    result = runner.invoke(args=["create-admin", "x@example.com", "--password", "short"])
    assert result.exit_code != 0
    # the sign-up rules: a common password is refused for an admin too
    result = runner.invoke(args=["create-admin", "weak@example.com", "--password", "password"])
    assert result.exit_code != 0 and "too easy to guess" in result.output


def test_a_weak_password_typed_at_the_prompt_is_refused_before_it_is_asked_again(runner, app):
    """A stranger's install: create-admin asked for a weak password twice and only then refused it. It is checked as
    soon as it is typed (with the address: "boss" in boss@example.com is no password), and asked for again."""
    result = runner.invoke(args=["create-admin", "boss@example.com"],
                           input="password1\nbossboss1\nthree uncommon words\nthree uncommon words\n")
    assert result.exit_code == 0, result.output
    assert result.output.count("Repeat for confirmation") == 1, result.output
    assert "too easy to guess" in result.output and "e-mail address" in result.output
    with app.app_context():
        assert db.session.execute(select(User)).scalar_one().check_password("three uncommon words")
    result = runner.invoke(args=["set-password", "boss@example.com"], input="password1\nanother fine phrase\n"
                                                                              "another fine phrase\n")
    assert result.exit_code == 0 and result.output.count("Repeat for confirmation") == 1, result.output


def test_flask_worker_starts_a_worker_whatever_flask_was_given(runner, monkeypatch):
    """`flask --app wsgi worker`: sys.argv holds flask's arguments, which are not the worker's options."""
    import webapp.worker
    calls = []
    monkeypatch.setattr(webapp.worker, "main", lambda argv=None: calls.append(argv) or 0)
    monkeypatch.setattr("sys.argv", ["flask", "--app", "wsgi", "worker"])
    result = runner.invoke(args=["worker"])
    assert result.exit_code == 0 and calls == [[]]


def test_worker_help_does_not_start_a_worker():
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-m", "webapp.worker", "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.startswith("usage: python -m webapp.worker") and "started" not in out.stderr
    out = subprocess.run([sys.executable, "-m", "webapp.worker", "--queues=x"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "takes no options" in out.stderr


def test_create_admin_does_not_promote_an_account_someone_else_may_have_made(runner, app, client, auth):
    """The security review: sign-up is open and addresses are not checked, so a candidate could take the address an
    operator would later make an admin (at sign-up, or by changing theirs); create-admin then promoted that account,
    kept its owner's password and sessions, and dropped the operator's password without a word."""
    auth.register("squatter@example.com")
    token = csrf_token(client, "/account")
    assert client.post("/account/email", data={"csrf_token": token, "email-email": "hr-lead@example.com",
                                                "email-password": "correct horse"}).status_code == 302
    result = runner.invoke(args=["create-admin", "HR-lead@example.com", "--password", "operator chosen pass 2026"])
    assert result.exit_code != 0 and "has an account already" in result.output and "--promote" in result.output
    with app.app_context():
        assert db.session.execute(select(User)).scalar_one().role == "candidate"
    assert client.get("/admin/").status_code == 403
    # --promote: the operator's password is set and the other sessions end
    result = runner.invoke(args=["create-admin", "hr-lead@example.com", "--password", "operator chosen pass 2026",
                                 "--promote"])
    assert result.exit_code == 0 and "signed out everywhere" in result.output, result.output
    assert client.get("/admin/").status_code == 302  # the squatter's session is gone: to the log-in page
    assert auth.login("hr-lead@example.com", "correct horse").status_code == 400
    assert auth.login("hr-lead@example.com", "operator chosen pass 2026").status_code == 302
    assert client.get("/admin/").status_code == 200
