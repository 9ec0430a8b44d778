from tests.helpers import LONG_ANSWER, store_analysed
from tests.test_interview import post_answer
from webapp.jobs import run_pending


def test_admin_denied_to_anonymous_and_candidates(client, auth):
    assert client.get("/admin/").status_code == 302
    auth.register()
    assert client.get("/admin/").status_code == 403


def test_admin_overview_counts_and_averages(client, auth, app, make_admin):
    auth.register("a@example.com")
    post_answer(client, LONG_ANSWER)
    auth.logout()
    auth.register("b@example.com")
    post_answer(client, LONG_ANSWER)
    with app.app_context():
        run_pending()
    auth.logout()
    email, password = make_admin()
    auth.login(email, password)
    page = client.get("/admin/").get_data(as_text=True)
    assert '<span class="big" id="n-candidates">2</span>' in page
    assert re.search(r'<span class="big" id="n-done">2</span>\s*analysed answers of candidates</div>', page)
    assert "Tell us about the last time you showed leadership." in page
    # each trait's average says how many results it rests on (the traits may rest on different answers)
    row = page[page.index('<tr data-question="1">'):]
    row = row[:row.index("</tr>")]
    assert row.count('<span class="hint">n=2</span>') >= 1 and "n=None" not in page
    # admins can open any candidate's answer
    assert "Extraversion" in client.get("/answers/1").get_data(as_text=True)


# --- Analytics, exports, question bank and users ------------------------------------------

import csv
import io
import json
import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_token
from webapp import stats
from webapp.extensions import db
from webapp.models import AggregateDay, Answer, AnswerDay, Question, User, utcnow

TODAY = utcnow().date()
D1 = TODAY - timedelta(days=10)
D2 = TODAY - timedelta(days=3)
OLD = TODAY - timedelta(days=200)


def add_user(email, role="candidate", password="correct horse"):
    u = User(email=email, role=role)
    u.set_password(password)
    db.session.add(u)
    db.session.commit()
    return u.id


def add_result(user_id, question_id, day, scores, modality="text", text="teamwork deadline"):
    """A finished answer with its scores, recorded in the aggregates as a worker would."""
    ans = Answer(user_id=user_id, question_id=question_id, modality=modality, status="done",
                 text=text if modality in ("text", "pdf") else None,
                 created_at=datetime.combine(day, datetime.min.time()) + timedelta(hours=9))
    return store_analysed(ans, scores)


def big5(ext, neu=50.0):
    return [("big5", "EXT", ext), ("big5", "NEU", neu), ("big5", "AGR", 50.0),
            ("big5", "CON", 50.0), ("big5", "OPN", 50.0)]


@pytest.fixture
def data(app):
    """Three candidates, results on two recent days and one old day, two questions, text and audio."""
    with app.app_context():
        a = add_user("alice@example.com")
        b = add_user("bob@example.com")
        c = add_user("carol@example.com")
        add_result(a, 1, D1, big5(20.0))
        add_result(b, 1, D1, big5(40.0))
        add_result(c, 2, D2, big5(90.0), modality="pdf")
        add_result(a, 1, OLD, big5(10.0))
        add_result(b, 2, D2, [("voice", "happy", 60.0), ("voice", "neutral", 40.0),
                              ("speech", "pauses_per_min", 12.0)], modality="audio")
    return {"alice": a, "bob": b, "carol": c}


@pytest.fixture
def admin(client, auth, make_admin):
    email, password = make_admin()
    auth.login(email, password)
    return email


GET_ROUTES = ["/admin/", "/admin/analytics", "/admin/analytics?question=1&modality=audio",
              "/admin/export/aggregates.csv", "/admin/export/scores.csv", "/admin/questions",
              "/admin/questions/1/edit", "/admin/users"]
POST_ROUTES = ["/admin/questions", "/admin/questions/1/edit", "/admin/questions/1/retire",
               "/admin/questions/1/unretire", "/admin/users/1/deactivate", "/admin/users/1/reactivate",
               "/admin/users/1/make-admin", "/admin/users/1/revoke-admin", "/admin/users/1/delete"]


def test_every_admin_route_needs_an_admin(client, auth, app):
    for url in GET_ROUTES:
        r = client.get(url)
        assert r.status_code == 302 and "/login" in r.headers["Location"], url
    token = csrf_token(client, "/login")
    for url in POST_ROUTES:
        r = client.post(url, data={"csrf_token": token, "text": "A question long enough?", "category": "x"})
        assert r.status_code == 302 and "/login" in r.headers["Location"], url
    auth.register("cand@example.com")
    for url in GET_ROUTES:
        assert client.get(url).status_code == 403, url
    token = csrf_token(client, "/questions")
    for url in POST_ROUTES:
        r = client.post(url, data={"csrf_token": token, "text": "A question long enough?", "category": "x"})
        assert r.status_code == 403, url
    with app.app_context():  # nothing changed
        assert db.session.get(Question, 1).retired is False and db.session.get(User, 1) is not None
        assert db.session.scalar(select(User.role).where(User.email == "cand@example.com")) == "candidate"
        assert db.session.scalar(select(Question.id).where(Question.text == "A question long enough?")) is None


def test_admin_pages_render_for_admins(client, admin, data):
    for url in GET_ROUTES:
        r = client.get(url)
        assert r.status_code == 200 and r.get_data(), url
    page = client.get("/admin/analytics").get_data(as_text=True)
    assert "<script>" not in page  # CSP: data only in JSON blocks, code in static files
    assert 'src="/static/js/admin_analytics.js"' in page


def test_state_changes_need_a_csrf_token(client, admin, app):
    assert client.post("/admin/questions/1/retire").status_code == 400
    assert client.post("/admin/users/1/deactivate", data={"csrf_token": "forged"}).status_code == 400
    with app.app_context():
        assert db.session.get(Question, 1).retired is False


def analytics_data(client, query=""):
    html = client.get("/admin/analytics" + query).get_data(as_text=True)
    m = re.search(r'<script type="application/json" id="analytics-data">(.*?)</script>', html, re.S)
    return html, json.loads(m.group(1))


def test_time_series_per_day_and_label(client, admin, data):
    html, d = analytics_data(client, f"?start={D1 - timedelta(days=1)}&end={TODAY}")
    assert d["days"][0] == (D1 - timedelta(days=1)).isoformat() and d["days"][-1] == TODAY.isoformat()
    series = {s["label"]: s["data"] for s in d["series"]}
    ext = series["Extraversion"]
    assert ext[d["days"].index(D1.isoformat())] == pytest.approx(30.0)  # (20 + 40) / 2
    assert ext[d["days"].index(D2.isoformat())] == pytest.approx(90.0)  # the PDF counts as text
    assert ext[0] is None
    answers = {s["label"]: s["data"] for s in d["answers"]}
    assert answers["Written (typed text and PDF)"][d["days"].index(D1.isoformat())] == 2
    assert answers["Audio"][d["days"].index(D2.isoformat())] == 1
    # the summary table combines the days of the range
    assert re.search(r'data-label="EXT"><th scope="row">Extraversion</th><td class="count" data-label="Results">3</td>'
                     r'<td class="mean" data-label="Mean">50</td>', html)
    # histogram from the all-time bins (includes the old result)
    # (of the first trait as candidates' pages list them: Extraversion; it was the first by key, AGR, before)
    assert sum(d["histogram"]["counts"]) == 4 and d["histogram"]["label"] == "Extraversion"
    _, d = analytics_data(client, "?label=EXT")
    assert d["histogram"]["counts"][10] == 1 and d["histogram"]["counts"][90] == 1


