"""Shared fixtures, in the style of Flask's tutorial: app, client, runner, plus helpers.

Modules marked ``all_databases`` run against SQLite and, when TEST_DATABASE_URL is set
(e.g. postgresql+psycopg://user:pw@127.0.0.1/interview_test), against PostgreSQL too.
"""
import os
import re

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from webapp import create_app
from webapp.cli import seed_questions
from webapp.extensions import db
from webapp.models import User


def pytest_generate_tests(metafunc):
    if "db_backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker("all_databases"):
        backends = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
        metafunc.parametrize("db_backend", backends, indirect=True)


@pytest.fixture
def db_backend(request):
    return getattr(request, "param", "sqlite")


def fresh_database_url(db_backend, tmp_path):
    if db_backend == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite'}"
    url = os.environ["TEST_DATABASE_URL"]
    engine = create_engine(url)
    with engine.begin() as conn:  # an empty database for every test
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.fixture
def app(tmp_path, db_backend):
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test",
        "SQLALCHEMY_DATABASE_URI": fresh_database_url(db_backend, tmp_path),
        "MEDIA_DIR": str(tmp_path / "media"),
        "LOCK_DIR": str(tmp_path / "locks"),
        "REDIS_URL": None,
        # every result moves the averages at once here; tests/test_batched_averages.py runs the
        # default batches
        "AVERAGES_BATCH_RESULTS": 0,
        "AVERAGES_BATCH_PEOPLE": 0,
    })
    with app.app_context():
        upgrade()  # the schema comes from the migrations, as in production
        seed_questions()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token(client, url):
    html = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
        re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


class Auth:
    def __init__(self, client):
        self.client = client

    def register(self, email="cand@example.com", password="correct horse"):
        token = csrf_token(self.client, "/register")
        return self.client.post("/register", data={"email": email, "password": password,
                                                   "confirm": password, "csrf_token": token})

    def login(self, email="cand@example.com", password="correct horse"):
        token = csrf_token(self.client, "/login")
        return self.client.post("/login", data={"email": email, "password": password, "csrf_token": token})

    def logout(self):
        token = csrf_token(self.client, "/questions")
        return self.client.post("/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def whole_essay_text_figures(monkeypatch):
    """The text model's whole-essay figures at every answer length (its by-length figures left out), for
    tests of averages, reports and pages that are not about the length rule: their answers (tests.helpers'
    LONG_ANSWER has 99 words) would otherwise show only some traits. tests/test_text_lengths.py tests the rule."""
    from dataclasses import replace
    from webapp import modelinfo
    whole = replace(modelinfo.model_metrics("text"), by_length=())
    real = modelinfo.model_metrics
    monkeypatch.setattr(modelinfo, "model_metrics", lambda kind: whole if kind == "text" else real(kind))
    return whole


@pytest.fixture
def make_admin(app):
    def make(email="admin@example.com", password="admin password"):
        with app.app_context():
            user = User(email=email, role="admin")
            user.set_password(password)
            db.session.add(user)
            db.session.commit()
        return email, password
    return make


@pytest.fixture(scope="session")
def playwright_instance():
    """One Playwright (sync API) for the whole run: a second ``sync_playwright()`` while the first is
    alive fails ("using Playwright Sync API inside the asyncio loop"), so every test that drives
    Chromium (tests/browser/, tests/test_display_fixes.py) shares this one."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        yield p
