import html
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_token
from tests.helpers import LONG_ANSWER, SHORT_ANSWER
from tests.pdfs import corrupt_pdf, encrypted_pdf, image_only_pdf, text_pdf
from webapp.extensions import db
from webapp.jobs import run_pending
from webapp.models import Answer

pytestmark = pytest.mark.all_databases


def count_answers(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Answer))


def media_files(app):
    return [p for p in Path(app.config["MEDIA_DIR"]).rglob("*") if p.is_file()]


def post_answer(client, text="", pdf=None, filename="letter.pdf", question=1):
    token = csrf_token(client, f"/questions/{question}/text")
    data = {"answer": text, "csrf_token": token}
    if pdf is not None:
        data["pdf"] = (io.BytesIO(pdf), filename)
    return client.post(f"/questions/{question}/text", data=data, content_type="multipart/form-data")


def test_question_bank_is_seeded(client, auth):
    auth.register()
    page = client.get("/questions").get_data(as_text=True)
    assert page.count("Answer in writing") >= 20
    assert "Tell us about the last time you showed leadership." in page
    # where a PDF cover letter goes is said on the list (a stranger did not find it)
    assert "A written answer can be typed or uploaded as a PDF" in " ".join(page.split())


def test_pages_need_login(client):
    for url in ("/questions", "/questions/1/text", "/history", "/answers/1"):
        resp = client.get(url)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert client.get("/api/answers/1/status").status_code == 401  # the API: JSON, no redirect


def test_text_answer_is_stored_and_queued(client, auth, app):
    auth.register()
    resp = post_answer(client, LONG_ANSWER)
    assert resp.status_code == 302 and "/answers/" in resp.headers["Location"]
    with app.app_context():
        ans = db.session.execute(select(Answer)).scalar_one()
        assert ans.status == "queued" and ans.modality == "text" and ans.text == LONG_ANSWER
        assert ans.word_count == len(LONG_ANSWER.split())
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Analysing your answer" in page and "job-progress" in page


def test_short_answer_accepted_with_caution(client, auth, app):
    auth.register()
    resp = post_answer(client, SHORT_ANSWER)
    assert resp.status_code == 302
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "only 11 words: too few for an estimate of any Big Five trait" in page
    assert count_answers(app) == 1
    # with a higher threshold, an answer long enough for some traits is told its estimate is very uncertain
    app.config["MIN_WORDS_FOR_ESTIMATE"] = 100
    resp = post_answer(client, " ".join(["word"] * 60), question=2)
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "only 60 words: with fewer than 100 the estimate is very uncertain" in page


def test_pdf_answer_extracts_text_and_keeps_file(client, auth, app):
    auth.register()
    resp = post_answer(client, pdf=text_pdf(LONG_ANSWER), filename="cover letter.pdf")
    assert resp.status_code == 302
    with app.app_context():
        ans = db.session.execute(select(Answer)).scalar_one()
        # the web request only stores the file: the job worker extracts the text
        assert ans.modality == "pdf" and ans.text is None and ans.word_count == 0 and ans.status == "queued"
        assert ans.original_filename == "cover letter.pdf"
        assert run_pending() == 1
        db.session.refresh(ans)
        assert ans.status == "done", ans.error
        assert "booking system" in ans.text and ans.word_count == len(LONG_ANSWER.split())
        assert ans.result["pdf"] == {"pages_read": 1, "pages_total": 1, "truncated": False, "cut_at_chars": None}
    assert len(media_files(app)) == 1
    resp = client.get(f"/answers/{ans.id}/media")
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF-")


