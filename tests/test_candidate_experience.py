"""Candidate experience: the landing page, the favicon, plurals, word counts of recordings, the
admin's per-question counts of every answer type and the empty states of the analytics page, and
the CSS and recorder rules the browser tests rely on (issue "Candidate experience")."""
import re
from datetime import timedelta
from pathlib import Path

from tests.test_admin import TODAY, add_result, add_user, big5
from webapp.extensions import db
from webapp.models import Answer, User
from webapp.wording import plural

ROOT = Path(__file__).resolve().parents[1]


def test_landing_page_says_what_each_answer_type_gives_and_what_the_figures_are_not(client):
    page = client.get("/").get_data(as_text=True)
    video = " ".join(page[page.index('id="kind-video"'):page.index('id="kind-audio"')].split())
    audio = " ".join(page[page.index('id="kind-audio"'):page.index('id="kind-text"')].split())
    text = page[page.index('id="kind-text"'):page.index("</ul>")]
    for said in ("transcript", "pace", "filler", "talking points", "faced the camera", "facial expressions",
                 "the emotion in your voice that the models perceived"):
        assert said in video, said
    for said in ("transcript", "pace", "filler", "talking points", "the model perceived in your voice"):
        assert said in audio, said
    assert "face" not in audio
    assert "Big Five" in text and "wording" in text and "talking points" in text and "PDF" in text
    assert "hedges" in text and "per 100 words" in text  # a typed answer has no duration: no rate per minute
    assert "practice feedback, not a hiring verdict" in page
    assert "perceive expressed signals; they do not read minds" in page


def test_favicon(client):
    page = client.get("/").get_data(as_text=True)
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    r = client.get("/static/favicon.svg")
    assert r.status_code == 200 and r.mimetype == "image/svg+xml" and b"<svg" in r.data
    r = client.get("/favicon.ico")
    assert r.status_code == 301 and r.headers["Location"].endswith("/static/favicon.svg")


def test_plural():
    assert [plural("candidate", n) for n in (0, 1, 2)] == ["candidates", "candidate", "candidates"]
    assert plural("stretch", 3, "stretches") == "stretches" and plural("stretch", 1, "stretches") == "stretch"


def test_history_shows_a_dash_or_the_transcript_word_count_for_recordings(client, auth, app):
    auth.register()
    with app.app_context():
        uid = db.session.scalar(db.select(User.id).where(User.email == "cand@example.com"))
        for result in (None, {"speech": {"word_count": 137}}, {"speech": {"word_count": 6, "text": "Um, I uh shipped it early."}}):
            db.session.add(Answer(user_id=uid, question_id=1, modality="audio", status="queued",
                                  media_path=f"{uid}/a.webm", result=result))
        db.session.add(Answer(user_id=uid, question_id=1, modality="text", status="queued", text="Um, one two three",
                              word_count=4))
        db.session.commit()
    html = client.get("/history").get_data(as_text=True)
    # one count of an answer's words, without filler sounds, as the progress page and the Big Five notes give it (a
    # review: 131 "fillers included" here, 129 "without fillers" there; a typed answer's column said "fillers
    # included" too): a transcript's and a typed text's "um" and "uh" are not counted
    cells = re.findall(r'<td class="num" data-label="Words without fillers">(.*?)</td>', html)
    assert sorted(cells) == sorted(["–", "137", "4", "3"]), cells
    assert "0" not in cells and "fillers included" not in html
    assert '<th scope="col">Words without fillers</th>' in html
    # the attempts table of an answer's page counts the same way
    with app.app_context():
        typed = db.session.scalar(db.select(Answer.id).where(Answer.modality == "text"))
    page = client.get(f"/answers/{typed}").get_data(as_text=True)
    current = page[page.index('<tr class="current">'):].split("</tr>", 1)[0]
    assert '<td class="num" data-label="Words without fillers">3</td>' in current
    assert "fillers included" not in page


def test_overview_counts_recordings_per_question_and_pluralises(client, app, make_admin, auth):
    with app.app_context():
        a = add_user("alice@example.com")
        add_result(a, 1, TODAY, big5(20.0))
        add_result(a, 1, TODAY, [("voice", "happy", 60.0)], modality="audio")
        add_result(a, 1, TODAY, [("face", "happy", 60.0)], modality="video")
        add_result(a, 2, TODAY, [("face", "happy", 50.0)], modality="video")
    auth.login(*make_admin())
    page = client.get("/admin/").get_data(as_text=True)
    assert 'id="n-candidates">1</span> registered candidate (admins not counted)</div>' in page
    row = page[page.index('<tr data-question="1">'):]
    row = row[:row.index("</tr>")]
    assert '"num count-text" data-label="Written answers">1<' in row and '"num count-audio" data-label="Audio answers">1<' in row
    assert '"num count-video" data-label="Video answers">1<' in row and '"num count-all" data-label="All answers">3<' in row
    row = page[page.index('<tr data-question="2">'):]
    assert '"num count-video" data-label="Video answers">1<' in row[:row.index("</tr>")]
    # at a phone's width each question is a card: every figure named (the table's columns were out of sight)
    assert '<table class="scores stack" id="per-question">' in page and 'data-label="Openness (average, written, 0–100)">50<' in page
    html = client.get("/admin/analytics").get_data(as_text=True)
    assert "1</span> registered candidate (1 active; admins not counted)" in html
    assert re.search(r'id="n-answers-total">4</span> analysed answers, all time', html)


