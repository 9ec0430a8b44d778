"""What a PDF's text becomes (the written-answer review): ligatures spelt out, its page-width line breaks joined,
a PDF that opens without a password read; and a pasted "�" refused at its field with the text kept."""
import re

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token
from tests.helpers import LONG_ANSWER
from tests.pdfs import columns_pdf, protected_pdf, scattered_words_pdf, text_pdf
from tests.test_interview import post_answer
from webapp.extensions import db
from webapp.jobs import run_pending
from webapp.models import Answer
from webapp.uploads import UploadError, read_pdf, unwrap_lines

LIGATURED = "I \xaexed the export and con\xaermed it, then \xafew home"  # 0xAE/0xAF: the fi/fl glyphs


def test_ligatures_are_read_as_their_letters():
    """A browser's or Google Docs' PDF stores "fi" as one character: the text, the word counts, the talking points
    and the model all read "fixed", as if it had been typed."""
    from ml.points import match
    from ml.text.normalize import normalize, words

    raw = read_pdf(text_pdf(LIGATURED), 50_000)["text"]
    assert raw == "I fixed the export and confirmed it, then flew home"
    pdf_like = "I ﬁxed the export and conﬁrmed it, then thanked the staﬀ"  # stored before this rule: read the same
    typed = "I fixed the export and confirmed it, then thanked the staff"
    assert words(pdf_like) == words(typed) and normalize(pdf_like) == normalize(typed)
    assert match(pdf_like, ["how you fixed it / fixed", "staff"]) == [
        {"point": "how you fixed it / fixed", "covered": True, "spans": [[2, 6]]},
        {"point": "staff", "covered": True, "spans": [[52, 56]]}]


def test_page_width_line_breaks_are_joined_and_others_kept():
    para = ("In my second year at university I was in charge of booking the\n"
            "venue for our society's annual conference. I assumed the deposit\n"
            "had gone through because the booking page showed a green tick.")
    assert unwrap_lines(para) == para.replace("\n", " ")
    # a list, an address and a short last line keep their breaks; a hyphen at the end of a line joins as written
    text = ("Dear Hiring Manager,\n\nI led the planning of a warehouse rota for forty people and the well-\n"
            "known returns pilot, and I learned three things:\n- ask first\n- then plan\n\nYours sincerely,\nPriya")
    assert unwrap_lines(text) == ("Dear Hiring Manager,\n\nI led the planning of a warehouse rota for forty people "
                                  "and the well-known returns pilot, and I learned three things:\n- ask first\n"
                                  "- then plan\n\nYours sincerely,\nPriya")
    assert unwrap_lines("Skills: SQL,\nPython") == "Skills: SQL,\nPython"  # short lines: a layout, kept


@pytest.mark.parametrize("end,start,joined", [
    ("priori-", "ties to the team", "priorities to the team"),       # a word split by hyphenation: whole again
    ("deliv\u2010", "ered it on time", "delivered it on time"),       # Chromium's hyphen (U+2010)
    ("every \u2010", "thing on time", "everything on time"),          # ... with the space Chromium puts before it
    ("organi-", "sation of it", "organisation of it"),               # fragments that are no words: a split word
    ("impor\u00ad", "tant tasks", "important tasks"),                # a soft hyphen is always a split
    ("well-", "known returns pilot", "well-known returns pilot"),    # a compound of two words keeps its hyphen
    ("follow\u2010", "up call", "follow-up call"),                    # ... as a plain hyphen
    ("Anglo-", "Saxon partners", "Anglo-Saxon partners"),            # a capital after the break: a compound
    ("from 20-", "30 days", "from 20- 30 days"),                     # no letters on both sides: left as it was
    ("the COVID-", "19 lockdown", "the COVID-19 lockdown"),          # letters, then digits: joined as written
])
def test_a_word_split_at_a_line_end_is_whole_again_and_a_compound_keeps_its_hyphen(end, start, joined):
    head = "In my second year at university I was in charge of the booking and the "
    text = head + end + "\n" + start + " for our society's conference, which was held in the main hall."
    assert unwrap_lines(text) == head + joined + " for our society's conference, which was held in the main hall."


def test_an_invisible_soft_hyphen_inside_a_line_is_dropped():
    assert unwrap_lines("We organ\u00adised the inter\u00adnational conference.") == \
        "We organised the international conference."


def test_a_pdf_with_words_hyphenated_at_line_ends_reads_whole_words():
    lines = ["Last spring our team had a tight deadline for a report, so I",
             "made a detailed plan and set clear priorities for everyone, priori-",
             "ties we kept. We worked hard all week and finally deliv-",
             "ered the complete report on time, which the client apprecia-",
             "ted a lot. I learned that good planning really matters."]
    text = read_pdf(protected_pdf(lines), 50_000)["text"]
    assert "priorities we kept" in text and "delivered" in text and "appreciated" in text and "-" not in text


