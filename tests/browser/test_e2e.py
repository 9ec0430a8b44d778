"""Real browser, end to end: sign up, answer, wait for the analysis, check the charts render."""
import re
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import canvas_has_data, register, wait_for_result
from tests.helpers import LONG_ANSWER


def no_horizontal_scroll(page, chart_ids=()):
    """At a phone width (page reloaded as a phone would load it), nothing widens the page past
    the viewport and the charts still render (else the culprits are printed)."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    for cid in chart_ids:
        page.wait_for_function(f"() => window.Chart && Chart.getChart(document.getElementById('{cid}'))")
        assert canvas_has_data(page, f"#{cid}")
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
        .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))""")
    ok = page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
    if not ok:
        print("elements wider than the viewport:", wide)
    return ok


def test_text_interview(page):
    register(page, "text-e2e@example.com")
    page.click("text=Answer in writing >> nth=0")
    # a paste longer than the limit is cut by the box: the page says so (and no more once it is shorter)
    assert page.is_hidden("#length-limit")
    page.focus("textarea[name=answer]")
    page.keyboard.insert_text("word " * 10_001)
    assert page.evaluate("document.querySelector('textarea[name=answer]').value.length") == 50_000
    assert page.is_visible("#length-limit") and "50,000 characters" in page.inner_text("#length-limit")
    # the live count is the server's, also for accents typed as marks and the other apostrophes
    from webapp.textstats import word_count
    tricky = "Um, Re\u0301sume\u0301: İstanbul, uhh don‘t it´s rock`n`roll sign-in — 42 café-style"  # fillers not counted
    page.fill("textarea[name=answer]", tricky)
    from ml.text.normalize import word_count as rule_count  # the length rule's count: no filler sounds
    assert int(page.inner_text("#word-count")) == rule_count(tricky) == word_count(tricky) - 2 == 10
    hindi = "नमस्ते दुनिया, मैंने टीम का नेतृत्व किया"  # a vowel sign or virama stays in its word (16 were counted)
    page.fill("textarea[name=answer]", hindi)
    assert int(page.inner_text("#word-count")) == word_count(hindi) == 7
    page.fill("textarea[name=answer]", LONG_ANSWER)
    assert page.is_hidden("#length-limit")
    # a PDF over its 5 MB limit is refused in the page, before anything is sent (the typed text stays)
    page.set_input_files("input[name=pdf]", files=[{"name": "big.pdf", "mimeType": "application/pdf",
                                                     "buffer": b"%PDF-1.4\n" + b"0" * (6 * 1048576)}])
    assert page.is_visible("#pdf-too-large") and "at most 5.0 MB" in page.inner_text("#pdf-too-large")
    assert page.evaluate("document.querySelector('input[name=pdf]').files.length") == 0
    # the field is marked invalid and points at the message (after its hint)
    assert page.get_attribute("input[name=pdf]", "aria-invalid") == "true"
    assert page.get_attribute("input[name=pdf]", "aria-describedby") == "pdf-hint pdf-too-large"
    assert int(page.inner_text("#word-count")) == len(LONG_ANSWER.split())
    page.click("button:has-text('Submit for analysis')")
    page.wait_for_url(re.compile(r".*/answers/\d+$"))
    wait_for_result(page)
    assert page.is_visible("#big5-section table >> text=Extraversion")
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('big5-chart'))")
    assert canvas_has_data(page, "#big5-chart")
    # others' bars only where there are some; the chart's name says so (a review saw a legend promising them)
    d = page.evaluate("JSON.parse(document.getElementById('big5-data').textContent)")
    others = [any(v is not None for v in d[k]) for k in ("question", "overall")]
    assert page.evaluate("Chart.getChart(document.getElementById('big5-chart')).data.datasets.length") == 1 + sum(others)
    assert ("other candidates" in page.get_attribute("#big5-chart", "aria-label")) == any(others)
    assert no_horizontal_scroll(page, ["big5-chart"])
    assert not page.js_errors


