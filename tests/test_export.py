"""Download my data (webapp.export): one ZIP with everything the site keeps about the candidate, and nothing of
anyone else's; found missing by the privacy review."""
import io
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token
from tests.helpers import LONG_ANSWER, add_user, store_analysed
from tests.pdfs import text_pdf
from tests.test_interview import post_answer
from webapp import media
from webapp.extensions import db
from webapp.jobs import run_pending
from webapp.models import Answer, InterviewSession, Question, User

pytestmark = pytest.mark.all_databases

WORDS = [{"w": "I", "start": 0.5, "end": 0.7}, {"w": "planned", "start": 0.7, "end": 1.2},
         {"w": "carefully.", "start": 1.2, "end": 1.9}]


def export(client):
    resp = client.post("/account/export", data={"csrf_token": csrf_token(client, "/account")})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert resp.mimetype == "application/zip" and "no-store" in resp.headers["Cache-Control"]
    assert resp.headers["Content-Disposition"].startswith("attachment; filename=interview-simulator-my-data-")
    assert resp.is_streamed  # made while it is sent
    data = resp.get_data()
    resp.close()
    return zipfile.ZipFile(io.BytesIO(data))


def test_the_archive_holds_every_answer_file_transcript_and_interview_of_the_candidate_only(client, auth, app):
    other = add_user(app, "other@example.com")
    with app.app_context():
        store_analysed(Answer(user_id=other, question_id=1, modality="text", text="The other candidate's secret.",
                              word_count=5, status="done", result={}), [("big5", "EXT", 10.0)])
    auth.register("me@example.com")
    post_answer(client, LONG_ANSWER)
    pdf = text_pdf("My cover letter. " + LONG_ANSWER)
    post_answer(client, pdf=pdf, question=2)
    with app.app_context():
        assert run_pending() == 2
        me = db.session.scalar(select(User.id).where(User.email == "me@example.com"))
        rel = media.save(me, b"a recording", ".webm")
        media.write_derived(rel, ".cam.png", b"png bytes")  # the face channel's heat map (ml.channels.face)
        audio = store_analysed(Answer(user_id=me, question_id=3, modality="audio", media_path=rel, status="done",
                                      result={"speech": {"words": WORDS, "text": "I planned carefully.",
                                                         "word_count": 3}}),
                               [("speech", "wpm", 120.0)])
        session = InterviewSession(user_id=me, mode="written", question_ids=[1, 2], position=2)
        db.session.add(session)
        db.session.flush()
        # question 1 answered in the interview, then reworded by an admin: the export says it as it was asked
        db.session.add(Answer(user_id=me, question_id=1, modality="text", text="In the interview.", word_count=3,
                              status="done", result={}, session_id=session.id,
                              question_text=db.session.get(Question, 1).text))
        first_wording = db.session.get(Question, 1).text
        db.session.get(Question, 1).text = "REWORDED by an admin?"
        db.session.commit()
    z = export(client)
    names = set(z.namelist())
    assert {"README.txt", "account.json", "answers.json", "mock_interviews.json"} <= names
    assert json.loads(z.read("account.json"))["email"] == "me@example.com"
    assert "password" not in z.read("account.json").decode()
    # the raw estimates of traits a page does not show are said to be such
    assert "cannot estimate them reliably" in " ".join(z.read("README.txt").decode().split())
    # a talking point's stored "covered" is said as what it is, whether its words appear, not as a point found (the
    # pages show no point as made or missed: a tick was right less often than a guess)
    readme = " ".join(z.read("README.txt").decode().split())
    assert "found in your words" not in readme
    assert "\"covered\": whether all of the point's main words appear in your answer, a check of words" in readme
    answers = json.loads(z.read("answers.json"))
    assert [a["type"] for a in answers] == ["text", "pdf", "audio", "text"]
    typed, letter, recording, _ = answers
    assert typed["text"] == LONG_ANSWER and typed["result"]["big5"] and typed["question"]
    # the Big Five, and the hedges per 100 words of a written answer (a typed answer has no duration), with the
    # hedges found in the result
    assert {s["family"] for s in typed["scores"]} == {"big5", "writing"}
    assert typed["result"]["hedges"] == [] and typed["result"]["hedges_per_100_words"] == 0.0
    assert letter["text"].startswith("My cover letter.") and z.read(letter["file"]) == pdf
    assert recording["id"] == audio and z.read(recording["file"]) == b"a recording"
    assert z.read(recording["file"] + ".cam.png") == b"png bytes"
    assert recording["scores"] == [{"family": "speech", "label": "wpm", "value": 120.0}]
    # a recording's words are its transcript's, as its pages count them (its row holds 0: a review found 0 exported)
    assert recording["word_count"] == 3 and typed["word_count"] == len(LONG_ANSWER.split())
    assert z.read(f"files/answer-{audio}-transcript.txt").decode() == "[0:00] I planned carefully.\n"
    assert z.read(f"files/answer-{audio}-transcript.vtt").decode().startswith("WEBVTT")
    interviews = json.loads(z.read("mock_interviews.json"))
    assert len(interviews) == 1 and [q["id"] for q in interviews[0]["questions"]] == [1, 2]
    assert interviews[0]["questions"][0]["text"] == first_wording  # it showed the admin's new wording (a review)
    with app.app_context():
        assert interviews[0]["questions"][1]["text"] == db.session.get(Question, 2).text  # not answered: today's
    assert all("secret" not in z.read(n).decode(errors="replace") for n in names)  # nothing of the other one
    assert not (Path(app.config["MEDIA_DIR"]) / "tmp").exists() or not any((Path(app.config["MEDIA_DIR"]) / "tmp").iterdir())  # nothing on disk


