"""Every page, candidate and admin, with data in it, in real Chromium at a phone (390x844) and a
desktop (1280x800) size: axe-core finds no serious or critical accessibility violation, nothing
scrolls sideways, no word or number is split across lines. Screenshots go to
tests/browser/artifacts/ (gitignored) to be looked at. Also: the recorder's level meter moves,
hidden players stay hidden, and a recorded answer replays with a real duration."""
from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from tests.browser.conftest import register, wait_for_result
from tests.helpers import LONG_ANSWER

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
VIEWPORTS = [(390, 844), (1280, 800)]
PASSWORD = "correct horse"

# Words split across two lines: every run of letters/digits between spaces, hyphens and slashes
# (a line may break after a hyphen) must sit on one line.
SPLIT_WORDS_JS = r"""() => {
  const bad = [];
  const root = document.body;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let n;
  while ((n = walker.nextNode())) {
    const el = n.parentElement;
    if (!el || el.closest('script, style, details:not([open]) > :not(summary)')) continue;
    if (!el.getClientRects().length) continue;
    // a text with soft hyphens (&shy;: the admin table's long trait names) may break where they say,
    // drawn with a hyphen: a chosen break, not a split word
    if (n.data.includes('\u00ad')) continue;
    const re = /[^\s\-\u2010-\u2014\/]+/g;
    let m;
    while ((m = re.exec(n.data))) {
      const r = document.createRange();
      r.setStart(n, m.index);
      r.setEnd(n, m.index + m[0].length);
      const tops = new Set([...r.getClientRects()].filter(x => x.width > 0).map(x => Math.round(x.top)));
      if (tops.size > 1) bad.push(m[0] + ' in ' + el.tagName.toLowerCase() + '.' + el.className);
    }
  }
  return bad.slice(0, 10);
}"""

WIDE_JS = """() => [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.table-scroll *'))
    .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""


def login(page, email, password=PASSWORD):
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


# Keeps every stream the page opens, so a test can check that Stop lets go of the camera and microphone.
TRACK_STREAMS_JS = """(() => {
  const md = navigator.mediaDevices;
  if (!md || !md.getUserMedia || window.__streams) return;  // once, however often the script was added
  const open = md.getUserMedia.bind(md);
  window.__streams = [];
  md.getUserMedia = c => open(c).then(s => { window.__streams.push(s); return s; });
})()"""
LIVE_TRACKS_JS = "() => window.__streams.flatMap(s => s.getTracks()).filter(t => t.readyState === 'live').length"


def read_level(page, seconds):
    """The level meter's value and bar width, four times a second for `seconds`."""
    levels, widths = [], []
    for _ in range(seconds * 4):
        page.wait_for_timeout(250)
        levels.append(int(page.get_attribute("#level", "aria-valuenow")))
        widths.append(page.eval_on_selector("#level .level-bar", "b => b.getBoundingClientRect().width"))
    return levels, widths


