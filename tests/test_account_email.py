"""A candidate changes the address they log in with, on the account page (confirmed with the password)."""
import pytest
from sqlalchemy import select

from tests.conftest import Auth, csrf_token
from webapp.extensions import db
from webapp.models import User

pytestmark = pytest.mark.all_databases


def change(client, email, password="correct horse"):
    token = csrf_token(client, "/account")
    return client.post("/account/email", data={"csrf_token": token, "email-email": email, "email-password": password})


def emails(app):
    with app.app_context():
        return sorted(db.session.execute(select(User.email)).scalars())


def test_a_new_address_logs_in_and_the_old_one_no_longer_does(app, client):
    auth = Auth(client)
    auth.register("old@example.com")
    resp = change(client, "  New@Example.com ")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/account")
    page = client.get("/account").get_data(as_text=True)
    assert "Signed in as <strong>new@example.com</strong>" in page  # still signed in, the address stored lower-case
    assert "log in with it from now on (no longer with old@example.com)" in page
    assert emails(app) == ["new@example.com"]
    auth.logout()
    assert auth.login("old@example.com").status_code == 400  # refused: the form again, with its message
    assert auth.login("new@example.com").status_code == 302


@pytest.mark.parametrize("email, password, field, message", [
    ("new@example.com", "wrong password", "email-password", "This is not your password. Your address was not changed."),
    ("OLD@example.com", "correct horse", "email-email", "This is already your address."),
    ("not an address", "correct horse", "email-email", "Enter a valid e-mail address."),
    ("", "correct horse", "email-email", "Enter the new address."),
    ("new@example.com", "", "email-password", "Enter your password to confirm."),
])
def test_a_refused_change_says_why_and_changes_nothing(app, client, email, password, field, message):
    Auth(client).register("old@example.com")
    resp = change(client, email, password)
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert message in html
    assert f'id="{field}"' in html and 'aria-invalid="true"' in html
    assert emails(app) == ["old@example.com"]


def test_another_accounts_address_is_refused_without_saying_that_it_has_an_account(app, client):
    Auth(app.test_client()).register("taken@example.com")
    Auth(client).register("old@example.com")
    resp = change(client, "Taken@example.com")
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert "This address cannot be used. Choose another one." in html
    assert "taken@example.com" not in html.lower().replace('value="taken@example.com"', "")  # only in the field
    assert emails(app) == ["old@example.com", "taken@example.com"]


def test_without_the_pages_csrf_token_nothing_changes(app, client):
    Auth(client).register("old@example.com")
    resp = client.post("/account/email", data={"email-email": "new@example.com", "email-password": "correct horse"})
    assert resp.status_code == 400
    assert emails(app) == ["old@example.com"]
