"""The Big Five model on short answers: accuracy by length (ml.text.lengths) and the pages' length rule
(webapp.modelinfo.ModelMetrics.for_words): a trait's score is shown only where the model is measured to
be better than a guess at the answer's length."""
from __future__ import annotations

import json
import re

import numpy as np
import pytest

from ml.text import TRAITS, TRAIT_NAMES


# ---------------------------------------------------------------- the measurement
def _essays(n=80, words=300, seed=0):
    """Essays whose Extraversion label shows only after their 60th word (high: "party" words from there
    on, low: none); the other traits are noise."""
    rng = np.random.default_rng(seed)
    filler = "i went to class and then i thought about my day and the weather".split()
    texts, labels = [], np.zeros((n, 5), np.float32)
    for i in range(n):
        high = i % 2 == 0
        body = [filler[k % len(filler)] for k in range(words)]
        for k in range(60, words, 7) if high else ():
            body[k] = "party"
        texts.append("Well, " + " ".join(body[:words - 1]) + "!")
        labels[i, 0] = high
        labels[i, 1:] = rng.random(4) < 0.5
    return texts, labels


def _embed(texts):
    """A stand-in for the sentence encoder: whether a text has the word "party", and its share of "class"."""
    out = []
    for t in texts:
        w = t.split() or [""]
        out.append(["party" in w, w.count("class") / len(w)])
    return np.asarray(out, np.float32)


def test_cut_takes_the_first_words_of_the_normalised_text():
    from ml.text.lengths import cut
    from ml.text.normalize import normalize, word_count
    norm = normalize("Um, I LOVE parties... and, uh, people!")
    assert norm == "i love parties and people"
    assert cut(norm, 3) == "i love parties" and cut(norm, 50) == norm
    # the web app counts an answer's length the same way: no fillers, no punctuation
    assert word_count("Um, I LOVE parties... and, uh, people!") == 5 and word_count(None) == 0


def test_accuracy_by_length_sees_a_signal_only_where_the_cut_reaches_it():
    from ml.text.lengths import measure, mixed_table, table
    texts, labels = _essays()
    texts[0] = "Party party party."  # an essay shorter than every cut is scored whole
    rec = measure(texts, labels, words=(25, 50, 100, 250), folds=4, repeats=1, embed=_embed, C=1.0, mixed=True,
                  log=lambda *a, **k: None)
    by = {b["words"]: b for b in rec["lengths"]}
    assert list(by) == [25, 50, 100, 250]
    # the label shows only after word 60: the first 25 or 50 words cannot tell it, the first 100 can
    for n in (25, 50):
        assert by[n]["per_trait"]["EXT"]["accuracy"] <= 0.65 and not by[n]["per_trait"]["EXT"]["reliable"]
    for n in (100, 250):
        assert by[n]["per_trait"]["EXT"]["accuracy"] >= 0.9 and by[n]["per_trait"]["EXT"]["reliable"]
    assert rec["whole_essays"]["per_trait"]["EXT"]["accuracy"] >= 0.9
    for b in rec["lengths"]:
        assert b["shorter_essays"] == 1 and set(b["per_trait"]) == set(TRAITS)
        for t in TRAITS:
            p = b["per_trait"][t]
            assert p["ci95"][0] <= p["accuracy"] <= p["ci95"][1]
            assert p["reliable"] == (p["ci95"][0] > p["baseline"])
        assert "trained_on_cuts" in b and b["trained_on_cuts"]["accuracy"] > 0
    # noise traits are not reliable at any length
    assert not any(b["per_trait"]["NEU"]["reliable"] for b in rec["lengths"])
    assert rec["shown_from"]["EXT"] == 100 and rec["shown_from"]["NEU"] is None
    assert "| 100 |" in table(rec) and "whole essays" in table(rec)
    # --mixed: the recipe fitted on whole essays and their cuts is scored on the same test essays
    assert rec["whole_essays"]["trained_on_all_lengths"]["per_trait"]["EXT"]["accuracy"] >= 0.9
    assert by[100]["trained_on_all_lengths"]["per_trait"]["EXT"]["accuracy"] >= 0.9
    assert by[25]["trained_on_all_lengths"]["per_trait"]["EXT"]["accuracy"] <= 0.65
    assert "| mean over the cuts |" in mixed_table(rec)


