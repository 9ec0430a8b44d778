"""Bad numbers, dates, fields and headers in requests: a clear answer (404, a form error, a message),
never a 500, and a typed answer is not lost (found by sending such requests to a running instance)."""
import io
import itertools
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
    for path in (f"/answers/{HUGE}/delete", f"/answers/{HUGE}/retry"):
        resp = client.post(path, data={"csrf_token": token, "answer": "words " * 60})
        assert resp.status_code == 404, path
    # a typed answer sent to an interview id that cannot be read comes back with its text (not a 404 that loses it)
    resp = client.post("/questions/1/text?session=²", data={"csrf_token": token, "answer": "words " * 60})
    assert resp.status_code == 409 and ("words " * 60).strip() in resp.get_data(as_text=True)
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
    for name, (start, end) in itertools.product(("scores", "aggregates"), (("1970-01-01", "1970-12-31"),
                                                                           ("9998-01-01", "9998-12-31"))):
        resp = admin.get(f"/admin/export/{name}.csv?start={start}&end={end}")
        body = resp.get_data(as_text=True)          # the whole stream: it must not break off
        assert resp.status_code == 200 and body.splitlines()[0].count(",") >= 2, name
        # a filter it cannot read gives no file of other rows than asked for: the analytics page says why
        resp = admin.get(f"/admin/export/{name}.csv?start=0001-01-01&end=9999-12-31&question=abc")
        assert resp.status_code == 302 and resp.headers["Location"].startswith("/admin/analytics?"), name
        html = admin.get(resp.headers["Location"]).get_data(as_text=True)
        assert "Nothing was exported" in html and "use a date between 1970-01-01 and 9998-12-31" in html
        assert "Unknown question" in html
    resp = admin.get("/admin/export/scores.csv?start=1970-01-01&end=9998-12-31")  # past the longest range
    assert resp.status_code == 302 and "shortened to 731 days" in admin.get(resp.headers["Location"]).get_data(
        as_text=True)
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


def test_a_refused_upload_file_is_said_at_the_open_upload_form(client, auth):
    """Without JavaScript, a refused file came back with the error at the top of the page and the upload section
    folded shut (found by an accessibility audit): it is open now, the file field marked invalid and pointing at the
    message under it. Elsewhere (a referrer that is not the recorder) the message is an ordinary error."""
    auth.register()
    data = {"csrf_token": csrf_token(client, "/questions/4/audio"), "media": (io.BytesIO(b"not audio"), "a.webm")}
    resp = client.post("/questions/4/audio", data=data, content_type="multipart/form-data",
                       headers={"Referer": "http://localhost/questions/4/audio"})
    page = " ".join(client.get(resp.headers["Location"]).get_data(as_text=True).split())
    assert '<details class="card" id="upload-file" open>' in page
    assert 'id="media-file" accept="audio/*" aria-invalid="true" aria-describedby="media-file-error-1">' in page
    assert '<p class="error" id="media-file-error-1">This file is not an audio recording we can read' in page
    assert 'class="flash flash-error"' not in page.split('id="main"')[1].split("<h1")[0]  # not twice
    data = {"csrf_token": csrf_token(client, "/questions/4/audio"), "media": (io.BytesIO(b"not audio"), "a.webm")}
    resp = client.post("/questions/4/audio", data=data, content_type="multipart/form-data")
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert resp.headers["Location"] == "/questions" and 'class="flash flash-error" role="alert">This file is not an' in page


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


# --- Nothing lost, never a 500: what a review of every form found (2026-12-05) ----------------------------

SITE = {"Origin": "http://localhost"}