def record_and_upload(page, kind, seconds=4):
    page.click("#btn-start")
    page.wait_for_selector("#btn-stop:not([disabled])", timeout=20_000)
    page.wait_for_timeout(seconds * 1000)
    page.click("#btn-stop")
    page.wait_for_selector("#btn-upload:not([hidden])")
    assert "Recorded" in page.inner_text("#rec-status")
    page.click("#btn-upload")
    page.wait_for_url(re.compile(r".*/answers/\d+$"), timeout=60_000)


def test_video_interview(page):
    register(page, "video-e2e@example.com")
    page.goto("/questions/1/video")
    # before the camera is on, the stage says so instead of showing an empty black picture
    assert page.is_hidden("#preview") and "camera is off" in page.inner_text("#stage-note")
    # the check turns the camera on without recording: a live preview, the level moving, no timer
    page.click("#btn-check")
    page.wait_for_function("() => document.getElementById('preview').videoWidth > 0", timeout=20_000)
    assert page.is_visible("#preview") and page.is_hidden("#stage-note")
    assert "Nothing is recorded until you press" in page.inner_text("#rec-status")
    assert page.is_hidden("#btn-check") and page.is_enabled("#btn-start") and page.inner_text("#rec-timer") == "0"
    record_and_upload(page, "video", seconds=14)  # rates per minute need 10 s of face (ml.channels.gaze)
    wait_for_result(page)
    # the progress page reloaded into the result puts focus on its heading (static/js/progress.js), so that a screen
    # reader says the result is there instead of starting the page again unsaid
    page.wait_for_function("() => document.activeElement && document.activeElement.tagName === 'H1'", timeout=5_000)
    assert page.is_visible("#face-section")
    # "On this page" links every result section (static/js/contents.js)
    assert page.is_visible("#page-contents")
    links = page.eval_on_selector_all("#page-contents a", "as => as.map(a => a.getAttribute('href'))")
    for sid in ("#face-section", "#voice-section", "#gaze-section"):
        assert sid in links, links
    share = int(page.inner_text("#face-share").rstrip("%"))
    assert share >= 50, f"face found in only {share}% of frames"
    page.wait_for_function("() => Chart.getChart(document.getElementById('face-timeline'))")
    assert canvas_has_data(page, "#face-timeline")
    assert canvas_has_data(page, "#face-distribution")
    # the shares beside others: one script for these bars and the Big Five's (static/js/beside_others.js), the
    # same rule: others' bars only where there are some, and the chart's name says whether they are there
    d = page.evaluate("JSON.parse(document.getElementById('face-dist-data').textContent)")
    others = [any(v is not None for v in d[k]) for k in ("question", "overall")]
    assert page.evaluate("Chart.getChart(document.getElementById('face-distribution')).data.datasets.length") == 1 + sum(others)
    assert ("beside others" in page.get_attribute("#face-distribution", "aria-label")) == any(others)
    assert page.evaluate("Chart.getChart(document.getElementById('face-distribution')).options.scales.y.title.text") == "% of frames with a face"
    assert page.is_visible("#voice-section")
    assert canvas_has_data(page, "#voice-timeline")
    # the head's position and movement (gaze channel): the summary, its timeline and the figures
    # beside other candidates'; blinks are counted (the fake camera runs at 15 frames per second
    # and paints the eyes shut for two frames each second: conftest.fake_media)
    assert page.is_visible("#gaze-section")
    assert 0 <= int(page.inner_text("#gaze-facing").rstrip("%")) <= 100
    assert canvas_has_data(page, "#gaze-timeline")
    for label in ("facing_share", "looking_away_per_min", "blinks_per_min"):
        assert re.match(r"\d", page.inner_text(f"#gaze-section tr[data-label={label}] td.you")), label
    # nods, head shakes and the head's speed: checked only on clips made from photos, never on real videos, so never
    # shown (webapp.labels.HEAD_MOVES_HIDDEN), whether this camera's jumping angles let them be counted or not
    moves = page.inner_text("#gaze-moves")
    assert moves.startswith("Nods, head shakes and how fast your head moved are not shown: they have been checked "
                            "only on clips made from still photos, not yet on real videos"), moves
    for label in ("nods_per_min", "shakes_per_min", "motion"):
        assert page.locator(f"#gaze-section tr[data-label={label}]").count() == 0, label
    assert not re.search(r"\d+ (nods?|head shakes?)\b|° per second", page.inner_text("#gaze-section"))
    assert int(page.inner_text("#gaze-blinks")) >= 1
    assert no_horizontal_scroll(page, ["face-timeline", "voice-timeline", "gaze-timeline"])
    # one time axis: the timelines run in seconds from 0 to the end of the recording
    axes = page.evaluate("""() => ['face-timeline', 'voice-timeline', 'gaze-timeline'].map(id => {
        const x = Chart.getChart(document.getElementById(id)).scales.x; return [x.type, x.min, x.max]; })""")
    assert axes[0] == axes[1] == axes[2] and axes[0][:2] == ["linear", 0] and axes[0][2] >= 4, axes
    # the facing limits run from 0 to the axis end; the frames keep one index in every dataset
    ends = page.evaluate("""() => { const c = Chart.getChart(document.getElementById('gaze-timeline'));
        const d = c.data.datasets; const lim = d.filter(s => s.label.startsWith('Facing limits'));
        return [lim.map(s => [s.data[0].x, s.data[s.data.length - 1].x]), c.scales.x.max,
                d[0].data.length, lim.map(s => s.data[1].x === d[0].data[1].x)]; }""")
    assert ends[0] == [[0, ends[1]], [0, ends[1]]] and ends[3] == [True, True], ends
    assert not page.js_errors


