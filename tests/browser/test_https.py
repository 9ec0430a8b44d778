"""The forms over HTTPS, as deployed (APP_ENV=production behind TLS): Flask-WTF then refuses a form posted without a
Referer of this site, so a page whose Referrer-Policy keeps the browser from sending one can never be submitted. An
install review found the password-reset page so ("Form expired" on every try), which the tests over plain HTTP could
not see."""
import re

import pytest

from tests.browser.conftest import CHROMIUM, BASE_FLAGS

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")

PASSWORD = "correct horse"
ANSWER = "I planned the release with my team, split the work and we shipped it on time after a hard month. " * 3


@pytest.fixture
def tls_browser(playwright_instance):
    b = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=BASE_FLAGS)
    yield b
    b.close()


def _open(open_page, browser, server):
    """A page in a new context of the TLS browser (a device of its own), through conftest's ``open_page``: the
    context is closed at teardown when the test fails too (one made here directly leaked then)."""
    return open_page(browser, server["url"], ignore_https_errors=True, viewport={"width": 1200, "height": 900})


def _register(page, email):
    """Sign up on the register page (its own submit button: the header has one too once signed in)."""
    page.goto("/register")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=confirm]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/questions")


def _login(page, email, password, remember=False):
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    if remember:
        page.check("input[name=remember]")
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def test_every_form_of_a_candidates_journey_and_a_reset_link_work_over_https(tls_browser, https_server, open_page):
    page = _open(open_page, tls_browser, https_server)
    ctx = page.context
    _register(page, "tls@example.com")
    assert all(c["secure"] for c in ctx.cookies() if c["name"] == "session")
    page.goto("/questions/1/text")
    page.fill("textarea[name=answer]", ANSWER)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/answers/\d+$"))
    assert "Form expired" not in page.content()
    page.click("button:has-text('Log out')")
    page.wait_for_load_state()
    _login(page, "tls@example.com", PASSWORD, remember=True)
    assert page.url.endswith("/questions"), page.content()[:500]
    assert any(c["name"] == "remember_token" and c["secure"] for c in ctx.cookies())
    # done with this device: its idle connections go (gunicorn serving TLS itself gives each open connection a thread
    # of its 2 x 4 while it waits for a request, and the link below timed out once in CI on a loaded machine)
    ctx.close()

    apage = _open(open_page, tls_browser, https_server)
    _login(apage, "admin@example.com", "admin password")
    apage.goto("/admin/users")
    apage.click("tr:has-text('tls@example.com') button:has-text('Password-reset link')")
    link = apage.input_value("input#reset-link")
    assert link.startswith(https_server["url"] + "/reset-password/")
    apage.context.close()

    # the candidate, on another device, opens the link and sets a new password: it must go through
    rpage = _open(open_page, tls_browser, https_server)
    rpage.goto(link)
    rpage.fill("input[name=password]", "quiet meadow lantern")
    rpage.fill("input[name=confirm]", "quiet meadow lantern")
    rpage.click("main button[type=submit]")
    rpage.wait_for_url("**/login")
    assert "Form expired" not in rpage.content() and "new password is set" in rpage.content()
    _login(rpage, "tls@example.com", "quiet meadow lantern")
    assert rpage.url.endswith("/questions")


def test_a_progress_page_says_when_its_answer_was_deleted_or_its_session_ended(tls_browser, https_server, open_page):
    """This server runs no job worker, so an answer's page keeps following its analysis. Deleted in another tab, the
    page says so with a link to the candidate's answers; signed out in another tab, it says so with a log-in link back
    to the answer. Both said "Analysing…" and retried every 5 s for ever (a review)."""
    page = _open(open_page, tls_browser, https_server)
    _register(page, "gone@example.com")
    urls = []
    for k in range(2):
        page.goto("/questions/1/text")
        page.fill("textarea[name=answer]", ANSWER + ("" if k else " Then we did it all again."))  # not a re-send
        page.click("main form button[type=submit]")
        page.wait_for_url(re.compile(r".*/answers/\d+$"))
        urls.append(page.url)
    assert urls[0] != urls[1]
    other = page.context.new_page()  # another tab of the same browser
    other.goto(urls[1])
    token = other.locator("input[name=csrf_token]").first.get_attribute("value")
    resp = other.request.post(urls[1] + "/delete", form={"csrf_token": token}, headers={"Referer": urls[1]})
    assert resp.ok
    msg = page.locator("#job-message")
    msg.filter(has_text="This answer is no longer here: it was deleted").wait_for(timeout=20_000)
    assert msg.locator("a").get_attribute("href") == "/history"
    assert page.locator("#job-progress").is_hidden() and page.evaluate(
        "[...document.querySelectorAll('#job [data-while-polling]')].map(e => e.hidden)") == [True, True]
    page.goto(urls[0])
    other.goto("/questions")
    other.click("button:has-text('Log out')")
    other.wait_for_load_state()
    msg.filter(has_text="You are signed out").wait_for(timeout=20_000)
    assert msg.locator("a").get_attribute("href") == "/login?next=/" + urls[0].split("://", 1)[1].split("/", 1)[1]
    msg.locator("a").click()
    page.wait_for_url(re.compile(r".*/login\?next=.*"))
    page.fill("input[name=email]", "gone@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(urls[0])  # back to the answer, still waiting for its analysis
    assert page.locator("#job-progress").is_visible() and page.js_errors == []
