"""The progress page sets each measured figure beside other candidates' stored averages (a review: "a candidate cannot
tell whether 3.1 fillers per minute is a lot"): the same averages and hold-back rules as the answer pages and the mock
report (stats.compare(viewer_id=...), via practice.service._averages), kept per answer type, the candidate's own answers
never among "others"; in each chart's summary sentence and as reference values for its chart (practice_progress.js),
within a bounded number of queries."""
import json
import re

import pytest
from sqlalchemy import select

from tests.helpers import LONG_ANSWER, add_user, store_analysed
from tests.test_answer_queries import count_queries
from webapp import stats
from webapp.extensions import db
from webapp.models import Answer, User
from webapp.practice.service import progress

pytestmark = [pytest.mark.all_databases, pytest.mark.usefixtures("whole_essay_text_figures")]

# the request's user, the answers (their questions joined), their scores, and per answer type charted (written, audio,
# video) the candidate's results waiting for a batch (stats.own_contribution) and the comparison (stats.compare); the
# question of the filter (the route)
PROGRESS_MAX_QUERIES = 10


def spoken(fillers, hedges=1.0, span=60.0, words=150):
    """(scores, result) of a spoken answer as the speech channel stores them."""
    speech = {"text": " ".join(["word"] * words), "word_count": words, "speaking_span_s": span,
              "wpm": words / span * 60, "fillers_per_min": fillers, "long_pauses_per_min": 0.0,
              "hedges_per_min": hedges, "flags": []}
    return ([("speech", k, speech[k]) for k in ("wpm", "fillers_per_min", "long_pauses_per_min", "hedges_per_min")],
            {"speech": speech})


def typed(rate):
    """(scores, result) of a written answer (LONG_ANSWER) with `rate` hedges per 100 words."""
    return [("writing", "hedges_per_100_words", rate)], {"word_count": 99, "short": False, "hedges": ["maybe"],
                                                          "hedges_per_100_words": rate}


def store(app, uid, modality, scores_result, question_id=1):
    scores, result = scores_result
    written = modality == "text"
    with app.app_context():
        return store_analysed(Answer(user_id=uid, question_id=question_id, modality=modality, status="done",
                                     progress=100, text=LONG_ANSWER if written else None,
                                     word_count=99 if written else 0, result=result), scores)


def user_id(app, email):
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


def chart(data, key):
    return next(c for c in data["charts"] if c["key"] == key)


def chart_data(page, key):
    part = page[page.index(f'id="fig-{key}"'):]
    return json.loads(re.search(r'class="progress-data"[^>]*>(.*?)</script>', part, re.S).group(1))


def summary(page, key):
    part = page[page.index(f'id="fig-{key}"'):]
    return " ".join(re.sub(r"<[^>]+>", "", re.search(r'<p class="summary">(.*?)</p>', part, re.S).group(1)).split())


@pytest.fixture
def others(app):
    """Five other candidates' audio answers to question 1 (fillers 1 to 5 a minute: average 3.0), two of them with a
    video answer too (too few for a video average), and four written answers of two candidates (enough answers, too few
    candidates). Returns the candidate "me"'s id, who has no answer yet."""
    for n in range(5):
        uid = add_user(app, f"other{n}@example.com")
        store(app, uid, "audio", spoken(float(n + 1)))
        if n < 2:
            store(app, uid, "video", spoken(9.0))
            store(app, uid, "text", typed(1.0))
            store(app, uid, "text", typed(1.0))
    store(app, user_id(app, "other0@example.com"), "text", typed(1.0))  # a fifth: 5 answers, 2 candidates
    return add_user(app, "me@example.com")


