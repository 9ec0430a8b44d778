"""The question bank's order (admins move questions up and down; candidates see that order), its export as JSON and
its import (all or nothing, duplicates skipped), on SQLite and PostgreSQL."""
import html
import io
import json
import random
import re
import threading

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import delete, func, select, text

from tests.conftest import csrf_token, fresh_database_url
from webapp import create_app
from webapp.admin import service
from webapp.extensions import db
from webapp.models import Question

pytestmark = pytest.mark.all_databases

SEEDED = 24  # data/questions.json


@pytest.fixture
def admin(client, auth, make_admin):
    email, password = make_admin()
    auth.login(email, password)
    return email


def page_text(response) -> str:
    return html.unescape(" ".join(response.get_data(as_text=True).split()))


def admin_order(client) -> list[int]:
    """The question ids in the order of the admin's question bank page."""
    return [int(i) for i in re.findall(r'<tr data-question="(\d+)"', client.get("/admin/questions").get_data(as_text=True))]


def candidate_order(client) -> list[int]:
    """The question ids in the order of the candidates' question list."""
    return [int(i) for i in re.findall(r'id="qtext-(\d+)"', client.get("/questions").get_data(as_text=True))]


def stored_order(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(Question.id).order_by(Question.position, Question.id)))


def positions(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(Question.position).order_by(Question.position)))


def move(client, question_id, direction, past=None, token=None):
    data = {"csrf_token": token or csrf_token(client, "/admin/questions")}
    if past is not None:
        data["past"] = str(past)
    return client.post(f"/admin/questions/{question_id}/move-{direction}", data=data)


def import_file(client, content, name="bank.json", token=None):
    data = content if isinstance(content, bytes) else json.dumps(content).encode()
    return client.post("/admin/questions/import", content_type="multipart/form-data",
                       data={"csrf_token": token or csrf_token(client, "/admin/questions"),
                             "bank_file": (io.BytesIO(data), name)})


def bank(app) -> list[tuple]:
    """(text, category, talking points, retired) of every question, in the bank's order."""
    with app.app_context():
        return [(q.text, q.category, list(q.talking_points), q.retired) for q in service.all_questions()]


# --- Order ---------------------------------------------------------------------------------------

def test_migration_0016_gives_no_deleted_questions_id_again_on_sqlite(tmp_path):
    """SQLite rebuilds the questions table for 0016 (and back): the id of a question deleted before is not given to
    the next new question (the rebuild's copy had set the AUTOINCREMENT counter to the highest id left)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": fresh_database_url("sqlite", tmp_path),
                      "MEDIA_DIR": str(tmp_path / "media")})
    with app.app_context():
        upgrade(revision="0015")
        with db.engine.begin() as conn:
            for qid in (1, 2, 3):
                conn.execute(text("INSERT INTO questions (id, text, category, retired, created_at, talking_points) "
                                  f"VALUES ({qid}, 'Question number {qid}?', 'behavioural', false, CURRENT_TIMESTAMP, "
                                  "'[]')"))
            conn.execute(text("DELETE FROM questions WHERE id = 3"))
        upgrade(revision="0016")
        db.session.add(Question(text="A question added after the upgrade?", category="x"))
        db.session.commit()
        assert service.all_questions()[-1].id == 4
        db.session.remove()
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM questions WHERE id = 4"))
        downgrade(revision="0015")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO questions (text, category, retired, created_at, talking_points) "
                              "VALUES ('After the downgrade?', 'x', false, CURRENT_TIMESTAMP, '[]')"))
            assert conn.execute(text("SELECT max(id) FROM questions")).scalar() == 5


def test_migration_0016_numbers_the_questions_in_id_order_so_nothing_moves(tmp_path, db_backend):
    """Questions stored before 0016 (ids with gaps, inserted out of id order) get positions 1, 2, 3... by id; lists
    show them as before; a new one goes last; downgrading keeps every question (SQLite: with AUTOINCREMENT)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": fresh_database_url(db_backend, tmp_path),
                      "MEDIA_DIR": str(tmp_path / "media")})
    with app.app_context():
        upgrade(revision="0015")
        with db.engine.begin() as conn:
            for qid in (7, 2, 5, 11):
                conn.execute(text("INSERT INTO questions (id, text, category, retired, created_at, talking_points) "
                                  f"VALUES ({qid}, 'Question number {qid}?', 'behavioural', false, CURRENT_TIMESTAMP, "
                                  "'[]')"))
        upgrade(revision="0016")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT id, position FROM questions ORDER BY id")).all() == [
                (2, 1), (5, 2), (7, 3), (11, 4)]
            if db_backend == "sqlite":
                sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'questions'")).scalar()
                assert "AUTOINCREMENT" in sql
        assert [q.id for q in service.all_questions()] == [2, 5, 7, 11]
        db.session.add(Question(text="A question added after the upgrade?", category="x"))
        db.session.commit()
        new = service.all_questions()[-1]  # (PostgreSQL's id sequence did not see the ids given above: id 1 there)
        assert (new.text, new.position) == ("A question added after the upgrade?", 5)
        new_id = new.id
        # two questions can never share a place
        db.session.add(Question(text="Another question at place five?", category="x", position=5))
        with pytest.raises(Exception):
            db.session.commit()
        db.session.rollback()
        db.session.remove()
        downgrade(revision="0015")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT id FROM questions ORDER BY id")).scalars().all() == sorted(
                [2, 5, 7, 11, new_id])
            if db_backend == "sqlite":
                sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'questions'")).scalar()
                assert "AUTOINCREMENT" in sql
        db.engine.dispose()


