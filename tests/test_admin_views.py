"""A candidate sees when administrators opened their answers (webapp.access.note_view, the account page's
"Administrators who opened your answers", admin_views.json in Download my data)."""
import io
import json
import re
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from tests.conftest import Auth, csrf_token
from tests.helpers import add_user, store_analysed
from webapp import media
from webapp.extensions import db
from webapp.models import Answer, AnswerView, Question, User

pytestmark = pytest.mark.all_databases

WORDS = [{"w": "I", "start": 0.5, "end": 0.7}, {"w": "planned", "start": 0.7, "end": 1.2}]


@pytest.fixture
def world(app, client, make_admin):
    """The candidate (signed in on ``client``) with a recorded answer; an admin on a client of their own."""
    Auth(client).register("cand@example.com")
    with app.app_context():
        uid = db.session.scalar(select(User.id).where(User.email == "cand@example.com"))
        rel = media.save(uid, b"a recording", ".webm")
        aid = store_analysed(Answer(user_id=uid, question_id=3, modality="audio", media_path=rel, status="done",
                                    result={"speech": {"words": WORDS, "text": "I planned.", "word_count": 2}}),
                             [("speech", "wpm", 120.0)])
    admin = app.test_client()
    Auth(admin).login(*make_admin())
    return {"answer": aid, "admin": admin, "user": uid}


def views(app):
    with app.app_context():
        return sorted(db.session.execute(select(AnswerView.what, AnswerView.owner_id)).all())


def admin_views_section(client):
    page = client.get("/account").get_data(as_text=True)
    return re.search(r'<section class="card" id="admin-views">(.*?)</section>', page, re.S).group(1)


def test_an_admin_opening_an_answer_is_listed_for_its_candidate_once_an_hour(app, client, world):
    assert "No administrator has opened any of your answers." in admin_views_section(client)
    aid, admin = world["answer"], world["admin"]
    for _ in range(2):  # twice within the hour: noted once per kind
        assert admin.get(f"/answers/{aid}").status_code == 200
        assert admin.get(f"/answers/{aid}/media", headers={"Range": "bytes=0-3"}).status_code == 206
        assert admin.get(f"/answers/{aid}/transcript.txt").status_code == 200
        assert admin.get(f"/answers/{aid}/captions.vtt").status_code == 200
    assert views(app) == [("file", world["user"]), ("page", world["user"]), ("transcript", world["user"])]
    section = admin_views_section(client)
    assert "admin@example.com" in section and f'href="/answers/{aid}"' in section
    assert "the page, the recording, the transcript" in section
    assert section.count("<tr>") == 2  # the header and one line per answer, admin and day
    # an hour later it is noted again
    with app.app_context():
        for v in db.session.scalars(select(AnswerView)):
            v.at -= timedelta(hours=1, minutes=1)
        db.session.commit()
    admin.get(f"/answers/{aid}")
    assert [w for w, _ in views(app)].count("page") == 2


def test_the_candidate_opening_their_own_answer_notes_nothing(app, client, world):
    aid = world["answer"]
    for url in (f"/answers/{aid}", f"/answers/{aid}/media", f"/answers/{aid}/transcript.txt"):
        assert client.get(url).status_code == 200
    assert views(app) == []


def test_the_lines_go_with_the_answer_and_lose_a_deleted_admins_address(app, client, world, make_admin):
    aid, admin = world["answer"], world["admin"]
    admin.get(f"/answers/{aid}")
    with app.app_context():  # the admin's account is deleted (by another admin): the line stays, without the address
        db.session.delete(db.session.scalar(select(User).where(User.email == "admin@example.com")))
        db.session.commit()
    section = admin_views_section(client)
    assert "an administrator whose account was deleted since" in section and "admin@example.com" not in section
    z = zipfile.ZipFile(io.BytesIO(client.post("/account/export",
                                               data={"csrf_token": csrf_token(client, "/account")}).get_data()))
    assert [(v["answer_id"], v["opened"], v["administrator"]) for v in json.loads(z.read("admin_views.json"))] \
        == [(aid, "page", None)]
    token = csrf_token(client, f"/answers/{aid}")
    assert client.post(f"/answers/{aid}/delete", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AnswerView)) == 0
    assert "No administrator has opened any of your answers." in admin_views_section(client)


