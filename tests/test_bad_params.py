"""Bad numbers, dates, fields and headers in requests: a clear answer (404, a form error, a message),
never a 500, and a typed answer is not lost (found by sending such requests to a running instance)."""
import io
import re

import pytest

from tests.conftest import Auth, csrf_token
from tests.test_interview import count_answers

HUGE = "99999999999999999999"          # past any 64-bit row id
JUST_PAST = str(2 ** 63)               # the first number past it


@pytest.mark.all_databases
@pytest.mark.parametrize("path", [
    f"/answers/{HUGE}", f"/answers/{JUST_PAST}", f"/answers/{HUGE}/media", f"/answers/{HUGE}/heatmap.png",
    f"/questions/{HUGE}/text", f"/questions/{JUST_PAST}/video", f"/practice/{HUGE}", f"/practice/{HUGE}/report",
    f"/api/answers/{HUGE}/status", f"/api/practice/{HUGE}/status",
    "/questions/1/text?session=²", "/questions/2/audio?session=٣", f"/questions/1/text?session={HUGE}",
    f"/practice/progress?question={JUST_PAST}",
])
def test_numbers_past_any_id_are_not_found(client, auth, path):
    auth.register()
    resp = client.get(path)
    assert resp.status_code == 404, (path, resp.status_code)


@pytest.mark.all_databases
def test_huge_ids_in_posts_and_queries_are_not_found(client, auth):
    auth.register()
    token = csrf_token(client, "/questions/1/text")
    for path in (f"/answers/{HUGE}/delete", f"/answers/{HUGE}/retry", f"/questions/1/text?session=²"):
        resp = client.post(path, data={"csrf_token": token, "answer": "words " * 60})
        assert resp.status_code == 404, path
    assert count_answers(client.application) == 0
    assert client.get("/practice/progress?question=abc").status_code == 200    # not a number: all questions


@pytest.mark.all_databases
def test_admin_pages_take_odd_numbers_and_dates(app, make_admin):
    email, password = make_admin()
    admin = app.test_client()
    assert Auth(admin).login(email, password).status_code == 302
    for page in (HUGE, "461168601842738791", "0", "-1", "x"):
        assert admin.get(f"/admin/users?page={page}").status_code == 200, page
    resp = admin.get("/admin/analytics?question=²&end=0001-01-01&start=9999-12-31")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Unknown question" in html and "use a date between 1970-01-01 and 9998-12-31" in html
    for name in ("scores", "aggregates"):
        resp = admin.get(f"/admin/export/{name}.csv?start=0001-01-01&end=9999-12-31")
        body = resp.get_data(as_text=True)          # the whole stream: it must not break off
        assert resp.status_code == 200 and body.splitlines()[0].count(",") >= 2, name
    assert admin.post(f"/admin/users/{HUGE}/deactivate",
                      data={"csrf_token": csrf_token(admin, "/admin/users")}).status_code == 404


def test_a_text_field_sent_as_a_file_is_an_empty_field_not_a_crash(client, auth, app, make_admin):
    auth.register()
    token = csrf_token(client, "/questions/1/text")
    resp = client.post("/questions/1/text", data={"csrf_token": token, "answer": (io.BytesIO(b"text"), "a.txt")},
                       content_type="multipart/form-data")
    assert resp.status_code == 400 and "The answer is empty" in resp.get_data(as_text=True)
    assert count_answers(app) == 0
    email, password = make_admin()
    admin = app.test_client()
    Auth(admin).login(email, password)
    token = csrf_token(admin, "/admin/questions")
    resp = admin.post("/admin/questions", data={"csrf_token": token, "text": (io.BytesIO(b"x" * 20), "q.txt"),
                                                "category": "behavioural",
                                                "talking_points": (io.BytesIO(b"a"), "p.txt")},
                      content_type="multipart/form-data")
    assert resp.status_code in (200, 400) and "This field is required" in resp.get_data(as_text=True)


