"""Shared fixtures, in the style of Flask's tutorial: app, client, runner, plus helpers."""
import re

import pytest
from flask_migrate import upgrade

from webapp import create_app
from webapp.cli import seed_questions
from webapp.extensions import db
from webapp.models import User


@pytest.fixture
def app(tmp_path):
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'test.sqlite'}",
        "MEDIA_DIR": str(tmp_path / "media"),
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
def make_admin(app):
    def make(email="admin@example.com", password="admin password"):
        with app.app_context():
            user = User(email=email, role="admin")
            user.set_password(password)
            db.session.add(user)
            db.session.commit()
        return email, password
    return make