def test_an_admins_deletion_is_noted_and_the_answers_lines_outlive_it(app, client, world):
    aid, admin = world["answer"], world["admin"]
    admin.get(f"/answers/{aid}")
    admin.get(f"/answers/{aid}/media")
    token = csrf_token(admin, f"/answers/{aid}")
    gone = admin.post(f"/answers/{aid}/delete", data={"csrf_token": token})
    # back to that candidate's answers, where an admin comes from (it went to the overview)
    assert gone.status_code == 302 and gone.headers["Location"] == f"/admin/users/{world['user']}/answers"
    with app.app_context():
        assert db.session.get(Answer, aid) is None
        rows = db.session.execute(select(AnswerView.answer_id, AnswerView.deleted_answer_id, AnswerView.what,
                                         AnswerView.modality).order_by(AnswerView.what)).all()
    assert rows == [(None, aid, "deleted", "audio"), (None, aid, "file", "audio"), (None, aid, "page", "audio")]
    section = admin_views_section(client)
    assert section.count("<tr>") == 2 and f'href="/answers/{aid}"' not in section  # one line, no link to a 404
    assert "deleted by an administrator" in section and "the page, the recording, deleted it" in section
    with app.app_context():
        question = db.session.get(Question, 3).text
    assert question[:40] in section
    z = zipfile.ZipFile(io.BytesIO(client.post("/account/export",
                                               data={"csrf_token": csrf_token(client, "/account")}).get_data()))
    lines = json.loads(z.read("admin_views.json"))
    assert sorted(v["opened"] for v in lines) == ["deleted", "file", "page"]
    assert all(v["answer_id"] == aid and v["answer_deleted_by_an_administrator"] and v["question"] == question
               and v["administrator"] == "admin@example.com" for v in lines)
    # the candidate's own deletions still take an answer's lines with it
    with app.app_context():
        rel = media.save(world["user"], b"another", ".webm")
        other = store_analysed(Answer(user_id=world["user"], question_id=4, modality="audio", media_path=rel,
                                      status="done", result={}), [("speech", "wpm", 100.0)])
    admin.get(f"/answers/{other}")
    token = csrf_token(client, f"/answers/{other}")
    assert client.post(f"/answers/{other}/delete", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AnswerView)
                                 .where(AnswerView.deleted_answer_id.is_(None))) == 0
        assert db.session.scalar(select(func.count()).select_from(AnswerView)) == 3


def test_another_candidates_lines_are_not_shown(app, client, world):
    world["admin"].get(f"/answers/{world['answer']}")
    other = app.test_client()
    Auth(other).register("other@example.com")
    assert "No administrator has opened any of your answers." in admin_views_section(other)


def test_an_admin_reading_a_mock_interview_report_is_listed_for_each_of_its_answers(app, client, world):
    """The diff review: an admin could read a candidate's mock interview report (figures, missed points, emotions of
    every answer) without a line on the candidate's page."""
    from webapp.models import InterviewSession
    with app.app_context():
        s = InterviewSession(user_id=world["user"], mode="audio", question_ids=[3], position=1)
        db.session.add(s)
        db.session.flush()
        db.session.get(Answer, world["answer"]).session_id = s.id
        db.session.commit()
        sid = s.id
    assert client.get(f"/practice/{sid}/report").status_code == 200  # the candidate's own reading: nothing noted
    assert views(app) == []
    assert world["admin"].get(f"/practice/{sid}/report").status_code == 200
    assert views(app) == [("report", world["user"])]
    assert "its mock interview&#39;s report" in admin_views_section(client)


def test_an_admin_finds_a_candidates_answers_from_the_users_page(app, client, world):
    aid, admin = world["answer"], world["admin"]
    users = admin.get("/admin/users").get_data(as_text=True)
    assert f'href="/admin/users/{world["user"]}/answers"' in users
    page = admin.get(f"/admin/users/{world['user']}/answers")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "The answers of <strong>cand@example.com</strong>" in html
    assert f'href="/answers/{aid}"' in html
    assert views(app) == []  # the list itself is not an opening of any answer
    assert client.get(f"/admin/users/{world['user']}/answers").status_code == 403  # candidates: no
    assert admin.get("/admin/users/9999/answers").status_code == 404


def test_only_what_was_served_is_listed(app, client, world):
    """An admin review: asking for the recording, heat map and transcript of a written answer (404s and an empty
    track) listed "the page, the recording, the transcript, the face heat map" on its candidate's account page."""
    admin = world["admin"]
    token = csrf_token(client, "/questions/1/text")
    client.post("/questions/1/text", data={"csrf_token": token, "answer": "I planned the work and it went well. " * 5})
    with app.app_context():
        typed = db.session.scalar(select(Answer.id).where(Answer.modality == "text"))
    assert admin.get(f"/answers/{typed}/media").status_code == 404
    assert admin.get(f"/answers/{typed}/heatmap.png").status_code == 404
    assert admin.get(f"/answers/{typed}/captions.vtt").status_code == 200       # an empty track
    assert admin.get(f"/answers/{typed}/transcript.txt").status_code == 200     # an empty file
    assert views(app) == []
    assert admin.get(f"/answers/{world['answer']}/heatmap.png").status_code == 404  # a recording without a heat map
    assert views(app) == []
    with app.app_context():  # once it has one, it is noted when served
        rel = db.session.get(Answer, world["answer"]).media_path
        media.absolute(media.derived(rel, ".cam.png")).write_bytes(b"\x89PNG\r\n\x1a\n")
    assert admin.get(f"/answers/{world['answer']}/heatmap.png").status_code == 200
    assert views(app) == [("heat map", world["user"])]
    with app.app_context():
        db.session.execute(delete(AnswerView))
        db.session.commit()
    assert admin.get(f"/answers/{typed}").status_code == 200
    assert views(app) == [("page", world["user"])]