def test_control_characters_are_refused_where_others_would_see_them(client, app, make_admin):
    auth = Auth(client)
    for email in ("nul\x00@example.com", "eve\u202e@example.com"):
        html = auth.register(email).get_data(as_text=True)
        assert "invisible or control character" in html, email
    html = auth.register("long@example.com", "x" * 201).get_data(as_text=True)
    assert "Use at most 200 characters." in html and "Use at least 8 characters." not in html
    email, password = make_admin()
    admin = app.test_client()
    Auth(admin).login(email, password)
    token = csrf_token(admin, "/admin/questions")
    html = admin.post("/admin/questions", data={"csrf_token": token, "text": "Tell us about a time\x00 you led.",
                                                "category": "be\u202ehavioural", "talking_points": "result\x01"}
                      ).get_data(as_text=True)
    assert html.count("invisible or control character") == 3
    ok = admin.post("/admin/questions", data={"csrf_token": token, "text": "Tell us about a time\nyou led a team.",
                                              "category": "behavioural", "talking_points": "result"})
    assert ok.status_code == 302                       # line breaks in a question are fine


def test_an_expired_form_gives_the_typed_answer_back(client, auth, app):
    auth.register()
    typed = "In my last job I led a small team through a difficult migration " * 6
    # from another site (its Origin): the plain "form expired" page, the text is not put in a form here
    other = client.post("/questions/1/text", data={"csrf_token": "stale", "answer": typed},
                        headers={"Origin": "https://evil.example"})
    assert other.status_code == 400 and typed.strip() not in other.get_data(as_text=True)
    assert client.post("/questions/1/text", data={"csrf_token": "stale", "answer": typed}).status_code == 400
    resp = client.post("/questions/1/text", data={"csrf_token": "stale", "answer": typed},
                       headers={"Origin": "http://localhost"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "security token was missing or had expired" in html
    assert typed.strip() in html and 'name="csrf_token"' in html          # the text and a fresh token
    assert count_answers(app) == 0
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    again = client.post("/questions/1/text", data={"csrf_token": token, "answer": typed})
    assert again.status_code == 302 and count_answers(app) == 1


@pytest.mark.parametrize("referer,back", [
    ("https://evil.example/phish", "/questions"),                                   # another site
    ("http://localhost//evil.example/x", "/questions"),                             # a path that reads as a site
    ("http://localhost/questions/4/video?session=3", "/questions/4/video?session=3"),  # the page it came from
])
def test_a_bad_upload_goes_back_to_this_site_only(client, auth, referer, back):
    auth.register()
    data = {"csrf_token": csrf_token(client, "/questions/4/video"), "media": (io.BytesIO(b"not a video"), "a.webm")}
    resp = client.post("/questions/4/video", data=data, content_type="multipart/form-data", headers={"Referer": referer})
    assert resp.status_code == 302 and resp.headers["Location"] == back


def test_an_expired_form_on_a_missing_question_or_finished_session_is_not_a_500(client, auth):
    auth.register()
    site = {"Origin": "http://localhost"}
    assert client.post("/questions/99999/text", data={"csrf_token": "stale", "answer": "x"}, headers=site
                       ).status_code == 404
    from tests.test_practice import answer_written, current_answer_url, start_session
    step_url = start_session(client, count=1).headers["Location"]
    url = current_answer_url(client, step_url)
    assert answer_written(client, url).status_code == 302                           # the session is over
    resp = client.post(url, data={"csrf_token": "stale", "answer": " "}, headers=site)  # nothing typed: refused
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/report")


def test_json_bodies_fill_no_html_form(client, auth, app):
    auth.register()
    token = csrf_token(client, "/questions/1/text")
    for body in ({"answer": 5}, {"answer": {"a": 1}}, ["x"]):
        resp = client.post("/questions/1/text", json=body, headers={"X-CSRFToken": token})
        assert resp.status_code == 400, body
    assert count_answers(app) == 0
    fresh = app.test_client()
    page = csrf_token(fresh, "/register")
    assert fresh.post("/register", json={"email": 5, "password": 5}, headers={"X-CSRFToken": page}).status_code == 400