@pytest.mark.all_databases
def test_fields_longer_once_lower_cased_are_refused_not_a_500(client, auth, make_admin):
    """"İ".lower() is two characters: an e-mail or category that fits when typed may not fit its column
    once stored lower-cased (a DataError on PostgreSQL)."""
    resp = auth.register("İ" * 130 + "@example.com")
    assert resp.status_code == 400 and "E-mail is too long: at most 254 characters" in resp.get_data(as_text=True)
    email, password = make_admin()
    Auth(client).login(email, password)
    token = csrf_token(client, "/admin/questions")
    resp = client.post("/admin/questions", data={"csrf_token": token, "text": "Tell us about a time you led a team.",
                                                 "category": "İ" * 21})
    assert resp.status_code == 400 and "Category is too long: at most 40 characters (42 here once lower-cased)" in resp.get_data(as_text=True)
    html = client.post("/admin/questions", data={"csrf_token": token, "text": "Tell us about a time you led a team.",
                                                 "category": "c" * 41}).get_data(as_text=True)
    assert html.count("too long") == 1 and "at most 40 characters (41 here)" in html  # one error, not two
    # NUL in the admin's user search (PostgreSQL refuses it in a query): a message, every user listed
    page = client.get("/admin/users?q=a%00b")
    assert page.status_code == 200 and "invisible or control character" in page.get_data(as_text=True)


@pytest.mark.all_databases
def test_nul_in_the_log_in_e_mail_is_a_form_error(client):
    token = csrf_token(client, "/login")
    resp = client.post("/login", data={"email": "a\x00@example.com", "password": "correct horse", "csrf_token": token})
    assert resp.status_code == 400 and "invisible or control character" in resp.get_data(as_text=True)


@pytest.mark.all_databases
def test_the_same_address_signing_up_twice_at_once_gets_the_neutral_error(client, app, db_backend):
    """Two sign-ups of one address (a double submit): the second one's insert meets the first one's row,
    committed between its check and its insert; it gets the same neutral message as any taken address."""
    if db_backend == "sqlite":
        pytest.skip("SQLite cannot commit another connection's row while this request's transaction reads")
    from sqlalchemy import event, insert
    from sqlalchemy.orm import Session
    from webapp.extensions import db
    from webapp.models import User

    def first_one_lands_meanwhile(session, context, instances):  # after the route's check, before its insert
        new = [u for u in session.new if isinstance(u, User)]
        if new:
            with db.engine.begin() as other:
                other.execute(insert(User).values(email=new[0].email, role="candidate", password_hash="x",
                                                  active=True, session_token="t" * 32))

    event.listen(Session, "before_flush", first_one_lands_meanwhile)
    try:
        resp = Auth(client).register("twice@example.com")
    finally:
        event.remove(Session, "before_flush", first_one_lands_meanwhile)
    assert resp.status_code == 400 and "could not be created with these details" in resp.get_data(as_text=True)


def test_an_admins_question_form_with_an_expired_token_keeps_what_was_typed(client, make_admin):
    email, password = make_admin()
    Auth(client).login(email, password)
    typed = {"text": "Tell us about the hardest bug you fixed.", "category": "technical",
             "talking_points": "root cause\ntest"}
    for path in ("/admin/questions", "/admin/questions/1/edit"):
        html = client.post(path, data={"csrf_token": "stale", **typed}, headers=SITE).get_data(as_text=True)
        assert "security token was missing or had expired, so nothing was saved" in html, path
        assert typed["text"] in html and "root cause" in html and 'value="technical"' in html, path


