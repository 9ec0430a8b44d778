"""Real Chromium: a spoken audio answer (real RAVDESS speech as the fake microphone: "Kids are
talking by the door", "Dogs are sitting by the door") is analysed, its transcript shows the
spoken words, and selecting a word moves the replay player to that word. Screenshots of the page
at 390 and 1280 px go to tests/browser/artifacts/ (gitignored) to be looked at."""
import re
from pathlib import Path

from tests.browser.conftest import register, wait_for_result
from tests.browser.test_e2e import no_horizontal_scroll, record_and_upload

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def test_spoken_answer_transcript_seeks_the_player(page):
    register(page, "speech-e2e@example.com")
    page.goto("/questions/2/audio")
    record_and_upload(page, "audio", seconds=8)
    wait_for_result(page)
    # "On this page" links the Big Five of the transcript too (a part of "How you spoke": static/js/contents.js)
    links = page.eval_on_selector_all("#page-contents a", "as => as.map(a => a.getAttribute('href'))")
    assert "#speech-section" in links and "#speech-big5-heading" in links, links
    # the skip link passes every word button at once (each word is a tab stop)
    page.focus("a.skip-inline")
    assert page.is_visible("a.skip-inline") and page.inner_text("a.skip-inline").startswith("Skip the transcript's ")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "after-transcript"
    # next comes the same transcript as plain text, one Tab away, that opens from the keyboard
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"
    page.keyboard.press("Enter")
    plain = page.inner_text("#transcript-plain p").lower()
    assert "door" in plain and page.locator("#transcript-plain button").count() == 0
    transcript = page.inner_text("#transcript").lower()
    words = set(re.findall(r"[a-z']+", transcript))
    assert "door" in words and words & {"kids", "dogs"} and words & {"talking", "sitting"}, transcript
    # the captions track is attached to the player and loads
    assert page.get_attribute("audio.replay track", "kind") == "captions"
    vtt = page.request.get(page.get_attribute("audio.replay track", "src")).text()
    assert vtt.startswith("WEBVTT") and "door" in vtt.lower()
    # select a word well into the recording: the player moves to its start
    buttons = page.query_selector_all("#transcript button.tw")
    later = [b for b in buttons if float(b.get_attribute("data-start")) > 2.0]
    assert later, "no word starts after 2 s"
    target = later[len(later) // 2]
    start = float(target.get_attribute("data-start"))
    page.wait_for_function("() => document.querySelector('audio.replay').readyState >= 1")
    assert page.evaluate("() => document.querySelector('audio.replay').currentTime") < 0.5
    target.focus()
    page.keyboard.press("Enter")  # keyboard: a word is a button
    page.wait_for_function(
        "s => { const a = document.querySelector('audio.replay'); return !a.seeking && Math.abs(a.currentTime - s) < 1.0; }",
        arg=start, timeout=10_000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(ARTIFACTS / "speech-answer-1280.png"), full_page=True)
    assert no_horizontal_scroll(page, ["voice-timeline"])
    page.screenshot(path=str(ARTIFACTS / "speech-answer-390.png"), full_page=True)
    assert not page.js_errors
