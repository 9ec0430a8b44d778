"""Per-candidate limits (webapp.quota): answers waiting for analysis, and space for stored files. A refused answer
gets a clear message, is not stored, and its page keeps it to send again."""
import html
import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_token
from tests.mediagen import have_data, write_audio
from tests.pdfs import text_pdf
from webapp.extensions import db
from webapp.models import Answer, User
from webapp.uploads import human_size

pytestmark = pytest.mark.all_databases

LETTER = "I led a small team through a difficult release and learned to plan the work in smaller steps. " * 3


def post_text(client, text, question=1, pdf=None):
    token = csrf_token(client, f"/questions/{question}/text")
    data = {"answer": text, "csrf_token": token}
    if pdf is not None:
        data["pdf"] = (io.BytesIO(pdf), "letter.pdf")
    return client.post(f"/questions/{question}/text", data=data, content_type="multipart/form-data")


def post_recording(client, kind, data, question=1):
    token = csrf_token(client, f"/questions/{question}/{kind}")
    return client.post(f"/questions/{question}/{kind}", headers={"Accept": "application/json"},
                       content_type="multipart/form-data",
                       data={"csrf_token": token, "media": (io.BytesIO(data), "a.webm")})


def answers_of(app, email="cand@example.com"):
    with app.app_context():
        uid = db.session.scalar(select(User.id).where(User.email == email))
        return db.session.execute(select(Answer.status).where(Answer.user_id == uid)
                                  .order_by(Answer.id)).scalars().all()


def user_folder(app, email="cand@example.com") -> Path:
    with app.app_context():
        uid = db.session.scalar(select(User.id).where(User.email == email))
    folder = Path(app.config["MEDIA_DIR"]) / str(uid)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_a_full_queue_refuses_a_typed_answer_and_keeps_its_text(client, auth, app, db_backend):
    app.config["MAX_WAITING_ANSWERS"] = 2
    auth.register()
    for i in range(2):
        assert post_text(client, f"Answer number {i}. " + LETTER).status_code == 302
    resp = post_text(client, "The third answer, kept. " + LETTER)
    page = html.unescape(resp.get_data(as_text=True))
    assert resp.status_code == 429
    assert "You already have 2 answers waiting for analysis, the most at once" in page
    assert "when some of them are done (My answers shows them)" in page
    assert "The third answer, kept." in page  # the typed text is back in the form
    assert answers_of(app) == ["queued", "queued"]
    # another candidate is not held by this one's queue
    client.post("/logout", data={"csrf_token": csrf_token(client, "/questions")})
    auth.register(email="other@example.com")
    assert post_text(client, "Another candidate's answer. " + LETTER).status_code == 302
    # once one of the first candidate's answers is done, there is room again
    with app.app_context():
        first = db.session.scalars(select(Answer).order_by(Answer.id)).first()
        first.status = "done"
        db.session.commit()
    client.post("/logout", data={"csrf_token": csrf_token(client, "/questions")})
    auth.login()
    assert post_text(client, "The third answer, kept. " + LETTER).status_code == 302
    assert answers_of(app) == ["done", "queued", "queued"]


def test_a_double_click_at_the_limit_is_the_same_answer_not_a_refusal(client, auth, app, db_backend):
    app.config["MAX_WAITING_ANSWERS"] = 1
    auth.register()
    assert post_text(client, "Sent twice. " + LETTER).status_code == 302
    again = post_text(client, "Sent twice. " + LETTER)  # the second of a double click: the answer just stored
    assert again.status_code == 302 and again.headers["Location"].startswith("/answers/")
    assert answers_of(app) == ["queued"]


def test_no_limit_when_zero(client, auth, app, db_backend):
    app.config["MAX_WAITING_ANSWERS"] = 0
    auth.register()
    for i in range(3):
        assert post_text(client, f"Answer {i}. " + LETTER).status_code == 302
    assert len(answers_of(app)) == 3