def test_seeded_and_added_questions_go_at_the_end(client, admin, app):
    assert positions(app) == list(range(1, SEEDED + 1))
    assert stored_order(app) == list(range(1, SEEDED + 1))
    token = csrf_token(client, "/admin/questions")
    for n in range(2):
        r = client.post("/admin/questions", data={"csrf_token": token, "text": f"A new question number {n}?",
                                                  "category": "x"})
        assert r.status_code == 302
    assert admin_order(client) == list(range(1, SEEDED + 3))
    assert positions(app) == list(range(1, SEEDED + 3))


def test_moving_questions_up_and_down(client, auth, admin, app):
    page = client.get("/admin/questions").get_data(as_text=True)
    first, second = page.index('data-question="1"'), page.index('data-question="2"')
    # the first question cannot move up, the last cannot move down; each button names its question
    assert "Move up" not in page[first:second] and "Move down" in page[first:second]
    assert 'aria-label="Move down: Tell us about the last time you showed leadership."' in page
    with app.app_context():
        long_text = db.session.get(Question, 2).text
    assert f'aria-label="Move up: {long_text[:60].strip()}…"' in html.unescape(page)
    last = page[page.index(f'data-question="{SEEDED}"'):]
    last = last[:last.index("</tr>")]
    assert "Move up" in last and "Move down" not in last

    r = move(client, 3, "up", past=2)
    assert r.status_code == 302 and r.headers["Location"].endswith("/admin/questions#question-3")
    assert "Question #3 moved up, above #2." in page_text(client.get("/admin/questions"))
    order = [1, 3, 2] + list(range(4, SEEDED + 1))
    assert admin_order(client) == stored_order(app) == order
    assert move(client, 3, "down").status_code == 302  # (a request without ``past``: the neighbour now)
    order = list(range(1, SEEDED + 1))
    assert stored_order(app) == order
    assert move(client, 1, "down", past=2).status_code == 302
    order = [2, 1] + list(range(3, SEEDED + 1))
    assert stored_order(app) == order

    # at the ends: nothing moves, no error
    for qid, direction, said in ((2, "up", "Question #2 is first already; nothing was moved."),
                                 (SEEDED, "down", f"Question #{SEEDED} is last already; nothing was moved.")):
        r = move(client, qid, direction)
        assert r.status_code == 302
        assert said in page_text(client.get("/admin/questions"))
        assert stored_order(app) == order
    # a second click of the same button (its page shows the neighbour it passed already): nothing moves again
    token = csrf_token(client, "/admin/questions")
    assert move(client, 5, "up", past=4, token=token).status_code == 302
    assert move(client, 5, "up", past=4, token=token).status_code == 302
    order = [2, 1, 3, 5, 4] + list(range(6, SEEDED + 1))
    assert stored_order(app) == order
    assert "Question #5 was not moved: the order changed after this page was shown" \
        in page_text(client.get("/admin/questions"))
    assert positions(app) == list(range(1, SEEDED + 1))  # the same places, exchanged
    assert move(client, 9999, "up").status_code == 404
    assert client.post("/admin/questions/1/move-left",
                       data={"csrf_token": csrf_token(client, "/admin/questions")}).status_code == 404

    # candidates see that order, without the retired questions; a retired question keeps its place
    assert client.post("/admin/questions/3/retire",
                       data={"csrf_token": csrf_token(client, "/admin/questions")}).status_code == 302
    auth.logout()
    auth.register("cand@example.com")
    assert candidate_order(client) == [q for q in order if q != 3]
    auth.logout()
    auth.login("admin@example.com", "admin password")
    assert admin_order(client) == order


