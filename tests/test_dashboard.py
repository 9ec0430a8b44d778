import pytest
from pathlib import Path

from sqlalchemy import func, select

from tests.conftest import csrf_token
from tests.helpers import LONG_ANSWER, SHORT_ANSWER
from tests.pdfs import text_pdf
from tests.test_interview import post_answer
from webapp.extensions import db
from webapp.jobs import run_pending
from webapp.models import Aggregate, Answer

pytestmark = [pytest.mark.all_databases, pytest.mark.usefixtures("whole_essay_text_figures")]


def analysed(app):
    with app.app_context():
        run_pending()


def test_signup_answer_job_dashboard(client, auth, app):
    auth.register()
    resp = post_answer(client, LONG_ANSWER)
    url = resp.headers["Location"]
    assert client.get(url.replace("/answers/", "/api/answers/") + "/status").get_json()["status"] == "queued"
    analysed(app)
    assert client.get("/api/answers/1/status").get_json() == {
        "id": 1, "status": "done", "status_name": "Analysed", "progress": 100, "message": "Done", "error": None,
        "queued_ahead": None, "typical_seconds": None, "wait": ""}  # nothing to wait for: jobs.wait_note
    page = client.get(url).get_data(as_text=True)
    for name in ("Extraversion", "Neuroticism", "Agreeableness", "Conscientiousness", "Openness"):
        assert name in page
    assert "estimates from the wording" in page and "not a psychological assessment" in page
    assert "not a hiring verdict" in page and "not a reading of your mind" in page
    assert 'id="big5-chart"' in page and "chart.umd.min.js" in page
    assert f"<strong>{len(LONG_ANSWER.split())}</strong> words" in page
    assert "booking" in page  # among the candidate's most-used words
    # the only answer is the candidate's own: there is nobody else to compare with, and the page says so
    assert "(n=1)" not in page and "not enough results from others yet" in page
    assert "not enough answers from others yet" not in page  # one phrase for both (a review of the numbers)
    # said once above the table, not in every row's cells (the mobile review counted 120 on a video page)
    assert '<p class="hint no-others">' in page and 'class="others-question"' not in page
    assert page.count("not enough results from others yet. They appear in this table") == 1
    assert page.count('<td class="others') == 0
    # the measured accuracy of the model is shown per trait
    from webapp.modelinfo import model_metrics
    metrics = model_metrics("text")
    assert set(metrics.per_class) == {"EXT", "NEU", "AGR", "CON", "OPN"}
    assert f"{100 * metrics.per_class['EXT'].accuracy:.0f}%" in page
    # ... and the model's overall accuracy in plain words, without file names or seeds
    assert f"{100 * metrics.accuracy:.0f} times in 100" in page and f"{100 * metrics.baseline:.0f} times in 100" in page
    assert f"Each of the {metrics.n:,} essays was also scored by a copy of the model trained on the other" in page
    assert ".csv" not in page and "seed" not in page.lower()
    assert client.get("/history").get_data(as_text=True).count('class="answer-link"') == 1


def test_comparison_with_other_candidates(client, auth, app):
    auth.register("a@example.com")
    post_answer(client, LONG_ANSWER)
    auth.logout()
    auth.register("b@example.com")
    post_answer(client, LONG_ANSWER + " I also love meeting new people and organising parties.")
    post_answer(client, SHORT_ANSWER, question=2)
    analysed(app)
    page = client.get("/answers/2").get_data(as_text=True)
    # B is compared with A only (B's own two answers are left out of both averages): with one answer
    # from others "the average" would be A's own score, so it is held back (MIN_OTHERS_FOR_AVERAGE)
    assert "(n=1)" not in page and "(n=2)" not in page and "(n=3)" not in page
    row = page[page.index('data-trait="EXT"'):]
    row = row[:row.index("</tr>")]
    # every average held back: said once above the table, not in each row (dashboard/_compare.html compare_table)
    assert 'class="others-' not in row and "not enough results from others yet. They appear in this table" in page
    assert '<span class="num">' not in row
    page = client.get("/answers/3").get_data(as_text=True)
    assert "only 11 words" in page
    # B sees only their own history
    history = client.get("/history").get_data(as_text=True)
    assert history.count('class="answer-link"') == 2