def test_filters_change_results(client, admin, data):
    html, _ = analytics_data(client)  # default: the last 90 days, all questions
    assert '<span class="big" id="n-answers-range">4</span>' in html
    assert '<span class="big" id="n-answers-total">5</span>' in html
    assert '<span class="big" id="n-candidates">3</span>' in html
    html, d = analytics_data(client, "?question=2")
    assert '<span class="big" id="n-answers-range">2</span>' in html
    assert {s["label"] for s in d["series"]} == {"Extraversion", "Neuroticism", "Agreeableness",
                                                  "Conscientiousness", "Openness"}
    assert 'class="mean" data-label="Mean">90</td>' in html
    assert re.search(r'id="n-answers-total">2</span> analysed answers? for this question, all time', html), \
        re.search(r'id="n-answers-total">.{0,80}', html).group()
    html, d = analytics_data(client, f"?start={OLD}&end={OLD}&question=1")
    assert '<span class="big" id="n-answers-range">1</span>' in html and 'class="mean" data-label="Mean">10</td>' in html
    # each model's family says what it perceives and how often it was right, as candidates' pages do (it did not)
    assert 'id="family-perceived"' in html and 'id="model-note-text"' in html and "words</strong>" in html
    for modality, family, kind in (("video", "face", "face"), ("audio", "voice", "voice")):
        html, _ = analytics_data(client, f"?modality={modality}&family={family}")
        note = html[html.index('id="family-perceived"'):]
        assert "expressed, perceived</strong>" in note[:300] and f'id="model-note-{kind}"' in html
        assert re.search(r"\d+ times in 100", html[html.index(f'id="model-note-{kind}"'):]), kind
    html, _ = analytics_data(client, "?modality=audio&family=speech")
    assert 'id="family-perceived"' not in html and 'class="model-note"' not in html
    assert len(d["days"]) == 1
    html, d = analytics_data(client, f"?modality=audio&family=speech&start={D2}&end={D2}")
    assert [s["label"] for s in d["series"]] == ["Pauses (per min)"]  # speech mixes units: each name has its own
    # a stranger's review: pace had 1 result beside pauses' 2, and the note gave "without clear speech" as the only
    # reason, though the other answer's transcript had been flagged
    note = " ".join(html[html.index('id="results-note"'):].split("</p>")[0].split())
    assert "need a transcript that was not flagged unreliable" in note and "5 s of speech or more" in note, note
    assert d["series"][0]["data"] == [pytest.approx(12.0)] and d["fixedScale"] is False
    # the chart's text version: one row per day with results, each series' average
    per_day = html[html.index('id="series-per-day"'):html.index("</details>", html.index('id="series-per-day"'))]
    assert "<th scope=\"col\">Pauses (per min)</th>" in per_day
    assert re.search(rf'<th scope="row" class="nowrap">{D2}</th><td class="num">12.0</td>', per_day)
    html, d = analytics_data(client, f"?start={TODAY + timedelta(days=5)}&end={TODAY + timedelta(days=6)}")
    assert 'id="no-results"' in html and d["series"] == []
    # nonsense input falls back to defaults with a warning instead of failing
    r = client.get("/admin/analytics?start=yesterday&question=999&modality=smell&family=x")
    assert r.status_code == 200 and "use YYYY-MM-DD" in r.get_data(as_text=True)
    # a date in the right form that the calendar lacks is told so (not to use the form it has)
    html = client.get("/admin/analytics?start=2026-02-30").get_data(as_text=True)
    assert "Ignored the start date &#39;2026-02-30&#39;: there is no such day in the calendar." in html
    assert "written (typed text and PDF)" in html and "pdf" not in html.replace("PDF", "")


def html_text(response) -> str:
    import html as html_module
    return html_module.unescape(" ".join(response.get_data(as_text=True).split()))


def test_export_files_are_named_after_their_filters(client, admin, data):
    # each streamed file closed once read (as a WSGI server closes it): left open, the first one's generator
    # (stream_with_context) was closed when garbage collected, during the next request, and popped that request's
    # context ("Popped wrong request context")
    with client.get(f"/admin/export/scores.csv?question=1&start={D1}&end={D2}") as r:
        assert f"scores_written_question-1_{D1}_{D2}.csv" in r.headers["Content-Disposition"]
    with client.get(f"/admin/export/aggregates.csv?modality=audio&start={D1}&end={D2}") as r:
        assert f"aggregates_audio_all-questions_{D1}_{D2}.csv" in r.headers["Content-Disposition"]
    page = html_text(client.get("/admin/analytics"))
    assert "Both files, like this page, rest on the results stored now" in page  # (they differed while a batch waited)


def read_csv(response):
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_scores_export_has_no_personal_data(client, admin, data, app):
    rows = read_csv(client.get(f"/admin/export/scores.csv?start={OLD}&end={TODAY}"))
    assert rows[0] == ["row", "question_id", "modality", "family", "label", "value", "date"]
    body = rows[1:]
    assert len(body) == 4 * 5  # four written answers, five traits each; the audio one is another modality
    text = "\n".join(",".join(r) for r in rows)
    assert "@" not in text and "alice" not in text and "bob" not in text
    with app.app_context():
        answer_ids = set(db.session.execute(select(Answer.id)).scalars())
    assert sorted({int(r[0]) for r in body}) == [1, 2, 3, 4]  # numbered in the file, not answer ids
    assert {r[2] for r in body} == {"text", "pdf"}
    assert {r[6] for r in body} == {OLD.isoformat(), D1.isoformat(), D2.isoformat()}
    assert ["2", "pdf", "big5", "EXT", "90.0000", D2.isoformat()] in [r[1:] for r in body]
    assert all(len(r[6]) == 10 for r in body)  # the day, never the time
    assert answer_ids  # (ids exist but are not exported)
    # filters: question and date range
    rows = read_csv(client.get(f"/admin/export/scores.csv?question=1&start={D1}&end={D1}"))
    assert len(rows) - 1 == 2 * 5 and {r[1] for r in rows[1:]} == {"1"}
    rows = read_csv(client.get(f"/admin/export/scores.csv?modality=audio&start={D2}&end={D2}"))
    assert sorted(r[4] for r in rows[1:]) == ["happy", "neutral", "pauses_per_min"]