def test_write_adds_by_length_to_metrics_json(tmp_path):
    from ml.text.lengths import write
    (tmp_path / "metrics.json").write_text(json.dumps({"accuracy": 0.6, "n": 3}))
    write({"lengths": [{"words": 25}]}, tmp_path)
    m = json.loads((tmp_path / "metrics.json").read_text())
    assert m["accuracy"] == 0.6 and m["by_length"] == {"lengths": [{"words": 25}]}


def test_shipped_metrics_have_length_figures():
    """The shipped metrics.json carries the by-length figures the pages use, from the repo's command."""
    from webapp.modelinfo import normalise
    from ml.text import MODEL_DIR
    m = json.loads((MODEL_DIR / "metrics.json").read_text())
    rec = m["by_length"]
    assert rec["command"] == "python -m ml.text.lengths --write" and rec["n"] == m["n"]
    assert [b["words"] for b in rec["lengths"]] == sorted(b["words"] for b in rec["lengths"])
    info = normalise("text", m)
    assert [b.words for b in info.by_length] == [b["words"] for b in rec["lengths"]]
    from ml.text.lengths import shown_from
    assert rec["shown_from"] == {t: shown_from(rec["lengths"], t) for t in TRAITS}


# ---------------------------------------------------------------- the pages' rule
def _banded(reliable_at: dict):
    """Text metrics measured at 25, 100 and 250 words; ``reliable_at[words]`` = the reliable traits."""
    from webapp.modelinfo import normalise
    whole = {t: {"n": 1973, "accuracy": 0.6, "ci95": [0.58, 0.62], "baseline": {"accuracy": 0.52}, "reliable": True}
             for t in TRAITS}
    bands = []
    for words, ok in sorted(reliable_at.items()):
        per = {t: {"accuracy": 0.59 if t in ok else 0.53, "ci95": [0.56, 0.62] if t in ok else [0.50, 0.56],
                   "baseline": 0.52, "reliable": t in ok} for t in TRAITS}
        bands.append({"words": words, "accuracy": 0.55, "baseline": 0.52, "per_trait": per})
    from ml.text.lengths import shown_from
    return normalise("text", {"task": "multi-label", "n": 1973, "accuracy": 0.6, "measured_on": "1,973 essays",
                              "baseline": {"accuracy": 0.52, "source": "training data"}, "per_class": whole,
                              "by_length": {"lengths": bands, "shown_from": {t: shown_from(bands, t) for t in TRAITS}}})


def test_for_words_takes_the_longest_cut_not_longer_than_the_answer():
    m = _banded({25: set(), 100: {"OPN"}, 250: {"OPN", "EXT"}})
    assert m.for_words(None) is m and m.reliable("NEU")  # whole essays: every trait
    short = m.for_words(12)
    assert short.band_words == 0 and not any(short.reliable(t) for t in TRAITS)
    assert short.first_shown_from == 100 and _banded({25: set()}).first_shown_from is None  # the page's "first from"
    assert short.reading("EXT", "Extraversion", 70) == \
        "this model cannot estimate Extraversion from fewer than 25 words (this answer has 12; Extraversion is shown from 250 words)"
    assert short.reading("NEU", "Neuroticism", 70) == \
        "this model cannot estimate Neuroticism from fewer than 25 words (this answer has 12)"
    assert m.for_words(99).band_words == 25 and not m.for_words(99).reliable("OPN")
    at100 = m.for_words(100)
    assert at100.band_words == 100 and at100.reliable("OPN") and not at100.reliable("EXT")
    assert at100.accuracy == 0.55
    assert at100.reading("OPN", "Openness", 70) == ("leans high (70 of 100); the model's high/low call is right 59% of "
                                                    "the time on the first 100 words of essays, likely 56% to 62% on "
                                                    "other texts like them (always guessing the more common answer: "
                                                    "52%)")
    assert at100.reading("EXT", "Extraversion", 70) == (
        "this model cannot estimate Extraversion reliably from an answer this short (shown from 250 words): its call was "
        "right 53% of the time on the first 100 words of essays, likely 50% to 56% on other texts like them, where "
        "always guessing the more common answer is right 52%: that range reaches a guess")
    # better than a guess at this length, but not at a longer one: the page says why it is still hidden
    odd = _banded({25: set(), 100: {"AGR"}, 250: set()}).for_words(100)
    assert not odd.reliable("AGR") and odd.reading("AGR", "Agreeableness", 70).endswith(
        "likely 56% to 62% on other texts like them, where always guessing the more common answer is right 52%; at a "
        "longer length it did no better than a guess (a trait is shown only from a length at which every longer one "
        "does better)")
    assert "(not shown at any length measured)" in at100.reading("NEU", "Neuroticism", 70)
    assert m.for_words(5000).band_words == 250 and m.for_words(5000).reliable("EXT")
    # the row names the cut its figure comes from; the answer's own length is said once, under the table
    guess = ", likely 56% to 62% on other texts like them (always guessing the more common answer: 52%)"
    assert m.for_words(5000).reading("OPN", "Openness", 70).endswith("on the first 250 words of essays" + guess)
    assert m.for_words(120).reading("OPN", "Openness", 70).endswith("on the first 100 words of essays" + guess)
    # metrics without length figures: unchanged
    plain = _banded({})
    assert plain.by_length == () and plain.for_words(10) is plain