def record(page, kind, seconds=4, again=False):
    """Record and upload an answer; checks the level meter moves, that Stop lets go of the camera and
    microphone (no live track, the meter at zero), and that hidden things stay hidden. With `again`, the
    first take is recorded over with "Record again" (the devices are opened again) before the upload."""
    page.add_init_script(TRACK_STREAMS_JS)
    page.goto(f"/questions/1/{kind}")
    assert not page.is_visible("#playback") and not page.is_visible("#btn-upload")
    stop_bg = page.eval_on_selector("#btn-stop", "b => getComputedStyle(b).backgroundColor")
    start_bg = page.eval_on_selector("#btn-start", "b => getComputedStyle(b).backgroundColor")
    assert page.is_disabled("#btn-stop") and stop_bg != start_bg, "a disabled button must look disabled"
    page.click("#btn-start")
    for take in range(2 if again else 1):
        if take:  # the take not uploaded is lost by the next one: the page asks first
            asked = []
            page.once("dialog", lambda d: (asked.append(d.message), d.accept()))
            page.click("#btn-redo")
            page.wait_for_function("() => document.getElementById('btn-redo').hidden")
            assert asked and "This take will be lost" in asked[0], asked
        page.wait_for_selector("#btn-stop:not([disabled])", timeout=20_000)
        assert page.evaluate(LIVE_TRACKS_JS) == (2 if kind == "video" else 1)
        levels, widths = read_level(page, seconds)
        assert max(levels) > 20 and len(set(levels)) > 3, f"the microphone level meter did not move: {levels}"
        assert max(widths) > 10, f"the level bar was never drawn: {widths}"
        page.click("#btn-stop")
        page.wait_for_selector("#btn-upload:not([hidden])")
        # stopped: the camera and microphone are let go and the meter stays at zero
        assert page.evaluate(LIVE_TRACKS_JS) == 0, "Stop must release the camera and microphone"
        levels, widths = read_level(page, 1)
        assert set(levels) == {0} and max(widths) == 0, f"the level meter moved after Stop: {levels}"
    recorded = int(page.inner_text("#rec-timer"))  # whole seconds shown while recording
    # the local playback already knows its length (fix-webm-duration wrote it into the file)
    local = page.eval_on_selector("#playback", """p => p.readyState >= 1 ? p.duration :
        new Promise(r => p.addEventListener('loadedmetadata', () => r(p.duration), {once: true}))""")
    assert local is not None and math.isfinite(local) and recorded - 0.5 < local < recorded + 2, (local, recorded)
    page.click("#btn-upload")
    page.wait_for_url(re.compile(r".*/answers/\d+$"), timeout=60_000)
    answer_url = page.url
    wait_for_result(page)
    assert page.is_visible("#voice-section"), page.inner_text("main")[:600]
    # the stored file replays with a real duration, not 0:00 / Infinity
    tag = "video" if kind == "video" else "audio"
    duration = page.eval_on_selector(f"{tag}.replay", """p => p.readyState >= 1 ? p.duration :
        new Promise(r => p.addEventListener('loadedmetadata', () => r(p.duration), {once: true}))""")
    assert duration is not None and math.isfinite(duration) and recorded - 0.5 < duration < recorded + 2, (duration, recorded)
    return answer_url


# Tables whose box scrolls sideways: the candidate's own tables must show every column at 390 px
# (a .stack table turns its rows into cards there); only admin tables scroll inside their box.
CLIPPED_TABLES_JS = """() => [...document.querySelectorAll('.table-scroll')]
    .filter(b => b.getClientRects().length && b.scrollWidth > b.clientWidth + 1)
    .map(b => (b.closest('section') || {}).id + ' ' + b.querySelector('table').className + ' ' + b.scrollWidth + '>' + b.clientWidth)"""


# Phone widths: a comparison table with nobody to compare with yet (.alone) keeps each row's name and its one
# figure on one line (app.css), not a card per row holding a single "You" figure.
ALONE_ROWS_JS = """() => [...document.querySelectorAll('table.stack.alone > tbody > tr')]
    .filter(r => r.getClientRects().length)
    .map(r => [r.dataset.label || r.dataset.trait, r.querySelector('th').getBoundingClientRect().top,
               r.querySelector('td.you').getBoundingClientRect().top])
    .filter(([label, th, td]) => Math.abs(th - td) > 12)"""


def check_page(page, name, url, axe_source, tables_fit=False):
    """`url` None: the page already shown (the result of a POST), at each width without reloading it."""
    results = {}
    for width, height in VIEWPORTS:
        page.set_viewport_size({"width": width, "height": height})
        if url is not None:
            page.goto(url)
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(150)  # charts drawn
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
        fits = page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        assert fits, f"{name} at {width}px scrolls sideways: {page.evaluate(WIDE_JS)}"
        if tables_fit:
            clipped = page.evaluate(CLIPPED_TABLES_JS)
            assert not clipped, f"{name} at {width}px hides table columns behind a sideways scroll: {clipped}"
        if width < 720:
            apart = page.evaluate(ALONE_ROWS_JS)
            assert not apart, f"{name} at {width}px puts a figure under its name: {apart}"
        split = page.evaluate(SPLIT_WORDS_JS)
        assert not split, f"{name} at {width}px splits words: {split}"
        page.evaluate(axe_source)
        found = page.evaluate("""() => axe.run(document, {resultTypes: ['violations']}).then(r =>
            r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
             .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')))""")
        assert not found, f"{name} at {width}px: {found}"
        results[width] = True
    return results