def test_moves_keep_the_positions_a_permutation(app):
    """Many moves at random, then the same from four threads at once (two admins clicking together, and more): the
    positions stay the places 1..n, each held by one question, every question still there."""
    rng = random.Random(7)
    with app.app_context():
        ids = sorted(db.session.scalars(select(Question.id)))
        expected = sorted(ids, key=lambda i: db.session.get(Question, i).position)
        for _ in range(60):
            qid, up = rng.choice(ids), rng.random() < 0.5
            at = expected.index(qid)
            other = service.move_question(qid, up)
            to = at - 1 if up else at + 1
            if 0 <= to < len(expected):
                assert other == expected[to]
                expected[at], expected[to] = expected[to], expected[at]
            else:
                assert other is None
        assert stored_order(app) == expected
        assert positions(app) == list(range(1, len(ids) + 1))

    errors = []

    def mover(seed):
        r = random.Random(seed)
        try:
            with app.app_context():
                for _ in range(25):
                    service.move_question(r.choice(ids), r.random() < 0.5)
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=mover, args=(seed,)) for seed in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert positions(app) == list(range(1, len(ids) + 1))
    assert sorted(stored_order(app)) == ids


# --- Export and import ----------------------------------------------------------------------------

def test_export_then_import_into_an_empty_bank_gives_the_same_bank(client, admin, app):
    token = csrf_token(client, "/admin/questions")
    move(client, 4, "up", token=token)
    move(client, 10, "up", token=token)
    client.post("/admin/questions/2/retire", data={"csrf_token": token})
    client.post("/admin/questions", data={"csrf_token": token, "text": "Which café would you open, and why?",
                                          "category": "Motivational", "talking_points": "location\nwhy / reason"})
    before = bank(app)
    assert before[SEEDED] == ("Which café would you open, and why?", "motivational", ["location", "why / reason"],
                              False)
    assert sum(retired for *_, retired in before) == 1

    r = client.get("/admin/questions/export.json")
    assert r.status_code == 200 and r.mimetype == "application/json"
    assert re.fullmatch(r'attachment; filename="question-bank-\d{4}-\d{2}-\d{2}\.json"',
                        r.headers["Content-Disposition"])
    assert "no-store" in r.headers["Cache-Control"]
    exported = r.get_data()
    content = json.loads(exported)
    assert content["format"] == service.BANK_FORMAT and content["version"] == 1
    assert [q["text"] for q in content["questions"]] == [b[0] for b in before]
    assert content["questions"][1] == {"text": before[1][0], "category": before[1][1], "talking_points": before[1][2],
                                       "retired": before[1][3]}
    assert "Which café" in exported.decode("utf-8")  # UTF-8, as written

    with app.app_context():  # an empty bank (nothing was answered)
        db.session.execute(delete(Question))
        db.session.commit()
    assert bank(app) == []
    r = import_file(client, exported, name="question-bank.json")
    assert r.status_code == 302
    assert f"Imported {SEEDED + 1} questions; skipped 0 already in the bank." in page_text(client.get("/admin/questions"))
    assert bank(app) == before
    assert positions(app) == list(range(1, SEEDED + 2))
    # the seed file's plain list is a question bank file too
    with app.app_context():
        from webapp.cli import QUESTIONS_FILE
        seed_file = QUESTIONS_FILE.read_bytes()
    r = import_file(client, seed_file)
    assert r.status_code == 302
    assert f"Imported 0 questions; skipped {SEEDED} already in the bank." in page_text(client.get("/admin/questions"))


def test_import_skips_questions_already_in_the_bank_and_adds_the_rest_at_the_end(client, admin, app):
    move(client, 2, "up")
    before = stored_order(app)
    with app.app_context():
        first = db.session.get(Question, 1).text
    entries = [
        {"text": "What motivates you at work?", "category": "Motivational", "talking_points": ["  a   cause "]},
        {"text": first.upper().rstrip("."), "category": "x"},  # the add form's duplicate rule: case, punctuation
        {"text": "  How  do you handle   criticism? ", "category": "behavioural", "retired": True},
        {"text": "What motivates you at work", "category": "y"},  # an earlier entry's
        {"text": first, "category": "behavioural", "talking_points": []},
    ]
    r = import_file(client, {"questions": entries})
    assert r.status_code == 302 and r.headers["Location"].endswith("/admin/questions")
    assert "Imported 2 questions; skipped 3 already in the bank." in page_text(client.get("/admin/questions"))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Question)) == SEEDED + 2
    assert bank(app)[-2:] == [("What motivates you at work?", "motivational", ["a cause"], False),
                              ("How do you handle criticism?", "behavioural", [], True)]
    assert stored_order(app)[:-2] == before
    assert positions(app) == list(range(1, SEEDED + 3))
    r = import_file(client, [{"text": "One more question to add?", "category": "x"}])
    assert "Imported 1 question; skipped 0 already in the bank." in page_text(client.get("/admin/questions"))