@pytest.fixture()
def banded(app, monkeypatch):
    """The pages read metrics reliable for Openness from 100 words, for Openness and Extraversion from 250."""
    import webapp.modelinfo as mi
    fake = _banded({25: set(), 100: {"OPN"}, 250: {"OPN", "EXT"}})
    monkeypatch.setattr(mi, "model_metrics", lambda kind: fake if kind == "text" else None)
    return fake


def _words(n):
    base = ("I enjoy working with people and I plan my week carefully so that the team knows what to expect "
            "and I like to learn new things every day ").split()
    return " ".join(base[k % len(base)] for k in range(n)) + "."


def _others_answer(app, question_id: int, words: int = 120, n: int = 5) -> None:
    """`n` other candidates each queue a written answer of `words` words to `question_id` (analysed by the caller's
    run_pending)."""
    from tests.helpers import add_user
    from webapp.extensions import db
    from webapp.models import Answer
    for k in range(n):
        user_id = add_user(app, f"other{k}@example.com")
        with app.app_context():
            db.session.add(Answer(user_id=user_id, question_id=question_id, modality="text", status="queued",
                                  text=_words(words)))
            db.session.commit()


def test_answer_page_shows_only_traits_reliable_at_its_length(client, auth, app, banded):
    from tests.test_interview import post_answer
    from webapp.jobs import run_pending
    auth.register()
    post_answer(client, _words(120))
    with app.app_context():
        run_pending()
        # only the shown trait goes into the averages
        from webapp.extensions import db
        from webapp.models import Answer
        assert set(db.session.get(Answer, 1).score_map("big5")) == {"OPN"}
    page = client.get("/answers/1").get_data(as_text=True)
    chart = json.loads(re.search(r'id="big5-data">(.*?)</script>', page, re.S).group(1))
    # the chart holds the shown trait only (the table says why the others are not shown)
    you = dict(zip(chart["labels"], chart["you"]))
    assert set(you) == {"Openness"} and you["Openness"] is not None, chart
    assert len(chart["question"]) == len(chart["overall"]) == 1
    assert "cannot estimate Extraversion reliably from an answer this short" in page
    assert "cannot estimate Openness" not in page
    assert re.search(r"first\s+100 words of each essay \(this answer has 120,\s+fillers such as\s+“um” not counted\)", page)


def test_report_figures_leave_out_traits_not_reliable_at_the_length(app, banded):
    from types import SimpleNamespace
    from webapp.practice.figures import key_figures
    big5 = {t: 0.7 for t in TRAITS}
    answer = SimpleNamespace(result={"big5": big5}, modality="text", text=_words(300), word_count=300)
    assert sorted(k for k in key_figures(answer) if k.startswith("big5_")) == ["big5_EXT", "big5_OPN"]
    answer.text = _words(120)
    assert [k for k in key_figures(answer) if k.startswith("big5_")] == ["big5_OPN"]
    # a recording: the transcript's length counts
    answer = SimpleNamespace(result={"speech": {"text": _words(30), "big5": big5, "word_count": 30}}, modality="audio",
                             text=None, word_count=0)
    assert not [k for k in key_figures(answer) if k.startswith("big5_")]
    answer.result["speech"]["text"] = _words(260)
    assert sorted(k for k in key_figures(answer) if k.startswith("big5_")) == ["big5_EXT", "big5_OPN"]