def test_aggregates_export_columns_rows_and_filters(client, admin, data):
    rows = read_csv(client.get(f"/admin/export/aggregates.csv?start={OLD}&end={TODAY}"))
    assert rows[0] == ["question_id", "modality", "family", "label", "date", "count", "mean", "sd"]
    body = rows[1:]
    assert "@" not in "".join(",".join(r) for r in rows)
    # days with results: all (OLD, D1, D2) + q:1 (OLD, D1) + q:2 (D2) = 6 days × 5 traits
    assert len(body) == 6 * 5
    ext = {(r[0], r[4]): (int(r[5]), float(r[6]), float(r[7])) for r in body if r[3] == "EXT"}
    assert ext[("all", D1.isoformat())] == (2, pytest.approx(30.0), pytest.approx(10.0))
    assert ext[("1", OLD.isoformat())] == (1, pytest.approx(10.0), pytest.approx(0.0))
    assert ext[("2", D2.isoformat())][0] == 1
    rows = read_csv(client.get(f"/admin/export/aggregates.csv?question=1&start={D1}&end={TODAY}"))
    assert {(r[0], r[4]) for r in rows[1:]} == {("1", D1.isoformat())} and len(rows) - 1 == 5
    rows = read_csv(client.get(f"/admin/export/aggregates.csv?modality=audio&start={D2}&end={D2}"))
    assert {(r[0], r[2], r[3]) for r in rows[1:]} == {
        (s, f, l) for s in ("all", "2") for f, l in [("voice", "happy"), ("voice", "neutral"),
                                                      ("speech", "pauses_per_min")]}


def test_daily_aggregates_are_decremented_when_an_answer_is_deleted(client, auth, app, data):
    with app.app_context():
        def day_rows():
            ext = db.session.execute(select(AggregateDay.scope, AggregateDay.count, AggregateDay.total).where(
                AggregateDay.day == D1, AggregateDay.label == "EXT")).all()
            answers = db.session.execute(select(AnswerDay.scope, AnswerDay.count).where(
                AnswerDay.day == D1)).all()
            return {s: (c, t) for s, c, t in ext}, dict(answers)
        ext, answers = day_rows()
        assert ext == {"all": (2, pytest.approx(60.0)), "q:1": (2, pytest.approx(60.0))}
        assert answers == {"all": 2, "q:1": 2}
        bobs = db.session.execute(select(Answer.id).where(Answer.user_id == data["bob"], Answer.question_id == 1)
                                  ).scalar_one()
    auth.login("bob@example.com")
    r = client.post(f"/answers/{bobs}/delete", data={"csrf_token": csrf_token(client, f"/answers/{bobs}")})
    assert r.status_code == 302
    assert "The answer was deleted." in client.get(r.headers["Location"]).get_data(as_text=True)  # typed: no file
    with app.app_context():
        ext, answers = day_rows()
        assert ext == {"all": (1, pytest.approx(20.0)), "q:1": (1, pytest.approx(20.0))}
        assert answers == {"all": 1, "q:1": 1}
        assert stats.answers_total() == 4


def test_rewording_a_question_keeps_the_wording_each_answer_answered(client, auth, admin, app, data):
    with app.app_context():
        original = db.session.get(Question, 1).text
        alices = db.session.scalars(select(Answer.id).where(Answer.user_id == data["alice"])).all()
        assert {db.session.get(Answer, i).question_text for i in alices} == {original}  # kept as they were stored
    token = csrf_token(client, "/admin/questions")
    r = client.post("/admin/questions/1/edit", data={"csrf_token": token, "category": "behavioural",
                                                     "text": "What is your favourite programming language?"})
    assert r.status_code == 302
    auth.logout()
    auth.login("alice@example.com")
    page = html_text(client.get(f"/answers/{alices[0]}"))
    assert f"<h1 class=\"question\">{original}</h1>" in page
    assert "reworded this question since you answered it. It now reads “What is your favourite programming " \
           "language?”" in page
    history = html_text(client.get("/history"))
    assert original in history and "favourite programming" not in history
    # a new answer keeps the new wording, and says nothing of a change
    r = client.post("/questions/1/text", data={"csrf_token": csrf_token(client, "/questions/1/text"),
                                               "answer": "Python, because it reads like plain English. " * 3})
    new_id = int(r.headers["Location"].rsplit("/", 1)[1])
    page = html_text(client.get(f"/answers/{new_id}"))
    assert "<h1 class=\"question\">What is your favourite programming language?</h1>" in page
    assert "question-reworded" not in page


