"""Back after sending a written answer (Chromium, a real server)."""
from __future__ import annotations

import re

from tests.browser.conftest import register

SEVENTY_WORDS = " ".join(["I planned the release with my team and we shipped it on time."] * 5
                         + ["We met every week and kept the budget as well."] * 1
                         + ["Then we checked it."])  # 5 x 13 + 10 + 4 = 79 words


def test_back_after_sending_counts_the_text_the_browser_put_back(denying_browser, server, open_page):
    """A review: after sending about 70 words and pressing Back, the box held the sent text (the browser restores a
    form's values) while the count under it said "0 words", in the warning colour. It is counted again when the page
    is shown, and a line says that the answer may have been sent already, with a link to My answers."""
    page = open_page(denying_browser, server["url"], viewport={"width": 1280, "height": 900})
    register(page, "back-after-sending@example.com")
    page.goto("/questions/3/text")
    assert not page.is_visible("#maybe-sent")  # opened, not come back to
    page.fill("textarea[name=answer]", SEVENTY_WORDS)
    assert page.inner_text("#word-count") == "79"
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/answers/\d+$"))
    page.go_back()
    page.wait_for_load_state("load")
    assert page.input_value("textarea[name=answer]") == SEVENTY_WORDS  # the browser put it back
    page.wait_for_function("() => document.getElementById('word-count').textContent === '79'", timeout=5_000)
    assert "low" not in (page.get_attribute("#word-count", "class") or "")
    assert page.is_visible("#maybe-sent")
    note = " ".join(page.inner_text("#maybe-sent").split())
    assert note == "You may have sent this answer already: see My answers before sending it again."
    assert page.get_attribute("#maybe-sent a", "href") == "/history"
    assert page.js_errors == []