def test_upgrade_command_takes_traits_unreliable_at_their_length_out_of_the_averages(app, banded, monkeypatch):
    """Answers analysed before the length rule stored all five traits; `flask forget-short-estimates` drops
    those their pages no longer show (typed text and transcripts alike), once."""
    from sqlalchemy import select
    from tests.helpers import add_user
    from webapp.extensions import db
    from webapp.jobs import run_pending
    from webapp.models import Answer
    big5 = {t: 0.7 for t in TRAITS}

    def analyse(answer, report):  # stores all five traits, as before the rule
        speech = {"text": answer.text, "big5": big5} if answer.modality == "audio" else None
        result = {"big5": big5, "short": False} if speech is None else {"speech": speech}
        return [("big5", k, 70.0) for k in big5], result, {}

    monkeypatch.setattr("webapp.jobs.analyzers.analyse", analyse)
    user_id = add_user(app, "old@example.com")
    with app.app_context():
        for modality, n in (("text", 120), ("text", 300), ("audio", 30), ("audio", 260)):
            db.session.add(Answer(user_id=user_id, question_id=1, modality=modality, status="queued", text=_words(n)))
        db.session.commit()
        assert run_pending() == 4
        assert all(len(a.score_map("big5")) == 5 for a in db.session.scalars(select(Answer)))
    runner = app.test_cli_runner()
    out = runner.invoke(args=["forget-short-estimates"])
    assert out.exit_code == 0, out.output
    assert "Took 15 trait scores of 4 answers too short" in out.output, out.output
    with app.app_context():
        kept = [sorted(a.score_map("big5")) for a in db.session.scalars(select(Answer).order_by(Answer.id))]
    assert kept == [["OPN"], ["EXT", "OPN"], [], ["EXT", "OPN"]]
    again = runner.invoke(args=["forget-short-estimates"])
    assert "Took 0 trait scores of 0 answers" in again.output


def _one_written_answer_in_a_mock_interview(client, auth, words: int) -> int:
    """A new candidate's one-question mock interview, answered in ``words`` words (not analysed yet): its id."""
    from tests.test_practice import answer_written, current_answer_url, start_session
    auth.register()
    step_url = start_session(client, count=1).headers["Location"]
    assert answer_written(client, current_answer_url(client, step_url), _words(words)).status_code == 302
    return int(re.search(r"/practice/(\d+)$", step_url).group(1))


def test_mock_report_names_the_traits_left_out_for_length(client, auth, app, banded):
    from webapp.jobs import run_pending
    sid = _one_written_answer_in_a_mock_interview(client, auth, 120)
    with app.app_context():
        assert run_pending() == 1
    page = client.get(f"/practice/{sid}/report").get_data(as_text=True)
    assert 'data-figure="big5_OPN"' in page and 'data-figure="big5_EXT"' not in page
    note = re.search(r'id="traits-hidden-1">(.*?)</p>', page, re.S).group(1)
    assert re.sub(r"\s+", " ", note).strip() == (
        "Big Five traits left out: Extraversion (shown from 250 words), Neuroticism, Agreeableness, "
        "Conscientiousness. From 120 words (fillers such as “um” not counted) the model cannot estimate these "
        "traits better than a guess.")
    # the trait shown carries how often the model is right at this length, with its likely range and what a guess gets,
    # in the answer page's words
    scale = re.sub(r"\s+", " ", re.search(r'id="traits-scale-1">(.*?)</p>', page, re.S).group(1))
    assert scale.endswith("How often the model’s high/low call is right on the first 100 words of essays (this "
                          "answer has 120, fillers such as “um” not counted): Openness 59%, likely 56% to 62% on other "
                          "texts like them (always guessing the more common answer: 52%). So a difference of a few "
                          "points between attempts says little."), scale
    # nobody else has answered: the note under the trait table gives the length rule, as the answer page's does
    alone = re.sub(r"\s+", " ", re.search(r'id="traits-alone-1">(.*?)</p>', page, re.S).group(1)).replace("&#39;", "'")
    assert alone == ("Other candidates' averages: not enough results from others yet. They appear here once there are "
                     "some. For each trait only their answers of its length or more count: Openness from 100 words."), alone
    answer_page = re.sub(r"\s+", " ", client.get("/answers/1").get_data(as_text=True))
    assert "59% of the time on the first 100 words of essays, likely 56% to 62% on other texts like them (always " \
           "guessing the more common answer: 52%)" in answer_page