def test_audio_interview(page):
    register(page, "audio-e2e@example.com")
    page.goto("/questions/2/audio")
    record_and_upload(page, "audio", seconds=8)  # pauses per minute need 5 s of speech from first to last
    wait_for_result(page)
    assert page.is_visible("#voice-section")
    page.wait_for_function("() => Chart.getChart(document.getElementById('voice-timeline'))")
    assert canvas_has_data(page, "#voice-timeline")
    assert canvas_has_data(page, "#voice-distribution")
    assert page.is_visible("tr[data-label=pauses_per_min]") and "per min" in page.inner_text("tr[data-label=pauses_per_min]")
    assert no_horizontal_scroll(page, ["voice-timeline", "voice-distribution"])
    assert not page.js_errors


def test_the_recorder_says_why_it_stopped_and_keeps_the_keyboard_in_place(page):
    """At the time limit the recording stops with that reason; a take under 1 s (which the server refuses) is
    not offered for upload; after Start, Stop and a short take, focus sits on the next control, not on the page."""
    register(page, "recorder-keys@example.com")

    def shorter_limit(route):  # the audio page's 60 s limit, made 3 s in the page the browser gets
        resp = route.fetch()
        route.fulfill(response=resp, body=resp.text().replace('data-max-seconds="60"', 'data-max-seconds="3"'))
    page.route("**/questions/2/audio", shorter_limit)
    page.goto("/questions/2/audio")
    page.focus("#btn-start")
    page.keyboard.press("Enter")
    page.wait_for_selector("#btn-stop:not([disabled])", timeout=20_000)
    assert page.evaluate("document.activeElement.id") == "btn-stop"
    page.wait_for_selector("#btn-upload:not([hidden])", timeout=20_000)  # nobody pressed Stop
    assert page.inner_text("#rec-status").startswith("Stopped at the 3-second limit: recorded about 3 s.")
    assert page.evaluate("document.activeElement.id") == "btn-upload"
    # leaving with a take not uploaded asks first (it was lost without a word: found by a review); staying keeps it
    asked = []

    def stay(dialog):
        asked.append(dialog.type)
        dialog.dismiss()
    page.on("dialog", stay)
    page.evaluate("location.href = '/history'")
    page.wait_for_timeout(700)
    page.remove_listener("dialog", stay)
    assert asked == ["beforeunload"] and page.url.endswith("/questions/2/audio") and page.is_visible("#btn-upload")
    page.keyboard.press("Shift+Tab")  # Record again, just before Upload
    assert page.evaluate("document.activeElement.id") == "btn-redo"
    # it asks first, as the take would be lost; dismissed, the take stays
    page.once("dialog", lambda d: d.dismiss())
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    assert page.is_visible("#btn-upload") and page.is_visible("#playback")
    page.once("dialog", lambda d: d.accept())
    page.keyboard.press("Enter")
    page.wait_for_selector("#btn-stop:not([disabled])", timeout=20_000)
    page.keyboard.press("Enter")  # Stop at once: a take of well under 1 s
    page.wait_for_function("() => /too short to upload/.test(document.getElementById('rec-status').textContent)")
    assert page.is_hidden("#btn-upload") and page.evaluate("document.activeElement.id") == "btn-redo"
    assert not page.js_errors