def test_a_rate_limited_answer_comes_back_with_its_text(app, client, auth):
    app.config.update(UPLOAD_RATE_LIMIT="1 per minute", WEB_CONCURRENCY=1)
    auth.register()
    token = csrf_token(client, "/questions/1/text")
    assert client.post("/questions/1/text", data={"answer": "First " + "word " * 60, "csrf_token": token}
                       ).status_code == 302
    typed = "The second answer, sent too soon: " + "word " * 60
    resp = client.post("/questions/1/text", data={"answer": typed, "csrf_token": token}, headers=SITE)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 429 and "Too many attempts in a short time" in html and typed.strip() in html
    assert "your answer is below" in html
    assert count_answers(app) == 1
    # a PDF cannot be put back in its field: the message says to choose it again, not that it is below
    import io
    from tests.pdfs import text_pdf
    resp = client.post("/questions/1/text", data={"answer": "", "csrf_token": token, "pdf": (io.BytesIO(
        text_pdf("A letter. " * 20)), "letter.pdf")}, headers=SITE, content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 429 and "choose your PDF again" in html and "your answer is below" not in html


def test_a_pdf_sent_with_an_expired_token_is_asked_for_again_at_its_field(client, auth, app):
    """A robustness review: a PDF sent with a token that no longer matched (logged out and in again in another tab)
    got "Your answer is below: submit it again", about typed text, while the file was no longer chosen and nothing
    at the PDF field said to choose it again. It is said there (marked invalid, focused by form_errors.js)."""
    from tests.pdfs import text_pdf

    auth.register()
    token = csrf_token(client, "/questions/1/text")
    auth.logout()  # "in another tab": out and in again, a new session and token
    auth.login()
    resp = client.post("/questions/1/text", data={"answer": "", "csrf_token": token, "pdf": (io.BytesIO(
        text_pdf("A letter. " * 20)), "letter.pdf")}, headers=SITE, content_type="multipart/form-data")
    html = " ".join(resp.get_data(as_text=True).split())
    assert resp.status_code == 400 and count_answers(app) == 0
    assert ('<p class="error" id="pdf-error-1">The form&#39;s security token was missing or had expired, so this file '
            'was not saved: choose it again and submit.</p>') in html
    field = re.search(r'<input[^>]*name="pdf"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in field and "pdf-error-1" in field
    assert "is below" not in html and "flash-error" not in html
    # typed text with an expired token still comes back in the box, as before
    resp = client.post("/questions/1/text", data={"answer": "Typed " + "word " * 60, "csrf_token": token},
                       headers=SITE)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "Your answer is below: submit it again." in html and "pdf-error-1" not in html


def test_signed_out_while_answering_the_text_comes_back(client, auth, app):
    """Signed out on another tab while writing: the answer is not saved, and its text is shown again with
    a way to sign in and send it (not a redirect to the log-in page that drops it)."""
    auth.register()
    token = csrf_token(client, "/questions/1/text")
    other = client.application.test_client()  # the same account signs out everywhere from another device
    Auth(other).login()
    other.post("/account/sign-out-everywhere", data={"csrf_token": csrf_token(other, "/account")})
    typed = "Written while the session ended elsewhere: " + "word " * 60
    resp = client.post("/questions/1/text", data={"answer": typed, "csrf_token": token}, headers=SITE)
    html = resp.get_data(as_text=True)
    assert resp.status_code in (400, 401), resp.status_code
    assert typed.strip() in html and "sign in again in a new tab" in html
    assert resp.headers["Cache-Control"] == "private, no-store"   # the answer is on the page
    assert count_answers(app) == 0


def test_submit_again_after_signing_in_in_another_tab_is_not_called_an_error(client, auth, app):
    """The signed-out page's steps, followed exactly (sign in again in a new tab, come back, press "Submit again"),
    ended on a red "security token ... expired" error with HTTP 400 (a review). Its token was the signed-out
    session's, so nothing is saved; the answer form opens with the text and a neutral note instead."""
    from webapp.interview.routes import SIGNED_IN_AGAIN

    auth.register()
    token = csrf_token(client, "/questions/1/text")
    auth.logout()  # "in another tab"
    typed = "Written while signed out in another tab: " + "word " * 60
    resp = client.post("/questions/1/text", data={"answer": typed, "csrf_token": token}, headers=SITE)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 401 and "sign in again in a new tab" in html
    kept = dict(re.findall(r'<(?:input type="hidden"|textarea id="answer") name="(\w+)"(?: value="([^"]*)")?', html))
    assert set(kept) == {"csrf_token", "from_signed_out", "answer"}
    auth.login()  # the new tab
    resp = client.post("/questions/1/text", data={**kept, "answer": typed}, headers=SITE)  # "Submit again"
    html = " ".join(resp.get_data(as_text=True).split())
    assert resp.status_code == 200
    assert SIGNED_IN_AGAIN in html and 'class="flash flash-info"' in html
    assert "security token" not in html and "flash-error" not in html
    assert typed.strip() in html and count_answers(app) == 0  # the text, in the form; nothing saved
    # sent from the form it opens, the answer is saved
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    assert client.post("/questions/1/text", data={"answer": typed, "csrf_token": token}, headers=SITE
                       ).status_code == 302 and count_answers(app) == 1
    # a token that is wrong for another reason is still called what it is, without the signed-out page's mark
    resp = client.post("/questions/1/text", data={"answer": typed, "csrf_token": "stale"}, headers=SITE)
    assert resp.status_code == 400 and "security token was missing or had expired" in resp.get_data(as_text=True)
    assert count_answers(app) == 1


def test_a_recording_sent_with_an_old_token_or_signed_out_is_kept_in_the_page(client, auth, app):
    """The recorder's JSON contract: an expired token gets a fresh one to send the recording again with;
    signed out, a 401 with the log-in page's address (the recording stays in the browser)."""
    auth.register()
    page = "/questions/2/audio"
    csrf_token(client, page)
    json_ = {"Accept": "application/json", **SITE}

    def send(token):
        return client.post(page, headers={**json_, "X-CSRFToken": token}, content_type="multipart/form-data",
                           data={"media": (io.BytesIO(b"\x1aE\xdf\xa3 not really"), "a.webm")})
    resp = send("stale")
    body = resp.get_json()
    assert resp.status_code == 400 and body["csrf"] and "press Upload again" in body["error"]
    again = send(body["csrf"])
    assert again.status_code == 400 and "csrf" not in again.get_json()  # past the token: the file itself is refused
    auth.logout()
    resp = send("stale")
    assert resp.status_code == 400 and resp.get_json()["csrf"]
    resp = send(resp.get_json()["csrf"])
    assert resp.status_code == 401 and resp.get_json()["login_url"] == "/login"
    assert "You are signed out" in resp.get_json()["error"]
    # another site's request gets no fresh token
    other = client.post(page, headers={"Accept": "application/json", "Origin": "https://evil.example",
                                       "X-CSRFToken": "stale"}, data={})
    assert other.status_code == 400 and "csrf" not in other.get_json()


def test_a_pdf_sent_to_a_mock_interview_that_moved_on_is_asked_for_again(client, auth, app):
    from tests.test_practice import answer_written, current_answer_url, start_session
    auth.register()
    url = current_answer_url(client, start_session(client, count=1).headers["Location"])
    token = csrf_token(client, url)
    assert answer_written(client, url).status_code == 302                      # the interview is over
    resp = client.post(url, data={"csrf_token": token, "pdf": (io.BytesIO(b"%PDF-1.4 ..."), "letter.pdf")},
                       content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 409 and "your PDF was not added to it, nor kept. Upload it again below" in html
    assert count_answers(app) == 1


def test_the_same_pdf_sent_twice_to_a_mock_interview_is_a_double_submit(client, auth, app, monkeypatch):
    """The PDF stored as the interview's answer, sent again (a double click, the page sent twice): said to be received
    already (a double submit), not asked for again, which would invite a second copy; another PDF is still asked for again.
    Also when the second send passed the session check before the first was stored (the race path)."""
    import webapp.practice.service as service  # place_answer calls advance / replace there
    from tests.test_practice import current_answer_url, start_session
    auth.register()
    step_url = start_session(client, count=2).headers["Location"]
    url = current_answer_url(client, step_url)
    token = csrf_token(client, url)
    letter = b"%PDF-1.4 my cover letter ..."

    def send(data):
        return client.post(url, data={"csrf_token": token, "pdf": (io.BytesIO(data), "letter.pdf")},
                           content_type="multipart/form-data")

    assert send(letter).status_code == 302 and count_answers(app) == 1
    again = send(letter)                                           # the question moved on: the same file
    assert again.status_code == 302 and again.headers["Location"] == step_url
    page = client.get(step_url).get_data(as_text=True)
    assert "Upload it again" not in page
    # said as for a recording sent again, not refused as if the question had moved on (the closing note's left-alone)
    assert "Your PDF for question 1 of your mock interview had already been received, so it was not added a second time" in page
    assert "no longer the current question" not in page
    other = send(b"%PDF-1.4 another letter")
    assert other.status_code == 409 and "Upload it again below" in other.get_data(as_text=True)
    assert count_answers(app) == 1

    # the race: another send of the same file is stored between this one's session check and its UPDATE
    from sqlalchemy import insert, update
    from webapp import media
    from webapp.extensions import db
    from webapp.models import Answer, InterviewSession
    step_url = start_session(client, count=2).headers["Location"]
    url = current_answer_url(client, step_url)
    real = service.advance

    def advance(s, answer):
        with db.engine.begin() as other:
            other.execute(insert(Answer).values(user_id=s.user_id, question_id=answer.question_id, modality="pdf",
                                                media_path=media.save(s.user_id, letter, ".pdf"), word_count=0,
                                                status="queued", session_id=s.id))
            other.execute(update(InterviewSession).where(InterviewSession.id == s.id)
                          .values(position=InterviewSession.position + 1))
        return real(s, answer)

    monkeypatch.setattr(service, "advance", advance)
    raced = send(letter)
    assert raced.status_code == 302 and raced.headers["Location"] == step_url and count_answers(app) == 2


@pytest.mark.all_databases
def test_a_mock_interview_deleted_under_an_answer_gives_the_text_back(client, auth, app, monkeypatch):
    import webapp.practice.service as service  # place_answer calls advance / replace there
    from sqlalchemy import delete
    from tests.test_practice import answer_written, current_answer_url, start_session
    from webapp.extensions import db
    from webapp.models import InterviewSession
    auth.register()
    step_url = start_session(client, count=2).headers["Location"]
    url = current_answer_url(client, step_url)
    real = service.advance

    def deleted_in_another_tab(s, answer):
        with db.engine.begin() as other:
            other.execute(delete(InterviewSession).where(InterviewSession.id == s.id))
        return real(s, answer)
    monkeypatch.setattr(service, "advance", deleted_in_another_tab)
    typed = "Kept although its interview is gone: " + "word " * 60
    resp = answer_written(client, url, typed)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 409 and "This mock interview was deleted, so this answer was not added" in html
    assert typed.strip() in html and count_answers(app) == 0


def test_a_question_retired_meanwhile_still_takes_its_answers(client, auth, app):
    """An admin retires a question while a candidate answers it (alone, or in a mock interview): the
    answer is stored and the interview goes on; a new visit to the question alone is a 404."""
    from tests.test_practice import answer_written, current_answer_url, start_session
    from webapp.extensions import db
    from webapp.models import Question
    auth.register()
    step_url = start_session(client, count=2).headers["Location"]
    url = current_answer_url(client, step_url)
    qid = int(url.split("/")[2])
    token = csrf_token(client, f"/questions/{qid}/text")
    with app.app_context():
        db.session.get(Question, qid).retired = True
        db.session.commit()
    assert client.get(url).status_code == 200                                   # the interview's page
    assert answer_written(client, url).status_code == 302 and count_answers(app) == 1
    assert client.post(f"/questions/{qid}/text", data={"answer": "Alone, page open before: " + "word " * 60,
                                                       "csrf_token": token}).status_code == 302
    assert count_answers(app) == 2
    assert client.get(f"/questions/{qid}/text").status_code == 404


def test_the_same_text_sent_twice_in_a_minute_is_one_answer(client, auth, app):
    auth.register()
    token = csrf_token(client, "/questions/1/text")
    typed = "A double click on the button: " + "word " * 60
    first = client.post("/questions/1/text", data={"answer": typed, "csrf_token": token})
    assert '<meta name="draft-sent" content="' in client.get(first.headers["Location"]).get_data(as_text=True)
    second = client.post("/questions/1/text", data={"answer": typed, "csrf_token": token})
    assert first.status_code == second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"] and count_answers(app) == 1
    page = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "already submitted a moment ago" in page
    # it arrived, as the first did: the page tells the tab to drop the form's draft (static/js/draft.js), which Back
    # otherwise put in the box as "Your answer that was not sent is back" (a walk-through)
    assert '<meta name="draft-sent" content="' in page
    assert client.post("/questions/1/text", data={"answer": typed + " More.", "csrf_token": token}).status_code == 302
    assert count_answers(app) == 2


@pytest.mark.all_databases
def test_the_same_text_sent_twice_at_the_same_instant_is_one_answer(app, monkeypatch):
    """Two identical posts at once (two tabs, a form sent twice by the browser): the second waits for
    the first to be stored, then finds it. The first request pauses just before its commit until the
    second has been sent (or 1.5 s), so without the wait both would pass the check."""
    import threading

    from webapp.interview import routes

    clients = [app.test_client(), app.test_client()]
    Auth(clients[0]).register()
    Auth(clients[1]).login()
    tokens = [csrf_token(c, "/questions/1/text") for c in clients]
    first_in, second_in = threading.Event(), threading.Event()
    real_enqueue = routes.enqueue

    def slow_enqueue(answer):
        if not first_in.is_set():
            first_in.set()
            second_in.wait(1.5)   # the second request is under way meanwhile
        else:
            second_in.set()       # it got past the check: the race this test is about
        real_enqueue(answer)

    monkeypatch.setattr(routes, "enqueue", slow_enqueue)
    typed = "Sent from two tabs at once: " + "word " * 60
    results = [None, None]

    def send(i):
        results[i] = clients[i].post("/questions/1/text", data={"answer": typed, "csrf_token": tokens[i]})

    threads = [threading.Thread(target=send, args=(0,))]
    threads[0].start()
    assert first_in.wait(10)
    threads.append(threading.Thread(target=send, args=(1,)))
    threads[1].start()
    for t in threads:
        t.join(30)
    assert not second_in.is_set()
    assert [r.status_code for r in results] == [302, 302]
    assert results[0].headers["Location"] == results[1].headers["Location"]
    assert count_answers(app) == 1


@pytest.mark.all_databases
def test_an_answer_to_a_mock_interview_deleted_before_it_was_sent_comes_back(client, auth, app):
    """The interview was deleted in another tab before the answer was sent: a written answer comes back with its
    text, a recording is told where to keep it; another candidate's session id gets the same reply (it tells
    nothing), and only a page visit (GET) is a 404."""
    from sqlalchemy import delete
    from tests.test_practice import answer_written, current_answer_url, start_session
    from webapp.extensions import db
    from webapp.models import InterviewSession
    auth.register()
    url = current_answer_url(client, start_session(client, count=2).headers["Location"])
    qid = int(url.split("/")[2])
    with app.app_context():
        db.session.execute(delete(InterviewSession))
        db.session.commit()
    typed = "Sent after the interview was deleted elsewhere: " + "word " * 60
    resp = answer_written(client, url, typed)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 409 and ("This mock interview could not be found (it may have been deleted), so this "
                                        "answer was not added") in html
    assert typed.strip() in html and count_answers(app) == 0
    rec = client.post(f"/questions/{qid}/audio?session=1", headers={"Accept": "application/json"},
                      data={"csrf_token": csrf_token(client, f"/questions/{qid}/text")})
    assert rec.status_code == 409 and rec.get_json()["keep_url"] == f"/questions/{qid}/audio"
    assert client.get(url).status_code == 404
    auth.logout()
    auth.register("b@example.com")                      # another candidate's live interview
    theirs = current_answer_url(client, start_session(client, count=1).headers["Location"])
    auth.logout()
    auth.login()
    resp = answer_written(client, theirs, typed)
    assert resp.status_code == 409 and "This mock interview could not be found" in resp.get_data(as_text=True)
    assert client.get(theirs).status_code == 404 and count_answers(app) == 0
    unreadable = theirs.split("?")[0] + "?session=abc"  # a hand-edited address: the text still comes back
    resp = client.post(unreadable, data={"answer": typed, "csrf_token": csrf_token(client, theirs.split("?")[0])},
                       content_type="multipart/form-data")
    assert resp.status_code == 409 and typed.strip() in resp.get_data(as_text=True)
    assert client.get(unreadable).status_code == 404 and count_answers(app) == 0


def test_forget_short_estimates_changes_nothing_without_the_text_models_metrics(app, monkeypatch):
    import webapp.modelinfo as mi
    real = mi.model_metrics
    monkeypatch.setattr(mi, "model_metrics", lambda kind: None if kind == "text" else real(kind))
    out = app.test_cli_runner().invoke(args=["forget-short-estimates"])
    assert out.exit_code != 0 and "no trait score was taken out" in out.output, out.output


@pytest.mark.parametrize("headers", [{"Referer": "http://["}, {"Origin": "http://[::1"},
                                     {"Referer": "http://localhost[/x"}])
def test_a_header_that_is_no_url_is_not_this_site_and_not_a_500(client, auth, headers):
    """An Origin or Referer urlsplit cannot read (an unbalanced "[") is another site's: the plain "form expired"
    page for a stale token, the upload's usual way back for a bad file, never a 500 (fails without)."""
    auth.register()
    typed = "In my last job I led a small team through a difficult migration " * 6
    resp = client.post("/questions/1/text", data={"csrf_token": "stale", "answer": typed}, headers=headers)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "Form expired" in html and typed.strip() not in html
    data = {"csrf_token": csrf_token(client, "/questions/4/video"), "media": (io.BytesIO(b"not a video"), "a.webm")}
    resp = client.post("/questions/4/video", data=data, content_type="multipart/form-data", headers=headers)
    assert resp.status_code == 302 and resp.headers["Location"] == "/questions"


@pytest.mark.parametrize("target", ["/%0d%0aX:1", "/questions%0aSet-Cookie:x=1", "//[", "/\\evil.example",
                                    "/%09/evil.example", "/x%7f"])
def test_a_next_that_is_no_path_of_this_site_goes_to_the_questions(client, auth, target):
    """A log-in link's ``?next=`` with a line break (it would go into the Location header: a 500 after the log-in
    had succeeded), an unreadable host or a backslash: the candidate lands on the questions (fails without)."""
    auth.register()
    auth.logout()
    resp = client.post(f"/login?next={target}", data={"email": "cand@example.com", "password": "correct horse",
                                                       "csrf_token": csrf_token(client, "/login")})
    assert resp.status_code == 302 and resp.headers["Location"] == "/questions"
    auth.logout()
    ok = client.post("/login?next=/history", data={"email": "cand@example.com", "password": "correct horse",
                                                   "csrf_token": csrf_token(client, "/login")})
    assert ok.headers["Location"] == "/history"


@pytest.mark.parametrize("host", ["a..b", "..", "a" * 64])
def test_a_host_header_that_is_no_host_name_gets_a_plain_400(client, host):
    """werkzeug refuses such a Host (400) before any URL can be built: the error page cannot be the site's page
    (its links need the host), so it is said in plain text, not a bare 500 from gunicorn (fails without)."""
    for path in ("/", "/healthz", "/login"):
        resp = client.get(path, headers={"Host": host})
        assert resp.status_code == 400 and resp.mimetype == "text/plain"
        assert resp.get_data(as_text=True).startswith("Bad request:")
    resp = client.get("/api/answers/1/status", headers={"Host": host})
    assert resp.status_code == 400 and "error" in resp.get_json()


def test_a_forms_address_opened_as_a_page_leads_to_its_page(client, auth, app):
    """A refused account form leaves /account/password (or a deletion's address) in the address bar; opened
    again, or as a log-in's ?next=, it is the account page, not "That action is not available here" (405); an
    interview's finish address is its report, and ending it still needs the button (a POST)."""
    auth.register()
    for path in ("/account/password", "/account/email", "/account/delete-data", "/account/delete", "/account/sign-out-everywhere"):
        resp = client.get(path)
        assert resp.status_code == 302 and resp.headers["Location"] == "/account", path
    from sqlalchemy import select
    from webapp.extensions import db
    from webapp.models import InterviewSession, User
    with app.app_context():
        uid = db.session.scalar(select(User.id))
        s = InterviewSession(user_id=uid, mode="written", question_ids=[1, 2])
        db.session.add(s)
        db.session.commit()
        sid = s.id
    resp = client.get(f"/practice/{sid}/finish")
    assert resp.status_code == 302 and resp.headers["Location"] == f"/practice/{sid}/report"
    with app.app_context():
        assert db.session.get(InterviewSession, sid).finished_at is None
    assert client.get(f"/practice/{sid + 1}/finish").status_code == 404
    auth.logout()
    assert "/login" in client.get("/account/delete").headers["Location"]


def test_an_address_with_spaces_around_it_is_the_address_and_a_long_one_gets_one_message(client, auth):
    """Spaces around a pasted address are dropped before it is checked (it was refused as not valid); an address
    over 254 characters is told once that it is too long (it was told twice, by two checks)."""
    resp = auth.register("  Spaced@Example.com ")
    assert resp.status_code == 302
    auth.logout()
    assert auth.login(" spaced@example.com\t").status_code == 302
    auth.logout()
    html = auth.register("a" * 290 + "@example.com").get_data(as_text=True)
    assert html.count("too long") == 1 and "E-mail is too long: at most 254 characters (302 here)" in html
    assert 'maxlength="254"' in html