def test_reliable_from_is_the_length_from_which_a_trait_stays_reliable():
    m = _banded({25: {"OPN"}, 100: set(), 150: {"OPN"}, 250: {"OPN", "EXT"}})
    assert m.reliable_from("OPN") == 150 and m.reliable_from("EXT") == 250 and m.reliable_from("NEU") is None
    # monotone: Openness, reliable at 25 words but not at 100, is not shown at 25-149 words, so a longer answer
    # never loses a trait that a shorter one shows
    assert [m.for_words(w).reliable("OPN") for w in (30, 120, 150, 400)] == [False, False, True, True]
    plain = _banded({})
    assert plain.reliable_from("NEU") == 0


def test_others_from_is_the_shown_length_never_below_the_minimum():
    """Others' answers count for a trait's averages from the length it is shown from, never below min_words
    (ModelMetrics.others_from: the one place of the rule the Big Five tables' length notes follow)."""
    m = _banded({25: {"AGR"}, 100: {"OPN", "AGR"}, 250: {"OPN", "EXT", "AGR"}})
    assert [m.others_from(t, 50) for t in ("OPN", "EXT", "AGR", "NEU")] == [100, 250, 50, None]
    assert m.others_from("OPN", 120) == 120 and m.others_from("AGR", 0) == 25
    # the same for an answer's own figures (for_words): the others' rule does not depend on the viewer's length
    assert m.for_words(30).others_from("EXT", 50) == 250
    # measured on whole texts only: no length is stated
    assert _banded({}).others_from("NEU", 50) is None


def test_writing_form_says_from_how_many_words_each_trait_is_shown(client, auth, banded):
    auth.register()
    page = client.get("/questions/1/text").get_data(as_text=True)
    hint = re.sub(r"\s+", " ", re.search(r'id="traits-need-words">(.*?)</span>', page, re.S).group(1))
    assert hint == ("Each Big Five trait is shown only from the length at which the model does better than a guess: "
                    "Openness from 100 words, Extraversion from 250 words, Neuroticism, Agreeableness, "
                    "Conscientiousness not even at 250 words.")


def test_an_answer_too_short_for_every_trait_gets_one_sentence_not_a_table(client, auth, app, banded):
    from tests.test_interview import post_answer
    from webapp.jobs import run_pending
    auth.register()
    post_answer(client, _words(60))  # the 25-word figures: no trait reliable
    with app.app_context():
        run_pending()
    page = client.get("/answers/1").get_data(as_text=True)
    assert 'id="big5-chart"' not in page and 'data-trait="EXT"' not in page
    text = re.sub(r"\s+", " ", re.search(r'id="big5-none">(.*?)</p>', page, re.S).group(1))
    assert text == ("From 60 words (fillers such as “um” not counted) this model cannot estimate any of the Big Five traits better than a guess: on the "
                    "first 25 words of essays its high/low calls were right 55% of the time, against 52% for always "
                    "guessing, so no trait is shown. Each Big Five trait is shown only from the length at which the "
                    "model does better than a guess: Openness from 100 words, Extraversion from 250 words, "
                    "Neuroticism, Agreeableness, Conscientiousness not even at 250 words.")


def test_without_the_text_models_metrics_no_trait_is_shown_or_averaged(client, auth, app, monkeypatch):
    """No metrics.json for the text model (a broken install): nothing says any trait beats a guess, so the
    page says "not measured" and the averages get no trait score (fail closed, not all five)."""
    import webapp.modelinfo as mi
    from tests.test_interview import post_answer
    from webapp.jobs import run_pending
    from webapp.practice.figures import key_figures
    real = mi.model_metrics
    monkeypatch.setattr(mi, "model_metrics", lambda kind: None if kind == "text" else real(kind))
    assert mi.big5_shown(_words(400)) == set()
    auth.register()
    post_answer(client, _words(300))
    with app.app_context():
        assert run_pending() == 1
        from webapp.extensions import db
        from webapp.models import Answer
        answer = db.session.get(Answer, 1)
        assert answer.status == "done" and answer.score_map("big5") == {}
        assert not [k for k in key_figures(answer) if k.startswith("big5_")]
    page = client.get("/answers/1").get_data(as_text=True)
    assert "not measured" in page and "leans high" not in page and "leans low" not in page