@pytest.fixture
def axe_source():
    assert AXE.is_file(), "axe-core is missing: run npm ci"
    return AXE.read_text()


def test_every_page_accessible_and_fits(browser, server, axe_source, open_page):
    # axe is evaluated into the page: the context lets it past the pages' CSP (script-src 'self')
    page = open_page(browser, server["url"], viewport={"width": 1280, "height": 800}, bypass_csp=True)
    pages = {"index-anon": "/", "login": "/login", "register": "/register"}
    for name, url in pages.items():
        check_page(page, name, url, axe_source)
    # the landing page's sample report: a word of its transcript seeks the sample recording
    page.goto("/")
    page.wait_for_function("() => document.querySelector('#sample-report audio.replay').readyState >= 1")
    word = page.locator("#sample-report #transcript button.tw").nth(20)
    start = float(word.get_attribute("data-start"))
    word.click()
    page.wait_for_function("() => document.querySelector('#sample-report audio.replay').currentTime > 0")
    assert abs(page.eval_on_selector("#sample-report audio.replay", "a => a.currentTime") - start) < 1.0

    register(page, "pages@example.com")
    page.goto("/questions/1/text")
    page.fill("textarea[name=answer]", LONG_ANSWER)
    page.click("button:has-text('Submit for analysis')")
    page.wait_for_url(re.compile(r".*/answers/\d+$"))
    text_url = page.url
    wait_for_result(page)
    # a second attempt at the same question: its page adds the change since the first one
    page.goto("/questions/1/text")
    page.fill("textarea[name=answer]", LONG_ANSWER + " I would also ask the team for feedback every week.")
    page.click("button:has-text('Submit for analysis')")
    page.wait_for_url(re.compile(r".*/answers/\d+$"))
    again_url = page.url
    wait_for_result(page)
    assert page.is_visible("#try-again table.change-table"), page.inner_text("main")[:600]
    video_url = record(page, "video")
    audio_url = record(page, "audio", seconds=5, again=True)
    candidate = {"index": "/", "questions": "/questions", "answer-text-form": "/questions/1/text",
                 "record-video": "/questions/1/video", "record-audio": "/questions/1/audio",
                 "result-text": text_url, "result-text-again": again_url, "result-video": video_url, "result-audio": audio_url,
                 "history": "/history", "account": "/account", "not-found": "/answers/999999"}
    # a mock interview under way: its question page (the "end it here" button sits on the page's background)
    # and its report (with the way to delete it)
    page.goto("/practice")
    page.check("input[name=mode][value=written]")
    page.fill("input[name=count]", "1")
    page.click("button:has-text('Start the mock interview')")
    page.wait_for_url(re.compile(r".*/practice/\d+$"))
    candidate.update({"practice-start": "/practice", "practice-step": page.url, "practice-report": page.url + "/report"})
    # its preparation time (30 s) counts from this first visit and then opens the answer page by itself: were the
    # checks below quicker than that, the step page would navigate away mid-check (a CI run failed so). Its deadline
    # is moved to the past, so the step page stays, saying the preparation time is over.
    page.evaluate("() => Object.keys(sessionStorage).filter(k => k.startsWith('prep-deadline:'))"
                  ".forEach(k => sessionStorage.setItem(k, '1'))")
    for name, url in candidate.items():
        check_page(page, name, url, axe_source, tables_fit=True)
    page.goto(text_url)
    text_done = page.is_visible("#big5-section table >> text=Extraversion")
    # the recordings' word counts are a dash (no transcript yet) or the transcript's, never "0"
    page.goto("/history")
    words = page.eval_on_selector_all("table.history tbody tr", "rs => rs.map(r => [r.cells[2].innerText, r.cells[3].innerText])")
    assert all(w != "0" for kind, w in words if kind in ("video", "audio")), words

    page.click("button:has-text('Log out')")
    login(page, "admin@example.com", "admin password")
    admin = {"admin-overview": "/admin/", "admin-analytics": "/admin/analytics",
             "admin-analytics-video": "/admin/analytics?modality=video&family=face",
             "admin-questions": "/admin/questions", "admin-question-edit": "/admin/questions/1/edit",
             "admin-users": "/admin/users"}
    for name, url in admin.items():
        check_page(page, name, url, axe_source)
    # a candidate's answers, from their answer count on the users page
    page.goto("/admin/users")
    page.click("tr:has-text('pages@example.com') a[href$='/answers']")
    page.wait_for_selector("#user-answers")
    check_page(page, "admin-user-answers", page.url, axe_source)
    # a password-reset link for the candidate: the admin's page that shows it, then the candidate's form
    page.goto("/admin/users")
    page.click("tr:has-text('pages@example.com') button:has-text('Password-reset link')")
    page.wait_for_selector("#reset-link")
    check_page(page, "admin-reset-link", None, axe_source)
    link = page.input_value("#reset-link")
    page.click("button:has-text('Log out')")
    check_page(page, "reset-password", link, axe_source)
    assert not page.js_errors, page.js_errors
    assert text_done, "the text analysis did not finish: its result page was not checked"


