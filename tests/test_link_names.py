"""Links in lists of answers and mock interviews have distinct accessible names (WCAG 2.4.4): answers are named by
the time they were sent, and two sent in the same second (a typed answer and a PDF, a double submit) gave two links
of one name to different pages."""
from datetime import datetime
from html.parser import HTMLParser

import pytest
from sqlalchemy import select, update

from tests.helpers import SHORT_ANSWER, add_user
from webapp.extensions import db
from webapp.jobs import run_pending
from webapp.models import Answer, InterviewSession, User

pytestmark = pytest.mark.usefixtures("whole_essay_text_figures")

SECOND = datetime(2026, 12, 7, 9, 30, 15)


class Links(HTMLParser):
    """{href: accessible name} of a page's links, the name as assistive technology computes it for these links (no
    aria-label or aria-labelledby on them: their text content, hidden-from-sight text included, spaces collapsed)."""

    def __init__(self):
        super().__init__()
        self.names, self.open = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            attrs = dict(attrs)
            assert "aria-label" not in attrs and "aria-labelledby" not in attrs  # else the name is not the text
            self.open = [attrs.get("href"), ""]

    def handle_data(self, data):
        if self.open:
            self.open[1] += data

    def handle_endtag(self, tag):
        if tag == "a" and self.open:
            self.names.append((self.open[0], " ".join(self.open[1].split())))
            self.open = None


def links(page, href_start):
    parser = Links()
    parser.feed(page)
    return [(href, name) for href, name in parser.names if href and href.startswith(href_start)]


def assert_distinct(found, at_least):
    """Different targets, different names (and each target one name)."""
    assert len({href for href, _ in found}) >= at_least, found
    by_name = {}
    for href, name in found:
        by_name.setdefault(name, set()).add(href)
    assert all(len(hrefs) == 1 for hrefs in by_name.values()), found


def answers_in_one_second(app, uid, n=3):
    """`n` analysed written answers of one question, all sent in the same second: their ids."""
    with app.app_context():
        for _ in range(n):
            db.session.add(Answer(user_id=uid, question_id=1, modality="text", status="queued", text=SHORT_ANSWER))
        db.session.commit()
        run_pending()
        ids = db.session.scalars(select(Answer.id).where(Answer.user_id == uid).order_by(Answer.id)).all()
        db.session.execute(update(Answer).values(created_at=SECOND))
        db.session.commit()
        return ids


def test_answers_sent_in_the_same_second_have_distinct_link_names(app, client, auth, make_admin):
    auth.register()
    with app.app_context():
        uid = db.session.scalar(select(User.id).where(User.email == "cand@example.com"))
    ids = answers_in_one_second(app, uid)
    mine = links(client.get("/history").get_data(as_text=True), "/answers/")
    assert_distinct(mine, 3)
    name = dict(mine)[f"/answers/{ids[0]}"]
    assert name.startswith("2026-12-07 09:30 UTC") and f"written answer #{ids[0]}" in name
    # the page of one answer lists the others among its attempts at the question
    attempts = links(client.get(f"/answers/{ids[0]}").get_data(as_text=True), "/answers/")
    assert {href for href, _ in attempts} >= {f"/answers/{i}" for i in ids[1:]}
    assert_distinct(attempts, 2)
    auth.logout()
    auth.login(*make_admin())
    theirs = links(client.get(f"/admin/users/{uid}/answers").get_data(as_text=True), "/answers/")
    assert_distinct(theirs, 3)


def test_mock_interviews_started_in_the_same_second_have_distinct_link_names(app, client, auth):
    auth.register()
    with app.app_context():
        uid = db.session.scalar(select(User.id).where(User.email == "cand@example.com"))
        for _ in range(2):
            db.session.add(InterviewSession(user_id=uid, mode="written", category="mixed", question_ids=[1, 2],
                                            position=2, finished_at=SECOND, created_at=SECOND))
        db.session.commit()
    assert_distinct(links(client.get("/practice").get_data(as_text=True), "/practice/"), 2)


def test_the_full_results_of_a_mock_interviews_answers_have_distinct_link_names(app, client, auth):
    auth.register()
    with app.app_context():
        uid = db.session.scalar(select(User.id).where(User.email == "cand@example.com"))
        s = InterviewSession(user_id=uid, mode="written", category="mixed", question_ids=[1, 2], position=2,
                             finished_at=SECOND, created_at=SECOND)
        db.session.add(s)
        db.session.flush()
        for qid in (1, 2):
            db.session.add(Answer(user_id=uid, question_id=qid, modality="text", status="queued", text=SHORT_ANSWER,
                                  session_id=s.id))
        db.session.commit()
        sid = s.id
        run_pending()
    found = links(client.get(f"/practice/{sid}/report").get_data(as_text=True), "/answers/")
    assert_distinct(found, 2)