def test_a_two_column_page_reads_its_left_column_then_its_right():
    left = ["Dear Hiring Manager, I am writing to apply", "for the analyst role. Last spring our team",
            "faced a tight deadline for a client report", "and I made a plan that set priorities."]
    right = ["We delivered the report on time and the", "client renewed the contract."]  # shorter: the plain
    # order (boxes by their bottom edge) read it first
    text = read_pdf(columns_pdf(left, right), 50_000)["text"]
    assert " ".join(text.split()) == " ".join(left + right)


def test_a_page_crowded_with_text_boxes_keeps_the_plain_order_and_every_word():
    from webapp.uploads import MAX_FLOW_BOXES
    text = read_pdf(scattered_words_pdf(MAX_FLOW_BOXES * 3), 50_000)["text"]
    assert sorted(text.split()) == sorted(f"w{i}" for i in range(MAX_FLOW_BOXES * 3))


def test_a_pdf_that_opens_without_a_password_is_read_and_one_that_needs_one_is_not():
    """Encrypted with an empty open password (only copying or printing restricted): any viewer opens it, so does
    the app; with an open password, it is refused as before."""
    lines = ["Dear Hiring Manager,", "I am applying for the analyst role."]
    assert read_pdf(protected_pdf(lines), 50_000)["text"] == "\n".join(lines)
    with pytest.raises(UploadError, match="encrypted or password-protected"):
        read_pdf(protected_pdf(lines, open_password="open sesame"), 50_000)


def test_a_pasted_replacement_mark_is_refused_at_its_field_with_the_text_kept(client, auth, app):
    """A "�" in the typed answer (left by a conversion in another program; undecodable bytes arrive as the same
    mark) used to end on a bare "Bad request" page without the text: the form now comes back with the text and says
    where the mark is."""
    auth.register()
    typed = "I worked at Caf\ufffd Nero for two years. " + LONG_ANSWER
    resp = post_answer(client, typed)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert re.search(r'<p class="error" id="answer-error-1">The answer contains “\ufffd” once \(first in '
                     r'“…I worked at Caf\ufffd Nero for two…”\)', page), page
    assert "I worked at Caf\ufffd Nero for two years." in page  # in the text box, to correct
    with app.app_context():
        assert db.session.scalar(select(Answer.id)) is None
    fixed = post_answer(client, typed.replace("\ufffd", "é"))
    assert fixed.status_code == 302


def test_a_ligatured_pdf_answer_covers_its_points_like_the_typed_words(client, auth, app):
    auth.register()
    post_answer(client, pdf=text_pdf(LIGATURED + ". " + LONG_ANSWER))
    with app.app_context():
        assert run_pending() == 1
        ans = db.session.scalar(select(Answer))
        assert ans.status == "done" and ans.text.startswith("I fixed the export and confirmed it")


def test_a_very_long_answer_says_that_the_model_reads_its_beginning(client, auth, app):
    """The text model reads at most 32 windows of word pieces (about 3,000-4,000 words); the page of a longer
    answer says so, not only "this answer has N words"; a shorter one says nothing of it."""
    auth.register()
    long_text = " ".join([LONG_ANSWER] * 60)
    assert len(long_text) < 50_000
    resp = post_answer(client, long_text)
    with app.app_context():
        assert run_pending() == 1
        ans = db.session.scalar(select(Answer))
        assert ans.status == "done" and 3_000 < ans.result["big5_words_read"] < ans.word_count
    page = " ".join(client.get(resp.headers["Location"]).get_data(as_text=True).split())
    assert (f'id="big5-words-read">The model reads about the first {ans.result["big5_words_read"]:,} words of a text '
            "(its limit)") in page
    resp = post_answer(client, LONG_ANSWER, question=2)
    with app.app_context():
        assert run_pending() == 1
    assert 'id="big5-words-read"' not in client.get(resp.headers["Location"]).get_data(as_text=True)


def test_characters_a_font_gives_no_letters_for_are_dropped_and_too_many_refuse_the_pdf():
    """pdfminer's "(cid:n)" debris (a font without a map back to its letters) is neither shown nor counted as words;
    a PDF whose text is more than a tenth such characters cannot be analysed and says why."""
    from webapp.uploads import PDF_NO_LETTERS

    words = "I organised the volunteers and kept the budget within limits for two years running".split()
    few = " ".join(words[:8] + ["(cid:71)"] + words[8:])  # one glyph in about 70 characters
    assert read_pdf(text_pdf(few), 50_000)["text"] == " ".join(words)
    many = " ".join(f"(cid:{40 + i})(cid:{60 + i})" for i in range(30)) + " " + " ".join(words)
    with pytest.raises(UploadError) as exc:
        read_pdf(text_pdf(many), 50_000)
    assert str(exc.value) == PDF_NO_LETTERS
