"""Real Chromium, keyboard only: a short written mock interview end to end (start form, preparation
countdown that opens the answer page by itself, typed answers, the report filling in as the
embedded worker analyses them), then the report and the progress page at 390 and 1280 px wide,
printed, and saved as screenshots (SCREENSHOT_DIR, else the test's temporary folder)."""
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.browser.conftest import BASE_FLAGS, CHROMIUM, ROOT, _free_port, canvas_has_data

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")

PREP_SECONDS = 3
# 34 words, under the minimum of 50: each answer's length is a thing to practise (talking points are no figure)
OFF_TOPIC = ("The weather on the coast was grey and windy for most of the week, so the ferry to the island "
             "was cancelled twice. We walked along the cliffs instead, watched the gulls, ate chips.")


@pytest.fixture(scope="module")
def practice_server(tmp_path_factory):
    """gunicorn with its embedded job worker, a short preparation time and 3 questions by default."""
    inst = tmp_path_factory.mktemp("practice-instance")
    port = _free_port()
    env = dict(os.environ, INSTANCE_DIR=str(inst), DATABASE_URL=f"sqlite:///{inst / 'e2e.sqlite'}",
               MEDIA_DIR=str(inst / "media"), BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="1",
               SECRET_KEY="e2e", FLASK_APP="wsgi.py", WORKER_POLL_SECONDS="0.3",
               PRACTICE_PREP_SECONDS=str(PREP_SECONDS), PRACTICE_QUESTIONS="3")
    flask = [sys.executable, "-m", "flask"]
    subprocess.run(flask + ["db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run(flask + ["seed-questions"], cwd=ROOT, env=env, check=True, capture_output=True)
    log = open(inst / "gunicorn.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            urllib.request.urlopen(url + "/login", timeout=2)
            break
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                proc.terminate()
                raise RuntimeError("gunicorn did not start:\n" + (inst / "gunicorn.log").read_text())
            time.sleep(0.3)
    yield url
    proc.terminate()
    proc.wait(timeout=60)


@pytest.fixture
def kb_browser(playwright_instance):
    """Chromium without a camera or microphone: the written mock interview needs none."""
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=BASE_FLAGS)
    yield browser
    browser.close()


@pytest.fixture
def kb_page(kb_browser, practice_server, open_page):
    return open_page(kb_browser, practice_server, viewport={"width": 1280, "height": 900})


def tab_to(page, selector, limit=60):
    """Press Tab until `selector` has the focus (as a keyboard user would)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} cannot be reached with Tab")


def type_into(page, selector, value):
    tab_to(page, selector)
    page.keyboard.type(value)


def fits(page, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.reload()
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_written_mock_interview_keyboard_only(kb_page, tmp_path):
    page = kb_page
    shots = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    page.goto("/register")
    type_into(page, "input[name=email]", "mock-e2e@example.com")
    type_into(page, "input[name=password]", "correct horse")
    type_into(page, "input[name=confirm]", "correct horse")
    page.keyboard.press("Enter")
    page.wait_for_url("**/questions")

    page.goto("/practice")
    assert page.input_value("input[name=count]") == "3"
    tab_to(page, "input[name=mode]:checked")  # a radio group: Tab enters it, arrows choose
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.is_checked("input[name=mode][value=written]")
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/practice/\d+$"))

    for n in range(1, 4):
        assert f"question {n} of 3" in page.inner_text("p.tag").lower()
        question = page.inner_text("#question-text")
        if n == 1:  # the countdown runs and opens the answer page by itself at zero
            first = int(page.inner_text("#prep-left"))
            page.wait_for_function(f"() => Number(document.getElementById('prep-left').textContent) < {first}")
            # reloading does not give the preparation time again: the clock goes on from where it was (or
            # the answer page has opened already, if the time ran out during the reload)
            step_url = page.url
            page.reload(wait_until="domcontentloaded")
            shown = page.evaluate("() => { const e = document.getElementById('prep-left');"
                                  " return e ? Number(e.textContent) : null; }")
            assert shown is None or shown < first
            page.wait_for_url(re.compile(r".*/questions/\d+/text\?session=\d+$"), timeout=(PREP_SECONDS + 10) * 1000)
            # opened again after its time ran out, the page says so and stays (no bounce forward)
            page.goto(step_url)
            assert page.is_visible("#prep-over") and not page.is_visible("#prep-left")
            assert page.inner_text("#start-answer") == "Answer this question"
            page.wait_for_timeout(1500)
            assert page.url == step_url
            tab_to(page, "#start-answer")
            page.keyboard.press("Enter")
            page.wait_for_url(re.compile(r".*/questions/\d+/text\?session=\d+$"))
        elif n == 2:  # the clock can be paused (WCAG 2.2.1); a reload keeps it paused; it resumes where it was
            page.focus("#prep-pause")
            page.keyboard.press("Enter")
            assert page.inner_text("#prep-pause") == "Resume the clock"
            held = page.inner_text("#prep-left")
            assert "paused" in page.inner_text("#prep-status") and page.is_visible("#prep-paused")
            page.wait_for_timeout(1500)
            page.reload(wait_until="domcontentloaded")
            assert page.inner_text("#prep-left") == held and page.inner_text("#prep-pause") == "Resume the clock"
            page.click("#prep-pause")
            assert page.inner_text("#prep-pause") == "Pause the clock" and page.is_hidden("#prep-paused")
            page.wait_for_url(re.compile(r".*/questions/\d+/text\?session=\d+$"), timeout=(PREP_SECONDS + 10) * 1000)
        else:  # or the candidate starts earlier
            tab_to(page, "#start-answer")
            page.keyboard.press("Enter")
            page.wait_for_url(re.compile(r".*/questions/\d+/text\?session=\d+$"))
        assert page.inner_text("h1.question") == question
        assert f"question {n} of 3" in page.inner_text("#practice-banner")
        # the keyboard is in the answer box already, which names the question (no Tab through the navigation)
        assert page.evaluate("document.activeElement.name") == "answer"
        assert page.get_attribute("textarea[name=answer]", "aria-describedby") == "question-text answer-hint"
        type_into(page, "textarea[name=answer]", OFF_TOPIC)
        tab_to(page, "button[type=submit]")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r".*/practice/\d+(/report)?$"))
    assert page.url.endswith("/report")

    # the report fills in by itself as the embedded worker analyses the answers
    page.wait_for_function("() => !document.getElementById('session-pending')", timeout=240_000)
    assert page.locator("#suggestions li").count() == 3, page.inner_text("main")
    items = page.query_selector_all("#suggestions li")
    assert len(items) == 3
    assert all("Words without fillers" in li.inner_text() for li in items)
    assert page.locator("section.report-question").count() == 3
    assert page.locator("div.report-points ul.checklist").count() == 3
    # each question's points are a list to check, none marked made or missed (a tick was right less often than a guess)
    listed = " ".join(page.locator("div.report-points").all_inner_texts())
    assert "✓" not in listed and "○" not in listed and "found" not in listed, listed
    assert "Why nothing is ticked: on " in " ".join(page.text_content("#how-to-read").split())  # (a closed details)
    assert page.locator("table.figures").count() == 3
    page.screenshot(path=str(shots / "report-1280.png"), full_page=True)
    assert fits(page, 390)
    page.screenshot(path=str(shots / "report-390.png"), full_page=True)
    page.emulate_media(media="print")
    assert not page.is_visible("header.top") and not page.is_visible("#print-report")
    assert page.is_visible("#suggestions")
    page.screenshot(path=str(shots / "report-print-390.png"), full_page=True)
    page.emulate_media(media="screen")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/practice/progress")
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('chart-words'))")
    assert canvas_has_data(page, "#chart-words")
    rows = page.locator("#t-words tbody tr")
    assert rows.count() == 3
    assert "first" in rows.nth(0).inner_text() and "latest" in rows.nth(2).inner_text()
    page.screenshot(path=str(shots / "progress-1280.png"), full_page=True)
    assert fits(page, 390)
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('chart-words'))")
    assert canvas_has_data(page, "#chart-words")
    page.screenshot(path=str(shots / "progress-390.png"), full_page=True)
    assert not page.js_errors