@pytest.mark.parametrize("kind,message", [
    ("empty", "The answer is empty"),
    ("whitespace", "The answer is empty"),
    ("renamed", "not a PDF"),
    ("oversize", "larger than the"),
    ("zero_bytes", "empty"),
    ("both", "not both"),
    ("too_long_text", "too long"),
    ("fillers_only", "The answer has no words (filler sounds such as “um” do not count)"),
    ("symbols_only", "The answer has no words"),
])
def test_bad_input_gets_clear_message_and_stores_nothing(client, auth, app, kind, message):
    app.config["MAX_PDF_BYTES"] = 64 * 1024
    auth.register()
    cases = {
        "empty": dict(text=""),
        "whitespace": dict(text="   \n\t  "),
        "renamed": dict(pdf=b"PK\x03\x04 this is really a zip file" * 10, filename="letter.pdf"),
        "oversize": dict(pdf=text_pdf(LONG_ANSWER) + b"%" + b"x" * (70 * 1024)),
        "zero_bytes": dict(pdf=b""),
        "both": dict(text=LONG_ANSWER, pdf=text_pdf(LONG_ANSWER)),
        "too_long_text": dict(text="word " * 12_000),
        "fillers_only": dict(text="um uh um, uh... hmm"),     # a review: stored, and charted as a 0% attempt
        "symbols_only": dict(text="... !!! 👍👍"),
    }
    resp = post_answer(client, **cases[kind])
    assert resp.status_code == 400
    assert message in resp.get_data(as_text=True)
    assert count_answers(app) == 0
    # said at the field it is about, which is marked invalid and points at it (an accessibility audit found it only
    # in a box at the top, which a screen reader does not read out, and no field to focus)
    field = "pdf" if kind in ("renamed", "oversize", "zero_bytes") else "answer"
    page = resp.get_data(as_text=True)
    tag = re.search(rf'<(?:textarea|input)[^>]*\bid="{field}"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in tag and f"{field}-error-1" in tag, tag
    assert re.search(rf'<p class="error" id="{field}-error-1">[^<]*{re.escape(message)}', page), page
    assert media_files(app) == []


@pytest.mark.parametrize("kind,message", [
    ("encrypted", "This PDF is encrypted or password-protected."),
    ("corrupt", "This PDF is damaged and cannot be read."),
    ("image_only", "No text could be extracted from this PDF"),
])
def test_bad_pdf_is_stored_then_fails_in_the_job_with_clear_message(client, auth, app, kind, message):
    """A PDF is parsed by the job worker (in a limited child), not in the web request: a PDF that
    cannot be read is accepted, then its analysis fails with the reason, shown on the answer page."""
    auth.register()
    pdf = {"encrypted": encrypted_pdf, "corrupt": corrupt_pdf, "image_only": image_only_pdf,
           }[kind]()
    resp = post_answer(client, pdf=pdf)
    assert resp.status_code == 302 and "/answers/" in resp.headers["Location"]
    with app.app_context():
        assert run_pending() == 1
        ans = db.session.execute(select(Answer)).scalar_one()
        assert ans.status == "failed" and ans.error.startswith(message), ans.error
        assert ans.text is None and ans.word_count == 0
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "The analysis failed" in page and message in html.unescape(page)
    assert len(media_files(app)) == 1  # the answer (and its file) is kept: it can be retried or deleted


def test_a_pdf_with_more_text_than_an_answer_may_have_is_refused(client, auth, app):
    """Never longer than a typed answer may be (MAX_TEXT_CHARS): such a PDF used to be read to that limit and
    analysed; the job now refuses it, saying the limit, and nothing is scored."""
    auth.register()
    app.config["MAX_TEXT_CHARS"] = 2_000
    resp = post_answer(client, pdf=text_pdf("I planned the release with my team and we shipped it. " * 400))
    assert resp.status_code == 302  # one page: its text is read by the job
    with app.app_context():
        assert run_pending() == 1
        ans = db.session.execute(select(Answer)).scalar_one()
        assert ans.status == "failed" and ans.text is None and ans.word_count == 0
        assert ans.error.startswith("This PDF has more text than an answer may have: over 2,000 characters (more "
                                    "than 408 words), the most a typed answer may have."), ans.error
    page = html.unescape(" ".join(client.get(resp.headers["Location"]).get_data(as_text=True).split()))
    assert "The analysis failed" in page and "Choose the right file, or paste the part you mean" in page


def test_request_over_global_limit_is_a_clear_413(client, auth, app):
    auth.register()
    app.config["MAX_CONTENT_LENGTH"] = 10 * 1024
    token = csrf_token(client, "/questions/1/text")
    resp = client.post("/questions/1/text", data={"csrf_token": token,
                       "pdf": (io.BytesIO(b"%PDF-" + b"0" * 20_000), "big.pdf")},
                       content_type="multipart/form-data")
    page = resp.get_data(as_text=True)
    # the whole upload's limit, and each kind's lower one (a 60 MB request limit is no 50 MB video limit)
    assert resp.status_code == 413 and "larger than the 10 KB limit of any upload" in page
    assert "a video up to 50 MB" in page and "an audio recording up to 15 MB" in page and "a PDF up to 5 MB" in page
    assert count_answers(app) == 0
    # nothing sent can be shown again (the body was not read): the page leads back to the question, with its session
    assert '<a href="/questions/1/text">Back to the question</a>' in page
    resp = client.post("/questions/1/audio?session=7", data={"csrf_token": token,
                       "media": (io.BytesIO(b"0" * 20_000), "a.webm")}, content_type="multipart/form-data")
    assert resp.status_code == 413 and '<a href="/questions/1/audio?session=7">Back to the question</a>' in resp.get_data(as_text=True)
    assert "Back to the question" not in client.post("/admin/questions", data={"x": "0" * 20_000}).get_data(as_text=True)


def test_unknown_or_retired_question_is_404(client, auth, app):
    auth.register()
    assert client.get("/questions/9999/text").status_code == 404
    from webapp.models import Question
    with app.app_context():
        db.session.get(Question, 1).retired = True
        db.session.commit()
    assert client.get("/questions/1/text").status_code == 404
    assert "showed leadership" not in client.get("/questions").get_data(as_text=True)


def test_a_retired_questions_answer_forms_say_why_they_are_gone(client, auth, app):
    """A review opened /questions/25/text after an admin retired question 25 and found a bare "Not found / There is
    nothing here". Each of its answer forms (written or PDF, audio, video) is a 404 that says why, with the sentence
    the answer pages use, and the ways on; a question that never existed keeps the plain 404."""
    from webapp.labels import QUESTION_RETIRED
    from webapp.models import Question

    auth.register()
    with app.app_context():
        db.session.get(Question, 1).retired = True
        db.session.commit()
    for path in ("/questions/1/text", "/questions/1/audio", "/questions/1/video"):
        resp = client.get(path)
        page = " ".join(resp.get_data(as_text=True).split())
        assert resp.status_code == 404, path
        assert "<h1>Question retired</h1>" in page and QUESTION_RETIRED in page, path
        assert '<a href="/history">My answers</a>' in page and '<a href="/questions">Questions</a>' in page, path
        assert "There is nothing here" not in page and 'name="answer"' not in page, path
    page = client.get("/questions/9999/text").get_data(as_text=True)
    assert "There is nothing here" in page and QUESTION_RETIRED not in page