def test_candidate_cannot_see_or_delete_others_answers(client, auth, app):
    auth.register("a@example.com")
    post_answer(client, LONG_ANSWER)
    auth.logout()
    auth.register("b@example.com")
    token = csrf_token(client, "/questions/1/text")
    for url in ("/answers/1", "/api/answers/1/status", "/answers/1/media"):
        assert client.get(url).status_code == 404
    for url in ("/answers/1/delete", "/answers/1/retry"):
        assert client.post(url, data={"csrf_token": token}).status_code == 404
    with app.app_context():
        assert db.session.get(Answer, 1) is not None


def test_an_admin_reading_a_candidates_answer_is_told_whose_it_is_and_offered_no_practice(client, auth, app,
                                                                                          make_admin):
    """The answer page speaks to its candidate ("your attempts"): an admin reading it is told whose answer it is,
    and is not offered to answer the question again or their own progress (it would be the admin's own)."""
    auth.register("cand@example.com")
    post_answer(client, LONG_ANSWER)
    post_answer(client, "")  # a refused one: no answer
    with app.app_context():
        assert run_pending() == 1
    own = client.get("/answers/1").get_data(as_text=True)
    assert 'id="viewing-as-admin"' not in own and 'id="try-again-link"' in own
    auth.logout()
    auth.login(*make_admin())
    page = client.get("/answers/1").get_data(as_text=True)
    assert 'id="viewing-as-admin"' in page and "<strong>cand@example.com</strong>" in page
    assert 'id="try-again-link"' not in page and "Progress on this question" not in page
    assert "Practise this question again" not in page


def test_delete_removes_row_media_and_aggregates(client, auth, app):
    auth.register()
    post_answer(client, pdf=text_pdf(LONG_ANSWER))
    post_answer(client, LONG_ANSWER)
    analysed(app)
    assert len(list(Path(app.config["MEDIA_DIR"]).rglob("*.pdf"))) == 1
    token = csrf_token(client, "/answers/1")
    resp = client.post("/answers/1/delete", data={"csrf_token": token})
    assert resp.status_code == 302
    assert list(Path(app.config["MEDIA_DIR"]).rglob("*.pdf")) == []
    with app.app_context():
        assert db.session.get(Answer, 1) is None
        agg = db.session.execute(select(Aggregate).filter_by(scope="q:1", label="CON")).scalar_one()
        assert agg.count == 1
        remaining = db.session.get(Answer, 2).score_map("big5")["CON"]
        assert abs(agg.total - remaining) < 1e-6


def test_failed_analysis_shows_reason_and_retry(client, auth, app):
    auth.register()
    post_answer(client, LONG_ANSWER)
    with app.app_context():
        db.session.get(Answer, 1).text = ""  # nothing left to analyse: a real failure path
        db.session.commit()
        run_pending()
    page = client.get("/answers/1").get_data(as_text=True)
    assert "The analysis failed" in page and "contains no text" in page
    # a retry would analyse the same (empty) text again: a new answer is offered instead of the button
    assert "Retry the analysis" not in page and 'id="answer-again" href="/questions/1/text"' in page
    # posting the retry anyway is refused with the reason, and costs nothing
    token = csrf_token(client, "/answers/1")
    page = client.post("/answers/1/retry", data={"csrf_token": token}, follow_redirects=True).get_data(as_text=True)
    assert "Retrying would fail the same way" in page
    assert client.get("/api/answers/1/status").get_json()["status"] == "failed"
    with app.app_context():  # a failure a retry can mend: an internal error, its detail kept
        ans = db.session.get(Answer, 1)
        ans.text, ans.error_detail = LONG_ANSWER, "RuntimeError: worker lost its database connection"
        db.session.commit()
    client.post("/answers/1/retry", data={"csrf_token": token})
    assert client.get("/api/answers/1/status").get_json()["status"] == "queued"
    analysed(app)
    assert "Extraversion" in client.get("/answers/1").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Answer, 1).attempts == 2
        counted = db.session.scalars(select(Aggregate.count).where(Aggregate.scope == "all", Aggregate.family == "big5"))
        assert list(counted) == [1] * 5  # the five traits, once: the retry counted nothing twice


HEDGED = "I think " + LONG_ANSWER + " Maybe that was luck, but I think it was the listening."
FRENCH = ("J'ai dirigé une petite équipe pendant un projet difficile. Nous avons organisé des réunions chaque semaine, "
          "écouté les bénévoles et livré le système à temps. J'ai appris que l'écoute rend la direction plus facile.")