def test_a_refused_form_brings_its_error_into_view(browser, server, open_page):
    """At 390 px the account page is long: a wrong password under "Delete my account" is far below the top,
    where the page opens again. The refused field gets the focus, so its error is in view and read out."""
    page = open_page(browser, server["url"], viewport={"width": 390, "height": 700})
    register(page, "refused@example.com")
    page.goto("/account")
    page.fill("#account-password", "not my password")
    page.once("dialog", lambda d: d.accept())
    page.click("button:has-text('Delete my account and all my data')")
    page.wait_for_selector("#account-password-error-1")
    # the element is there while the page is still being read; form_errors.js moves the focus on DOMContentLoaded,
    # whose handlers have run by "load" (on a busy machine the check came first: a CI run of 2026-12-07)
    page.wait_for_load_state("load")
    assert page.evaluate("document.activeElement.id") == "account-password"
    box = page.locator("#account-password").bounding_box()
    assert 0 <= box["y"] and box["y"] + box["height"] <= 700, box
    assert page.evaluate("window.scrollY") > 0
    page.goto("/account")  # a page without errors keeps its place: nothing is focused
    assert page.evaluate("document.activeElement === document.body") and page.evaluate("window.scrollY") == 0


DRAFTS_IN_TAB = "Object.keys(sessionStorage).filter(k => k.startsWith('draft:')).length"


def test_a_written_answer_sent_while_the_server_is_unreachable_is_there_again_after_back(browser, server, open_page):
    """A reliability review: a written answer submitted while the server was down was gone after Back. The box keeps
    a draft in the tab until the answer reaches the server; once it has, the form opens empty again."""
    page = open_page(browser, server["url"], viewport={"width": 1280, "height": 900})
    register(page, "draft@example.com")
    typed = "I planned the release with my team and we shipped it on time after a hard month of work. " * 3
    page.goto("/questions/2/text")
    page.fill("textarea[name=answer]", typed)
    page.route("**/questions/2/text", lambda route: route.abort() if route.request.method == "POST" else route.continue_())
    page.click("main form button[type=submit]")
    page.wait_for_timeout(500)
    page.goto("/questions/2/text")  # back to the question (Back, or its link again)
    assert page.input_value("textarea[name=answer]") == typed
    assert page.is_visible("#draft-restored") and page.inner_text("#word-count") == "57"  # counted too
    page.unroute("**/questions/2/text")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/answers/\d+$"))
    # the page after the sent answer removed its draft (it would come back if the answer were deleted)
    assert page.evaluate(DRAFTS_IN_TAB) == 0
    page.goto("/questions/2/text")  # sent: not offered again
    assert page.input_value("textarea[name=answer]") == "" and not page.is_visible("#draft-restored")
    # a draft left unsent is forgotten at log-out (the next person at this computer may use the tab)
    page.fill("textarea[name=answer]", "A draft I never sent.")
    page.wait_for_timeout(600)
    assert page.evaluate(DRAFTS_IN_TAB) == 1
    page.click("button:has-text('Log out')")
    page.wait_for_load_state()
    assert page.evaluate(DRAFTS_IN_TAB) == 0