def test_the_recorder_warns_ten_seconds_before_a_long_limit(page):
    """With a limit over 20 s the live status warns once, 10 s before the limit (the page's clock is run
    forward: the warning is about the timer, not about what is recorded)."""
    register(page, "recorder-warn@example.com")

    def limit_of_25(route):  # the audio page's 60 s limit, made 25 s in the page the browser gets
        resp = route.fetch()
        route.fulfill(response=resp, body=resp.text().replace('data-max-seconds="60"', 'data-max-seconds="25"'))
    page.route("**/questions/2/audio", limit_of_25)
    page.clock.install()
    page.goto("/questions/2/audio")
    page.click("#btn-start")
    page.clock.run_for(3_500)  # the 3-2-1 countdown
    page.wait_for_selector("#btn-stop:not([disabled])", timeout=20_000)
    page.clock.run_for(14_000)  # 14 s recorded: 11 s left, no warning yet
    assert page.inner_text("#rec-status") == "Recording… answer the question, then press Stop."
    page.clock.run_for(1_500)  # 15.5 s: at most 10 s left
    assert page.inner_text("#rec-status") == "Recording… 10 seconds left before the 25-second limit."
    # 15 or 16: the installed clock also runs on in real time while the page waits for the microphone (a loaded
    # machine read 16 once)
    assert page.inner_text("#rec-timer") in ("15", "16")
    page.clock.run_for(10_000)  # the limit: it stops by itself, and says why
    page.wait_for_function("() => /25-second limit: recorded about 25 s/.test(document.getElementById('rec-status').textContent)")
    assert not page.js_errors


def test_the_recorder_keeps_the_keyboard_where_the_candidate_put_it(page):
    """Start pressed from the keyboard is disabled for the countdown: the keyboard waits on the recorder box (it fell
    to the page's start), and moves on to Stop only if the candidate did not tab elsewhere meanwhile (it jumped to
    Stop from wherever it was: found by an accessibility audit)."""
    register(page, "recorder-focus@example.com")
    page.clock.install()
    page.clock.pause_at(page.evaluate("Date.now()") + 60_000)
    page.goto("/questions/2/audio")
    page.focus("#btn-start")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.getElementById('rec-status').textContent === 'Get ready…'")
    assert page.evaluate("document.activeElement.id") == "recorder"
    page.keyboard.press("Tab")  # the candidate moves on during the countdown
    moved = page.evaluate("document.activeElement.outerHTML")
    page.clock.run_for(3_500)
    page.wait_for_selector("#btn-stop:not([disabled])", timeout=20_000)
    assert page.evaluate("document.activeElement.outerHTML") == moved  # not taken to Stop
    assert page.evaluate("document.activeElement.id") != "btn-stop"
    assert not page.js_errors