def test_progress_gives_others_averages_per_answer_type_and_holds_back_as_the_answer_pages(app, others):
    me = others
    store(app, me, "audio", spoken(6.0))             # mine: never among "others"
    store(app, me, "audio", spoken(4.0), question_id=2)
    store(app, me, "video", spoken(2.0))
    store(app, me, "text", typed(3.0))
    with app.app_context():
        data = progress(me)
        fillers = chart(data, "fillers_per_min")
        assert [o["group"] for o in fillers["others"]] == ["audio", "video"]   # one per type charted, never mixed
        audio, video = fillers["others"]
        assert audio["pool"] == "audio" and audio["scope"] == "all" and audio["count"] == 5
        assert audio["mean"] == pytest.approx(3.0) and audio["question_held"] is None
        # two video answers of others: held back ("answers"), as the answer pages hold it
        assert video["mean"] is None and video["count"] == 0 and video["held"] == ["answers"]
        # the written answers' hedges: five answers of two candidates, held back for want of candidates
        written = chart(data, "hedges_per_100_words")["others"]
        assert [(o["group"], o["mean"], o["held"]) for o in written] == [("text", None, ["people"])]
        # the word count is not compared (no stored average); Big Five traits get nothing new
        words = chart(data, "words")
        assert words["compared"] is False and words["others"] == []
        assert all("others" not in c for c in data["charts"] if c["trait"])
        # the admins' view of the same numbers: compare() without a viewer holds nothing back and leaves nobody out
        full = stats.compare([stats.OVERALL], "audio", {"speech": {"fillers_per_min": None}})
        assert full[stats.OVERALL]["speech"]["fillers_per_min"]["count"] == 7   # 5 of others + my 2: mine left out above

        # one question: its own average where it may be shown
        q1 = chart(progress(me, 1), "fillers_per_min")["others"]
        assert [(o["group"], o["scope"], o["count"], o["question_held"]) for o in q1] == [
            ("audio", "question", 5, None), ("video", None, 0, None)]
        assert q1[0]["mean"] == pytest.approx(3.0)
        # question 2: no other candidate answered it; the average of all questions, saying why
        q2 = chart(progress(me, 2), "fillers_per_min")["others"]
        assert [(o["group"], o["scope"], o["count"], o["question_held"]) for o in q2] == [("audio", "all", 5, "answers")]


def test_progress_page_says_others_average_and_hands_it_to_the_chart(client, auth, app, others):
    auth.login("me@example.com")
    me = others
    store(app, me, "audio", spoken(6.0))
    page = client.get("/practice/progress").get_data(as_text=True)
    text = summary(page, "fillers_per_min")
    assert ("Other candidates' average: 3.0 per min over all questions (audio answers, n=5)." in
            text.replace("&#39;", "'")), text
    data = chart_data(page, "fillers_per_min")
    assert [(o["group"], o["count"]) for o in data["others"]] == [("audio", 5)]
    assert data["others"][0]["value"] == pytest.approx(3.0)
    assert data["others"][0]["label"] == "Others’ audio answers: average"
    # the method says how the averages are chosen
    method = " ".join(re.search(r'id="progress-method">(.*?)</details>', page, re.S).group(1).split())
    assert "other candidates’ answers of the same type" in method

    # held back: the answer pages' words, and no line
    store(app, me, "video", spoken(2.0))
    store(app, me, "text", typed(3.0))
    page = client.get("/practice/progress").get_data(as_text=True)
    text = summary(page, "fillers_per_min").replace("&#39;", "'")
    assert ("Other candidates' averages, kept per answer type: 3.0 per min over all questions (audio answers, n=5); "
            "video answers: not enough results from others yet.") in text, text
    assert [o["group"] for o in chart_data(page, "fillers_per_min")["others"]] == ["audio"]
    text = summary(page, "hedges_per_100_words").replace("&#39;", "'")
    assert "Other candidates' average: not enough other candidates yet (written answers)." in text, text
    assert chart_data(page, "hedges_per_100_words")["others"] == []
    assert "Not compared with other candidates" in summary(page, "words")

    # one question nobody else answered: all questions' average, and why
    store(app, me, "audio", spoken(4.0), question_id=2)
    page = client.get("/practice/progress?question=2").get_data(as_text=True)
    text = summary(page, "fillers_per_min").replace("&#39;", "'")
    assert ("Other candidates' average: 3.0 per min over all questions (audio answers, n=5; this question: not enough "
            "results from others yet).") in text, text
    page = client.get("/practice/progress?question=1").get_data(as_text=True)
    assert "3.0 per min on this question (audio answers, n=5)" in summary(page, "fillers_per_min")
    assert chart_data(page, "fillers_per_min")["others"][0]["label"] == "Others’ audio answers: average"


def test_progress_page_runs_few_queries(client, auth, app, others):
    """Others' averages cost two queries per answer type charted, none per chart or per attempt."""
    auth.login("me@example.com")
    me = others
    for n in range(6):
        store(app, me, "audio", spoken(float(n)), question_id=1 + n % 2)
        store(app, me, "video", spoken(float(n)), question_id=1 + n % 2)
        store(app, me, "text", typed(float(n)), question_id=1 + n % 2)
    for url in ("/practice/progress", "/practice/progress?question=1"):
        client.get(url)  # warm-up
        with count_queries(app) as statements:
            page = client.get(url).get_data(as_text=True)
        assert "(audio answers, n=5" in page
        assert len(statements) <= PROGRESS_MAX_QUERIES, "\n\n".join(statements)