@pytest.mark.parametrize("way", ["back", "header log-in link"])
def test_an_answer_sent_after_logging_out_in_another_tab_is_back_after_logging_in(denying_browser, server, open_page,
                                                                                   way):
    """A robustness review: the "You are signed out" page, served signed out, forgot every draft of the tab, so after
    Back (to the log-in page) or its "Log in" link, and signing in, the answer form was empty. It keeps them, its box
    is the answer's draft (what is changed there too), and leaving it asks first, as the answer form does."""
    page = open_page(denying_browser, server["url"], viewport={"width": 1280, "height": 900})
    email = f"signed-out-{way.split()[0]}@example.com"
    register(page, email)
    typed = "I owned the failed launch, told my manager early, and we rebuilt the plan together. " * 20
    page.goto("/questions/14/text")
    page.fill("textarea[name=answer]", typed)
    page.wait_for_timeout(500)  # the draft is saved 0.3 s after the last key
    other = page.context.new_page()  # a second tab of the same browser logs out
    other.goto("/questions")
    other.click("button:has-text('Log out')")
    other.wait_for_load_state()
    other.close()
    page.click("main form button[type=submit]")
    page.wait_for_selector("#signed-out-message")
    assert page.evaluate(DRAFTS_IN_TAB) == 1  # kept (the page forgot it)
    page.click("textarea[name=answer]")
    page.keyboard.press("Control+End")
    page.keyboard.type(" It taught me to ask for help.")  # changed here: the draft follows
    page.wait_for_timeout(500)
    asked = []
    page.on("dialog", lambda d: (asked.append(d.type), d.accept()))
    if way == "back":
        page.go_back()  # to the question's page, which sends to the log-in page
    else:
        page.click("header a:has-text('Log in')")
    page.wait_for_url(re.compile(r".*/login\?next=.*"))
    assert asked == ["beforeunload"]  # leaving the page with the text not sent asked first
    assert page.is_visible("#draft-held") and page.evaluate(DRAFTS_IN_TAB) == 1
    _log_in_here(page, email, PASSWORD)
    assert page.url.endswith("/questions/14/text")
    assert page.input_value("textarea[name=answer]") == typed + " It taught me to ask for help."
    assert page.is_visible("#draft-restored")
    assert page.js_errors == []


def test_the_length_note_says_when_a_paste_was_cut_below_the_limit(denying_browser, server, open_page):
    """A robustness review: one character below the box's limit, "😀😀" (two UTF-16 units each, never split) was
    dropped whole by maxlength, the box stayed below the limit and its note ("anything beyond it was not added")
    hidden. An insertion that was cut shows it; one that fits does not."""
    page = open_page(denying_browser, server["url"], viewport={"width": 1280, "height": 900})
    register(page, "cut-paste@example.com")
    page.goto("/questions/2/text")
    limit = page.eval_on_selector("textarea[name=answer]", "e => e.maxLength")
    page.focus("textarea[name=answer]")
    page.keyboard.insert_text("a" * (limit - 2))
    page.keyboard.insert_text("b")  # fits
    page.wait_for_timeout(100)
    assert not page.is_visible("#length-limit")
    page.keyboard.insert_text("😀😀")
    page.wait_for_timeout(100)
    assert page.eval_on_selector("textarea[name=answer]", "e => e.value.length") == limit - 1  # nothing added
    assert page.is_visible("#length-limit")
    page.keyboard.press("Backspace")  # below the limit again, nothing cut: the note goes
    page.wait_for_timeout(100)
    assert not page.is_visible("#length-limit")
    assert page.js_errors == []