def test_the_page_counts_words_as_the_text_model_does_fillers_included():
    """"Your answer has N words" and the text model's "this answer has M (fillers not counted)" agree:
    hyphens separate words and a lone dash is none for both, so M is N less the fillers, never more."""
    from ml.text.normalize import word_count as model_count
    from webapp.textstats import word_count
    text = "Sign-in took forty-two seconds — um, well, I don't know."
    assert word_count(text) == 11 and model_count(text) == 10
    assert word_count(LONG_FOR_COUNTS) == model_count(LONG_FOR_COUNTS)


def test_every_count_reads_curly_apostrophes_and_accented_words_as_one_word():
    """Text typed on a phone or pasted from a PDF (curly apostrophes) and words with accents: the page, the job's
    short-answer rule and the length rule count "haven’t" and "résumé" as one word each, as the candidate would;
    for unaccented text the length rule's count is that of the model's normalised input."""
    from ml.text.normalize import normalize, word_count as model_count, words
    from webapp.textstats import word_count
    text = "I haven’t sent my résumé to the café yet; Stärke is a German word."
    assert word_count(text) == model_count(text) == 14
    assert words(text)[:2] == ["i", "haven't"] and "résumé" in words(text) and "stärke" in words(text)
    # accents as separate marks (from a PDF), a dotted capital I, and the other apostrophes: one word each
    assert words("re\u0301sume\u0301 İstanbul don‘t it´s rock`n`roll") == ["résumé", "i̇stanbul", "don't", "it's",
                                                                          "rock'n'roll"]
    plain = "Well, um, I don`t know... it's 42 - maybe 'forty' - uh right?"
    assert model_count(plain) == len(normalize(plain).split()) == 9
    # the marks of Indic and Thai letters (vowel signs, viramas) stay in their word: 7 and 2 words, not 16 and 4
    # pieces (a review of written answers), and not a word of their own at the start
    assert words("नमस्ते दुनिया, मैंने टीम का नेतृत्व किया") == ["नमस्ते", "दुनिया", "मैंने", "टीम", "का", "नेतृत्व", "किया"]
    assert words("ขอบคุณมาก ครับ") == ["ขอบคุณมาก", "ครับ"] and words("\u0301abc") == ["abc"]
    assert word_count("நான் ஒரு குழுவை வழிநடத்தினேன்") == 4
    # filler sounds in any spelling are in no word list ("ummm ×2" was listed among a candidate's words)
    from webapp.textstats import content_word_counts, top_words
    assert top_words("Ummm, uhh, the deadline. Hmmm, the deadline and the client, um.") == [("deadline", 2), ("client", 1)]
    assert not {"ummm", "uhh", "hmmm", "um"} & content_word_counts("Ummm, uhh, hmmm, um, deadline").keys()


def test_the_jobs_short_answer_rule_counts_words_as_the_page_does(client, auth, app):
    """51 words by the page's count, 43 pieces between spaces (hyphenated words): not short, so the Big Five is
    not held back with the "fewer than 50 words" caution that the page's own count contradicts (fails without)."""
    from ml.analysis import analyse_text
    from webapp.textstats import word_count
    text = ("I work best in a well-organised, open-minded team with clear goals and regular face-to-face check-ins. "
            "I like a high-trust, low-ego culture where colleagues give honest feedback, share knowledge freely and "
            "support each other's long-term growth, with some quiet time for deep, focused work.")
    assert word_count(text) == 51 and len(text.split()) == 43
    result = analyse_text(text, min_words=50).result
    assert result["word_count"] == 51 and result["short"] is False


LONG_FOR_COUNTS = ("My first full-time job was at a start-up; there I led the sign-in and check-out work - a "
                   "year-long project. It's the one I'm proudest of.")


