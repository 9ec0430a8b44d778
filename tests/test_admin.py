from tests.helpers import LONG_ANSWER
from tests.test_interview import post_answer
from webapp.jobs import run_pending


def test_admin_denied_to_anonymous_and_candidates(client, auth):
    assert client.get("/admin/").status_code == 302
    auth.register()
    assert client.get("/admin/").status_code == 403


def test_admin_overview_counts_and_averages(client, auth, app, make_admin):
    auth.register("a@example.com")
    post_answer(client, LONG_ANSWER)
    auth.logout()
    auth.register("b@example.com")
    post_answer(client, LONG_ANSWER)
    with app.app_context():
        run_pending()
    auth.logout()
    email, password = make_admin()
    auth.login(email, password)
    page = client.get("/admin/").get_data(as_text=True)
    assert '<span class="big" id="n-candidates">2</span>' in page
    assert '<span class="big" id="n-answers">2</span>' in page
    assert "Tell us about the last time you showed leadership." in page
    # admins can open any candidate's answer
    assert "Extraversion" in client.get("/answers/1").get_data(as_text=True)