@pytest.fixture
def own_server(tmp_path):
    """A server of its own: the test below adds and edits a question, which the pages of the others would show."""
    from tests.browser.conftest import _serve
    yield from _serve(tmp_path / "instance")


def _submit_signed_out(ctx, page, form):
    """The session ends (the browser drops its cookie, as when it expires), then the form is sent: the log-in page."""
    page.wait_for_timeout(500)  # the draft is saved 0.3 s after the last key
    ctx.clear_cookies()
    page.click(f"{form} button[type=submit]")
    page.wait_for_url(re.compile(r".*/login\?next=.*"))


def _log_in_here(page, email, password):
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()


def test_admin_draft_of_a_question_is_back_after_the_session_ended(denying_browser, own_server, open_page):
    """An admin whose session ended while they wrote a question was sent to log in, and the form came back empty.
    The question forms keep a draft in the tab as written answers do: the log-in page keeps it (and says so), the
    form gets it back after logging in (with a note), a saved question drops it, a draft older than the question's
    last save is not put over the saved text, and another account signing in there never sees it."""
    page = open_page(denying_browser, own_server["url"], viewport={"width": 1280, "height": 900})
    ctx = page.context
    login(page, "admin@example.com", "admin password")
    question = "Tell us about a time you changed your mind after hearing a colleague out."
    page.goto("/admin/questions")
    page.fill("#text", question)
    page.fill("#category", "Reflection")
    page.fill("#talking_points", "what you learned\nchanged my mind")
    _submit_signed_out(ctx, page, "#add-question")
    assert page.is_visible("#draft-held") and page.evaluate(DRAFTS_IN_TAB) == 1
    _log_in_here(page, "admin@example.com", "admin password")
    assert page.url.endswith("/admin/questions")
    assert page.input_value("#text") == question and page.input_value("#category") == "Reflection"
    assert page.input_value("#talking_points") == "what you learned\nchanged my mind"
    assert page.is_visible("#draft-restored") and page.get_attribute("#draft-restored", "role") == "status"
    page.click("#add-question button[type=submit]")
    page.wait_for_load_state()
    assert page.is_visible("text=added.") and page.evaluate(DRAFTS_IN_TAB) == 0  # saved: its draft went
    assert page.input_value("#text") == "" and not page.is_visible("#draft-restored")
    edit = page.get_attribute(f"tr:has-text('{question}') a:has-text('Edit')", "href")

    page.goto(edit)
    page.fill("#text", question + " What did it change?")
    _submit_signed_out(ctx, page, "main form")
    _log_in_here(page, "admin@example.com", "admin password")
    assert page.url.endswith(edit) and page.is_visible("#draft-restored")
    assert page.input_value("#text") == question + " What did it change?"
    assert page.input_value("#category") == "reflection"  # the draft keeps the form's other fields as they were
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert page.is_visible("text=saved.") and page.evaluate(DRAFTS_IN_TAB) == 0
    page.goto(edit)  # saved: the form shows the saved text, no note
    assert page.input_value("#text") == question + " What did it change?" and not page.is_visible("#draft-restored")

    # a refused edit comes back over the saved text (a stranger's review: with no way to throw it away): "Discard it"
    # puts the saved question back and forgets the draft
    page.fill("#text", "Tiny")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    page.goto("/admin/questions")
    page.goto(edit)
    assert page.input_value("#text") == "Tiny" and page.is_visible("#draft-restored")
    page.click("#draft-discard")
    assert page.input_value("#text") == question + " What did it change?" and not page.is_visible("#draft-restored")
    assert page.evaluate(DRAFTS_IN_TAB) == 0
    page.reload()
    assert page.input_value("#text") == question + " What did it change?" and not page.is_visible("#draft-restored")

    # a draft older than the question's last save (its form sent, the page after never seen) is not put back
    key = page.get_attribute("main form", "data-draft-key")
    saved = int(page.get_attribute("main form", "data-last-saved"))
    page.evaluate("([k, at]) => sessionStorage.setItem('draft:' + k, "
                  "JSON.stringify({fields: {text: 'Old words'}, at}))", [key, saved - 1000])
    page.reload()
    assert page.input_value("#text") == question + " What did it change?" and not page.is_visible("#draft-restored")
    assert page.evaluate(DRAFTS_IN_TAB) == 0

    # another account signing in on the held log-in page never sees the admin's draft
    page.fill("#text", "The admin's unsaved words.")
    _submit_signed_out(ctx, page, "main form")
    register_page = ctx.new_page()
    register(register_page, "other@example.com")  # an account for the next person at this computer
    register_page.close()
    ctx.clear_cookies()
    page.reload()
    assert page.evaluate(DRAFTS_IN_TAB) == 1  # still held on the log-in page
    _log_in_here(page, "other@example.com", "correct horse")
    assert page.evaluate(DRAFTS_IN_TAB) == 0  # the first page of another account forgot it
    assert page.js_errors == []


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 844, "height": 390}])
def test_recording_on_a_phone_keeps_the_question_the_picture_and_stop_in_view(browser, server, viewport, open_page):
    """A mobile review: on a phone the question scrolled out of view while recording (a long hint sat between it and
    the picture), and on its side the picture was taller than the screen. Recording now brings the question to the
    top when needed; the hint is under the buttons; the picture is at most half a short screen high; a badge on it
    gives the time left; Stop is red. A camera that ends by itself ends the take, and the page says so."""
    page = open_page(browser, server["url"], viewport=viewport, is_mobile=True, has_touch=True)
    page.add_init_script(TRACK_STREAMS_JS)
    register(page, f"phone{viewport['width']}@example.com")
    page.goto("/questions/1/video")
    page.click("#btn-start")
    page.wait_for_selector("#btn-stop:not([disabled])", timeout=20_000)
    page.wait_for_timeout(1500)
    height = viewport["height"]
    q = page.locator("#question-text").bounding_box()
    stop = page.locator("#btn-stop").bounding_box()
    video = page.locator("#preview").bounding_box()
    assert q["y"] >= -1 and stop["y"] + stop["height"] <= height, (q, stop)  # -1: scrolling rounds to whole pixels
    assert video["y"] >= 0 and video["y"] + video["height"] <= height, video
    assert page.is_visible("#rec-badge") and int(page.inner_text("#rec-left")) <= 60
    red = page.eval_on_selector("#btn-stop", "b => getComputedStyle(b).backgroundColor")
    assert red == "rgb(179, 38, 30)", red
    # the camera taken away mid-recording (another app, a call): the take ends with what was recorded
    page.evaluate("() => window.__streams.forEach(s => s.getVideoTracks().forEach(t => t.dispatchEvent(new Event('ended'))))")
    page.wait_for_selector("#btn-upload:not([hidden])")
    assert "stopped during the recording" in page.inner_text("#rec-status")
    assert page.is_hidden("#rec-badge")