def test_a_short_answer_without_any_trait_shown_has_no_uncertain_estimate_banner(client, auth, app):
    """15 words: no trait is shown (below every trait's shortest length), so the page says that once and does not
    also warn that "the estimate is very uncertain" (there is none on the page)."""
    from tests.test_interview import post_answer
    from webapp.jobs import run_pending
    auth.register()
    resp = post_answer(client, _words(15))
    with app.app_context():
        assert run_pending() == 1
    page = " ".join(client.get(resp.headers["Location"]).get_data(as_text=True).split())
    assert 'id="big5-short"' not in page
    # nor does the note shown as it was sent (it said "the estimate is very uncertain" of an estimate never shown)
    assert ("Your answer has only 15 words: too few for an estimate of any Big Five trait (the first needs 50 "
            "words). Its words and talking points are still analysed.") in page and "very uncertain" not in page
    assert "this model cannot estimate any of the Big Five traits better than a guess" in page, page[page.find("big5-section"):][:1500]


def test_an_older_answer_called_short_by_its_pieces_between_spaces_has_no_contradicting_banner(client, auth, app):
    """Analysed before the short-answer rule counted words as the page does: 51 words on the page, "short" in its
    result (43 pieces between spaces). Its page does not say "only 51 words ... fewer than 50"."""
    from sqlalchemy import select
    from tests.test_others_minimum import analysed
    from webapp.extensions import db
    from webapp.models import User
    text = ("I work best in a well-organised, open-minded team with clear goals and regular face-to-face check-ins. "
            "I like a high-trust, low-ego culture where colleagues give honest feedback, share knowledge freely and "
            "support each other's long-term growth, with some quiet time for deep, focused work.")
    auth.register()
    with app.app_context():
        uid = db.session.scalar(select(User.id))
    ans = analysed(app, uid, 1, text=text, scores=[], result={"big5": {"EXT": 0.6, "NEU": 0.4, "AGR": 0.5, "CON": 0.5,
                                                                      "OPN": 0.7}, "word_count": 43, "short": True})
    with app.app_context():
        from webapp.models import Answer
        a = db.session.get(Answer, ans)
        a.word_count = 51
        db.session.commit()
    page = client.get(f"/answers/{ans}").get_data(as_text=True)
    assert "<strong>51</strong>" in page and 'id="big5-short"' not in page


def test_the_words_section_says_both_counts_when_fillers_make_them_differ(client, auth, app):
    """The counter under the box and the Big Five's length leave filler sounds out; the Words section counted them
    with no word of it (121 words there, 116 in the counter and the note below: a review of written answers)."""
    from tests.test_interview import post_answer
    from webapp.jobs import run_pending
    auth.register()
    resp = post_answer(client, "Um, " + _words(58) + " Uh, hmm.")
    with app.app_context():
        assert run_pending() == 1
    page = " ".join(client.get(resp.headers["Location"]).get_data(as_text=True).split())
    assert ("Your answer has <strong>61</strong> words (58 without filler sounds such as “um”: the length the word "
            "counter and the Big Five estimate go by).") in page
    resp = post_answer(client, _words(60), question=2)
    with app.app_context():
        assert run_pending() == 1
    page = " ".join(client.get(resp.headers["Location"]).get_data(as_text=True).split())
    assert "Your answer has <strong>60</strong> words." in page


def test_others_column_says_a_trait_counts_only_answers_of_its_length(client, auth, app, banded):
    """Others answered at 120 words: their Openness (shown from 100 words) is averaged, their Extraversion (from 250)
    was never stored, so its cell gives that length rule as the reason, not "not enough results from others"."""
    from tests.test_interview import post_answer
    from webapp.jobs import run_pending
    auth.register()
    post_answer(client, _words(120))  # answer 1, mine: with nobody else yet, the table's note gives every length
    with app.app_context():
        run_pending()
    page = re.sub(r"\s+", " ", client.get("/answers/1").get_data(as_text=True))
    assert ("For each trait only their answers of its length or more count: Openness from 100 words, Extraversion "
            "from 250 words.") in page
    _others_answer(app, 1)
    with app.app_context():
        assert run_pending() == 5
    page = client.get("/answers/1").get_data(as_text=True)
    row = lambda code: page[page.index(f'<tr data-trait="{code}">'):].split("</tr>", 1)[0]  # noqa: E731
    assert "(n=5)" in row("OPN") and "only answers of" not in row("OPN")
    # the same reason in both "others" columns: said once, across the two (a phone printed it twice per row)
    assert row("EXT").count("not enough yet: only English answers of 250 words or more (spoken ones with a clear transcript) count for this trait") == 1
    assert 'colspan="2" data-label="Others’ written answers, this question and all questions: average"' in row("EXT")
    assert "not enough results from others yet" not in row("EXT")


