"""What a candidate sees of OTHER candidates rests on at least stats.MIN_OTHERS_FOR_AVERAGE of their
answers from at least stats.MIN_OTHERS_PEOPLE of them (small-cell suppression), and a short written
answer is kept out of the averages like a short transcript.

Other candidates' answers are stored here as the worker stores them (Score rows and stats.record in
one transaction), without running a model; the short-answer tests run the real text model.
"""
import json
import re

import pytest
from sqlalchemy import func, select
from sqlalchemy import inspect as sa_inspect

from tests.conftest import csrf_token
from tests.helpers import LONG_ANSWER, SHORT_ANSWER, add_user, store_analysed
from tests.pdfs import text_pdf
from tests.test_answer_queries import add_recording
from tests.test_interview import post_answer
from tests.test_speech_coach import speech_analyser  # noqa: F401 (a fixture)
from webapp import stats
from webapp.extensions import db
from webapp.jobs import run_pending
from webapp.labels import TRAIT_NAMES
from webapp.models import Aggregate, Answer, AnswerDay, InterviewSession, User

pytestmark = [pytest.mark.all_databases, pytest.mark.usefixtures("whole_essay_text_figures")]

HELD_BACK = '<span class="hint">not enough results from others yet</span>'


def held_above(page: str, row: str, why: str = "not enough results from others yet") -> bool:
    """Every average of the table held back: its row has no cells of others, and the note above the table says why,
    once per table (dashboard/_compare.html compare_table) instead of in each row's cells."""
    return 'class="others-' not in row and f"{why}. They appear in this table" in " ".join(page.split())


