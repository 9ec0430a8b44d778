"""Display fixes found by a real-browser audit: which table a figure lands in, what "facing the camera"
reads, units beside every measured number, one colour per emotion in the face and voice charts, the
face/voice agreement sentence, the progress chart's marks, no retry offered where a retry cannot help,
integer counts on the admin histogram, the last question's banner and a named table header.

Server-side checks render the real routes (answers stored through the real job path, with an analyser
that returns a recording analysis shaped like ml.analysis's). Chart checks load the rendered page, its
scripts and Chart.js into Debian's Chromium (Playwright), every request answered by the Flask test
client, and read the charts Chart.js built (and the pixels it drew)."""
from __future__ import annotations

import html
import json
import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from ml.analysis import agreement
from ml.channels.face import summarise
from ml.channels.speech import SCORE_LABELS
from ml.channels.voice import SPEECH_LABELS
from ml.face import CLASS_NAMES as FACE_CLASSES
from ml.voice import CLASS_NAMES as VOICE_CLASSES
from tests.pdfs import corrupt_pdf
from tests.test_answer_queries import add_recording
from tests.test_interview import post_answer
from tests.test_speech_coach import speech_result
from webapp import stats
from webapp.extensions import db
from webapp.jobs import INTERNAL_ERROR_MESSAGE, requeue_stale, run_pending
from webapp.labels import EMOTION_NAMES, HEAD_POSE_MODEL, MOTION_SMOOTH, SPEECH_COACH, SPEECH_EXPLAINED, unit_of
from webapp.models import Answer, InterviewSession, User, utcnow
from webapp.practice.figures import FIGURES, TRAIT_KEYS, key_figures

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = Path("/tmp/display-shots")
OTHERS = getattr(stats, "MIN_OTHERS_FOR_AVERAGE", 1)  # others' answers needed before their average is shown


# --- A recorded answer, stored through the job path --------------------------------------------