def test_others_column_gives_the_length_rule_only_where_others_answered_too_briefly(client, auth, app, banded):
    """Others answered another question only, at 120 words: in "this question" nobody else answered, so the reason
    there is "not enough results from others yet", not the length rule (a review: "only answers of 100 words or
    more count" where no other candidate had answered the question at all); in "all questions" their answers were
    too short for Extraversion, so the length rule is the reason there."""
    from tests.test_interview import post_answer
    from webapp.jobs import run_pending
    auth.register()
    post_answer(client, _words(260))  # answer 1, mine, to question 1
    with app.app_context():
        run_pending()
    _others_answer(app, 2)
    with app.app_context():
        assert run_pending() == 5
    page = client.get("/answers/1").get_data(as_text=True)
    row = lambda code: page[page.index(f'<tr data-trait="{code}">'):].split("</tr>", 1)[0]  # noqa: E731
    cell = lambda code, cls: row(code).split(f'<td class="{cls}"', 1)[1].split("</td>", 1)[0]  # noqa: E731
    assert "not enough results from others yet" in cell("EXT", "others-question")
    assert "only answers of" not in cell("EXT", "others-question")
    assert "not enough yet: only English answers of 250 words or more (spoken ones with a clear transcript) count for this trait" in cell("EXT", "others-overall")
    assert "not enough results from others yet" in cell("OPN", "others-question")
    assert "only answers of" not in row("OPN") and "(n=5)" in cell("OPN", "others-overall")


def test_mock_report_others_cell_says_a_trait_counts_only_answers_of_its_length(client, auth, app, banded):
    from webapp.extensions import db
    from webapp.jobs import run_pending
    from webapp.models import Answer
    sid = _one_written_answer_in_a_mock_interview(client, auth, 260)
    with app.app_context():
        question_id = db.session.get(Answer, 1).question_id
    # others at 120 words: their Openness counts, their Extraversion (from 250 words) does not
    _others_answer(app, question_id)
    with app.app_context():
        assert run_pending() == 6
    page = client.get(f"/practice/{sid}/report").get_data(as_text=True)
    row = lambda key: page[page.index(f'<tr data-figure="{key}">'):].split("</tr>", 1)[0]  # noqa: E731
    assert "(n=5)" in row("big5_OPN")
    assert row("big5_EXT").count("not enough yet: only English answers of 250 words or more (spoken ones with a clear transcript) count for this trait") == 1
    assert 'colspan="2"' in row("big5_EXT") and 'colspan' not in row("big5_OPN")
    assert "not enough results from others yet" not in row("big5_EXT")


def test_mock_report_gives_the_length_rule_only_where_others_answered_too_briefly(client, auth, app, banded):
    """Others answered another question only (120 words): the report's "this question" cells give "not enough
    results from others yet", the length rule only under "all questions", where their answers were too short."""
    from webapp.extensions import db
    from webapp.jobs import run_pending
    from webapp.models import Answer
    sid = _one_written_answer_in_a_mock_interview(client, auth, 260)
    with app.app_context():
        question_id = db.session.get(Answer, 1).question_id
        other_question = 2 if question_id != 2 else 3
    _others_answer(app, other_question)
    with app.app_context():
        assert run_pending() == 6
    page = client.get(f"/practice/{sid}/report").get_data(as_text=True)
    row = lambda key: page[page.index(f'<tr data-figure="{key}">'):].split("</tr>", 1)[0]  # noqa: E731
    # (the averages are kept per answer type: the report's headers and cells say whose answers, as the recording
    # pages do)
    assert '<th scope="col">Others’ written answers, this question: average</th>' in page
    question_cell = row("big5_EXT").split('data-label="Others’ written answers, this question: average">', 1)[1] \
        .split("</td>", 1)[0]
    overall_cell = row("big5_EXT").split('data-label="Others’ written answers, all questions: average">', 1)[1] \
        .split("</td>", 1)[0]
    assert "not enough results from others yet" in question_cell and "only answers of" not in question_cell
    assert "not enough yet: only English answers of 250 words or more (spoken ones with a clear transcript) count for this trait" in overall_cell