def test_add_edit_retire_and_unretire_a_question(client, auth, admin, app, data):
    token = csrf_token(client, "/admin/questions")
    r = client.post("/admin/questions", data={"csrf_token": token, "text": "  Why   this company? ",
                                              "category": "Motivational"})
    assert r.status_code == 302
    with app.app_context():
        q = db.session.execute(select(Question).where(Question.text == "Why this company?")).scalar_one()
        qid = q.id
        assert q.category == "motivational" and q.retired is False
    page = client.get("/admin/questions").get_data(as_text=True)
    assert "Why this company?" in page
    # invalid and duplicate questions are refused
    assert client.post("/admin/questions", data={"csrf_token": token, "text": "short", "category": "x"}).status_code == 400
    r = client.post("/admin/questions", data={"csrf_token": token, "text": "Why this company?", "category": "x"})
    assert r.status_code == 400 and "already in the bank" in r.get_data(as_text=True)
    # a duplicate is said at once with another field's error (not after that one is fixed); lengths in numbers
    html = client.post("/admin/questions", data={"csrf_token": token, "text": "Why  this company?", "category": "x",
                                                 "talking_points": "a\nA"}).get_data(as_text=True)
    assert "already in the bank" in html and "is listed twice" in html
    html = client.post("/admin/questions", data={"csrf_token": token, "text": "x" * 1001, "category": "x"}).get_data(as_text=True)
    assert "The question has 1,001 characters; it needs 10 to 1,000." in html and 'maxlength' not in html
    # HTML tags are refused with a reason (they were stored silently, and candidates would read the tags);
    # other words in angle brackets are text
    for field, value, what in (("text", "<b>Describe</b> a hard week.", "The question"),
                               ("category", "<i>Tech</i>", "The category"),
                               ("talking_points", "result\n<script>x</script>", "A talking point")):
        form = {"csrf_token": token, "text": "Describe a hard week at work.", "category": "x", field: value}
        r = client.post("/admin/questions", data=form)
        assert r.status_code == 400 and f"{what} contains the HTML tag" in html_text(r), field
    r = client.post("/admin/questions", data={"csrf_token": token, "category": "technical",
                                              "text": "What does List<T> mean in Java, and when is a < b false?"})
    assert r.status_code == 302
    # a tag with a slash after its name is a tag too
    r = client.post("/admin/questions", data={"csrf_token": token, "category": "x",
                                              "text": "<svg/onload=alert(1)> Tell us about a hard week."})
    assert r.status_code == 400 and "The question contains the HTML tag “<svg/onload=alert(1)>”" in html_text(r)
    # the same words with an accent typed as its own mark are the same question
    assert client.post("/admin/questions", data={"csrf_token": token, "category": "Café",
                                                 "text": "Which café would you open?"}).status_code == 302
    r = client.post("/admin/questions", data={"csrf_token": token, "category": "x",
                                              "text": "Which cafe\u0301 would you open?"})
    assert r.status_code == 400 and "already in the bank" in html_text(r)
    def add(text, **more):
        return client.post("/admin/questions", data={"csrf_token": token, "category": "x", "text": text, **more})

    # a long run without a space (a link, "a/b/c" alternatives) may wrap at its slashes and dots, not widen the table
    # past its box (Edit and Retire went off-screen at 1280 px), and stays escaped
    assert add("What did you learn from https://example.com/very/long/page?a=1&b=2 ?",
               talking_points="situation/context/challenge/problem/obstacle").status_code == 302
    page = client.get("/admin/questions").get_data(as_text=True)
    assert "https:/<wbr>/<wbr>example.<wbr>com/<wbr>very/<wbr>long/<wbr>page?<wbr>a=<wbr>1&amp;<wbr>b=<wbr>2 ?" in page
    assert "<li>situation/<wbr>context/<wbr>challenge/<wbr>problem/<wbr>obstacle</li>" in page
    from webapp.wording import soft_breaks  # a run with nothing to break at gets a break every 24 characters
    assert soft_breaks("a" * 50 + " ok") == "a" * 24 + "<wbr>" + "a" * 24 + "<wbr>aa ok"
    assert soft_breaks("A short <b>question</b>?") == "A short &lt;b&gt;question&lt;/b&gt;?"
    # in any case, beyond ASCII too (SQLite's lower() folds only A-Z: both went in); a tag name followed by words
    # without "=" is text (it was refused as "the HTML tag <B and B>"), a tag with a slash is a tag
    for text, status, said in (("WHICH CAFÉ WOULD YOU OPEN?", 400, "already in the bank"),
                               ("Which café would you open", 400, "already in the bank"),  # punctuation aside
                               ("“Which café would you open?!”", 400, "already in the bank"),
                               ("Which cafe would you open?", 302, ""),     # another word (no accent)
                               ("What would you do if you had A<B and B>C?", 302, ""),
                               ("Describe a hard week.<br /> Then a good one.", 400, "contains the HTML tag “<br />”")):
        r = add(text)
        assert r.status_code == status and (status == 302 or said in html_text(r)), text
    with app.app_context():
        assert db.session.scalar(select(Question.category).where(Question.text == "Which café would you open?")) \
            == "café"
    assert '<option value="café">' in client.get("/admin/questions/1/edit").get_data(as_text=True)
    # edit
    r = client.post(f"/admin/questions/{qid}/edit", data={"csrf_token": token, "text": "Why do you want to work here?",
                                                          "category": "behavioural"})
    assert r.status_code == 302
    with app.app_context():
        q = db.session.get(Question, qid)
        assert (q.text, q.category) == ("Why do you want to work here?", "behavioural")
    assert client.get("/admin/questions/9999/edit").status_code == 404
    # retire question 1, which has answers: candidates no longer see it, the answers stay
    assert client.post("/admin/questions/1/retire", data={"csrf_token": token}).status_code == 302
    auth.logout()
    auth.login("alice@example.com")
    listing = client.get("/questions").get_data(as_text=True)
    assert "Tell us about the last time you showed leadership." not in listing
    assert "Why do you want to work here?" in listing
    assert client.get("/questions/1/text").status_code == 404
    with app.app_context():
        assert db.session.query(Answer).filter_by(question_id=1).count() == 3
        assert stats.comparison("q:1", "text", "big5")["EXT"]["count"] == 3
    auth.logout()
    auth.login("admin@example.com", "admin password")
    assert "retired" in client.get("/admin/questions").get_data(as_text=True)
    token = csrf_token(client, "/admin/questions")  # a new session at every log-in, with a new token
    client.post("/admin/questions/1/unretire", data={"csrf_token": token})
    auth.logout()
    auth.login("alice@example.com")
    assert "Tell us about the last time you showed leadership." in client.get("/questions").get_data(as_text=True)


def test_deactivate_reactivate_and_admin_rights(client, auth, admin, app, data):
    token = csrf_token(client, "/admin/users")
    page = client.get("/admin/users").get_data(as_text=True)
    assert "alice@example.com" in page and "carol@example.com" in page
    assert "carol@example.com" in client.get("/admin/users?q=CAROL").get_data(as_text=True)
    assert "alice@example.com" not in client.get("/admin/users?q=carol").get_data(as_text=True)
    alice = data["alice"]
    assert client.post(f"/admin/users/{alice}/deactivate", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        assert db.session.get(User, alice).active is False
    assert 'id="n-candidates">3</span> registered candidates (2 active; admins not counted)' in client.get("/admin/analytics").get_data(as_text=True)
    other = app.test_client()
    from tests.conftest import Auth
    Auth(other).login("alice@example.com")
    assert other.get("/history").status_code == 302  # cannot log in
    # back to the page it came from, its search cut as the page cuts it (5,000 characters: a URL gunicorn refuses)
    back = client.post(f"/admin/users/{alice}/reactivate", data={"csrf_token": token, "q": "x" * 5000, "page": "2"})
    assert back.status_code == 302 and back.headers["Location"] == f"/admin/users?q={'x' * 254}&page=2"
    Auth(other).login("alice@example.com")
    assert other.get("/history").status_code == 200
    assert other.get("/admin/").status_code == 403
    client.post(f"/admin/users/{alice}/make-admin", data={"csrf_token": token})
    assert other.get("/admin/").status_code == 200
    assert 'id="n-candidates">2</span> registered candidates (2 active; admins not counted)' in client.get("/admin/analytics").get_data(as_text=True)
    client.post(f"/admin/users/{alice}/revoke-admin", data={"csrf_token": token})
    assert other.get("/admin/").status_code == 302  # signed out with the rights: to the log-in page
    Auth(other).login("alice@example.com")
    assert other.get("/admin/").status_code == 403
    assert client.post("/admin/users/9999/deactivate", data={"csrf_token": token}).status_code == 404


def test_admins_cannot_deactivate_or_demote_themselves(client, admin, app):
    with app.app_context():
        me = db.session.scalar(select(User.id).where(User.email == admin))
    token = csrf_token(client, "/admin/users")
    for action in ("deactivate", "revoke-admin"):
        r = client.post(f"/admin/users/{me}/{action}", data={"csrf_token": token}, follow_redirects=True)
        assert "You cannot deactivate your own account" in r.get_data(as_text=True)
    with app.app_context():
        user = db.session.get(User, me)
        assert user.active is True and user.role == "admin"
    assert client.get("/admin/").status_code == 200
    # ... but another admin can
    with app.app_context():
        other = add_user("second@example.com", role="admin")
    client.post(f"/admin/users/{other}/revoke-admin", data={"csrf_token": token})
    with app.app_context():
        assert db.session.get(User, other).role == "candidate"
        stamp = db.session.get(User, other).session_token
    # again (a second click, or a request made by hand): said, and nothing changes (no sign-out either)
    again = client.post(f"/admin/users/{other}/revoke-admin", data={"csrf_token": token}, follow_redirects=True)
    assert "second@example.com is not an admin; nothing was changed." in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, other).session_token == stamp