@pytest.mark.parametrize("kind,device", [("video", "camera and microphone"), ("audio", "microphone")])
def test_denied_device_shows_explanation(denying_browser, server, kind, device, open_page):
    page = open_page(denying_browser, server["url"])
    register(page, f"denied-{kind}@example.com")
    page.goto(f"/questions/1/{kind}")
    page.click("#btn-start")
    page.wait_for_selector("#rec-error:not([hidden])")
    text = page.inner_text("#rec-error")
    assert f"not allowed to use your {device}" in text and "upload a recording file" in text
    # a link to answer in writing, and a stage that no longer invites a press of the button that failed (a review)
    assert page.get_attribute("#rec-error a", "href") == "/questions/1/text"
    if kind == "video":
        assert page.inner_text("#stage-note") == "Your camera is off."


def test_admin_pages(page, server):
    # six candidates answer: the server runs the default batches of the averages (6 results from 4
    # candidates at least), so the analytics have counted results to chart
    for i in range(6):
        register(page, f"for-admin-{i}@example.com")
        page.goto("/questions/3/text")
        page.fill("textarea[name=answer]", LONG_ANSWER)
        page.click("button:has-text('Submit for analysis')")
        page.wait_for_url(re.compile(r".*/answers/\d+$"))
        wait_for_result(page)
        page.click("button:has-text('Log out')")
    page.goto("/login")
    page.fill("input[name=email]", "admin@example.com")
    page.fill("input[name=password]", "admin password")
    page.click("button[type=submit]")
    page.goto("/admin/")
    assert page.is_visible("text=Admin overview")
    assert int(page.inner_text("#n-candidates")) >= 1
    assert no_horizontal_scroll(page)
    page.goto("/admin/analytics")
    for chart in ("series-chart", "answers-chart", "histogram-chart"):
        page.wait_for_function(f"() => window.Chart && Chart.getChart(document.getElementById('{chart}'))")
        assert canvas_has_data(page, f"#{chart}"), chart
    assert no_horizontal_scroll(page, ["series-chart"])
    assert not page.js_errors


def test_a_recording_for_a_mock_interview_that_moved_on_is_kept_on_request(page, fake_media):
    """Two tabs on one question of an audio mock interview: the second tab's file answers it first; the
    first tab's recording is then not added to the interview, stays in the page, and one click keeps it as
    a separate answer to the question (no recording is thrown away)."""
    register(page, "two-tabs@example.com")
    page.goto("/practice")
    page.fill("input[name=count]", "2")
    page.check("input[name=mode][value=audio]")
    page.click("button:has-text('Start the mock interview')")
    page.wait_for_url(re.compile(r".*/practice/\d+$"))
    step_url = page.url
    page.click("#start-answer")
    page.wait_for_url(re.compile(r".*/questions/\d+/audio\?session=\d+$"))
    page.click("#btn-start")
    page.wait_for_selector("#btn-stop:not([disabled])", timeout=20_000)
    page.wait_for_timeout(3000)
    page.click("#btn-stop")
    page.wait_for_selector("#btn-upload:not([hidden])")
    other = page.context.new_page()  # the other tab answers the same question with a file
    other.goto(page.url)
    other.click("summary:has-text('Upload a recording file instead')")
    other.set_input_files("#media-file", str(fake_media["audio"]))
    other.click("button:has-text('Upload file')")
    other.wait_for_url(re.compile(r".*/practice/\d+$"))
    page.click("#btn-upload")
    page.wait_for_selector("#rec-error:not([hidden])")
    error = page.inner_text("#rec-error")
    assert "no longer the current question of your mock interview, so this recording was not added" in error, error
    assert page.inner_text("#btn-upload") == "Keep as a separate answer" and page.is_enabled("#btn-upload")
    assert page.get_attribute("#rec-error a", "href") == urlsplit(step_url).path  # back to the mock interview
    page.click("#btn-upload")
    page.wait_for_url(re.compile(r".*/answers/\d+$"), timeout=60_000)
    assert not page.js_errors


