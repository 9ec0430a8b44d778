"""Drafts of typed forms kept in the browser tab (webapp.drafts, static/js/draft.js): what the pages tell the script.

An admin whose session ended while writing a question found the form empty after logging in again: the question forms
now name their draft as the candidates' written-answer form does, the log-in page a page needing sign-in sent to keeps
the tab's drafts until someone signs in, a saved question's next page drops its draft, and a draft older than the
last save is not offered again (data-last-saved, on the server's clock). tests/browser/test_pages.py runs the script.
"""
import re
from datetime import timezone

import pytest

from tests.conftest import csrf_token
from tests.helpers import LONG_ANSWER
from tests.test_interview import post_answer
from webapp.extensions import db
from webapp.models import Answer, Question, User, new_session_token

#: what a browser sends with a form of this site (without it a form whose token no longer matches is not shown again)
SAME_SITE = {"Origin": "http://localhost"}
NEW_QUESTION = "Tell us about a time you changed your mind after hearing a colleague out."


def _ms(when):
    return int(when.replace(tzinfo=timezone.utc).timestamp() * 1000)


def _form_tag(page: str, marker: str) -> str:
    """The opening tag of the form whose tag contains ``marker``."""
    start = page.index(marker)
    start = page.rindex("<form", 0, start)
    return page[start:page.index(">", page.index("data-draft-fields", start)) + 1]


def _attr(tag: str, name: str) -> str | None:
    m = re.search(rf'\s{name}(?:="([^"]*)")?', tag)
    return None if m is None else (m.group(1) or "")


def _meta(page: str, name: str) -> str | None:
    m = re.search(rf'<meta name="{name}" content="([^"]*)">', page)
    return m.group(1) if m else None


def _user_id(app, email) -> int:
    with app.app_context():
        return db.session.query(User.id).filter_by(email=email).scalar()


@pytest.fixture
def admin(app, auth, make_admin):
    email, password = make_admin()
    auth.login(email, password)
    return _user_id(app, email)


def _add(client, text=NEW_QUESTION, **more):
    token = csrf_token(client, "/admin/questions")
    return client.post("/admin/questions", data={"text": text, "category": "behavioural", "talking_points": "",
                                                 "csrf_token": token, **more})


def test_the_question_forms_name_their_draft_and_say_when_one_is_back(client, admin):
    page = client.get("/admin/questions").get_data(as_text=True)
    tag = _form_tag(page, 'id="add-question"')
    assert _attr(tag, "data-draft-key") == f"{admin}:question-new"
    assert _attr(tag, "data-draft-fields") == "text category talking_points"
    assert _attr(tag, "data-draft-fresh") == "" and _attr(tag, "data-last-saved") == "0"  # nothing saved yet
    assert int(_attr(tag, "data-server-now")) > 0
    note = re.search(r'<p class="hint" id="draft-restored" role="status" hidden>([^<]*)<button type="button" '
                     r'class="small secondary"\s+id="draft-discard">Discard it</button></p>', page)
    assert note and "not saved is back in the form below" in note.group(1)
    # every field named is in the form
    for name in ("text", "category", "talking_points"):
        assert f'name="{name}"' in page
    page = client.get("/admin/questions/1/edit").get_data(as_text=True)
    tag = _form_tag(page, 'action="/admin/questions/1/edit"')
    assert _attr(tag, "data-draft-key") == f"{admin}:question-1" and _attr(tag, "data-draft-fresh") == ""
    assert _attr(tag, "data-last-saved") == "0"  # a seeded question: no admin saved it
    assert 'id="draft-restored" role="status" hidden' in page
    assert _meta(page, "draft-owner") == str(admin)