def test_a_file_with_any_invalid_entry_is_refused_as_a_whole(client, admin, app):
    before = bank(app)
    good = {"text": "A perfectly good new question?", "category": "x"}
    entries = [good,
               {"text": "Why?", "category": "x"},
               {"text": "Another good new question?", "category": "x"},
               {"text": "A question with bad points?", "category": "x", "talking_points": ["a", "A"]},
               {"text": "A <b>bold</b> question here?", "category": "  "},
               {"text": "Yet another question?", "category": "c" * 41},
               {"text": "A question that is retired?", "category": "x", "retired": "yes"},
               "just a string",
               {"text": "A question with a typo?", "category": "x", "talking_point": ["a"]},
               {"category": "x"},
               {"text": 12, "category": "x", "talking_points": "not a list"}]
    r = import_file(client, entries)
    assert r.status_code == 400
    said = page_text(r)
    assert "Nothing was imported: every question of the file must be valid, and these are not." in said
    for line in ("Entry 2 (“Why?”): The question has 4 characters; it needs 10 to 1,000.",
                 "Entry 4 (“A question with bad points?”): Talking point 2 (“A”) is listed twice.",
                 "Entry 5 (“A <b>bold</b> question here?”): The question contains the HTML tag “<b>”.",
                 "Entry 5 (“A <b>bold</b> question here?”): The category is empty.",
                 "Entry 6 (“Yet another question?”): Category is too long: at most 40 characters (41 here).",
                 "Entry 7 (“A question that is retired?”): Its “retired” is neither true nor false.",
                 "Entry 8: It is not a question (an object with “text” and “category”).",
                 "Entry 9 (“A question with a typo?”): It has a field “talking_point” that a question does not have",
                 "Entry 10: Its “text” is missing.",
                 "Entry 11: Its “text” is not text (in quotes).",
                 "… and 1 more problem."):
        assert line in said, line
    # at the file field, marked invalid (form_errors.js focuses it); the add form is a fresh one (its draft comes back)
    page = r.get_data(as_text=True)
    assert re.search(r'<input[^>]*aria-invalid="true"[^>]*name="bank_file"|<input[^>]*name="bank_file"[^>]*'
                     r'aria-invalid="true"', page)
    assert "data-draft-fresh" in page
    assert bank(app) == before  # nothing stored, not even the good entries
    r = import_file(client, [good] * 1 + [{"text": "x" * 1001, "category": "x"}])
    assert r.status_code == 400 and "Entry 2 (“xxxx" in page_text(r) and "1,001 characters" in page_text(r)
    assert bank(app) == before


@pytest.mark.parametrize("content, said", [
    (b"", "The file is empty."),
    (b"not json at all", "The file is not valid JSON (Expecting value at line 1, column 1)"),
    (b'{"questions": [', "The file is not valid JSON"),
    ("[]".encode("utf-16"), "The file is not JSON text (it is not UTF-8"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "The file is not JSON text (it is not UTF-8"),
    (b'"a string"', "The file is not a question bank: it holds no list of questions"),
    (b"42", "The file is not a question bank: it holds no list of questions"),
    (b'{"text": "A question on its own?", "category": "x"}', "it holds no list of questions"),
    (b'{"questions": {"text": "x"}}', "it holds no list of questions"),
    (b'{"format": "something else", "questions": []}', "The file is not a question bank: its format is “something"),
    (b'{"format": "interview-simulator question bank", "version": 2, "questions": []}', "version 2"),
    (b'{"questions": []}', "The file has no questions, so nothing was imported."),
    (b"[]", "The file has no questions"),
    (b"[" * 100_000 + b"]" * 100_000, "lists nested too deep"),
    (b"[" + b"9" * 5000 + b"]", "a number too long"),
    (b" " * (1024 * 1024 - 2) + b"[]", "The file has no questions"),  # at the limit: read
    (b" " * (1024 * 1024 + 1), "The file is larger than the 1 MB limit of a question bank file"),
    (json.dumps([{"text": f"Question number {n}?", "category": "x"} for n in range(1001)]).encode(),
     "The file has 1,001 questions; at most 1,000 can be imported at once."),
])
def test_a_broken_file_is_refused_with_a_clear_message(client, admin, app, content, said):
    before = bank(app)
    r = import_file(client, content)
    assert r.status_code == 400
    assert said in page_text(r)
    assert bank(app) == before