def test_a_pdf_that_does_not_fit_is_refused_and_nothing_is_stored(client, auth, app, db_backend):
    app.config["MAX_STORED_MB"] = 1
    auth.register()
    folder = user_folder(app)
    (folder / "earlier.webm").write_bytes(b"\0" * (1024 * 1024 - 500))  # an earlier recording, nearly full
    pdf = text_pdf(LETTER)
    assert len(pdf) > 500
    resp = post_text(client, "", pdf=pdf)
    page = html.unescape(resp.get_data(as_text=True))
    assert resp.status_code == 413
    assert "Your recordings and files already take 1024 KB of the 1 MB each candidate may store" in page
    assert "Delete this answer" in page
    assert answers_of(app) == [] and sorted(p.name for p in folder.iterdir()) == ["earlier.webm"]
    (folder / "earlier.webm").unlink()  # deleted: room again
    assert post_text(client, "", pdf=pdf).status_code == 302
    assert answers_of(app) == ["queued"]


@pytest.mark.skipif(not have_data(), reason="needs ../shared/data (RAVDESS) for a real recording")
def test_recordings_over_either_limit_get_a_clear_json_error(client, auth, app, db_backend, tmp_path):
    clip = write_audio(tmp_path / "a.webm", 3).read_bytes()
    auth.register()
    app.config["MAX_STORED_MB"] = 1
    folder = user_folder(app)
    (folder / "earlier.webm").write_bytes(b"\0" * (1024 * 1024 - len(clip) + 1))
    resp = post_recording(client, "audio", clip)
    assert resp.status_code == 413
    error = resp.get_json()["error"]
    assert "each candidate may store" in error and error.endswith("Your recording is still here.")
    assert answers_of(app) == [] and [p.name for p in folder.iterdir()] == ["earlier.webm"]
    (folder / "earlier.webm").unlink()
    app.config["MAX_WAITING_ANSWERS"] = 1
    assert post_recording(client, "audio", clip).status_code == 201
    # another take (the same one sent again is that answer, stored once: webapp/interview/routes.py)
    resp = post_recording(client, "audio", write_audio(tmp_path / "b.webm", 4).read_bytes())
    assert resp.status_code == 429
    assert "1 answer waiting for analysis" in resp.get_json()["error"]
    assert answers_of(app) == ["queued"] and len(list(folder.iterdir())) == 1


def test_a_retry_waits_for_room_too(client, auth, app, db_backend):
    app.config["MAX_WAITING_ANSWERS"] = 1
    auth.register()
    assert post_text(client, "First. " + LETTER).status_code == 302
    with app.app_context():
        ans = db.session.scalars(select(Answer)).one()
        ans.status, ans.error, ans.error_detail, ans.attempts = "failed", "The worker stopped.", "OSError", 1
        db.session.commit()
        failed_id = ans.id
    assert post_text(client, "Second. " + LETTER).status_code == 302
    token = csrf_token(client, f"/answers/{failed_id}")
    page = client.post(f"/answers/{failed_id}/retry", data={"csrf_token": token}, follow_redirects=True)
    text = html.unescape(page.get_data(as_text=True))
    assert "It was not queued again: retry it when some of them are done" in text
    assert answers_of(app) == ["failed", "queued"]


def test_the_account_page_shows_what_is_stored_and_waiting(client, auth, app, db_backend):
    app.config["MAX_STORED_MB"] = 1
    auth.register()
    (user_folder(app) / "earlier.webm").write_bytes(b"\0" * 950 * 1024)
    assert post_text(client, "First. " + LETTER).status_code == 302
    page = html.unescape(client.get("/account").get_data(as_text=True))
    usage = page.split('id="usage"', 1)[1].split("</p>", 1)[0]
    assert "950 KB" in usage and "of the\n     1 MB each candidate may store" in usage
    assert "1 answer is\n     waiting for analysis" in usage and "(at most 20 at once)" in usage
    assert "To make room" in usage  # over 90 % of the limit


def test_sizes_read_in_plain_units():
    assert [human_size(n) for n in (2048, 5 * 1024 * 1024, 2 * 1024 ** 3, int(1.5 * 1024 ** 3))] == \
        ["2 KB", "5 MB", "2 GB", "1.5 GB"]