def test_a_saved_question_drops_its_draft_and_dates_older_ones(app, client, admin, auth, make_admin):
    assert _add(client).status_code == 302
    page = client.get("/admin/questions").get_data(as_text=True)
    assert _meta(page, "draft-sent") == f"{admin}:question-new"  # the page after drops it
    with app.app_context():
        q = db.session.query(Question).filter_by(text=NEW_QUESTION).one()
        qid, added = q.id, q.created_at
        assert q.saved_by == admin
    tag = _form_tag(page, 'id="add-question"')
    # a new question's draft typed before that save (this one, its next page never seen) is not offered again
    assert _attr(tag, "data-last-saved") == str(_ms(added))
    assert int(_attr(tag, "data-server-now")) >= _ms(added)
    assert _meta(client.get("/admin/questions").get_data(as_text=True), "draft-sent") is None  # once

    token = csrf_token(client, f"/admin/questions/{qid}/edit")
    resp = client.post(f"/admin/questions/{qid}/edit", data={"text": NEW_QUESTION + " What changed?",
                                                              "category": "teamwork", "talking_points": "",
                                                              "csrf_token": token})
    assert resp.status_code == 302
    page = client.get(f"/admin/questions/{qid}/edit").get_data(as_text=True)
    assert _meta(page, "draft-sent") == f"{admin}:question-{qid}"
    with app.app_context():
        edited = db.session.get(Question, qid).saved_at
    assert edited >= added
    assert _attr(_form_tag(page, f'action="/admin/questions/{qid}/edit"'), "data-last-saved") == str(_ms(edited))

    # another admin: the question's last save counts on its edit form (by anyone), but their new question's draft is
    # dated by their own saves only, and the first admin's drafts are not theirs (draft-owner)
    auth.logout()
    email, password = make_admin("other@example.com", "other password")
    auth.login(email, password)
    other = _user_id(app, email)
    page = client.get("/admin/questions").get_data(as_text=True)
    assert _meta(page, "draft-owner") == str(other) and _meta(page, "draft-sent") is None
    tag = _form_tag(page, 'id="add-question"')
    assert _attr(tag, "data-draft-key") == f"{other}:question-new" and _attr(tag, "data-last-saved") == "0"
    page = client.get(f"/admin/questions/{qid}/edit").get_data(as_text=True)
    tag = _form_tag(page, f'action="/admin/questions/{qid}/edit"')
    assert _attr(tag, "data-draft-key") == f"{other}:question-{qid}"
    assert _attr(tag, "data-last-saved") == str(_ms(edited))


def test_a_refused_question_keeps_its_draft_and_is_not_offered_it_again(app, client, admin):
    """A form shown again with its errors holds what was typed: its draft stays, unsaved, and is not put back over it
    (no data-draft-fresh); nothing says it was saved."""
    resp = _add(client, text="Too short")
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    tag = _form_tag(page, 'id="add-question"')
    assert _attr(tag, "data-draft-fresh") is None and _attr(tag, "data-draft-key") == f"{admin}:question-new"
    assert "Too short</textarea>" in page
    assert _meta(page, "draft-sent") is None and _meta(client.get("/admin/questions").get_data(as_text=True),
                                                       "draft-sent") is None
    token = csrf_token(client, "/admin/questions/1/edit")
    resp = client.post("/admin/questions/1/edit", data={"text": "<b>Bold</b> question here?", "category": "x",
                                                        "talking_points": "", "csrf_token": token})
    assert resp.status_code == 400
    tag = _form_tag(resp.get_data(as_text=True), 'action="/admin/questions/1/edit"')
    assert _attr(tag, "data-draft-fresh") is None
    with app.app_context():
        assert db.session.get(Question, 1).saved_at is None  # nothing saved: an older draft still counts


@pytest.mark.parametrize("how", ["signed out everywhere", "session cookie gone"])
def test_a_question_sent_after_the_session_ended_waits_in_the_tab_for_the_log_in(app, client, admin, how):
    """The bug: the admin's session ended while they wrote; Add sent them to log in and the form came back empty. The
    log-in page keeps the tab's drafts (draft-hold, and says so when there are some); after logging in, the question
    bank opens afresh with its form's draft key, for the script to put the question back."""
    token = csrf_token(client, "/admin/questions")
    with app.app_context():
        n = db.session.query(Question).count()
        if how == "signed out everywhere":  # another device ended every session of the account
            db.session.get(User, admin).session_token = new_session_token()
            db.session.commit()
    if how == "session cookie gone":  # the browser dropped it (its session expired): the token no longer matches
        client.delete_cookie("session")
    resp = client.post("/admin/questions", data={"text": NEW_QUESTION, "category": "behavioural",
                                                 "talking_points": "", "csrf_token": token}, headers=SAME_SITE)
    assert resp.status_code == 302 and resp.headers["Location"] == "/login?next=%2Fadmin%2Fquestions"
    with app.app_context():
        assert db.session.query(Question).count() == n  # nothing saved
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert _meta(page, "draft-owner") == "" and _meta(page, "draft-hold") == ""
    assert re.search(r'<p class="flash flash-info" id="draft-held" role="status" hidden>What you typed', page)
    # a wrong password keeps them too (the form is sent to the same address)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    wrong = client.post(resp.headers["Location"], data={"email": "admin@example.com", "password": "nope",
                                                         "csrf_token": token})
    assert wrong.status_code == 400 and _meta(wrong.get_data(as_text=True), "draft-hold") == ""
    back = client.post(resp.headers["Location"], data={"email": "admin@example.com", "password": "admin password",
                                                       "csrf_token": token})
    assert back.status_code == 302 and back.headers["Location"] == "/admin/questions"
    page = client.get("/admin/questions").get_data(as_text=True)
    assert _meta(page, "draft-owner") == str(admin) and _meta(page, "draft-hold") is None
    tag = _form_tag(page, 'id="add-question"')
    assert _attr(tag, "data-draft-key") == f"{admin}:question-new" and _attr(tag, "data-draft-fresh") == ""


