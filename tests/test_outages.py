"""A service down (the operations review): the database unreachable while a candidate is signed in gives a page
that says so and keeps a typed answer, not gunicorn's bare "Internal Server Error"."""
import re

from sqlalchemy.exc import OperationalError

from tests.conftest import csrf_token
from tests.helpers import LONG_ANSWER
from webapp.extensions import login_manager


def test_a_signed_in_candidate_gets_a_clear_page_and_the_typed_answer_when_the_database_is_down(client, auth, app):
    auth.register()
    token = csrf_token(client, "/questions/1/text")
    typed = "My answer <b>with</b> & marks. " + LONG_ANSWER
    real = login_manager._user_callback

    def database_down(user_id):
        raise OperationalError("SELECT users", {}, Exception("could not connect to server"))

    login_manager._user_callback = database_down
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the error handler answers
    try:
        resp = client.post("/questions/1/text", data={"answer": typed, "csrf_token": token},
                           headers={"Origin": "http://localhost"})  # sent from the site's own page, as a browser does
        page = resp.get_data(as_text=True)
        assert resp.status_code == 500 and "Something went wrong" in page and "try again in a few minutes" in page
        assert re.search(r"<textarea readonly[^>]*>My answer &lt;b&gt;with&lt;/b&gt; &amp; marks\. ", page)
        assert resp.headers["Cache-Control"] == "private, no-store"  # who asked is unknown: kept out of caches
        resp = client.get("/history")
        assert resp.status_code == 500 and "Something went wrong" in resp.get_data(as_text=True)
        assert "<textarea" not in resp.get_data(as_text=True)
    finally:
        login_manager._user_callback = real
    assert client.get("/history").status_code == 200  # back once the database is