def test_an_import_without_a_file_says_so(client, admin, app):
    r = client.post("/admin/questions/import", content_type="multipart/form-data",
                    data={"csrf_token": csrf_token(client, "/admin/questions")})
    assert r.status_code == 400 and "Choose a question bank file (JSON" in page_text(r)
    r = client.post("/admin/questions/import", content_type="multipart/form-data",
                    data={"csrf_token": csrf_token(client, "/admin/questions"), "bank_file": (io.BytesIO(b""), "")})
    assert r.status_code == 400 and "Choose a question bank file (JSON" in page_text(r)


# --- Who may, and how ---------------------------------------------------------------------------

def test_only_admins_move_export_and_import(client, auth, app):
    before, order = bank(app), stored_order(app)
    valid = json.dumps([{"text": "A question from a candidate?", "category": "x"}]).encode()
    token = csrf_token(client, "/login")
    assert client.get("/admin/questions/export.json").status_code == 302  # to the log-in page
    for r in (move(client, 2, "up", token=token), import_file(client, valid, token=token)):
        assert r.status_code == 302 and "/login" in r.headers["Location"]
    auth.register("cand@example.com")
    token = csrf_token(client, "/questions")
    assert client.get("/admin/questions/export.json").status_code == 403
    assert move(client, 2, "up", token=token).status_code == 403
    assert move(client, 2, "down", token=token).status_code == 403
    assert import_file(client, valid, token=token).status_code == 403
    assert bank(app) == before and stored_order(app) == order


def test_moves_and_imports_need_a_csrf_token(client, admin, app):
    before, order = bank(app), stored_order(app)
    assert client.post("/admin/questions/2/move-up").status_code == 400
    assert client.post("/admin/questions/2/move-down", data={"csrf_token": "forged", "past": "3"}).status_code == 400
    r = client.post("/admin/questions/import", content_type="multipart/form-data",
                    data={"bank_file": (io.BytesIO(b'[{"text": "A question without a token?", "category": "x"}]'),
                                        "bank.json")})
    assert r.status_code == 400
    assert bank(app) == before and stored_order(app) == order


def test_the_new_forms_leave_the_add_forms_draft_alone(client, admin, app):
    """The add-question form keeps its draft in the tab (static/js/draft.js takes the page's first form with a draft
    key); the move and import forms have none, and an import does not date the admin's draft out (a draft older than
    the admin's latest added question is not offered)."""
    page = client.get("/admin/questions").get_data(as_text=True)
    assert page.count("data-draft-key=") == 1
    assert re.search(r'<form method="post" action="/admin/questions" id="add-question"\s+data-draft-key=', page)
    import_form = page[page.index('id="import-questions"') - 200:]
    import_form = import_form[:import_form.index("</form>")]
    assert "data-draft" not in import_form and 'enctype="multipart/form-data"' in import_form
    assert page.count('id="csrf_token"') == 1  # one element with that id on the page
    with app.app_context():
        from webapp.models import User
        admin_id = db.session.scalar(select(User.id).where(User.role == "admin"))
        marks = service.question_draft_marks(admin_id)
    assert import_file(client, [{"text": "An imported question, not typed?", "category": "x"}]).status_code == 302
    move(client, 2, "up")
    with app.app_context():
        assert service.question_draft_marks(admin_id)["last_saved"] == marks["last_saved"]


def test_flask_export_and_import_questions(app, runner, tmp_path):
    path = tmp_path / "bank.json"
    with app.app_context():
        service.move_question(5, up=True)
    result = runner.invoke(args=["export-questions", str(path)])
    assert result.exit_code == 0, result.output
    assert f"Exported {SEEDED} questions to {path}." in result.output
    content = json.loads(path.read_text(encoding="utf-8"))
    assert len(content["questions"]) == SEEDED
    before = bank(app)
    assert [q["text"] for q in content["questions"]] == [b[0] for b in before]
    content["questions"].append({"text": "A question added from the command line?", "category": "cli"})
    path.write_text(json.dumps(content), encoding="utf-8")
    result = runner.invoke(args=["import-questions", str(path)])
    assert result.exit_code == 0, result.output
    assert f"Imported 1 question; skipped {SEEDED} already in the bank." in result.output
    assert bank(app) == before + [("A question added from the command line?", "cli", [], False)]
    path.write_text(json.dumps([{"text": "Short", "category": "x"}]), encoding="utf-8")
    result = runner.invoke(args=["import-questions", str(path)])
    assert result.exit_code == 1
    assert "Nothing was imported" in result.output and "Entry 1 (“Short”): The question has 5 characters" in result.output
    assert len(bank(app)) == SEEDED + 1