def test_the_edit_form_sent_signed_out_comes_back_to_itself_after_the_log_in(app, client, admin):
    token = csrf_token(client, "/admin/questions/2/edit")
    client.delete_cookie("session")
    resp = client.post("/admin/questions/2/edit", data={"text": NEW_QUESTION, "category": "behavioural",
                                                        "talking_points": "", "csrf_token": token}, headers=SAME_SITE)
    assert resp.status_code == 302 and resp.headers["Location"] == "/login?next=%2Fadmin%2Fquestions%2F2%2Fedit"
    assert _meta(client.get(resp.headers["Location"]).get_data(as_text=True), "draft-hold") == ""
    token = csrf_token(client, resp.headers["Location"])
    back = client.post(resp.headers["Location"], data={"email": "admin@example.com", "password": "admin password",
                                                       "csrf_token": token})
    assert back.headers["Location"] == "/admin/questions/2/edit"
    tag = _form_tag(client.get("/admin/questions/2/edit").get_data(as_text=True), 'action="/admin/questions/2/edit"')
    assert _attr(tag, "data-draft-key") == f"{admin}:question-2" and _attr(tag, "data-draft-fresh") == ""
    with app.app_context():
        assert db.session.get(Question, 2).text != NEW_QUESTION


@pytest.mark.parametrize("url", ["/login", "/login?next=", "/login?next=%2F%2Fevil.example%2F",
                                 "/login?next=https%3A%2F%2Fevil.example%2Fadmin", "/login?next=%2Faccount",
                                 "/login?next=%2Fanswers", "/login?next=%2Fno-such-page"])
def test_only_a_log_in_page_that_leads_back_keeps_the_drafts(client, url):
    """Any other page served signed out forgets them all (the next person at a shared computer may use the tab)."""
    page = client.get(url).get_data(as_text=True)
    assert _meta(page, "draft-owner") == "" and _meta(page, "draft-hold") is None
    assert _meta(client.get("/").get_data(as_text=True), "draft-hold") is None


def test_a_signed_in_log_in_page_holds_no_drafts_of_others(client, auth):
    auth.register()
    resp = client.get("/login?next=%2Fadmin%2Fquestions")
    assert resp.status_code == 302  # signed in: no log-in page, so nothing held for anyone


def test_the_written_answer_form_uses_the_same_marks(app, client, auth):
    auth.register()
    uid = _user_id(app, "cand@example.com")
    page = client.get("/questions/1/text").get_data(as_text=True)
    tag = _form_tag(page, 'data-draft-key=')
    assert _attr(tag, "data-draft-key") == f"{uid}:1" and _attr(tag, "data-draft-fields") == "answer"
    assert _attr(tag, "data-last-saved") == "0" and _attr(tag, "data-draft-fresh") == ""
    assert 'id="draft-restored" role="status" hidden>Your answer that was not sent is back' in page
    post_answer(client, LONG_ANSWER)
    page = client.get("/questions/1/text").get_data(as_text=True)
    assert _meta(page, "draft-sent") == f"{uid}:1"
    with app.app_context():
        sent = db.session.query(Answer.created_at).filter_by(user_id=uid, question_id=1).scalar()
    assert _attr(_form_tag(page, 'data-draft-key='), "data-last-saved") == str(_ms(sent))