def test_analytics_empty_states_on_a_new_install(client, make_admin, auth):
    auth.login(*make_admin())
    html = client.get("/admin/analytics").get_data(as_text=True)
    assert 'id="no-results"' in html and 'id="no-answers-per-day"' in html and 'id="no-distribution"' in html
    assert 'id="answers-chart"' not in html and 'id="histogram-chart"' not in html
    assert "0</span> registered candidates" in html
    # the distribution's choice says why it is empty instead of being an empty list
    assert '<select id="f-label" name="label" disabled aria-describedby="f-label-none"><option>None yet</option>' in html
    assert '<span class="hint" id="f-label-none">No results of these scores yet.</span>' in html


def test_analytics_charts_have_text_alternatives(client, app, make_admin, auth):
    with app.app_context():
        a = add_user("alice@example.com")
        add_result(a, 1, TODAY - timedelta(days=2), big5(20.0))
        add_result(a, 1, TODAY, big5(41.0))
    auth.login(*make_admin())
    html = client.get("/admin/analytics?label=EXT").get_data(as_text=True)
    assert 'id="answers-chart"' in html and 'id="histogram-chart"' in html
    start = html.index('id="answers-per-day-summary"')
    days = html[start:html.index("</details>", start)]
    assert (TODAY - timedelta(days=2)).isoformat() in days and TODAY.isoformat() in days
    assert (TODAY - timedelta(days=1)).isoformat() not in days  # only the days with answers
    assert "2 results in 100 bins" in html and "between\n      20 and 42" in html
    for canvas in re.findall(r"<canvas[^>]*>", html):
        assert 'role="img"' in canvas and "aria-label=" in canvas


def test_record_page_has_a_level_meter_and_fixes_the_webm_duration(client, auth):
    auth.register()
    for kind in ("video", "audio"):
        html = client.get(f"/questions/1/{kind}").get_data(as_text=True)
        assert 'id="level"' in html and 'role="meter"' in html
        assert html.index("vendor/fix-webm-duration.js") < html.index("js/recorder.js")
        assert "once available" not in html
    js = (ROOT / "static/js/recorder.js").read_text()
    assert "createAnalyser" in js and "ysFixWebmDuration" in js
    package = (ROOT / "package.json").read_text()
    assert '"fix-webm-duration"' in package and '"axe-core"' in package
    assert "node_modules/fix-webm-duration/fix-webm-duration.js" in (ROOT / "Makefile").read_text()


def test_css_never_splits_words_and_hidden_always_hides():
    css = (ROOT / "static/css/app.css").read_text() + (ROOT / "static/css/points.css").read_text()
    assert "anywhere" not in css
    assert re.search(r"\[hidden\]\s*\{\s*display:\s*none\s*!important", css)
    assert re.search(r"button:disabled[^{]*\{[^}]*background", css)


def test_the_replayed_video_is_a_dark_box_before_it_plays():
    """preload="metadata" and no poster: until it plays, the answer page's video was an empty white box."""
    css = (ROOT / "static/css/app.css").read_text()
    assert re.search(r"(^|\n)video\.replay\s*\{[^}]*background:\s*#111", css)


def test_the_answer_page_says_what_each_trait_describes(client, auth, app):
    """A stranger read "Neuroticism 46" as a diagnosis: the page says in plain words what each trait describes,
    that neither end is better, and the progress page's notes do too."""
    from tests.helpers import FULL_ANSWER
    from tests.conftest import csrf_token
    from webapp.jobs import run_pending
    from webapp.labels import TRAIT_DESCRIPTIONS, TRAIT_NAMES
    auth.register()
    resp = client.post("/questions/1/text", data={"answer": FULL_ANSWER, "csrf_token": csrf_token(client, "/questions/1/text")})
    with app.app_context():
        assert run_pending() == 1
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    box = re.search(r'<details class="traits-explained" id="traits-explained">(.*?)</details>', page, re.S)
    assert box, page
    text = " ".join(re.sub(r"<[^>]+>", "", box.group(1)).split())
    for code, name in TRAIT_NAMES.items():
        assert f"{name}: {TRAIT_DESCRIPTIONS[code]}." in text
    assert "not an illness or a diagnosis" in text and "Neither end of a trait is better" in text
    progress = " ".join(client.get("/practice/progress").get_data(as_text=True).split())
    # its description once bracketed: "(a style, not an illness or a diagnosis))" read as a typo (a review)
    assert f"Neuroticism: {TRAIT_DESCRIPTIONS['NEU']}. Its score" in progress.replace("&#39;", "'")
    assert "diagnosis))" not in progress
