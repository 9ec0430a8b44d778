"""The question bank page in Chromium: a move brings the admin back to the moved question, with the focus on its row
(the next move a Tab away), and a refused import file has its error focused at the file field. (The rules are tested
without a browser: tests/test_question_bank.py.)"""
import pytest

from tests.browser.test_pages import login


@pytest.fixture
def own_server(tmp_path):
    """A server of its own: the order changed here would show on the other tests' pages."""
    from tests.browser.conftest import _serve
    yield from _serve(tmp_path / "instance")


ROW_IDS = "() => [...document.querySelectorAll('#questions tbody tr')].map(r => r.dataset.question)"


def test_a_move_comes_back_to_its_question_and_a_refused_import_says_why_at_the_field(denying_browser, own_server,
                                                                                      open_page):
    page = open_page(denying_browser, own_server["url"], viewport={"width": 1280, "height": 900})
    login(page, "admin@example.com", "admin password")
    page.goto("/admin/questions")
    page.click("button[aria-label^='Move down: Tell us about the last time you showed leadership']")
    page.wait_for_load_state()
    assert page.url.endswith("/admin/questions#question-1")
    assert page.evaluate(ROW_IDS)[:3] == ["2", "1", "3"]
    assert page.evaluate("document.activeElement.id") == "question-1"  # the row's first cell
    assert page.evaluate("getComputedStyle(document.activeElement.parentElement).backgroundColor") == "rgb(238, 243, 253)"
    page.keyboard.press("Tab")  # the moved question's own buttons come next
    assert page.evaluate("document.activeElement.getAttribute('aria-label')").startswith(
        "Move up: Tell us about the last time you showed leadership")
    with page.expect_navigation():  # (to the same address)
        page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert page.evaluate("document.activeElement.id") == "question-1"
    assert page.evaluate(ROW_IDS)[:3] == ["1", "2", "3"]

    page.set_input_files("#bank_file", files=[{"name": "bank.json", "mimeType": "application/json",
                                               "buffer": b'[{"text": "Too short", "category": "x"}]'}])
    page.click("#import-questions button[type=submit]")
    page.wait_for_selector("#bank_file-error-2")
    assert page.evaluate("document.activeElement.id") == "bank_file"
    assert "Entry 1 (“Too short”): The question has 9 characters" in page.inner_text("#bank_file-error-2")
    assert not page.js_errors, page.js_errors