def test_a_question_outlives_the_admin_who_saved_it(app, client, admin, auth, make_admin):
    """questions.saved_by names an account: deleting it keeps the question (SET NULL), and its edit form then dates
    drafts by the save still."""
    from webapp.answers import delete_account_and_data
    assert _add(client).status_code == 302
    auth.logout()
    with app.app_context():
        q = db.session.query(Question).filter_by(text=NEW_QUESTION).one()
        qid, saved = q.id, q.saved_at
        delete_account_and_data(db.session.get(User, admin))
    with app.app_context():
        q = db.session.get(Question, qid)
        assert q is not None and q.saved_by is None and q.saved_at == saved
    email, password = make_admin("other@example.com", "other password")
    auth.login(email, password)
    page = client.get(f"/admin/questions/{qid}/edit").get_data(as_text=True)
    tag = _form_tag(page, f'action="/admin/questions/{qid}/edit"')
    assert _attr(tag, "data-last-saved") == str(_ms(saved))


def test_editing_another_question_does_not_date_out_a_new_questions_draft(app, client, admin):
    """A review: the new-question form was dated by the admin's latest save of any question, so typing a new question,
    editing another one and coming back dropped the typed question. It is dated by their latest added question."""
    typing = int(_attr(_form_tag(client.get("/admin/questions").get_data(as_text=True), 'id="add-question"'),
                       "data-server-now"))  # the draft is typed from here on
    token = csrf_token(client, "/admin/questions/2/edit")
    resp = client.post("/admin/questions/2/edit", data={"text": NEW_QUESTION, "category": "behavioural",
                                                        "talking_points": "", "csrf_token": token})
    assert resp.status_code == 302
    with app.app_context():
        assert db.session.get(Question, 2).saved_by == admin
    tag = _form_tag(client.get("/admin/questions").get_data(as_text=True), 'id="add-question"')
    assert int(_attr(tag, "data-last-saved")) < typing  # (the seeded question's creation): the draft is kept


@pytest.mark.parametrize("target", ["%2Fadmin%2Fquestions", "%2Fadmin%2Fquestions%2F2%2Fedit",
                                    "%2Fquestions%2F1%2Ftext%3Fsession%3D4"])
def test_a_log_in_page_leading_back_to_a_draft_form_keeps_the_drafts(client, target):
    page = client.get(f"/login?next={target}").get_data(as_text=True)
    assert _meta(page, "draft-owner") == "" and _meta(page, "draft-hold") == ""


def test_the_signed_out_page_keeps_the_drafts_and_its_box_is_the_answers_draft(app, client, auth):
    """A robustness review: the page giving back an answer sent after a log-out in another tab was served signed out,
    so it forgot every draft of the tab, and Back or its "Log in" link led to an empty form after signing in. It holds
    them, its form is the answer's draft (the key the answer form sent, data-draft-keep), and its "Log in" link leads
    back to the question (a log-in page that holds them too). A key of another question is not taken."""
    auth.register()
    uid = _user_id(app, "cand@example.com")
    page = client.get("/questions/3/text").get_data(as_text=True)
    token = csrf_token(client, "/questions/3/text")
    assert f'<input type="hidden" name="draft" value="{uid}:3">' in page  # the answer form sends its draft's name
    auth.logout()  # "in another tab"
    typed = "Written while signed out in another tab: " + "word " * 60
    resp = client.post("/questions/3/text", data={"answer": typed, "csrf_token": token, "draft": f"{uid}:3"},
                       headers=SAME_SITE)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 401 and typed.strip() in html
    assert _meta(html, "draft-owner") == "" and _meta(html, "draft-hold") == ""
    tag = _form_tag(html, "data-draft-keep")
    assert _attr(tag, "data-draft-key") == f"{uid}:3" and _attr(tag, "data-draft-fields") == "answer"
    assert _attr(tag, "data-draft-fresh") is None and _attr(tag, "data-last-saved") == "0"
    assert f'<input type="hidden" name="draft" value="{uid}:3">' in html  # "Submit again" signed out: kept again
    login = re.search(r'<nav[^>]*>.*?<a href="([^"]+)"[^>]*>Log in</a>', html, re.S).group(1)
    assert login == "/login?next=%2Fquestions%2F3%2Ftext"
    assert _meta(client.get(login).get_data(as_text=True), "draft-hold") == ""
    for other in (f"{uid}:4", "1:3<script>", "", f"{uid}:3-x"):
        html = client.post("/questions/3/text", data={"answer": typed, "csrf_token": token, "draft": other},
                           headers=SAME_SITE).get_data(as_text=True)
        assert "data-draft-keep" not in html and "data-draft-key" not in html and _meta(html, "draft-hold") == ""