def test_a_recording_survives_signing_out_and_in_again_in_another_tab(page):
    """Signed out in another tab while a recording waits: Upload keeps it and offers the log-in page; once
    signed in again (a new session, so the page's security token is stale), Upload stores it."""
    register(page, "signed-out-tab@example.com")
    page.goto("/questions/2/audio")
    page.click("#btn-start")
    page.wait_for_selector("#btn-stop:not([disabled])", timeout=20_000)
    page.wait_for_timeout(3000)
    page.click("#btn-stop")
    page.wait_for_selector("#btn-upload:not([hidden])")
    other = page.context.new_page()
    other.goto("/questions")
    other.click("button:has-text('Log out')")
    other.wait_for_url(re.compile(r".*/$"))
    page.click("#btn-upload")
    page.wait_for_selector("#rec-error:not([hidden])")
    error = page.inner_text("#rec-error")
    assert "You are signed out" in error and "It is still here" in error, error
    assert page.get_attribute("#rec-error a", "href") == "/login" and page.is_enabled("#btn-upload")
    other.goto("/login")
    other.fill("input[name=email]", "signed-out-tab@example.com")
    other.fill("input[name=password]", "correct horse")
    other.click("main button[type=submit]")
    other.wait_for_url("**/questions")
    page.click("#btn-upload")
    page.wait_for_url(re.compile(r".*/answers/\d+$"), timeout=60_000)
    assert not page.js_errors


def test_a_take_sent_again_after_its_reply_was_lost_is_stored_once(page):
    """The server stores an upload but its reply is lost (the connection drops): the recorder says no reply came and
    keeps the take; Upload again leads to the answer stored the first time, not to a second one, and in a mock
    interview to its next question, saying the recording was already received, not offering to keep a duplicate
    (a review: robust/b8.py, b14.py)."""
    register(page, "lost-reply@example.com")
    first = {}

    def lose_first_reply(route):
        if first or route.request.method != "POST":  # the page itself, or the upload sent again
            route.continue_()
            return
        reply = route.fetch()  # it reaches the server, which stores it
        first.update(status=reply.status, body=reply.json())
        route.abort("connectionreset")

    def record_and_lose_reply():
        page.click("#btn-start")
        page.wait_for_selector("#btn-stop:not([disabled])", timeout=20_000)
        page.wait_for_timeout(3000)
        page.click("#btn-stop")
        page.wait_for_selector("#btn-upload:not([hidden])")
        first.clear()
        page.click("#btn-upload")
        page.wait_for_selector("#rec-error:not([hidden])")
        assert first["status"] == 201, first
        error = page.inner_text("#rec-error")
        assert "no reply came from the server" in error and "it is not stored twice" in error, error
        assert page.is_enabled("#btn-upload")
        page.click("#btn-upload")

    page.route("**/questions/*/audio*", lose_first_reply)
    page.goto("/questions/2/audio")
    record_and_lose_reply()
    page.wait_for_url(re.compile(r".*/answers/\d+$"), timeout=60_000)
    assert urlsplit(page.url).path == first["body"]["redirect"]  # the answer stored the first time
    assert "Your recording had already been received, so it was not stored a second time" in page.inner_text("main")
    # in a mock interview: the first upload moved it on; the second is not offered as a separate answer
    page.goto("/practice")
    page.fill("input[name=count]", "2")
    page.check("input[name=mode][value=audio]")
    page.click("button:has-text('Start the mock interview')")
    page.wait_for_url(re.compile(r".*/practice/\d+$"))
    page.click("#start-answer")
    page.wait_for_url(re.compile(r".*/questions/\d+/audio\?session=\d+$"))
    record_and_lose_reply()
    page.wait_for_url(re.compile(r".*/practice/\d+$"), timeout=60_000)
    assert urlsplit(page.url).path == first["body"]["redirect"]  # its next question
    shown = " ".join(page.inner_text("main").split())
    assert "Your recording for question 1 of your mock interview had already been received" in shown, shown
    assert not page.js_errors