def test_devices_that_end_before_or_while_recording_leave_a_way_on(browser, server, open_page):
    """The diff review: a camera ending during the preview left a dead stream that Start then used (MediaRecorder
    threw, nothing could be pressed); a take the browser stopped itself kept its timer running. Now the page lets go
    of the devices and offers Start again, and a take ended by its devices stops its timer."""
    page = open_page(browser, server["url"], viewport={"width": 1280, "height": 800})
    page.add_init_script(TRACK_STREAMS_JS)
    register(page, "ended@example.com")
    page.goto("/questions/1/video")
    page.click("#btn-check")
    page.wait_for_selector("#btn-check", state="hidden")
    page.evaluate("() => window.__streams.forEach(s => s.getTracks().forEach(t => { t.stop(); t.dispatchEvent(new Event('ended')); }))")
    page.wait_for_function("() => /stopped/.test(document.getElementById('rec-status').textContent)")
    assert page.is_visible("#btn-start") and page.is_enabled("#btn-start")
    page.click("#btn-start")  # asks for the devices anew, and records
    page.wait_for_selector("#btn-stop:not([disabled])", timeout=20_000)
    page.wait_for_timeout(1500)
    # the browser ends the take itself: every track ends
    page.evaluate("() => window.__streams.forEach(s => s.getTracks().forEach(t => { t.stop(); t.dispatchEvent(new Event('ended')); }))")
    page.wait_for_selector("#btn-upload:not([hidden])", timeout=10_000)
    shown = page.inner_text("#rec-timer")
    page.wait_for_timeout(1500)
    assert page.inner_text("#rec-timer") == shown, "the timer ran on after the take ended"
    assert "stopped during the recording" in page.inner_text("#rec-status")
    assert not page.js_errors, page.js_errors