def test_a_written_answer_shows_its_hedges_per_100_words_beside_other_written_answers(client, auth, app):
    """A typed answer has no duration, so it had no rate of hedges at all. Now it has one per 100 words, counted by
    the job and stored as a score, shown with the phrases found and beside other candidates' written answers only
    (their spoken answers' hedges per minute are another figure); a short answer and one not in English get none."""
    from ml.speech.metrics import written_hedges
    from tests.helpers import add_user, store_analysed
    from webapp.modelinfo import text_words
    for n in range(5):
        uid = add_user(app, f"other{n}@example.com")
        with app.app_context():
            store_analysed(Answer(user_id=uid, question_id=1, modality="text", status="done", progress=100,
                                  text=LONG_ANSWER, word_count=99, result={"hedges_per_100_words": 1.0}),
                           [("writing", "hedges_per_100_words", 1.0)])
            store_analysed(Answer(user_id=uid, question_id=1, modality="audio", status="done", progress=100,
                                  result={}), [("speech", "hedges_per_min", 9.0)])
    auth.register("me@example.com")
    mine = int(post_answer(client, HEDGED).headers["Location"].rsplit("/", 1)[1])
    short = int(post_answer(client, "I think it went well, maybe.", question=2).headers["Location"].rsplit("/", 1)[1])
    french = int(post_answer(client, FRENCH, question=3).headers["Location"].rsplit("/", 1)[1])
    analysed(app)
    rate = round(100 * 3 / text_words(HEDGED), 2)
    with app.app_context():
        ans = db.session.get(Answer, mine)
        assert ans.result["hedges"] == ["i think", "maybe", "i think"] == written_hedges(HEDGED)["hedges"]
        assert ans.result["hedges_per_100_words"] == rate and ans.score_map("writing") == {"hedges_per_100_words": rate}
        assert db.session.get(Answer, short).score_map("writing") == {}
        assert db.session.get(Answer, french).score_map("writing") == {}
        assert "hedges" not in db.session.get(Answer, french).result
    page = " ".join(client.get(f"/answers/{mine}").get_data(as_text=True).split()).replace("&#39;", "'")
    said = page[page.index('id="written-hedges"'):]
    said = said[:said.index("</p>")]
    assert (f"<strong>Hedges: {rate:.1f} per 100 words</strong> (3 in {text_words(HEDGED)} words: “I think”, “maybe”). "
            "More than the average of other candidates' written answers on this question (1.0 per 100 words, n=5): "
            "where you are sure, say it directly") in said.replace("&#34;", '"')
    row = page[page.index('<tr data-label="hedges_per_100_words">'):]
    row = row[:row.index("</tr>")]
    assert f"{rate:.1f} per 100 words" in row and row.count("1.0</span> per 100 words") == 2 and "9.0" not in row
    assert "percentile" not in row and 'id="hedges-explained"' in page
    page = " ".join(client.get(f"/answers/{short}").get_data(as_text=True).split())
    assert "counted per 100 words from 20 words on (filler sounds not counted); this answer has 6." in page
    assert '<tr data-label="hedges_per_100_words">' not in page
    assert 'id="written-hedges"' not in client.get(f"/answers/{french}").get_data(as_text=True)


def test_the_attempts_status_follows_the_analysis_as_the_progress_message_does(client, auth, app):
    """The progress block said "Transcribing" while the attempts table below said "Waiting": the status the page polls
    carries the table's words (progress.js rewrites the cell with them), and a running job reads "Being analysed"."""
    auth.register()
    post_answer(client, LONG_ANSWER)
    page = client.get("/answers/1").get_data(as_text=True)
    assert 'id="attempt-status">Waiting</td>' in page
    assert client.get("/api/answers/1/status").get_json()["status_name"] == "Waiting"
    from webapp.models import utcnow
    with app.app_context():  # the job has started: its worker's heartbeat is fresh
        a = db.session.get(Answer, 1)
        a.status, a.progress, a.progress_message, a.heartbeat_at = "running", 20, "Transcribing", utcnow()
        db.session.commit()
    status = client.get("/api/answers/1/status").get_json()
    assert status["message"] == "Transcribing" and status["status_name"] == "Being analysed"
    page = client.get("/answers/1").get_data(as_text=True)
    assert 'id="attempt-status">Being analysed</td>' in page and "Transcribing" in page
    js = (Path(__file__).parent.parent / "static" / "js" / "progress.js").read_text()
    assert 'getElementById("attempt-status")' in js and "s.status_name" in js