def test_overview_says_whose_answers_each_count_counts(client, admin, data, app):
    """The overview's "answers" added candidates' analysed answers to everyone's waiting and failed ones, which no
    label said. Each count now says its population: analysed ones are candidates' (the counters of the averages);
    the analysis's queue is everyone's (an admin's failed answer is one the page lists, to retry)."""
    with app.app_context():
        boss = db.session.scalar(select(User.id).where(User.email == admin))
        db.session.add(Answer(user_id=boss, question_id=1, modality="text", status="failed", error="bad input"))
        db.session.add(Answer(user_id=data["bob"], question_id=1, modality="text", status="queued"))
        db.session.commit()
    page = client.get("/admin/").get_data(as_text=True)
    assert 'id="n-answers"' not in page
    assert re.search(r'<span class="big" id="n-done">5</span>\s*analysed answers of candidates</div>', page)
    assert '<span class="big" id="n-failed">1</span> not analysed (anyone’s)</div>' in page
    assert '<span class="big" id="n-queued">1</span> waiting (anyone’s)</div>' in page
    note = " ".join(page[page.index('id="counts-note"'):].split("</p>")[0].split())
    assert "Analysed answers: candidates’ only" in note and "admins’ too" in note


def test_overview_counts_come_from_the_daily_counters(client, admin, data, app):
    page = client.get("/admin/").get_data(as_text=True)
    # the state in words, not "done"
    assert re.search(r'<span class="big" id="n-done">5</span>\s*analysed answers of candidates</div>', page)
    with app.app_context():
        a = Answer(user_id=data["alice"], question_id=3, modality="text", status="failed", error="bad input")
        db.session.add(a)
        db.session.commit()
        failed_id = a.id
    page = client.get("/admin/").get_data(as_text=True)
    assert "bad input" in page
    assert '<span class="big" id="n-failed">1</span> not analysed (anyone’s)</div>' in page
    assert f">#{failed_id}</a> (written, " in page
    assert f'<a href="/answers/{failed_id}">' in page  # the admin can open the failed answer
    # a failure about the answer itself gets no Retry button (a retry repeats it) ...
    assert "a retry would fail the same way" in page and ">Retry<" not in page
    with app.app_context():  # ... an internal error (its technical detail kept for admins) does
        db.session.add(Answer(user_id=data["alice"], question_id=3, modality="text", status="failed",
                              error="The analysis failed.", error_detail="Traceback: boom"))
        db.session.commit()
    page = client.get("/admin/").get_data(as_text=True)
    assert page.count(">Retry<") == 1 and page.count("a retry would fail the same way") == 1