def recording_analysis(face_class="happy", voice_class="neutral", facing=0.4, seconds=10.0):
    """(scores, result, fields) of a video answer: every frame's expression `face_class`, every voiced
    window's emotion `voice_class`, the head turned to the camera in `facing` of the frames, and a
    transcript of a long enough answer (pace, fillers, pauses and Big Five from the transcript)."""
    times = [round(i / 5, 2) for i in range(int(seconds * 5))]
    faces = [1] * len(times)
    probs = [[0.7 if c == face_class else 0.05 for c in FACE_CLASSES] for _ in times]
    face = {"classes": list(FACE_CLASSES), "t": times, "faces": faces, "probs": probs,
            **summarise(times, faces, probs, FACE_CLASSES, strongest_index=0)}
    windows = [{"start": 2.0 * i, "end": 2.0 * i + 2, "silent": False,
                "probs": {c: (0.72 if c == voice_class else 0.04) for c in VOICE_CLASSES}}
               for i in range(int(seconds // 2))]
    metrics = {"voiced_ratio": 0.62, "pauses_per_min": 14.0, "pitch_sd_semitones": 2.5, "loudness_sd_db": 6.0,
               "pitch_mean_hz": 160.0, "pause_longest_s": 1.2, "pause_count": 4}
    dominant = {c: (100.0 if c == voice_class else 0.0) for c in VOICE_CLASSES}
    voice = {"classes": list(VOICE_CLASSES), "windows": windows, "metrics": metrics, "dominant": dominant,
             "voiced_windows": len(windows), "flags": []}
    gaze = {"steps": len(times), "face_share": 1.0, "multi_face_share": 0.0, "facing_share": facing,
            "looking_away": [], "nods": 1, "shakes": 0, "motion": 3.0, "blinks_per_min": None, "sampled_fps": 5.0,
            "smile_share": None, "minutes": seconds / 60, "flags": [], "pose_model": HEAD_POSE_MODEL,
            "motion_smooth": MOTION_SMOOTH}
    speech = dict(speech_result(), short=False)
    result = {"face": face, "voice": voice, "gaze": gaze, "speech": speech,
              "agreement": agreement(face, voice), "media": {"duration": seconds}}
    scores = [("face", c, v) for c, v in face["dominant"].items()]
    scores.append(("face_meta", "face_share", 100.0 * face["face_share"]))
    scores += [("voice", c, v) for c, v in dominant.items()]
    scores += [("speech", label, 100.0 * metrics[label] if label == "voiced_ratio" else metrics[label])
               for label in SPEECH_LABELS]
    scores += [("speech", label, float(speech[label])) for label in SCORE_LABELS]
    scores.append(("gaze", "facing_share", 100.0 * facing))
    return scores, result, {}


@pytest.fixture
def recording_analyser(monkeypatch):
    """The job adapter returns recording_analysis(**ANALYSIS) for video answers."""
    settings = {}

    def analyse(answer, report):
        return recording_analysis(**settings)

    monkeypatch.setattr("webapp.jobs.analyzers.analyse", analyse)
    return settings


def user_id(app, email):
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


def add_video(app, uid, question_id=1, session_id=None):
    with app.app_context():
        email = db.session.get(User, uid).email
    return add_recording(app, email, question_id, "video", session_id=session_id)


def add_session(app, uid, question_ids, mode="video", position=None, finished=True):
    with app.app_context():
        s = InterviewSession(user_id=uid, mode=mode, category="mixed", question_ids=list(question_ids),
                             position=len(question_ids) if position is None else position,
                             finished_at=utcnow() if finished else None)
        db.session.add(s)
        db.session.commit()
        return s.id


@pytest.fixture
def video_report(client, auth, app, recording_analyser):
    """Other candidates' video answers (facing 80%; enough of them for their average to be shown) and the
    client's mock interview of one question (facing 40%, face found in every frame): {"report", "answer",
    "session"} URLs and ids."""
    recording_analyser.update(facing=0.8)
    with app.app_context():
        others = [User(email=f"other{n}@example.com", role="candidate", password_hash="-") for n in range(OTHERS)]
        db.session.add_all(others)
        db.session.commit()
        others = [u.id for u in others]
    for uid in others:
        add_video(app, uid)
    auth.register("me@example.com")
    uid = user_id(app, "me@example.com")
    sid = add_session(app, uid, [1])
    recording_analyser.update(facing=0.4)
    aid = add_video(app, uid, session_id=sid)
    return {"report": f"/practice/{sid}/report", "answer": aid, "session": sid}


def row_of(page, key):
    m = re.search(rf'<tr data-figure="{key}">(.*?)</tr>', page, re.S)
    return m.group(1) if m else None


def table(page, cls):
    m = re.search(rf'<table class="scores {cls}[ "][^>]*>(.*?)</table>', page, re.S)
    return m.group(1) if m else ""


def cells(row):
    return [" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


# --- A: the Big Five table holds the Big Five only; pace is a measure with its unit ---------------

def test_big_five_rows_are_chosen_by_kind_and_pace_is_a_key_figure(whole_essay_text_figures, client, video_report):
    page = client.get(video_report["report"]).get_data(as_text=True)
    traits, measures = table(page, "traits"), table(page, "figures")
    assert sorted(re.findall(r'data-figure="([a-z0-9_A-Z]+)"', traits)) == sorted(TRAIT_KEYS)
    assert 'data-figure="wpm"' not in traits and "Pace" not in traits
    pace = row_of(measures, "wpm")
    assert pace is not None and "Pace <span class=\"hint\">(words/min)</span>" in pace
    assert cells(pace)[0] == "%.0f" % speech_result()["wpm"]
    # a first attempt: no "best before" column (said once under the table), others' averages beside it, and pace is
    # said to have no "best" (a figure without better or worse)
    assert len(cells(pace)) == 3 and "(n=5)" in cells(pace)[1] and 'id="figures-alone-1"' in page
    assert "Pace is not judged better or worse" in page
    assert "0–100" in re.search(r"<caption>(.*?)</caption>", traits, re.S).group(1)
    assert "is the model’s probability (×100) that the" in page


def test_every_figure_is_a_trait_or_a_measure_and_measures_have_units():
    for key, fig in FIGURES.items():
        assert (fig.kind == "trait") == (fig.aggregate is not None and fig.aggregate[0] == "big5")
        assert (fig.kind == "trait") == key.startswith("big5_")  # what the templates test
        assert fig.unit or key == "words", f"{key} has no unit"  # "Words" is a count of what it names
    assert FIGURES["wpm"].kind == "measure" and FIGURES["wpm"].direction is None


# --- B: "Facing the camera" is the head's orientation, as on the answer page -------------------

def test_facing_the_camera_reads_the_gaze_channel(client, app, video_report):
    with app.app_context():
        ans = db.session.get(Answer, video_report["answer"])
        values = key_figures(ans)
    assert values["facing_share"] == pytest.approx(40.0) and values["face_share"] == pytest.approx(100.0)
    assert FIGURES["facing_share"].aggregate == ("gaze", "facing_share")
    assert FIGURES["face_share"].name == "Face found in frame"
    page = client.get(video_report["report"]).get_data(as_text=True)
    facing, found = row_of(page, "facing_share"), row_of(page, "face_share")
    assert "Facing the camera" in facing and "Facing the camera" not in found and "Face found in frame" in found
    # you 40; the others' average on this question from the gaze aggregate (80), not the face found's 100
    assert cells(facing)[:2] == ["40", f"80 (n={OTHERS})"] and cells(found)[:2] == ["100", f"100 (n={OTHERS})"]
    assert 'data-note="facing_share"' in page and "not eye contact" in page
    # the answer page says the same figure
    answer_page = client.get(f"/answers/{video_report['answer']}").get_data(as_text=True)
    assert '<strong id="gaze-facing">40%</strong>' in answer_page
    progress = client.get("/practice/progress").get_data(as_text=True)
    assert re.search(r'id="h-facing_share">Facing the camera <span class="hint">\(% of frames with a face\)', progress)
    assert re.search(r'id="h-face_share">Face found in frame <span class="hint">\(% of frames\)', progress)
    assert 'data-note="facing_share"' in progress


def test_facing_read_with_an_earlier_3d_face_is_left_out_of_the_report_and_progress(app, video_report):
    """A result whose head angles an earlier 3-D face read (no "pose_model"; the six-point face read
    turns about 1.4 times too large) gives no facing figure; the face found in frame stays."""
    with app.app_context():
        ans = db.session.get(Answer, video_report["answer"])
        old = Answer(modality="video", result={**ans.result, "gaze": {
            k: v for k, v in ans.result["gaze"].items() if k != "pose_model"}})
        assert "facing_share" in key_figures(ans)
        values = key_figures(old)
    assert "facing_share" not in values and values["face_share"] == pytest.approx(100.0)


def test_facing_from_too_few_frames_is_left_out_of_the_report_and_progress(app, video_report):
    """A head followed in fewer frames than ml.channels.face.MIN_FACE_FRAMES: its answer page compares no head figure
    (gaze-too-few), and the mock report and progress page, which compare the facing share, leave it out too."""
    with app.app_context():
        ans = db.session.get(Answer, video_report["answer"])
        from ml.channels.face import MIN_FACE_FRAMES as least
        gaze = {**ans.result["gaze"], "min_face_frames": least}
        few = Answer(modality="video", result={**ans.result, "gaze": {**gaze, "face_frames": least - 1}})
        enough = Answer(modality="video", result={**ans.result, "gaze": {**gaze, "face_frames": least}})
        assert "facing_share" in key_figures(ans) and "facing_share" in key_figures(enough)
        values = key_figures(few)
    assert "facing_share" not in values and "face_share" in values


def test_the_report_and_the_answer_page_read_one_rule_for_a_head_in_too_few_frames(app, video_report):
    """labels.head_few_frames is the one place the answer page (gaze-too-few) and key_figures (the report and the
    progress page) read whether a head was followed in too few frames: the gaze channel's few_frames flag, or in a
    result stored before the flag, its face_frames below min_face_frames; a result with neither counts as stored."""
    from webapp.labels import head_few_frames

    with app.app_context():
        gaze = db.session.get(Answer, video_report["answer"]).result["gaze"]
        assert "face_frames" not in gaze and "few_frames" not in gaze
        counted = {"face_frames": 3, "min_face_frames": 10}
        cases = [({**gaze, **counted, "few_frames": True}, True),                  # today's result
                 ({**gaze, "face_frames": 30, "min_face_frames": 10, "few_frames": False}, False),
                 ({**gaze, **counted}, True),                                      # stored before the flag
                 ({**gaze, "few_frames": True}, True),                             # the flag is read, not recomputed
                 (gaze, False), (None, False)]                                     # no count: as stored
        for part, few in cases:
            result = {"gaze": part, "face": {"face_share": 1.0}}
            assert head_few_frames(result) == few, part
            assert ("facing_share" in key_figures(Answer(modality="video", result=result))) == (part is not None
                                                                                                and not few), part


# --- C: units ------------------------------------------------------------------------------------

def test_every_speech_measure_has_a_unit_on_the_answer_page(client, video_report):
    for name, unit, _ in [*SPEECH_EXPLAINED.values(), *SPEECH_COACH.values()]:
        assert unit, f"{name} has no unit"
    page = client.get(f"/answers/{video_report['answer']}").get_data(as_text=True)
    m = re.search(r'data-label="pauses_per_min">(.*?)</tr>', page, re.S)
    assert m and '<td class="you num" data-label="You">14.0 per min</td>' in m.group(1)
    speech = speech_result()
    m = re.search(r'<tr data-label="fillers_per_min">(.*?)</tr>', page, re.S)
    assert m and f'<td class="you num" data-label="You">{speech["fillers_per_min"]:.1f} per min</td>' in m.group(1)


def test_admin_speech_table_and_legend_carry_units_and_big_five_its_scale(client, auth, app, video_report, make_admin):
    auth.logout()
    auth.login(*make_admin())
    page = client.get("/admin/analytics?modality=video&family=speech").get_data(as_text=True)
    rows = dict(re.findall(r'<tr data-label="([a-z_]+)"><th scope="row">.*?</th>.*?<td class="unit" data-label="Unit">(.*?)</td>',
                           page))
    assert rows["articulation_wpm"] == "words/min" and rows["voiced_ratio"] == "%" and rows["loudness_sd_db"] == "dB"
    assert set(rows) >= {"wpm", "fillers_per_min", "pauses_per_min"} and "–" not in rows.values()
    chart = json.loads(re.search(r'id="analytics-data">(.*?)</script>', page, re.S).group(1))
    labels = {s["label"] for s in chart["series"]}
    assert {"Pace while talking (words/min)", "Speaking time (%)", "Loudness variation (dB)",
            "Pauses (per min)"} <= labels
    assert 'id="series-units"' in page  # the mixed units on one axis are said
    page = client.get("/admin/analytics?modality=text&family=big5").get_data(as_text=True)
    assert 'id="series-units"' not in page and unit_of("big5", "EXT") == "0-100"
    overview = client.get("/admin/").get_data(as_text=True)
    assert ('Average Big Five score, written answers <span class="hint">(0–100)</span></th>' in overview
            and "0–100 scale" in overview)


# --- E: face and voice together --------------------------------------------------------------

def test_agreement_text_follows_the_stored_data(client, video_report):
    page = client.get(f"/answers/{video_report['answer']}").get_data(as_text=True)
    section = re.search(r'<section class="card" id="agreement">(.*?)</section>', page, re.S).group(1)
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", section)).split())
    assert "matched in 0% of them" in text and ("the models read from your face and from your voice mostly differed. "
                                                "Over the whole answer") in text
    assert "neutral face with an animated voice" not in text  # the fixed example, the reverse of this answer
    assert "happy (100% of the frames with a face) for your face and neutral (100% of the stretches with speech) for your voice" in text


# --- G: no retry where a retry repeats the failure -------------------------------------------

def test_damaged_pdf_offers_a_new_answer_not_a_retry(client, auth, app):
    auth.register()
    resp = post_answer(client, pdf=corrupt_pdf())
    with app.app_context():
        assert run_pending() == 1
        ans = db.session.execute(select(Answer)).scalar_one()
        assert ans.status == "failed" and ans.error.startswith("This PDF is damaged") and ans.error_detail is None
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Retry the analysis" not in page and f"/answers/{ans.id}/retry" not in page
    assert 'id="answer-again" href="/questions/1/text"' in page and "Upload a readable PDF (or paste the text) as a new answer" in page
    # no text was read from it: its word count is a dash in the tables, not 0
    history = " ".join(client.get("/history").get_data(as_text=True).split())
    assert '<td class="num" data-label="Words without fillers">–</td>' in history and 'fillers">0<' not in history
    # its type and state in words, not the stored codes "pdf" and "failed"
    assert '<td data-label="Type">PDF</td>' in history and '<td data-label="Status">Not analysed</td>' in history
    assert 'data-label="Type">pdf<' not in history and '>failed<' not in history
    # once the question is retired its page is a 404: the failed answer says so instead of linking to it
    from webapp.labels import QUESTION_RETIRED
    from webapp.models import Question
    with app.app_context():
        db.session.get(Question, 1).retired = True
        db.session.commit()
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert 'id="answer-again"' not in page and 'id="answer-again-retired"' in page
    assert QUESTION_RETIRED in " ".join(page.split())  # the one wording of it (labels), as the question's own page says
    assert client.get("/questions/1/text").status_code == 404


def test_internal_errors_and_interruptions_offer_a_retry_while_attempts_remain(client, auth, app):
    auth.register()
    uid = user_id(app, "cand@example.com")
    with app.app_context():
        crashed = Answer(user_id=uid, question_id=1, modality="text", text="x", status="failed",
                         error=INTERNAL_ERROR_MESSAGE, error_detail="RuntimeError: boom")
        stale = Answer(user_id=uid, question_id=2, modality="text", text="x", status="running",
                       attempts=app.config["JOB_MAX_ATTEMPTS"], heartbeat_at=utcnow() - timedelta(days=1))
        db.session.add_all([crashed, stale])
        db.session.commit()
        requeue_stale()  # the job code's own message for a worker that kept dying
        ids = crashed.id, stale.id
        assert db.session.get(Answer, stale.id).status == "failed"
    page = client.get(f"/answers/{ids[0]}").get_data(as_text=True)
    assert "Retry the analysis" in page and 'id="answer-again"' not in page
    # interrupted as often as allowed: the retry route would refuse the candidate, so the page offers none
    # and says why (an administrator may still retry it)
    page = client.get(f"/answers/{ids[1]}").get_data(as_text=True)
    assert "Retry the analysis" not in page and 'id="answer-again"' in page
    assert f"already been tried {app.config['JOB_MAX_ATTEMPTS']} times, the most allowed" in page
    # the stored reason gives no retry advice of its own that the page would contradict
    assert "retry it later" not in page and "you can retry" not in page
    # rows stored with the older wording are still read as interrupted, so a retry is still offered for them
    assert Answer(status="failed", error="The analysis was interrupted 3 times; retry it later.").retry_helps
    with app.app_context():  # one attempt fewer: the same failure offers a retry
        db.session.execute(update(Answer).where(Answer.id == ids[1]).values(attempts=Answer.attempts - 1))
        db.session.commit()
    page = client.get(f"/answers/{ids[1]}").get_data(as_text=True)
    assert "Retry the analysis" in page and 'id="answer-again"' not in page


def test_report_says_retry_only_where_it_helps(client, auth, app):
    auth.register()
    resp = post_answer(client, pdf=corrupt_pdf())
    uid = user_id(app, "cand@example.com")
    with app.app_context():
        run_pending()
        ans = db.session.execute(select(Answer)).scalar_one()
        sid = add_session(app, uid, [1], mode="written")
        db.session.execute(update(Answer).where(Answer.id == ans.id).values(session_id=sid))
        db.session.commit()
    page = " ".join(client.get(f"/practice/{sid}/report").get_data(as_text=True).split())
    # answered again within the interview (tests/test_practice.py: retakes), not by opening the answer
    assert 'id="retake-1"' in page and ('Answer this question again in the interview<span class="visually-hidden"> (question 1)</span></a>') in page
    assert "to retry" not in page and "can retry the analysis" not in page
    with app.app_context():
        db.session.execute(update(Answer).values(error=INTERNAL_ERROR_MESSAGE, error_detail="boom"))
        db.session.commit()
    page = " ".join(client.get(f"/practice/{sid}/report").get_data(as_text=True).split())
    assert "(its page can retry the analysis)" in page and 'id="retake-1"' in page
    assert resp.status_code == 302


# --- H: small ones ---------------------------------------------------------------------------

@pytest.mark.parametrize("total,position,expected", [
    (1, 0, "This is the only question: your answer goes straight on to the"),
    (3, 2, "This is the last question: your answer goes straight on to the"),
    (3, 1, "Your answer goes straight on to the next question"),
])
def test_banner_of_the_last_question(client, auth, app, total, position, expected):
    auth.register()
    sid = add_session(app, user_id(app, "cand@example.com"), list(range(1, total + 1)), mode="written",
                      position=position, finished=False)
    page = client.get(f"/questions/{position + 1}/text?session={sid}").get_data(as_text=True)
    banner = " ".join(re.search(r'id="practice-banner">(.*?)</p>', page, re.S).group(1).split())
    assert expected in banner
    assert ("next question" in banner) == (position + 1 < total)


def test_sessions_table_headers_all_have_text(client, auth, app):
    auth.register()
    add_session(app, user_id(app, "cand@example.com"), [1], mode="written")
    page = client.get("/practice").get_data(as_text=True)
    head = re.search(r'<table class="sessions stack">\s*<caption[^>]*>[^<]*</caption>\s*<thead>(.*?)</thead>', page, re.S).group(1)
    headers = re.findall(r"<th[^>]*>(.*?)</th>", head, re.S)
    assert len(headers) == 6 and all(re.sub(r"<[^>]+>", "", h).strip() for h in headers)


# --- Charts in Chromium -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def chromium(playwright_instance):
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed")
    b = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
    yield b
    b.close()


BASE = "http://app.test"


@pytest.fixture
def open_page(chromium, client):
    """open_page(path, width) -> a Playwright page showing `path` as the client's user sees it."""
    contexts = []

    def handle(route):
        req = route.request
        path = req.url[len(BASE):]
        r = client.open(path, method=req.method, data=req.post_data_buffer,
                        headers={"Content-Type": req.headers.get("content-type", "")})
        headers = {k: v for k, v in r.headers.items() if k.lower() not in ("content-length", "set-cookie")}
        route.fulfill(status=r.status_code, headers=headers, body=r.get_data())

    def open_(path, width=1280):
        ctx = chromium.new_context(viewport={"width": width, "height": 900})
        contexts.append(ctx)
        page = ctx.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.js_errors = errors
        page.route(f"{BASE}/**", handle)
        page.goto(BASE + path)
        return page

    yield open_
    for ctx in contexts:
        ctx.close()


def chart_colours(page, canvas_id):
    return page.evaluate("""id => Object.fromEntries(Chart.getChart(document.getElementById(id)).data.datasets
                                   .map(d => [d.label, d.borderColor]))""", canvas_id)


def contrast_on_white(hex_colour):
    def lin(c):
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    lum = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    return 1.05 / (lum + 0.05)


def test_each_emotion_has_one_colour_in_the_face_and_voice_charts(client, open_page, video_report):
    page = open_page(f"/answers/{video_report['answer']}")
    page.wait_for_function("() => Chart.getChart(document.getElementById('voice-timeline'))")
    face, voice = chart_colours(page, "face-timeline"), chart_colours(page, "voice-timeline")
    # the legends use one word per expression in both charts (fear and fearful are both "fearful")
    assert set(face) == {EMOTION_NAMES[c] for c in FACE_CLASSES} and set(voice) == {EMOTION_NAMES[c] for c in VOICE_CLASSES}
    for name in ("neutral", "happy", "sad", "angry", "fearful", "disgusted", "surprised"):
        assert voice[name] == face[name], (name, voice[name], face[name])
    assert len(set(voice.values())) == len(voice) and len(set(face.values())) == len(face)  # calm its own
    assert all(contrast_on_white(c) >= 3.0 for c in {*face.values(), *voice.values()})
    assert not page.js_errors


def test_face_and_voice_name_each_expression_with_one_word(client, auth, app, recording_analyser):
    # the face model says "fear" and "surprise", the voice model "fearful" and "surprised": the page uses one
    # word for each, in the summary sentences, the tables, the chart data and the model notes
    recording_analyser.update(face_class="fear", voice_class="surprised")
    auth.register("words@example.com")
    uid = user_id(app, "words@example.com")
    sid = add_session(app, uid, [1])
    aid = add_video(app, uid, session_id=sid)
    report = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", client.get(f"/practice/{sid}/report").get_data(as_text=True))).split())
    assert "Facial expressions seen most (share of the frames with a face; a description, not better or worse): fearful 100%" in report
    assert "Vocal emotion heard most (share of the 2-second stretches with speech; a description, not better or worse): surprised 100%" in report
    page = client.get(f"/answers/{aid}").get_data(as_text=True)
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    assert "the expression that came out on top most often was fearful (100% of the frames with a face)" in text
    assert "the emotion that came out on top most often was surprised (100% of the stretches)" in text
    for cls, words in (("Expressions", ("angry", "disgusted", "fearful", "happy", "sad", "surprised", "neutral")),
                       ("Vocal emotions", ("neutral", "calm", "happy", "sad", "angry", "fearful", "disgusted",
                                           "surprised"))):
        body = re.search(rf'<caption class="visually-hidden">{cls}</caption>(.*?)</table>', page, re.S).group(1)
        rows = [" ".join(re.sub(r"<[^>]+>", " ", h).split()) for h in re.findall(r'<th scope="row">(.*?)</th>', body, re.S)]
        assert sorted(rows) == sorted(words), (cls, rows)
    face_dist = json.loads(html.unescape(re.search(r'id="face-dist-data">(.*?)</script>', page, re.S).group(1)))
    assert "fearful" in face_dist["labels"] and "fear" not in face_dist["labels"]
    for raw in ("(angry, disgust, fear,", "fearful, disgust, surprised)"):
        assert raw not in text


MARKS_JS = """id => {
    const c = Chart.getChart(document.getElementById(id));
    const d = c.data.datasets[0], meta = c.getDatasetMeta(0);
    const ctx = c.canvas.getContext('2d'), ratio = c.currentDevicePixelRatio;
    const colour = (x, y) => { const px = ctx.getImageData(Math.round(x * ratio), Math.round(y * ratio), 1, 1).data;
        return '#' + [px[0], px[1], px[2]].map(v => v.toString(16).padStart(2, '0')).join(''); };
    return d.pointStyle.map((s, i) => {
        const p = meta.data[i];
        return {mark: typeof s === 'string' ? s : s.dataset.mark, colour: [].concat(d.pointBorderColor || d.borderColor)[i] || d.borderColor,
                pixel: colour(p.x, p.y), above: colour(p.x, p.y - 3), outside: p.y - 3 < c.chartArea.top};
    });
}"""


def test_progress_marks_are_drawn_as_the_legend_shows(client, open_page, video_report, app, recording_analyser):
    # a second attempt: face found in every frame again (equal values: no best), head turned to the camera less
    # often (the first is also the best)
    recording_analyser.update(facing=0.2)
    add_video(app, user_id(app, "me@example.com"))
    page = open_page("/practice/progress")
    page.wait_for_function("() => Chart.getChart(document.getElementById('chart-face_share'))")
    found = page.evaluate(MARKS_JS, "chart-face_share")
    # the legend's purple ◆ for the first, orange ▲ for the latest, in those colours; no ★ among equal values
    assert [m["mark"] for m in found] == ["first", "latest"]
    assert [m["colour"] for m in found] == ["#6b4fbb", "#c2410c"]
    assert [m["pixel"] for m in found] == ["#6b4fbb", "#c2410c"]  # what is drawn there, not the line's blue
    # at the top of the scale (100%) the mark is drawn whole, not cut at the chart's edge
    assert found[1]["outside"] and found[1]["above"] == "#c2410c"
    facing = page.evaluate(MARKS_JS, "chart-facing_share")
    assert [(m["mark"], m["pixel"]) for m in facing] == [("best", "#1a7f37"), ("latest", "#c2410c")]
    legend = " ".join(re.sub(r"<[^>]+>", "", page.inner_html("p.hint")).split())
    assert "◆ first, ▲ latest, ★ best" in legend and "★ over ▲ over ◆" in legend
    assert not page.js_errors


def test_progress_draws_a_trait_as_unmarked_points_without_a_line(client, auth, app, open_page):
    """A review: a Big Five trait was a line from attempt to attempt with ◆ first and ▲ latest, the comparison a model
    right about 6 times in 10 cannot make; it is points alone, while a measure keeps its line and marks."""
    from tests.helpers import LONG_ANSWER
    from tests.test_others_minimum import analysed
    auth.register("me@example.com")
    me = user_id(app, "me@example.com")
    for score in (40.0, 70.0):
        analysed(app, me, 1, text=LONG_ANSWER, scores=[("big5", "OPN", score), ("big5", "NEU", score)])
    page = open_page("/practice/progress")
    page.wait_for_function("() => Chart.getChart(document.getElementById('chart-big5_OPN'))")
    assert [m["mark"] for m in page.evaluate(MARKS_JS, "chart-big5_OPN")] == ["circle", "circle"]
    line = "id => Chart.getChart(document.getElementById(id)).data.datasets[0].showLine"
    assert page.evaluate(line, "chart-big5_OPN") is False and page.evaluate(line, "chart-words") is True
    assert [m["mark"] for m in page.evaluate(MARKS_JS, "chart-words")] == ["first", "latest"]
    assert not page.js_errors


def test_admin_charts_distinct_colours_and_whole_counts(client, auth, app, video_report, make_admin, open_page):
    add_video(app, user_id(app, "me@example.com"), question_id=2)  # the only result on question 2
    auth.logout()
    auth.login(*make_admin())
    page = open_page("/admin/analytics?modality=video&family=speech&label=pauses_per_min&question=2")
    page.wait_for_function("() => Chart.getChart(document.getElementById('histogram-chart'))")
    colours = chart_colours(page, "series-chart")
    assert len(colours) == len(SPEECH_LABELS) + len(SCORE_LABELS) == 9
    assert len(set(colours.values())) == 9 and all(contrast_on_white(c) >= 3.0 for c in colours.values())
    ticks = page.evaluate("""() => Chart.getChart(document.getElementById('histogram-chart')).scales.y.ticks
                               .map(t => t.value)""")
    assert ticks and all(float(t).is_integer() for t in ticks), ticks  # 1 result: 0, 1, not 0.2, 0.4 ...
    assert not page.js_errors


def test_screenshots_of_the_report(client, open_page, video_report):
    """Not an assertion of looks: the mock report at a phone's and a desktop's width, to be looked at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (390, 1280):
        page = open_page(video_report["report"], width=width)
        page.screenshot(path=str(SHOTS / f"report-{width}.png"), full_page=True)
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        assert not page.js_errors
    page = open_page(f"/answers/{video_report['answer']}", width=1280)
    page.wait_for_function("() => Chart.getChart(document.getElementById('voice-timeline'))")
    page.screenshot(path=str(SHOTS / "answer-1280.png"), full_page=True)
    page = open_page("/practice/progress", width=390)
    page.wait_for_function("() => Chart.getChart(document.getElementById('chart-facing_share'))")
    page.screenshot(path=str(SHOTS / "progress-390.png"), full_page=True)


def test_pace_chart_shares_the_recording_time_axis(client, auth, app, monkeypatch, open_page):
    """The pace stretches are drawn as flat steps on the same axis as the vocal timeline: seconds from 0
    to the end of the recording (not one category per stretch start)."""
    from tests.test_speech_coach import add_answer_of_several_stretches
    answer_id = add_answer_of_several_stretches(app, auth, monkeypatch, seconds=34.0)
    with app.app_context():
        series = db.session.get(Answer, answer_id).result["speech"]["wpm_series"]
    assert len(series["t"]) >= 2 and series["t"][0] < series["end"] <= 34.0
    page = open_page(f"/answers/{answer_id}")
    page.wait_for_function("() => Chart.getChart(document.getElementById('pace-chart'))")
    axes = page.evaluate("""() => ['pace-chart', 'voice-timeline'].map(id => {
        const x = Chart.getChart(document.getElementById(id)).scales.x; return [x.type, x.min, x.max]; })""")
    assert axes[0] == axes[1] == ["linear", 0, 34], axes
    steps = page.evaluate("() => Chart.getChart(document.getElementById('pace-chart')).data.datasets[0].data")
    assert [p["x"] for p in steps[::2]] == series["t"] and steps[-1]["x"] == series["end"]
    assert [p["y"] for p in steps[::2]] == [p["y"] for p in steps[1::2]] == series["wpm"]
    assert not page.js_errors


def test_time_axis_end_of_a_result_stored_without_its_duration():
    """Results stored before the duration was kept still get one axis for all their charts: the latest
    time any channel reached."""
    from webapp.dashboard.routes import time_axis_end
    assert time_axis_end({"media": {"duration": 31.5}, "face": {"t": [0.0, 40.0]}}) == 31.5
    old = {"face": {"t": [0.0, 0.2, 29.8]}, "voice": {"windows": [{"start": 0.0, "end": 2.0}, {"start": 28.0, "end": 30.0}]},
           "speech": {"wpm_series": {"t": [0.5, 10.5], "wpm": [120.0, 130.0]},
                      "words": [{"w": "so", "start": 0.5, "end": 0.8}, {"w": "done", "start": 29.9, "end": 30.4}]}}
    assert time_axis_end(old) == 30.4
    assert time_axis_end({}) is None and time_axis_end({"speech": "flagged", "voice": {"windows": []}}) is None


def test_a_recording_analysed_before_transcripts_says_why_it_has_none(client, app, video_report):
    """A recording analysed before the speech channel existed (no "speech" in its result): the page says why
    there is no transcript, pace or fillers instead of leaving them out without a word."""
    url = f"/answers/{video_report['answer']}"
    page = client.get(url).get_data(as_text=True)
    assert 'id="no-speech-channel"' not in page and 'id="transcript"' in page
    with app.app_context():
        ans = db.session.get(Answer, video_report["answer"])
        ans.result = {k: v for k, v in ans.result.items() if k != "speech"}
        db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert 'id="transcript"' not in page and "<track" not in page
    assert "This recording was analysed before this site made transcripts" in page


def test_agreement_from_too_few_stretches_is_not_described(client, app, video_report):
    """The numbers review: a 2-second clip's one stretch read "mostly differed". Under min_windows it says too few."""
    with app.app_context():
        ans = db.session.get(Answer, video_report["answer"])
        ans.result = {**ans.result, "agreement": {"windows": 1, "agree_share": 0.0, "min_windows": 5}}
        db.session.commit()
    page = client.get(f"/answers/{video_report['answer']}").get_data(as_text=True)
    section = re.search(r'<section class="card" id="agreement">(.*?)</section>', page, re.S).group(1)
    assert 'id="agreement-too-few"' in section and "Only 1 stretch of the" in section and "differed" not in section


def test_a_video_without_sound_says_so_rather_than_that_it_is_old(client, app, video_report):
    """The diff review: a video with no sound track (accepted; only audio answers need one) has neither voice nor
    speech, and read as 'analysed before this site made transcripts'."""
    with app.app_context():
        ans = db.session.get(Answer, video_report["answer"])
        ans.result = {k: v for k, v in ans.result.items() if k not in ("speech", "voice", "agreement")}
        db.session.commit()
    page = client.get(f"/answers/{video_report['answer']}").get_data(as_text=True)
    assert 'id="no-sound-track"' in page and "before this site made transcripts" not in page


def test_a_short_faces_page_says_why_it_has_no_rates(client, app, video_report):
    with app.app_context():
        ans = db.session.get(Answer, video_report["answer"])
        ans.result = {**ans.result, "gaze": {**ans.result["gaze"], "face_seconds": 9.96, "rate_min_face_s": 10.0}}
        db.session.commit()
    page = " ".join(client.get(f"/answers/{video_report['answer']}").get_data(as_text=True).split())
    # rounded down: 9.96 s is not "10.0 s" beside "a rate needs at least 10 s"
    assert 'id="gaze-no-rates"' in page and "face was in view for 9.9 s: rates per minute" in page
    assert "rates per minute (blinks, looking away) need at least 10 s" in page


def test_a_voice_with_too_few_stretches_of_speech_says_why_it_gives_no_shares(client, auth, app, monkeypatch):
    """ml.channels.voice.MIN_VOICED_WINDOWS: from two stretches with speech the page shows the chart, says which
    emotion came out on top in how many of them and why no share, pauses or spreads are given (an outside review
    saw "happy, 67% of the time" from a 1.6 s sentence), and shows the speaking share it does store."""
    scores, result, fields = recording_analysis(voice_class="happy", seconds=4.0)
    voice = result["voice"]
    voice.update(short=True, min_voiced_windows=5)
    scores = [s for s in scores if s[0] != "voice" and not (s[0] == "speech" and s[1] in
                                                            ("pauses_per_min", "pitch_sd_semitones", "loudness_sd_db"))]
    monkeypatch.setattr("webapp.jobs.analyzers.analyse", lambda answer, report: (scores, result, fields))
    auth.register("me@example.com")
    uid = user_id(app, "me@example.com")
    sid = add_session(app, uid, [1])
    aid = add_video(app, uid, session_id=sid)
    page = client.get(f"/answers/{aid}").get_data(as_text=True)
    flat = " ".join(page.split())
    assert 'id="voice-too-short"' in page and 'id="voice-distribution"' not in page
    # nor does the mock interview's report give the shares (a review of the change found "happy 67%" there)
    report = " ".join(client.get(f"/practice/{sid}/report").get_data(as_text=True).split())
    assert "Facial expressions seen most" in report and "Vocal emotion heard most" not in report
    # a result stored before the "short" mark, with as few stretches, reads the same (labels.voice_short)
    with app.app_context():
        answer = db.session.get(Answer, aid)
        answer.result = {**answer.result, "voice": {k: v for k, v in answer.result["voice"].items()
                                                   if k not in ("short", "min_voiced_windows")}}
        db.session.commit()
    again = client.get(f"/answers/{aid}").get_data(as_text=True)
    assert 'id="voice-too-short"' in again and 'id="voice-distribution"' not in again
    assert "happy came out on top in 2 of the 2 stretches with speech" in flat
    assert "this answer has 2, so they are not given, and they are not added to the averages" in flat
    assert 'data-label="voiced_ratio"' in page and 'data-label="pitch_sd_semitones"' not in page


def test_the_top_expression_names_every_class_tied_at_the_top(app):
    """calm and fearful both at 30.6% of the stretches were "calm (31% ...)" (a numbers review): every class tied as
    printed is named."""
    from pathlib import Path
    src = (Path(__file__).resolve().parent.parent / "templates/dashboard/recording.html").read_text()
    macro = src[src.index("{% macro top_of"):src.index("{%- endmacro %}") + len("{%- endmacro %}")]
    with app.test_request_context():
        tpl = app.jinja_env.from_string(macro + "[{{ top_of(rows) }}] [{{ top_of(one, 'of the stretches') }}]"
                                                "[{{ top_of([]) }}]")
        out = tpl.render(rows=[{"label": "calm", "value": 30.6}, {"label": "fearful", "value": 30.55},
                               {"label": "sad", "value": 10.0}],
                         one=[{"label": "happy", "value": 60.0}, {"label": "sad", "value": None}])
    assert out == ("[calm and fearful, tied (31% each of the frames with a face)] [happy (60% of the stretches)]"
                   "[none]")
