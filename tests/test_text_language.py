"""Written answers that do not read as English prose (ml.text.english): no Big Five estimate, none added to the
averages, the page says why; English answers full of names or technical terms are still read."""
import json
import re

import pytest
from sqlalchemy import select

from tests.helpers import LONG_ANSWER
from tests.test_forget_short import BIG5, add_text, aggregate
from tests.test_interview import post_answer
from webapp.extensions import db
from webapp.jobs import run_pending
from webapp.models import Answer

pytestmark = pytest.mark.usefixtures("whole_essay_text_figures")

SAMPLES = json.loads(open("data/text/language_samples.json", encoding="utf-8").read())


def test_the_rule_on_its_samples():
    """Every sample in another language is not English; the English ones with names, terms or a quotation are,
    except the bare list of skills (no prose); short texts are not decided."""
    from ml.text.english import reading, reads_as_english
    assert not any(reads_as_english(reading(t)) for t in SAMPLES["other_languages"].values())
    # English tool and product names do not make another language English (they lift its vocabulary share)
    assert not any(reads_as_english(reading(t)) for t in SAMPLES["other_languages_with_english_terms"].values())
    english = {name: reads_as_english(reading(t)) for name, t in SAMPLES["english_with_names_and_terms"].items()}
    assert english == {"technical": True, "letter_header": True, "names": True, "keywords": False, "quote": True,
                       "informal": True}
    # a contraction counts as its first part ("i'm": a function word); another language's elision does not
    # i, it, we, it, and, they, it: 7 of the 12 words
    assert reading("I'm sure it's fine, we've done it and they'll see it's true")["function_words"] == round(7 / 12, 3)
    assert reading("J'ai dit qu'il faut que l'équipe parle d'abord avec le client")["function_words"] == 0.0
    assert reads_as_english(reading(LONG_ANSWER))
    assert reading("Ich bin sehr geduldig.") is None and reads_as_english(None)


def test_a_german_answer_gets_no_estimate_and_says_why(client, auth, app):
    auth.register()
    german = SAMPLES["other_languages"]["de"]
    resp = post_answer(client, german)
    with app.app_context():
        assert run_pending() == 1
        ans = db.session.scalar(select(Answer))
        assert ans.status == "done" and ans.score_map("big5") == {}
        assert ans.result["not_english"] is True and ans.result["big5"] is None
        assert ans.result["language"]["vocabulary"] < 0.6 and ans.result["language"]["function_words"] < 0.2
        assert aggregate() == (0, 0.0, 0)  # nothing in the averages
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert 'id="big5-not-english"' in page and "does not read as English prose" in page
    assert 'id="big5-chart"' not in page and 'id="big5-short"' not in page
    assert "Your answer has <strong>81</strong> words" in page  # its words are still counted and listed
    assert "How far to trust this" not in page  # the accuracy of a model that read nothing here
    # the answer's text is marked as not English (screen readers do not read it with English pronunciation)
    assert re.search(r'<div class="answer-text" id="answer-text"[^>]* lang="">', page)
    # its checklist matched English points against another language: said so, and left out of the report
    assert 'id="points-not-english"' in page
    from webapp.practice.figures import checked_points
    with app.app_context():
        assert ans.result["points"] and checked_points(db.session.get(Answer, ans.id)) == []
    # an English answer is read as before
    resp = post_answer(client, LONG_ANSWER, question=2)
    with app.app_context():
        assert run_pending() == 1
        ans = db.session.get(Answer, 2)
        assert "not_english" not in ans.result and len(ans.score_map("big5")) == 5
        assert ans.result["points"] and checked_points(ans) == ans.result["points"]
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert 'id="big5-not-english"' not in page and 'id="points-not-english"' not in page
    assert re.search(r'<div class="answer-text" id="answer-text"[^>]*>', page) and ' lang=""' not in page


def test_forget_short_estimates_takes_older_non_english_estimates_out(app, monkeypatch):
    """An answer analysed before the rule stored a German text's Big Five: the upgrade command takes it out of
    the averages and off its page (its result says why), once; an English answer keeps its estimate."""
    def analyse(answer, report):  # as before the rule: an estimate whatever the language
        return [("big5", k, 100 * v) for k, v in BIG5.items()], {"big5": BIG5, "short": False}, {}

    monkeypatch.setattr("webapp.jobs.analyzers.analyse", analyse)
    german = add_text(app, "a@example.com", SAMPLES["other_languages"]["de"])
    english = add_text(app, "b@example.com", LONG_ANSWER)
    with app.app_context():
        assert run_pending() == 2
        assert aggregate()[0] == 2
    out = app.test_cli_runner().invoke(args=["forget-short-estimates"])
    assert out.exit_code == 0 and "of 1 written answers that do not read as English prose (5 scores)" in out.output
    with app.app_context():
        assert aggregate() == (1, 70.0, 1)
        g = db.session.get(Answer, german)
        assert g.score_map("big5") == {} and g.result["not_english"] is True and g.result["big5"] is None
        assert len(db.session.get(Answer, english).score_map("big5")) == 5
    again = app.test_cli_runner().invoke(args=["forget-short-estimates"])
    assert "of 0 written answers that do not read as English prose (0 scores)" in again.output


def test_the_mock_report_says_why_a_non_english_answer_has_no_traits(client, auth, app):
    import re
    from tests.conftest import csrf_token
    from tests.test_practice import current_answer_url, start_session
    auth.register()
    step = start_session(client, count=1).headers["Location"]
    sid = int(re.search(r"/practice/(\d+)$", step).group(1))
    url = current_answer_url(client, step)
    client.post(url, data={"answer": SAMPLES["other_languages"]["fr"], "csrf_token": csrf_token(client, url)})
    with app.app_context():
        assert run_pending() == 1
    page = " ".join(client.get(f"/practice/{sid}/report").get_data(as_text=True).split())
    assert 'id="not-english-1"' in page and "does not read as English prose" in page
    assert 'class="scores traits stack"' not in page