def user_id(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


def analysed(app, uid: int, question_id: int, modality: str = "text", text: str = LONG_ANSWER,
             scores=None, result=None, session_id=None) -> int:
    """An analysed answer stored as the worker stores it: its scores and stats.record together.
    Written answers default to a Big Five of 87 on every trait."""
    if scores is None:
        scores = [("big5", code, 87.0) for code in TRAIT_NAMES]
    if result is None:
        result = {"big5": {f: v / 100 for fam, f, v in scores if fam == "big5"},
                  "word_count": len(text.split()), "short": False}
    with app.app_context():
        ans = Answer(user_id=uid, question_id=question_id, modality=modality, status="done", progress=100,
                     text=text if modality == "text" else None, word_count=len(text.split()) if modality == "text" else 0,
                     result=result, session_id=session_id)
        return store_analysed(ans, scores)


def big5_chart(page: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="big5-data">(.*?)</script>', page, re.S).group(1))


def trait_row(page: str, code: str) -> str:
    row = page[page.index(f'data-trait="{code}"'):]
    return row[:row.index("</tr>")]


# --- Averages on the answer pages -------------------------------------------------------------

def test_answer_page_shows_others_averages_from_five_answers_on(client, auth, app):
    auth.register("bob@example.com")
    bob = user_id(app, "bob@example.com")
    alice = add_user(app, "alice@example.com")
    analysed(app, alice, 1)
    analysed(app, bob, 1, scores=[("big5", code, 20.0) for code in TRAIT_NAMES])
    mine = analysed(app, bob, 1, scores=[("big5", code, 20.0) for code in TRAIT_NAMES])
    page = client.get(f"/answers/{mine}").get_data(as_text=True)
    # one answer from others: "their average" would be Alice's own scores, so nothing of them is shown
    chart = big5_chart(page)
    assert chart["question"] == [None] * 5 and chart["overall"] == [None] * 5
    row = trait_row(page, "EXT")
    assert held_above(page, row) and "87" not in row and "(n=" not in row  # both averages (traits get no percentile)
    assert "(n=1)" not in page
    assert ("Their average is shown only once it comes from at least 5 answers by at least 3 other candidates"
            in " ".join(page.split()))
    # four answers from others on this question and a fifth on another: the average of all questions
    # (5 answers of others, Bob's two left out) is shown, this question's (4) is not
    for k in range(3):
        analysed(app, add_user(app, f"other{k}@example.com"), 1)
    analysed(app, add_user(app, "late@example.com"), 2)
    page = client.get(f"/answers/{mine}").get_data(as_text=True)
    row = trait_row(page, "EXT")
    assert f'<td class="others-question" data-label="Others’ written answers, this question: average">{HELD_BACK}</td>' in row
    assert '<td class="others-overall" data-label="Others’ written answers, all questions: average"><span class="num">87</span> <span class="hint nowrap">(n=5)</span></td>' in row
    chart = big5_chart(page)
    assert chart["question"] == [None] * 5 and chart["overall"] == [pytest.approx(87.0)] * 5
    assert stats.MIN_OTHERS_FOR_AVERAGE == 5


def test_word_lists_need_five_answers_from_others(client, auth, app):
    auth.register("bob@example.com")
    bob = user_id(app, "bob@example.com")
    others = "I steered the zeppelin project with care, planning every flight with the crew."
    for k in range(4):
        analysed(app, add_user(app, f"other{k}@example.com"), 1, text=others)
    # Bob's own three answers on the question do not make up for the missing answers of others
    for _ in range(2):
        analysed(app, bob, 1)
    mine = analysed(app, bob, 1)
    with app.app_context():
        assert stats.answers_total(stats.question_scope(1), "text") == 7
    page = client.get(f"/answers/{mine}").get_data(as_text=True)
    assert "zeppelin" not in page
    for where in ("question", "overall"):
        block = page[page.index(f'id="words-{where}"'):]
        assert block[:block.index("</div>")].count("not enough results from others yet") == 1
    assert ("The words of all candidates are shown only once there are at least 5 written answers by at least 3 "
            "other candidates" in " ".join(page.split()))
    # a fifth answer from others, on another question: enough for the list of all questions only
    analysed(app, add_user(app, "late@example.com"), 2, text=others)
    page = client.get(f"/answers/{mine}").get_data(as_text=True)
    overall = page[page.index('id="words-overall"'):]
    overall = overall[:overall.index("</div>")]
    question = page[page.index('id="words-question"'):]
    question = question[:question.index("</div>")]
    assert "zeppelin" in overall and "not enough" not in overall
    assert "zeppelin" not in question and "not enough results from others yet" in question


def test_a_few_accounts_repeating_a_word_do_not_fill_everyones_word_list(client, auth, app):
    """The lists of all candidates' words come by how many candidates wrote a word, then how often: 3 accounts
    writing one word a thousand times (enough people for it to be listed) rank below the words that 5 candidates
    each wrote once, instead of heading every candidate's list."""
    for k in range(5):
        analysed(app, add_user(app, f"writer{k}@example.com"), 1,
                 text="I led the migration with the team, planning each release with care.")
    for k in range(3):
        analysed(app, add_user(app, f"troll{k}@example.com"), 1, text=" ".join(["spamword"] * 1000))
    auth.register("me@example.com")
    mine = analysed(app, user_id(app, "me@example.com"), 1)
    page = client.get(f"/answers/{mine}").get_data(as_text=True)
    for where in ("question", "overall"):
        block = page[page.index(f'id="words-{where}"'):]
        items = re.findall(r"<li>(\w+) <span class=\"hint\">×(\d+), (\d+) candidates</span></li>",
                           block[:block.index("</div>")])
        assert items[-1] == ("spamword", "3000", "3"), items
        # (the viewer's own answer also has "led" and "team": the lists count everybody, the viewer included)
        assert {w for w, _c, _people in items[:-1]} == {"led", "migration", "team", "planning", "release", "care"}, items


def test_speech_coach_hint_needs_five_answers_from_others(client, auth, app, speech_analyser):  # noqa: F811
    add_user(app, "alice@example.com")
    add_recording(app, "alice@example.com", 1, "audio")
    auth.register("me@example.com")
    mine = add_recording(app, "me@example.com", 1, "audio")
    html = client.get(f"/answers/{mine}").get_data(as_text=True)
    # every hint is the same "not enough": said once, not in a list repeating it for each figure
    assert 'id="coach-hints"' not in html
    hint = html[html.index('<p id="coach-no-hints">'):]
    assert "Not enough answers from other candidates to compare with yet." in hint[:hint.index("</p>")]
    assert "(n=1)" not in html
    voice = json.loads(re.search(r'id="voice-dist-data">(.*?)</script>', html, re.S).group(1))
    assert set(voice["question"]) == {None} and set(voice["overall"]) == {None}


# --- The mock-interview report ----------------------------------------------------------------

def written_session(app, uid: int) -> int:
    with app.app_context():
        s = InterviewSession(user_id=uid, mode="written", question_ids=[1], position=1)
        db.session.add(s)
        db.session.commit()
        return s.id


def hedged(app, uid: int, big5: float = 87.0, hedges: float = 1.0, session_id=None) -> int:
    """A written answer with a Big Five of `big5` on every trait and `hedges` per 100 words (a key figure of the
    report's first table, compared with others' written answers), stored as the worker stores it."""
    scores = [("big5", code, big5) for code in TRAIT_NAMES] + [("writing", "hedges_per_100_words", hedges)]
    result = {"big5": {code: big5 / 100 for code in TRAIT_NAMES}, "word_count": len(LONG_ANSWER.split()),
              "short": False, "hedges_per_100_words": hedges}
    return analysed(app, uid, 1, scores=scores, result=result, session_id=session_id)


def alone_notes(page: str) -> tuple[str, str]:
    """The notes under the report's two tables of question 1 when no average of others is shown in them."""
    flat = " ".join(page.split()).replace("&#39;", "'")
    return tuple(re.search(rf'id="{which}-alone-1">(.*?)</p>', flat).group(1).strip() for which in ("figures", "traits"))


def test_report_averages_leave_out_my_answers_and_need_five_from_others(client, auth, app):
    auth.register("bob@example.com")
    bob = user_id(app, "bob@example.com")
    for k in range(4):
        hedged(app, add_user(app, f"other{k}@example.com"))
    sid = written_session(app, bob)
    hedged(app, bob, 20.0, 2.0)  # an earlier attempt
    hedged(app, bob, 20.0, 2.0, session_id=sid)
    page = client.get(f"/practice/{sid}/report").get_data(as_text=True)
    row = re.search(r'<tr data-figure="big5_EXT">(.*?)</tr>', page, re.S).group(1)
    # 4 answers of others (Bob's two are not counted): too few for an average; none shown in the table, so their
    # columns are left out and that is said once under it. Four other candidates are enough people: the reason is
    # too few results, in the answer pages' words (dashboard/_compare.html held_text)
    assert "Others’ written answers, this question" not in row and "(n=" not in row
    figures, traits = alone_notes(page)
    assert figures.startswith("Other candidates' averages: not enough results from others yet.")
    assert traits.startswith("Other candidates' averages: not enough results from others yet. They appear here")
    assert PEOPLE not in page
    analysed(app, add_user(app, "late@example.com"), 1)
    page = client.get(f"/practice/{sid}/report").get_data(as_text=True)
    row = re.search(r'<tr data-figure="big5_EXT">(.*?)</tr>', page, re.S).group(1)
    assert row.count("87 <span class=\"hint\">(n=5)</span>") == 2 and "not enough" not in row


def test_practise_next_works_when_averages_are_held_back(app):
    from webapp.practice import service
    bob = add_user(app, "bob@example.com")

    def speech(fillers, words):
        result = {"speech": {"word_count": words, "wpm": 120.0, "fillers_per_min": fillers,
                             "long_pauses_per_min": 0.0, "flags": []}}
        return [("speech", "wpm", 120.0), ("speech", "fillers_per_min", fillers),
                ("speech", "long_pauses_per_min", 0.0)], result

    for k in range(4):  # four calm answers of others (four people): too few answers to be shown or used
        scores, result = speech(1.0, 200)
        analysed(app, add_user(app, f"other{k}@example.com"), 1, modality="audio", scores=scores, result=result)
    with app.app_context():
        s = InterviewSession(user_id=bob, mode="audio", question_ids=[1], position=1)
        db.session.add(s)
        db.session.commit()
        sid = s.id
    scores, result = speech(6.0, 20)
    analysed(app, bob, 1, modality="audio", scores=scores, result=result, session_id=sid)
    with app.test_request_context():
        report = service.report(db.session.get(InterviewSession, sid))
        figures = {f["key"]: f for f in report["items"][0]["figures"]}
        assert figures["fillers_per_min"]["question_avg"] == {"mean": None, "sd": None, "count": 4, "percentile": None,
                                                              "people": 4, "held_back": "answers"}
        # the suggestions use no held-back average: the too-short answer (a goal) is still suggested
        suggestions = report["suggestions"]
        assert [s["key"] for s in suggestions] == ["words"] and suggestions[0]["reference"] == "target"
        assert all(s["reference"] != "average" for s in suggestions)


# --- Short written answers are kept out of the averages ---------------------------------------

def test_short_typed_and_pdf_answers_are_not_added_to_the_averages(client, auth, app):
    auth.register()
    post_answer(client, LONG_ANSWER)
    post_answer(client, SHORT_ANSWER)
    post_answer(client, pdf=text_pdf(SHORT_ANSWER), question=2)
    with app.app_context():
        assert run_pending() == 3
        long_ext = db.session.get(Answer, 1).score_map("big5")["EXT"]
        for short_id in (2, 3):
            ans = db.session.get(Answer, short_id)
            assert ans.status == "done" and ans.result["short"] is True
            assert ans.score_map("big5") == {}  # the estimate stays in the result only
            assert set(ans.result["big5"]) == set(TRAIT_NAMES)
        agg = db.session.execute(select(Aggregate).filter_by(scope="all", label="EXT")).scalar_one()
        assert agg.count == 1 and agg.total == pytest.approx(long_ext)  # the long answer only
        # still analysed answers: counted as such, and their words are in the word lists
        assert stats.answers_total(stats.OVERALL, "text") == 3
    for short_id in (2, 3):
        page = client.get(f"/answers/{short_id}").get_data(as_text=True)
        assert "estimate is very uncertain, so it is not added to the averages" in page
        assert 'data-trait="EXT"' in page  # shown to the candidate, with the caution
    # deleting them takes out nothing that was never added
    for short_id in (2, 3):
        token = csrf_token(client, f"/answers/{short_id}")
        assert client.post(f"/answers/{short_id}/delete", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        agg = db.session.execute(select(Aggregate).filter_by(scope="all", label="EXT")).scalar_one()
        assert agg.count == 1 and agg.total == pytest.approx(long_ext)
        assert db.session.scalar(select(func.sum(AnswerDay.count)).where(AnswerDay.scope == "all")) == 1


# --- Distinct other candidates (stats.MIN_OTHERS_PEOPLE) ---------------------------------------

ZEPPELIN = "I steered the zeppelin project with care, planning every flight with the crew."
HELD_PEOPLE = '<span class="hint">not enough other candidates yet</span>'
PEOPLE = "not enough other candidates yet"


def words_block(page: str, where: str) -> str:
    block = page[page.index(f'id="words-{where}"'):]
    return block[:block.index("</div>")]


def contributors(app, scope: str, family: str = "", label: str = "", modality: str = "text") -> dict[int, int]:
    """{user id: answers} of the Contributor rows of a scope and score ('' '': the answers)."""
    from webapp.models import Contributor
    with app.app_context():
        return dict(db.session.execute(select(Contributor.user_id, Contributor.answers).filter_by(
            scope=scope, modality=modality, family=family, label=label)).all())


def people(app, scope: str, label: str = "EXT", modality: str = "text", family: str = "big5") -> int:
    with app.app_context():
        return db.session.scalar(select(Aggregate.people).filter_by(scope=scope, modality=modality, family=family,
                                                                    label=label))


def test_five_answers_of_one_other_candidate_show_no_average_and_no_words(client, auth, app):
    auth.register("bob@example.com")
    bob = user_id(app, "bob@example.com")
    mine = analysed(app, bob, 1, scores=[("big5", code, 20.0) for code in TRAIT_NAMES])
    alice = add_user(app, "alice@example.com")
    for _ in range(5):  # enough answers, all of one candidate: "the others' average" would be hers
        analysed(app, alice, 1, text=ZEPPELIN)
    page = client.get(f"/answers/{mine}").get_data(as_text=True)
    row = trait_row(page, "EXT")
    assert held_above(page, row, PEOPLE) and "87" not in row and "(n=" not in row  # (traits get no percentile)
    assert big5_chart(page)["question"] == [None] * 5 and big5_chart(page)["overall"] == [None] * 5
    for where in ("question", "overall"):
        block = words_block(page, where)
        assert "zeppelin" not in block and "not enough other candidates yet" in block
    # a second other candidate: still too few people
    analysed(app, add_user(app, "carol@example.com"), 1, text=ZEPPELIN)
    page = client.get(f"/answers/{mine}").get_data(as_text=True)
    assert held_above(page, trait_row(page, "EXT"), PEOPLE) and "zeppelin" not in page
    # Bob's own answers do not count as people either
    analysed(app, bob, 1, scores=[("big5", code, 20.0) for code in TRAIT_NAMES])
    page = client.get(f"/answers/{mine}").get_data(as_text=True)
    assert held_above(page, trait_row(page, "EXT"), PEOPLE) and "zeppelin" not in page
    # a third: seven answers of three other candidates, shown
    analysed(app, add_user(app, "dave@example.com"), 1, text=ZEPPELIN)
    page = client.get(f"/answers/{mine}").get_data(as_text=True)
    row = trait_row(page, "EXT")
    assert '<td class="others-question" data-label="Others’ written answers, this question: average"><span class="num">87</span> <span class="hint nowrap">(n=7)</span></td>' in row
    assert HELD_PEOPLE not in row and HELD_BACK not in row  # (traits get no percentile)
    assert big5_chart(page)["question"] == [pytest.approx(87.0)] * 5
    assert "zeppelin" in words_block(page, "question") and "zeppelin" in words_block(page, "overall")


def test_five_answers_of_three_other_candidates_are_enough(client, auth, app):
    auth.register("bob@example.com")
    mine = analysed(app, user_id(app, "bob@example.com"), 1, scores=[("big5", code, 20.0) for code in TRAIT_NAMES])
    for k, n in enumerate((3, 1, 1)):
        uid = add_user(app, f"other{k}@example.com")
        for _ in range(n):
            analysed(app, uid, 1, text=ZEPPELIN)
    page = client.get(f"/answers/{mine}").get_data(as_text=True)
    row = trait_row(page, "EXT")
    assert '<td class="others-overall" data-label="Others’ written answers, all questions: average"><span class="num">87</span> <span class="hint nowrap">(n=5)</span></td>' in row
    assert HELD_PEOPLE not in page
    assert "zeppelin" in words_block(page, "question") and "zeppelin" in words_block(page, "overall")


def test_people_are_counted_per_figure(client, auth, app):
    """An average rests on the candidates whose results are in it: two other candidates with short
    answers only (analysed, so their words count, but no Big Five stored) do not make one other
    candidate's five Big Five results an average of three people."""
    auth.register("bob@example.com")
    mine = analysed(app, user_id(app, "bob@example.com"), 1, scores=[("big5", code, 20.0) for code in TRAIT_NAMES])
    alice = add_user(app, "alice@example.com")
    for _ in range(5):
        analysed(app, alice, 1, text=ZEPPELIN)
    for k in range(2):
        analysed(app, add_user(app, f"short{k}@example.com"), 1, text=ZEPPELIN, scores=[],
                 result={"big5": {}, "word_count": 13, "short": True})
    assert people(app, "q:1") == 2  # Alice and Bob have Big Five results
    assert len(contributors(app, "q:1")) == 4  # four candidates have analysed answers
    page = client.get(f"/answers/{mine}").get_data(as_text=True)
    assert held_above(page, trait_row(page, "EXT"), PEOPLE)
    assert "zeppelin" in words_block(page, "question")  # 7 answers of 3 other candidates


def test_report_holds_back_an_average_of_one_other_candidate(client, auth, app):
    auth.register("bob@example.com")
    bob = user_id(app, "bob@example.com")
    alice = add_user(app, "alice@example.com")
    for _ in range(5):
        hedged(app, alice)
    sid = written_session(app, bob)
    mine = hedged(app, bob, 20.0, 2.0, session_id=sid)
    page = client.get(f"/practice/{sid}/report").get_data(as_text=True)
    row = re.search(r'<tr data-figure="big5_EXT">(.*?)</tr>', page, re.S).group(1)
    assert "Others’ written answers, this question" not in row and "(n=" not in row and "87" not in row
    # enough results, all of one other candidate: the notes give that reason, as the answer page does above its
    # tables, not "not enough results from others"
    figures, traits = alone_notes(page)
    assert figures.startswith(f"Other candidates' averages: {PEOPLE}.")
    assert traits.startswith(f"Other candidates' averages: {PEOPLE}. They appear here")
    assert "not enough results from others" not in page
    answer_page = client.get(f"/answers/{mine}").get_data(as_text=True)
    assert held_above(answer_page, trait_row(answer_page, "EXT"), PEOPLE)
    for k in range(2):
        hedged(app, add_user(app, f"other{k}@example.com"))
    page = client.get(f"/practice/{sid}/report").get_data(as_text=True)
    row = re.search(r'<tr data-figure="big5_EXT">(.*?)</tr>', page, re.S).group(1)
    assert row.count('87 <span class="hint">(n=7)</span>') == 2 and "not enough" not in row


def test_speech_coach_hint_needs_three_other_candidates(client, auth, app, speech_analyser):  # noqa: F811
    add_user(app, "alice@example.com")
    for _ in range(5):
        add_recording(app, "alice@example.com", 1, "audio")
    auth.register("me@example.com")
    mine = add_recording(app, "me@example.com", 1, "audio")
    html = client.get(f"/answers/{mine}").get_data(as_text=True)
    hint = html[html.index('<p id="coach-no-hints">'):]
    assert "Not enough other candidates to compare with yet." in hint[:hint.index("</p>")]
    assert "(n=5)" not in html


def test_compare_holds_back_for_a_viewer_only(app):
    """stats.compare(viewer_id=...) marks why a row is held back; without a viewer (admins) every
    figure is returned."""
    alice, bob, carol = (add_user(app, f"{n}@example.com") for n in ("alice", "bob", "carol"))
    for _ in range(5):
        analysed(app, alice, 1)
    analysed(app, bob, 1)
    values = {"big5": {"EXT": 50.0}}
    with app.app_context():
        full = stats.compare(["q:1"], "text", values)["q:1"]["big5"]["EXT"]
        assert full["count"] == 6 and full["mean"] == pytest.approx(87.0) and "held_back" not in full
        seen = stats.compare(["q:1"], "text", values, viewer_id=carol)["q:1"]["big5"]["EXT"]
        assert seen == {"mean": None, "sd": None, "count": 6, "percentile": None, "people": 2, "held_back": "people"}
        # Bob's own result left out (exclude) and Bob not counted as one of the others
        own = {"q:1": [("big5", "EXT", 87.0)]}
        seen = stats.compare(["q:1"], "text", values, exclude=own, viewer_id=bob)["q:1"]["big5"]["EXT"]
        assert (seen["count"], seen["people"], seen["held_back"]) == (5, 1, "people")
    analysed(app, carol, 1)
    with app.app_context():
        seen = stats.compare(["q:1"], "text", values, viewer_id=add_user(app, "dave@example.com"))["q:1"]["big5"]["EXT"]
        assert (seen["count"], seen["people"], seen["held_back"]) == (7, 3, None)
        assert seen["mean"] == pytest.approx(87.0) and seen["percentile"] is None  # 7 < MIN_OTHERS_FOR_PERCENTILE


# --- The counts follow deletions ----------------------------------------------------------------

def test_deleting_answers_and_accounts_lowers_the_counts(client, auth, app):
    for k in range(3):
        auth.register(f"other{k}@example.com")
        for n in range(2):  # two attempts (the same text twice within a minute would be one answer)
            post_answer(client, LONG_ANSWER + " Thanks." * n)
        auth.logout()
    ids = {k: user_id(app, f"other{k}@example.com") for k in range(3)}
    with app.app_context():
        assert run_pending() == 6
    auth.register("me@example.com")
    post_answer(client, LONG_ANSWER + " Thanks.")
    with app.app_context():
        assert run_pending() == 1
        mine = db.session.scalar(select(func.max(Answer.id)))
    me = user_id(app, "me@example.com")
    assert contributors(app, "q:1") == {ids[0]: 2, ids[1]: 2, ids[2]: 2, me: 1}
    assert contributors(app, "all", "big5", "EXT") == {ids[0]: 2, ids[1]: 2, ids[2]: 2, me: 1}
    assert people(app, "q:1") == people(app, "all") == 4
    page = client.get(f"/answers/{mine}").get_data(as_text=True)
    assert "(n=6)" in trait_row(page, "EXT") and HELD_PEOPLE not in page
    auth.logout()
    # other0 deletes one answer: one person fewer nowhere, one answer fewer
    auth.login("other0@example.com")
    with app.app_context():
        first = db.session.scalar(select(func.min(Answer.id)).where(Answer.user_id == ids[0]))
    assert client.post(f"/answers/{first}/delete", data={"csrf_token": csrf_token(client, f"/answers/{first}")}
                       ).status_code == 302
    assert contributors(app, "q:1")[ids[0]] == 1 and people(app, "q:1") == 4
    # ... and then deletes all their data (the account stays): one person fewer
    assert client.post("/account/delete-data", data={"csrf_token": csrf_token(client, "/account"), "data-password": "correct horse"}
                       ).status_code == 302
    # (their rows go with their last answers: they said which questions they answered, a privacy review)
    assert ids[0] not in contributors(app, "q:1") and ids[0] not in contributors(app, "all", "big5", "EXT")
    assert people(app, "q:1") == people(app, "all") == 3
    auth.logout()
    # other1 deletes the account: their rows go with them
    auth.login("other1@example.com")
    assert client.post("/account/delete", data={"csrf_token": csrf_token(client, "/account"), "account-password": "correct horse"}).status_code == 302
    assert ids[1] not in contributors(app, "q:1") and ids[1] not in contributors(app, "all", "big5", "EXT")
    assert people(app, "q:1") == people(app, "all") == 2
    # what is left of others: 2 answers of other2 alone
    auth.login("me@example.com")
    page = client.get(f"/answers/{mine}").get_data(as_text=True)
    assert held_above(page, trait_row(page, "EXT")) and "(n=" not in trait_row(page, "EXT")
    for where in ("question", "overall"):
        assert "not enough results from others yet" in words_block(page, where)


# --- The migration back-fills the counts of the answers already stored -------------------------

def test_migration_0006_backfills_contributors_and_people(app):
    """Revision 0006 fills contributors and aggregates.people from the stored answers and scores
    exactly as stats.record would have (analysed answers only; text and PDF one group)."""
    from flask_migrate import downgrade, upgrade
    from webapp.models import Contributor

    alice, bob, carol = (add_user(app, f"{n}@example.com") for n in ("alice", "bob", "carol"))
    analysed(app, alice, 1)
    analysed(app, alice, 1, scores=[("big5", code, 40.0) for code in TRAIT_NAMES])
    analysed(app, alice, 2, modality="pdf")
    analysed(app, alice, 1, text=ZEPPELIN, scores=[], result={"big5": {}, "word_count": 13, "short": True})
    gone = analysed(app, carol, 2)
    analysed(app, carol, 1)
    video = [("face", "happy", 30.0), ("face", "sad", 5.0), ("face_meta", "face_share", 90.0)]
    analysed(app, bob, 1, modality="video", scores=video, result={})
    analysed(app, bob, 2, modality="audio", scores=[("voice", "calm", 60.0)], result={})
    with app.app_context():
        db.session.add(Answer(user_id=bob, question_id=3, modality="text", text=LONG_ANSWER, status="failed"))
        ans = db.session.get(Answer, gone)
        stats.forget(ans)  # a deleted answer: its rows stay, at zero
        db.session.delete(ans)
        db.session.commit()

    def snapshot():
        return {
            "contributors": sorted(db.session.execute(
                select(Contributor.scope, Contributor.modality, Contributor.family, Contributor.label,
                       Contributor.user_id, Contributor.answers).where(Contributor.answers > 0)).all()),
            "people": sorted(db.session.execute(
                select(Aggregate.scope, Aggregate.modality, Aggregate.family, Aggregate.label, Aggregate.people)
            ).all()),
        }

    with app.app_context():
        recorded = snapshot()
        assert ("q:1", "text", "", "", alice, 3) in recorded["contributors"]
        assert ("all", "text", "big5", "EXT", alice, 3) in recorded["contributors"]
        assert ("q:2", "text", "", "", carol, 1) not in recorded["contributors"]
        assert ("q:1", "text", "big5", "EXT", 2) in recorded["people"]  # Alice and Carol
        assert ("q:2", "text", "big5", "EXT", 1) in recorded["people"]  # Alice (Carol's answer deleted)
        assert ("all", "video", "face", "happy", 1) in recorded["people"]
        db.session.remove()
        downgrade(revision="0005")
        assert "contributors" not in sa_inspect(db.engine).get_table_names()
        assert "people" not in {c["name"] for c in sa_inspect(db.engine).get_columns("aggregates")}
        upgrade()
        assert snapshot() == recorded
        db.session.remove()


def test_two_workers_storing_answers_of_one_candidate_count_them_once(app):
    """Two results of one candidate stored at the same time (their first, so neither finds a
    Contributor row): the second waits for the first, and the candidate is counted once, with both
    answers; deleting both at the same time takes them off once too."""
    import threading
    import time

    alice = add_user(app, "alice@example.com")
    stored, first_done = [], threading.Event()
    errors = []

    def store(wait_for: threading.Event | None, then: threading.Event | None, answer_id=None):
        try:
            with app.app_context():
                if wait_for is not None:
                    wait_for.wait(10)
                if answer_id is None:
                    ans = Answer(user_id=alice, question_id=1, modality="text", status="done", text=LONG_ANSWER)
                    db.session.add(ans)
                    db.session.flush()
                    stats.record(ans, [("big5", "EXT", 50.0)])
                    stored.append(ans.id)
                else:
                    ans = db.session.get(Answer, answer_id)
                    stats.record(ans, [("big5", "EXT", 50.0)], sign=-1)
                    db.session.delete(ans)
                if then is not None:
                    then.set()
                    time.sleep(0.5)  # the other one now waits for our locks
                db.session.commit()
                db.session.remove()
        except Exception as exc:  # reported below
            errors.append(exc)

    for run in ({}, {"delete": True}):
        first_done.clear()
        ids = list(stored) if run else [None, None]
        threads = [threading.Thread(target=store, args=(None, first_done, ids[0])),
                   threading.Thread(target=store, args=(first_done, None, ids[1]))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert not errors, errors
        expected = (0, 0) if run else (2, 1)
        for scope in ("q:1", "all"):
            assert (contributors(app, scope, "big5", "EXT").get(alice, 0), people(app, scope)) == expected
            assert contributors(app, scope).get(alice, 0) == expected[0]


def test_an_answer_finished_while_it_is_deleted_leaves_no_trace_in_the_averages(app):
    """delete_answers gets an answer loaded while its analysis still ran; the job stores its result (the
    answer "done", its scores and stats.record, committed in another thread's session) before the deletion:
    the deletion reads the answer again under its lock, so the result leaves the totals and the people count."""
    import threading

    from webapp.answers import delete_answers
    from webapp.models import Score
    uid = add_user(app, "racer@example.com")
    with app.app_context():
        ans = Answer(user_id=uid, question_id=1, modality="text", status="running", text=LONG_ANSWER,
                     word_count=len(LONG_ANSWER.split()))
        db.session.add(ans)
        db.session.commit()
        stale = db.session.get(Answer, ans.id)
        assert stale.status == "running"

        def job():  # the worker, committing between the page's read and its delete
            with app.app_context():
                done = db.session.get(Answer, ans.id)
                done.status = "done"
                scores = [("big5", "EXT", 60.0)]
                db.session.add(Score(answer_id=done.id, family="big5", label="EXT", value=60.0))
                db.session.flush()
                stats.record(done, scores)
                db.session.commit()
                db.session.remove()

        worker = threading.Thread(target=job)
        worker.start()
        worker.join()
        assert stale.status == "running"  # what the page still holds
        assert people(app, stats.OVERALL) == 1
        delete_answers([stale])
    assert people(app, stats.OVERALL) == 0 and contributors(app, stats.OVERALL, "big5", "EXT") == {}
    with app.app_context():
        assert db.session.scalar(select(Aggregate.count).filter_by(scope=stats.OVERALL, label="EXT")) == 0


def test_progress_numbers_attempts_once_and_skips_an_unclear_transcripts_figures(app):
    """Attempt #n is the same answer in every chart; a recording whose transcript was flagged gives no words, pace or
    fillers, while a clear one does. Talking points are no figure (a list to check, on the answer pages)."""
    from datetime import datetime, timedelta
    from webapp.practice import service
    uid = add_user(app, "steps@example.com")
    points = [{"point": "result", "covered": False}, {"point": "action", "covered": True}]

    def recording(flags):
        return {"speech": {"word_count": 60, "wpm": 120.0, "fillers_per_min": 1.0, "long_pauses_per_min": 0.0,
                           "flags": flags, "points": points}}

    ids = [analysed(app, uid, 1),  # typed: words, no pace
           analysed(app, uid, 1, modality="audio", scores=[], result=recording(["not_english_or_unclear"])),
           analysed(app, uid, 1, modality="audio", scores=[], result=recording([]))]
    with app.app_context():
        for k, i in enumerate(ids):  # distinct times, in this order
            db.session.get(Answer, i).created_at = datetime(2026, 1, 1) + timedelta(minutes=k)
        db.session.commit()
    with app.test_request_context():
        charts = {c["key"]: c for c in service.progress(uid)["charts"]}
    attempt = {key: [(p["n"], p["answer_id"]) for p in c["points"]] for key, c in charts.items()}
    assert attempt["words"] == [(1, ids[0]), (3, ids[2])]
    assert attempt["wpm"] == [(3, ids[2])]
    assert attempt["fillers_per_min"] == [(3, ids[2])]  # not the unclear transcript's
    assert "points_pct" not in charts


def test_report_lists_no_points_from_an_unclear_transcript(client, auth, app):
    """The report lists a question's talking points, found in the words or not, only from words it can read: a
    recording whose transcript was flagged unclear gives no list (the mock report once said "Talking points not
    covered yet: ..." under a transcript it called unreliable)."""
    from webapp.practice import service
    auth.register("flagged@example.com")
    with app.app_context():
        uid = db.session.execute(select(User.id).where(User.email == "flagged@example.com")).scalar_one()
        s = InterviewSession(user_id=uid, mode="audio", category="mixed", question_ids=[1, 2], position=2)
        db.session.add(s)
        db.session.commit()
        sid = s.id
    points = [{"point": "decision", "covered": False}, {"point": "outcome", "covered": True}]
    for q, flags in ((1, ["not_english_or_unclear"]), (2, [])):
        result = {"speech": {"word_count": 60, "wpm": 120.0, "fillers_per_min": 1.0, "long_pauses_per_min": 0.0,
                             "flags": flags, "points": points}}
        analysed(app, uid, q, modality="audio", scores=[], result=result, session_id=sid)
    with app.test_request_context():
        items = service.report(db.session.get(InterviewSession, sid))["items"]
    assert [[p["point"] for p in i["points"]] for i in items] == [[], ["decision", "outcome"]]
    with app.app_context():
        db.session.get(InterviewSession, sid).finished_at = db.func.now()
        db.session.commit()
    page = client.get(f"/practice/{sid}/report").get_data(as_text=True)
    assert page.count('class="report-points"') == 1 and 'id="points-2"' in page
    # and the report says why the first answer has no words, pace or points
    assert 'id="speech-flag-1"' in page and 'id="speech-flag-2"' not in page
    assert "The transcript of this answer looks unreliable" in " ".join(page.split())