def test_an_empty_account_gets_an_archive_too_and_others_cannot_ask(client, auth, app):
    auth.register("new@example.com")
    z = export(client)
    assert json.loads(z.read("answers.json")) == [] and json.loads(z.read("mock_interviews.json")) == []
    assert client.get("/account/export").status_code == 302  # the address alone: the account page
    assert client.post("/account/export").status_code == 400  # no CSRF token
    auth.logout()
    resp = client.post("/account/export", data={"csrf_token": csrf_token(client, "/login")})
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_a_large_recording_is_sent_whole_and_exports_are_limited(client, auth, app):
    """A recording larger than one chunk arrives byte for byte (the archive is made as it is sent); the export has
    its own limit per candidate (EXPORT_RATE_LIMIT), not the uploads' one."""
    import os

    auth.register("big@example.com")
    with app.app_context():
        me = db.session.scalar(select(User.id).where(User.email == "big@example.com"))
        blob = os.urandom(3 * (1 << 20) + 12345)
        rel = media.save(me, blob, ".webm")
        db.session.add(Answer(user_id=me, question_id=1, modality="video", media_path=rel, status="done", result={}))
        db.session.commit()
    z = export(client)
    assert z.testzip() is None and z.read(json.loads(z.read("answers.json"))[0]["file"]) == blob
    app.config["EXPORT_RATE_LIMIT"] = "2 per minute"
    token = csrf_token(client, "/account")
    codes = [client.post("/account/export", data={"csrf_token": token}).status_code for _ in range(3)]
    assert codes[-1] == 429



def test_the_exports_word_counts_are_the_pages_without_filler_sounds(client, auth, app):
    """Every page counts an answer's words without filler sounds ("Words without fillers", dashboard/_words.html); the
    export counted the stored figures, fillers included: a transcript "Um, I uh shipped it early." was 6 words there
    and 4 on the pages, a typed "Um, one two three" 4 and 3."""
    import re
    auth.register("me@example.com")
    with app.app_context():
        me = db.session.scalar(select(User.id).where(User.email == "me@example.com"))
        store_analysed(Answer(user_id=me, question_id=1, modality="audio", media_path=media.save(me, b"a", ".webm"),
                              status="done", result={"speech": {"word_count": 6, "text": "Um, I uh shipped it early."}}),
                       [])
        store_analysed(Answer(user_id=me, question_id=2, modality="text", text="Um, one two three", word_count=4,
                              status="done", result={}), [])
        store_analysed(Answer(user_id=me, question_id=3, modality="audio", media_path=media.save(me, b"b", ".webm"),
                              status="done", result={"speech": {"word_count": 137}}), [])  # an older result: no text
    answers = json.loads(export(client).read("answers.json"))
    assert [a["word_count"] for a in answers] == [4, 3, 137]
    # the same figures as the history page's
    history = client.get("/history").get_data(as_text=True)
    cells = re.findall(r'<td class="num" data-label="Words without fillers">(.*?)</td>', history)
    assert sorted(cells) == sorted(str(a["word_count"]) for a in answers), cells


def test_a_transcript_flagged_unreliable_has_no_word_count_in_the_tables_or_the_export(client, auth, app):
    """A review: a 21-second audio answer whose page called its transcript unreliable (it repeats the same words a
    great deal) was listed in My answers with 195 words. The tables show a dash with the reason, the export none; a
    clear transcript keeps its count."""
    import re
    auth.register("me@example.com")
    with app.app_context():
        me = db.session.scalar(select(User.id).where(User.email == "me@example.com"))
        looping = " ".join(["I", "planned", "it"] * 65)  # 195 words
        flagged = store_analysed(Answer(user_id=me, question_id=3, modality="audio", status="done", result={
            "speech": {"text": looping, "word_count": 195, "flags": ["not_english_or_unclear"], "repetitive": True}}), [])
        clear = store_analysed(Answer(user_id=me, question_id=3, modality="audio", status="done", result={
            "speech": {"words": WORDS, "text": "I planned carefully.", "word_count": 3, "flags": []}}), [])
    dash = ('<td class="num" data-label="Words without fillers"><span title="Not counted: the transcript looks '
            'unreliable">–</span><span class="visually-hidden"> (not counted: the transcript looks unreliable)</span></td>')
    for url in ("/history", f"/answers/{flagged}"):  # My answers; the attempts at this question
        page = " ".join(client.get(url).get_data(as_text=True).split())
        cells = re.findall(r'<td class="num" data-label="Words without fillers">.*?</td>', page)
        assert sorted(cells) == sorted([dash, '<td class="num" data-label="Words without fillers">3</td>']), (url, cells)
        assert ">195<" not in page
    answers = {a["id"]: a for a in json.loads(export(client).read("answers.json"))}
    assert (answers[flagged]["word_count"], answers[clear]["word_count"]) == (None, 3)