def test_an_admin_deletes_a_deactivated_candidates_account(client, admin, app, data):
    """A deactivated candidate cannot sign in to delete their data: an admin can delete the account, with its
    answers (out of the averages) and files; never their own account from here (found by a privacy review)."""
    from webapp import media
    alice = data["alice"]
    token = csrf_token(client, "/admin/users")
    with app.app_context():
        rel = media.save(alice, b"%PDF-1.4", ".pdf")
        folder = media.absolute(rel).parent
        n_alice = db.session.scalar(select(func.count(Answer.id)).where(Answer.user_id == alice))
        before = stats.answers_total()
    assert client.post(f"/admin/users/{alice}/deactivate", data={"csrf_token": token}).status_code == 302
    page = client.get("/admin/users").get_data(as_text=True)
    assert f"Delete the account of alice@example.com with all its answers" in page
    resp = client.post(f"/admin/users/{alice}/delete", data={"csrf_token": token, "q": "alice"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/admin/users?q=alice")
    assert (f"The account of alice@example.com was deleted, with its {n_alice} answers"
            in client.get("/admin/users").get_data(as_text=True))
    with app.app_context():
        assert db.session.get(User, alice) is None and not folder.exists()
        assert db.session.scalar(select(func.count(Answer.id)).where(Answer.user_id == alice)) == 0
        assert stats.answers_total() == before - n_alice
        me = db.session.scalar(select(User.id).where(User.email == admin))
    resp = client.post(f"/admin/users/{me}/delete", data={"csrf_token": token})
    assert "You cannot delete your own account here" in client.get(resp.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, me) is not None
    # another admin: their rights are revoked first (one deliberate step at a time)
    bob = data["bob"]
    client.post(f"/admin/users/{bob}/make-admin", data={"csrf_token": token})
    assert "Delete the account of bob@example.com" not in client.get("/admin/users").get_data(as_text=True)
    resp = client.post(f"/admin/users/{bob}/delete", data={"csrf_token": token})
    assert "is an admin: revoke their admin rights first" in client.get(resp.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, bob) is not None
    assert client.post("/admin/users/9999/delete", data={"csrf_token": token}).status_code == 404


def test_only_a_retired_question_that_left_no_trace_can_be_deleted(client, auth, admin, app, data):
    """A question added by mistake could only be retired, and stayed in the bank, the overview and the analytics
    for good (found by an admin review). A retired question that nobody answered nor was asked in a mock interview
    can now be deleted; any other is refused with the reason."""
    from webapp.models import InterviewSession
    token = csrf_token(client, "/admin/questions")
    client.post("/admin/questions", data={"csrf_token": token, "text": "A question added by mistake?", "category": "x"})
    client.post("/admin/questions", data={"csrf_token": token, "text": "Another one added by mistake?", "category": "x"})
    with app.app_context():
        mistake, listed = [db.session.execute(select(Question.id).where(Question.text == t)).scalar_one()
                           for t in ("A question added by mistake?", "Another one added by mistake?")]
        db.session.add(InterviewSession(user_id=data["alice"], mode="written", question_ids=[listed]))
        db.session.commit()
    # active: no Delete button, and the route refuses
    assert f'action="/admin/questions/{mistake}/delete"' not in client.get("/admin/questions").get_data(as_text=True)
    r = client.post(f"/admin/questions/{mistake}/delete", data={"csrf_token": token}, follow_redirects=True)
    assert "was not deleted: only a retired question" in html_text(r)
    for qid in (mistake, listed, 1):  # question 1 has answers
        client.post(f"/admin/questions/{qid}/retire", data={"csrf_token": token})
    page = client.get("/admin/questions").get_data(as_text=True)
    assert f'action="/admin/questions/{mistake}/delete"' in page
    assert 'data-confirm="Delete question #' in page and "/static/js/confirm.js" in page  # it asks first (it did not)
    assert f'action="/admin/questions/{listed}/delete"' not in page and 'action="/admin/questions/1/delete"' not in page
    for qid in (listed, 1):
        r = client.post(f"/admin/questions/{qid}/delete", data={"csrf_token": token}, follow_redirects=True)
        assert "was not deleted" in html_text(r)
    r = client.post(f"/admin/questions/{mistake}/delete", data={"csrf_token": token}, follow_redirects=True)
    assert f"Question #{mistake} (“A question added by mistake?”) deleted." in html_text(r)
    with app.app_context():
        assert db.session.get(Question, mistake) is None and db.session.get(Question, listed) is not None
        assert db.session.query(Answer).filter_by(question_id=1).count() == 3
    assert client.post(f"/admin/questions/{mistake}/delete", data={"csrf_token": token}).status_code == 404
    # a candidate who had its page open: their typed answer comes back with the reason, not a bare 404
    auth.logout()
    auth.login("alice@example.com")
    typed = "I kept this answer while the question went away. " * 3
    r = client.post(f"/questions/{mistake}/text", data={"answer": typed, "csrf_token": csrf_token(client, "/questions/2/text")})
    assert r.status_code == 404 and "no longer in the question bank (an administrator deleted it, perhaps while you were answering it)" in html_text(r)
    assert typed.strip() in html_text(r)


def test_analytics_list_scores_in_the_order_of_candidates_pages():
    """A review of the numbers: the speech family read "Pace while talking" first and "Pace" last, sorted by key."""
    from webapp.labels import in_page_order
    assert in_page_order(["voiced_ratio", "wpm", "hedges_per_min", "articulation_wpm", "zzz"]) == \
        ["wpm", "articulation_wpm", "hedges_per_min", "voiced_ratio", "zzz"]
    assert in_page_order(["OPN", "AGR", "EXT"]) == ["EXT", "AGR", "OPN"]


@pytest.mark.all_databases
def test_a_retired_question_whose_results_all_left_can_be_deleted(client, auth, admin, app):
    """An admin review: a retired question whose only answer went (its account deleted) kept counter rows at
    count 0 (aggregates, days, contributors), which blocked its deletion for good with the reason "results waiting
    for a batch" while nothing waited. Emptied counters are no trace: the question can go, and they go with it; a
    removal still waiting for its batch keeps it."""
    from webapp.answers import delete_answers
    from webapp.models import Aggregate, AggregateBin, AggregateDay, AnswerDay, Contributor, PendingResult
    token = csrf_token(client, "/admin/questions")
    client.post("/admin/questions", data={"csrf_token": token, "text": "A question answered once?", "category": "x"})
    with app.app_context():
        qid = db.session.execute(select(Question.id).where(Question.text == "A question answered once?")).scalar_one()
        who = add_user("once@example.com")
        aid = add_result(who, qid, D1, big5(30.0))
        scope = f"q:{qid}"
        assert db.session.query(Aggregate).filter_by(scope=scope).count() == 6  # the traits and the words
        delete_answers([db.session.get(Answer, aid)])
        assert db.session.query(PendingResult).filter_by(scope=scope).count() == 0  # no batches in these tests
        assert db.session.query(Aggregate).filter_by(scope=scope, count=0).count() == 6
    client.post(f"/admin/questions/{qid}/retire", data={"csrf_token": token})
    assert f'action="/admin/questions/{qid}/delete"' in client.get("/admin/questions").get_data(as_text=True)
    r = client.post(f"/admin/questions/{qid}/delete", data={"csrf_token": token}, follow_redirects=True)
    assert f"Question #{qid} (“A question answered once?”) deleted." in html_text(r)
    with app.app_context():
        assert db.session.get(Question, qid) is None
        for model in (Aggregate, AggregateDay, AnswerDay, Contributor):
            assert db.session.query(model).filter_by(scope=scope).count() == 0, model
        assert db.session.query(AggregateBin).count() == db.session.query(AggregateBin).join(
            Aggregate, Aggregate.id == AggregateBin.aggregate_id).count()  # no bin of a deleted aggregate is left
    # a removal that waits for its batch is a trace: that question stays
    app.config.update(AVERAGES_BATCH_RESULTS=5, AVERAGES_BATCH_PEOPLE=3)
    client.post("/admin/questions", data={"csrf_token": token, "text": "Another question answered once?",
                                          "category": "x"})
    with app.app_context():
        qid2 = db.session.execute(select(Question.id).where(Question.text == "Another question answered once?")).scalar_one()
        app.config.update(AVERAGES_BATCH_RESULTS=0, AVERAGES_BATCH_PEOPLE=0)
        aid = add_result(who, qid2, D1, big5(30.0))     # counted at once
        app.config.update(AVERAGES_BATCH_RESULTS=5, AVERAGES_BATCH_PEOPLE=3)
        delete_answers([db.session.get(Answer, aid)])   # its removal waits
        assert db.session.query(PendingResult).filter_by(scope=f"q:{qid2}").count() == 5
    client.post(f"/admin/questions/{qid2}/retire", data={"csrf_token": token})
    r = client.post(f"/admin/questions/{qid2}/delete", data={"csrf_token": token}, follow_redirects=True)
    assert "was not deleted" in html_text(r)


def test_analytics_says_when_analysed_answers_gave_none_of_the_scores(client, admin, app, data):
    """An admin review: a video in which no face was found gave no expressions, and the page said "No analysed
    answers match these filters yet" beside "video: 1"."""
    with app.app_context():
        add_result(data["bob"], 2, D2, [("voice", "happy", 60.0), ("speech", "wpm", 130.0)], modality="video")
    page = html_text(client.get(f"/admin/analytics?modality=video&family=face&start={D2}&end={D2}"))
    assert ("1 video answer was analysed in this period, but it gave none of these scores (a recording in which no "
            "face was found gives none).") in page
    assert "None of the 1 analysed video answer gave these scores yet (a recording in which no face was found" in page
    page = html_text(client.get(f"/admin/analytics?modality=video&family=voice&start={D2}&end={D2}"))
    assert 'gave none of these scores' not in page and "None of the" not in page
    # no answer of the type at all: the plain empty state
    page = html_text(client.get(f"/admin/analytics?modality=video&family=face&start={D1}&end={D1}"))
    assert "No analysed answers match these filters yet" in page


def test_analytics_big_five_figures_are_whole_numbers(client, admin, app, data):
    """A model right about 6 times in 10 has no decimal to give: the analytics page's Big Five means and SDs (the
    summary, the daily table and the chart) are whole numbers, as on the overview and candidates' pages; rates keep
    their decimal (question 1 on D1: Extraversion 20, 40 and 41, mean 33.67, SD 9.67)."""
    with app.app_context():
        add_result(data["carol"], 1, D1, big5(41.0))
    html, d = analytics_data(client, f"?question=1&start={D1}&end={D1}")
    row = html[html.index('<tr data-label="EXT">'):].split("</tr>", 1)[0]
    assert '<td class="mean" data-label="Mean">34</td><td data-label="SD">10</td>' in row, row
    per_day = html[html.index('id="series-per-day"'):html.index("</details>", html.index('id="series-per-day"'))]
    assert re.search(rf'<th scope="row" class="nowrap">{D1}</th><td class="num">34</td>', per_day), per_day
    assert "33.7" not in html and {s["label"]: s["data"] for s in d["series"]}["Extraversion"] == [34]
    html, d = analytics_data(client, f"?modality=audio&family=speech&start={D2}&end={D2}")
    assert 'class="mean" data-label="Mean">12.0</td>' in html and d["series"][0]["data"] == [pytest.approx(12.0)]


def test_analytics_chart_values_have_the_decimals_of_the_tables(client, admin, app, data):
    """The chart's tooltips showed a rate's daily mean unrounded (3.4285714285714284 pauses per minute) where the
    tables give one decimal: the chart's values are rounded as the tables format them, and the page sends the number of
    decimals that its JS gives each tooltip (Big Five: none). Pauses per minute on D2: 12, 10 and 10.5, mean 10.833."""
    with app.app_context():
        add_result(data["alice"], 2, D2, [("speech", "pauses_per_min", 10.0)], modality="audio")
        add_result(data["carol"], 2, D2, [("speech", "pauses_per_min", 10.5)], modality="audio")
    html, d = analytics_data(client, f"?modality=audio&family=speech&start={D2}&end={D2}")
    assert 'class="mean" data-label="Mean">10.8</td>' in html
    assert d["series"][0]["data"] == [10.8] and d["decimals"] == 1
    per_day = html[html.index('id="series-per-day"'):html.index("</details>", html.index('id="series-per-day"'))]
    assert re.search(rf'<th scope="row" class="nowrap">{D2}</th><td class="num">10.8</td>', per_day), per_day
    _, d = analytics_data(client, f"?start={D1}&end={D1}")
    assert {s["label"]: s["data"] for s in d["series"]}["Extraversion"] == [30] and d["decimals"] == 0


def test_analytics_charts_written_answers_hedges_per_100_words(client, admin, app, data):
    """Written answers' hedges per 100 words are a score family of their own (a typed answer has no duration): the
    analytics page offers it for written answers only, charts it with its unit, and says why an answer gives none."""
    with app.app_context():
        add_result(data["alice"], 1, D2, big5(50.0) + [("writing", "hedges_per_100_words", 2.0)])
        add_result(data["bob"], 1, D2, [("writing", "hedges_per_100_words", 4.0)])
    page = html_text(client.get(f"/admin/analytics?modality=text&family=writing&start={D2}&end={D2}"))
    assert '<option value="writing" selected>Hedges (per 100 words)</option>' in page
    assert "<h2>Hedges (per 100 words), written (typed text and PDF) answers" in page
    chart = json.loads(re.search(r'<script type="application/json" id="analytics-data">(.*?)</script>', page).group(1))
    assert [(s["label"], s["unit"], s["data"][-1]) for s in chart["series"]] == [("Hedges", "per 100 words", 3.0)]
    page = html_text(client.get(f"/admin/analytics?modality=audio&family=writing&start={D2}&end={D2}"))
    assert '<option value="writing"' not in page  # never among spoken answers' scores
    page = html_text(client.get(f"/admin/analytics?modality=text&family=writing&start={D1}&end={D1}"))
    assert ("a written answer under 20 words (filler sounds not counted), or not in English, gives none" in page)


def test_an_answer_keeps_the_wording_its_candidate_saw_when_an_admin_rewords_meanwhile(client, auth, app, make_admin):
    """An admin review: a candidate opened a question, an admin reworded it, and the answer sent then was filed (page,
    My answers, export) under the new wording, which the candidate never saw. The forms carry the wording shown,
    signed by the site; an unsigned or another question's wording is ignored."""
    from tests.mediagen import write_audio
    from tests.test_recording import upload
    auth.register("alice@example.com")
    auth.logout()  # "Keep me logged in": the page is kept open for days below, past a plain sign-in's SESSION_HOURS
    assert client.post("/login", data={"email": "alice@example.com", "password": "correct horse", "remember": "y",
                                       "csrf_token": csrf_token(client, "/login")}).status_code == 302
    original = "Tell us about the last time you showed leadership."
    text_page = client.get("/questions/1/text").get_data(as_text=True)
    audio_page = client.get("/questions/1/audio").get_data(as_text=True)
    shown = re.search(r'name="asked" value="([^"]+)"', text_page).group(1)
    # the recorder and the file form carry the same wording, signed with the time the page was made: the payload
    # (before the first dot) is the text page's; the timestamp may be a second later (a CI run crossed one)
    recorder = re.search(r'data-asked="([^"]+)"', audio_page).group(1)
    assert recorder.split(".")[0] == shown.split(".")[0] and f'name="asked" value="{recorder}"' in audio_page
    with app.app_context():
        assert db.session.get(Question, 1).text == original
        db.session.get(Question, 1).text = "Tell us about your biggest success."   # an admin, meanwhile
        db.session.commit()
    token = csrf_token(client, "/questions/2/text")

    def sent(**fields):
        sent.n = getattr(sent, "n", 0) + 1   # a different text each time (the same one again is a double submit)
        r = client.post("/questions/1/text", data={"csrf_token": token, "answer": f"I led a team of {sent.n}. " * 8,
                                                    **fields})
        with app.app_context():
            return db.session.get(Answer, int(r.headers["Location"].rsplit("/", 1)[1]))
    assert sent(asked=shown).question_text == original
    page = html_text(client.get("/history"))
    assert original in page and "biggest success" not in page
    assert sent().question_text == "Tell us about your biggest success."                 # no wording sent
    assert sent(asked=shown[:-2] + "xx").question_text == "Tell us about your biggest success."  # not signed here
    other = re.search(r'name="asked" value="([^"]+)"', client.get("/questions/2/text").get_data(as_text=True)).group(1)
    assert sent(asked=other).question_text == "Tell us about your biggest success."      # another question's

    # a recording sent by the page's recorder (or its file form) keeps it too
    import io
    import tempfile
    from pathlib import Path
    clip = write_audio(Path(tempfile.mkdtemp()) / "a.webm", 3).read_bytes()
    r = client.post("/questions/1/audio", headers={"Accept": "application/json"}, content_type="multipart/form-data",
                    data={"csrf_token": token, "asked": shown, "media": (io.BytesIO(clip), "answer.webm")})
    assert r.status_code == 201, r.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Answer, r.get_json()["id"]).question_text == original
    # a page kept open too long answers the wording of the moment (last: the session cookie signed meanwhile would
    # read as signed in the future afterwards)
    import time as clock
    from unittest import mock
    from webapp.answers import ASKED_MAX_AGE
    with mock.patch("itsdangerous.timed.time.time", return_value=clock.time() + ASKED_MAX_AGE + 60):
        assert sent(asked=shown).question_text == "Tell us about your biggest success."


def test_questions_that_differ_in_punctuation_only_and_were_both_added_before_can_still_be_edited(client, admin, app):
    """A diff review: two near-duplicates added before punctuation counted (an admin review found them) could not be
    edited at all, not even their category, once it did. A question keeps its own wording; the clash names the other
    question; a mark that combines with a letter is part of a word (two Hindi questions collided)."""
    from webapp.admin.service import _question_key
    with app.app_context():
        for text in ("Tell us about your hobbies", "Tell us about your hobbies."):
            db.session.add(Question(text=text, category="general"))
        db.session.commit()
        first, second = db.session.scalars(select(Question.id).where(Question.text.like("Tell us about your hobbies%"))
                                           .order_by(Question.id)).all()
    token = csrf_token(client, "/admin/questions")
    r = client.post(f"/admin/questions/{second}/edit", data={"csrf_token": token, "text": "Tell us about your hobbies.",
                                                            "category": "opening"})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.get(Question, second).category == "opening"
    r = client.post(f"/admin/questions/{second}/edit", data={"csrf_token": token, "text": "tell us about your HOBBIES!",
                                                            "category": "opening"})
    assert r.status_code == 302                    # its own wording, punctuation aside
    r = client.post("/admin/questions/1/edit", data={"csrf_token": token, "text": "Tell us about your hobbies?",
                                                     "category": "behavioural"})
    assert r.status_code == 400 and f"Another question has this text (#{first}; punctuation and capitals aside)." \
        in html_text(r)
    assert _question_key("आप कितना कमा सकते हैं?") != _question_key("आप कितना कम सकते हैं?")
    assert _question_key("Don't you?") != _question_key("Dont you")


def test_overview_says_from_what_length_each_trait_counts(client, admin, data):
    """"–" for a trait shown only from a length: the note gives each trait's length (the shipped text model's figures),
    not only "no result counted yet"."""
    page = client.get("/admin/").get_data(as_text=True)
    note = " ".join(page.split("Analysed answers and average Big Five scores", 1)[1].split("</details>", 1)[0].split())
    assert "(“–”: no result counted yet: for a trait, no written answer of its length yet)" in note
    assert ('<span id="traits-count-from">: Neuroticism from 50 words, Openness from 50 words, Extraversion from 100 '
            'words, Agreeableness from 250 words, Conscientiousness from 250 words</span>.') in note


def test_overview_trait_lengths_never_go_below_the_minimum_word_count(client, admin, app, data):
    """Shorter answers than MIN_WORDS_FOR_ESTIMATE are kept out of every average, so a trait shown from fewer words
    counts from the minimum: the same rule (ModelMetrics.others_from) as the candidates' pages. With the minimum
    raised to 80, the traits shown from 50 words count from 80."""
    app.config["MIN_WORDS_FOR_ESTIMATE"] = 80
    page = client.get("/admin/").get_data(as_text=True)
    assert ('<span id="traits-count-from">: Neuroticism from 80 words, Openness from 80 words, Extraversion from 100 '
            'words, Agreeableness from 250 words, Conscientiousness from 250 words</span>.') in " ".join(page.split())


def test_overview_explanation_is_short_with_the_method_collapsed(client, admin, data):
    """At 390 px the per-question table opened under a ~200-word paragraph. One short paragraph stays in view (what
    is counted, the scale, what "–" means); the method is in a closed <details>, as on the progress page, and keeps
    every fact."""
    page = client.get("/admin/").get_data(as_text=True)
    intro = " ".join(page[page.index('id="per-question-intro"'):].split("</p>", 1)[0].split())
    words = re.sub(r"<[^>]+>", " ", intro.split(">", 1)[1]).split()
    assert len(words) <= 45 and "0–100 scale" in intro and "“–”: no result counted yet" in intro
    method = page[page.index('<details class="overview-method" id="overview-method">'):].split("</details>", 1)[0]
    assert "<summary>How these figures are counted</summary>" in method
    text = " ".join(method.split())
    for fact in ("Admins’ own answers are in none of these figures, nor in the averages candidates are compared with",
                 "the model’s probability (×100) that the wording suggests a high trait, averaged",
                 "better than a guess (the candidates’ pages do not show it either)", 'id="traits-count-from"',
                 "These figures rest on every result stored now."):
        assert fact in text
    assert page.index('id="per-question-intro"') < page.index('id="overview-method"') < page.index('id="per-question"')


def test_overview_big_five_averages_are_whole_numbers(client, admin, data):
    """A model right about 6 times in 10 has no decimal to give: the averages are whole numbers, as on candidates'
    pages (question 1: 20, 40 and 10 average 23.3)."""
    page = client.get("/admin/").get_data(as_text=True)
    row = page[page.index('<tr data-question="1">'):].split("</tr>", 1)[0]
    assert row.count('>23<br><span class="hint">n=3</span>') == 1 and "23.3" not in row  # Extraversion


def test_overview_lists_questions_without_answers_under_the_table_not_as_rows(client, admin, app, data):
    """A row of zeros and dashes per question nobody answered made the overview ~11,000 px tall on a phone (a
    fresh-eyes review): the table keeps the questions with answers (1 and 2), the others are one collapsed list of
    their texts, each linked to its place in the question bank, and the totals still count every question."""
    token = csrf_token(client, "/admin/questions")
    client.post("/admin/questions/3/retire", data={"csrf_token": token})
    with app.app_context():
        n_questions = db.session.scalar(select(func.count()).select_from(Question))
        third = db.session.get(Question, 3).text
    page = client.get("/admin/").get_data(as_text=True)
    table = page[page.index('id="per-question"'):page.index("</table>", page.index('id="per-question"'))]
    assert '<th scope="col" rowspan="2">Question</th>' in table  # the headers stay
    assert [int(q) for q in re.findall(r'<tr data-question="(\d+)">', table)] == [1, 2]
    total = table[table.index('<tr class="total">'):]
    assert '<td class="num" data-label="Written answers">4</td>' in total  # alice 2, bob 1, carol's PDF
    assert '<td class="num" data-label="All answers">5</td>' in total
    listing = page[page.index('<details id="unanswered">'):page.index("</details>", page.index('<details id="unanswered">'))]
    assert f"<summary>{n_questions - 2} questions with no analysed answers yet</summary>" in listing
    items = re.findall(r'<li data-question="(\d+)">(.*?)</li>', listing, re.S)
    assert [int(q) for q, _ in items] == list(range(3, n_questions + 1))  # in the bank's order
    first = html_text_of(items[0][1])
    assert f'<a href="/admin/questions#question-3"><span class="hint">#3</span> {third}</a> <span class="tag">retired</span>' == first
    # once answered, a question moves into the table
    with app.app_context():
        add_result(data["alice"], 3, D2, big5(30.0))
    page = client.get("/admin/").get_data(as_text=True)
    assert '<tr data-question="3">' in page and '<li data-question="3">' not in page
    assert f"<summary>{n_questions - 3} questions with no analysed answers yet</summary>" in page


def html_text_of(fragment: str) -> str:
    """``fragment`` with the soft line-break opportunities (<wbr>) that long question texts carry taken out."""
    import html as html_module
    return html_module.unescape(fragment.replace("<wbr>", ""))


def test_analytics_shows_no_nods_shakes_or_head_speed(client, admin, app):
    """Candidates are not shown nods, head shakes or the head's speed (labels.HEAD_MOVES_HIDDEN: never checked on real
    videos); the admin's analytics of the same family showed their daily means, summary and histogram all the same. They
    stay stored and in the score export; the page says why they are not there."""
    from webapp.labels import HEAD_MOVES_HIDDEN
    with app.app_context():
        uid = add_user("dora@example.com")
        add_result(uid, 1, D1, [("gaze", "facing_share", 80.0), ("gaze", "nods_per_min", 4.0),
                                ("gaze", "shakes_per_min", 2.0), ("gaze", "motion", 6.0)], modality="video")
    for query in ("", "&label=nods_per_min"):  # a histogram asked for by a hidden label falls back to a shown one
        html, d = analytics_data(client, f"?modality=video&family=gaze&start={D1}&end={TODAY}{query}")
        assert [s["label"] for s in d["series"]] == ["Facing the camera (% of frames with a face)"]
        assert d["histogram"]["label"] == "Facing the camera"
        assert 'data-label="facing_share"' in html
        for label in HEAD_MOVES_HIDDEN:
            assert f'data-label="{label}"' not in html
        assert 'id="head-moves-hidden"' in html
    rows = read_csv(client.get(f"/admin/export/scores.csv?modality=video&start={D1}&end={TODAY}"))
    assert rows[0][4] == "label" and set(HEAD_MOVES_HIDDEN) <= {r[4] for r in rows[1:]}