def test_times_read_in_the_candidates_own_time_zone(browser, server, open_page):
    """Times are stored and sent in UTC ("… UTC" without JavaScript); localtime.js shows them in the browser's zone."""
    from datetime import datetime, timedelta
    page = open_page(browser, server["url"], viewport={"width": 390, "height": 800}, timezone_id="Asia/Kolkata")
    register(page, "zone@example.com")
    page.goto("/questions/1/text")
    page.fill("textarea[name=answer]", "I planned the release with my team and we shipped it on time. " * 3)
    page.click("button:has-text('Submit for analysis')")
    page.wait_for_url(re.compile(r".*/answers/\d+$"))
    page.goto("/history")
    when = page.locator("td time[data-local]").first
    utc = datetime.fromisoformat(when.get_attribute("datetime").rstrip("Z"))
    assert when.inner_text() == (utc + timedelta(hours=5, minutes=30)).strftime("%Y-%m-%d %H:%M")
    assert when.get_attribute("title") == utc.strftime("%Y-%m-%d %H:%M") + " UTC"
    assert "UTC" not in page.locator("table").first.inner_text()
    # the whole row opens its answer, not the date alone (one link per row: the date's, stretched over the row)
    assert page.locator("table.history tbody tr").first.locator("a").count() == 1
    box = page.locator("table.history td.question-text").first.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_url(re.compile(r".*/answers/\d+$"))


def test_on_a_phone_the_menu_folds_behind_its_button(browser, server, open_page):
    """At 390 px the menu (about 120 px of links) folds behind "Menu"; at 1280 px it is a row of links, no button."""
    page = open_page(browser, server["url"], viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    register(page, "menu@example.com")
    page.goto("/history")
    assert page.is_visible("#menu-toggle") and not page.is_visible("#main-nav")
    assert page.evaluate("document.querySelector('header.top').offsetHeight") < 70
    page.tap("#menu-toggle")
    assert page.is_visible("#main-nav") and page.get_attribute("#menu-toggle", "aria-expanded") == "true"
    assert page.evaluate("document.activeElement.textContent") == "Questions"
    page.tap("#main-nav a:has-text('Progress')")
    page.wait_for_url("**/progress")
    assert not page.is_visible("#main-nav")  # a new page starts folded
    page.tap("#menu-toggle")
    page.keyboard.press("Escape")
    assert not page.is_visible("#main-nav") and page.evaluate("document.activeElement.id") == "menu-toggle"
    page.context.close()
    page = open_page(browser, server["url"], viewport={"width": 1280, "height": 800})
    page.goto("/login")  # wider: the row of links, without the button
    assert page.is_visible("#main-nav") and not page.is_visible("#menu-toggle")
