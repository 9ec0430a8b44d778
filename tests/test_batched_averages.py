"""Other candidates' averages move in batches (webapp.stats, AVERAGES_BATCH_RESULTS and
AVERAGES_BATCH_PEOPLE at their defaults here): comparing a page before and after one other answer
arrives, or goes, must not reveal that answer's score.

Answers are stored as the worker stores them (Score rows and stats.record in one transaction)."""
import pytest
from sqlalchemy import select

from tests.helpers import add_user, store_analysed
from tests.test_others_minimum import analysed, trait_row
from webapp import stats
from webapp.answers import delete_answers
from webapp.config import Config
from webapp.extensions import db
from webapp.labels import TRAIT_NAMES
from webapp.models import Aggregate, AggregateDay, Answer, PendingResult, User

pytestmark = pytest.mark.all_databases


@pytest.fixture
def batched(app):
    """The app with the configured default batches (the other tests move averages at once)."""
    assert (Config.AVERAGES_BATCH_RESULTS, Config.AVERAGES_BATCH_PEOPLE) == (5, 3)
    app.config.update(AVERAGES_BATCH_RESULTS=Config.AVERAGES_BATCH_RESULTS,
                      AVERAGES_BATCH_PEOPLE=Config.AVERAGES_BATCH_PEOPLE)
    return app


def answer(app, uid, value, question_id=1):
    """An analysed video answer of candidate `uid` whose facing-the-camera share is `value`."""
    with app.app_context():
        ans = Answer(user_id=uid, question_id=question_id, modality="video", status="done", progress=100, result={})
        return store_analysed(ans, [("gaze", "facing_share", float(value))])


def shown(app, viewer=None, own=()):
    """What a candidate `viewer` sees of others' facing share on question 1 and overall:
    {scope: (count, mean)}; (0, None) when nothing is counted."""
    with app.app_context():
        mine = [db.session.get(Answer, i) for i in own]
        exclude = stats.own_contribution(mine, [1]) if mine else None
        table = stats.compare(["q:1", stats.OVERALL], "video", {"gaze": {"facing_share": 50.0}},
                              exclude=exclude, viewer_id=viewer)
        out = {}
        for scope in ("q:1", stats.OVERALL):
            row = table.get(scope, {}).get("gaze", {}).get("facing_share")
            out[scope] = (0, None) if row is None else (row["count"], row["mean"])
        return out


def waiting(app):
    with app.app_context():
        return db.session.scalars(select(PendingResult).where(PendingResult.scope == "q:1")
                                  .order_by(PendingResult.id)).all()


def test_one_new_answer_does_not_move_what_others_see(batched, client):
    app = batched
    a, b, c, d, e = (add_user(app, f"{n}@example.com") for n in "abcde")
    viewer = add_user(app, "viewer@example.com")
    # four results from three candidates: not a batch yet (five are needed), nothing counted
    for uid, v in ((a, 10), (a, 20), (b, 30), (c, 40)):
        answer(app, uid, v)
    assert shown(app) == {"q:1": (0, None), stats.OVERALL: (0, None)}
    assert len(waiting(app)) == 4
    answer(app, b, 50)  # the fifth, from three candidates: all five are counted at once
    assert shown(app, viewer) == {"q:1": (5, 30.0), stats.OVERALL: (5, 30.0)}
    assert waiting(app) == []
    # one more answer, however extreme, changes nothing a candidate sees ...
    answer(app, d, 100)
    assert shown(app, viewer) == {"q:1": (5, 30.0), stats.OVERALL: (5, 30.0)}
    # ... and neither do four more from only two candidates
    for uid, v in ((d, 100), (e, 100), (e, 100), (d, 100)):
        answer(app, uid, v)
    assert shown(app, viewer) == {"q:1": (5, 30.0), stats.OVERALL: (5, 30.0)}
    answer(app, a, 100)  # six waiting, from three candidates: counted together
    assert shown(app, viewer) == {"q:1": (11, (150 + 600) / 11), stats.OVERALL: (11, (150 + 600) / 11)}
    with app.app_context():  # the daily totals and the candidates behind the average moved with them
        agg = db.session.scalar(select(Aggregate).filter_by(scope="q:1", family="gaze", label="facing_share"))
        assert (agg.count, agg.people) == (11, 5)
        day = db.session.scalars(select(AggregateDay).filter_by(scope="q:1", family="gaze")).all()
        assert sum(r.count for r in day) == 11


def test_the_answer_page_shows_the_same_average_before_and_after_one_answer(batched, client, auth):
    app = batched
    others = [add_user(app, f"o{i}@example.com") for i in range(3)]

    def written(uid, v):
        return analysed(app, uid, 1, scores=[("big5", code, float(v)) for code in TRAIT_NAMES])

    for i, v in enumerate((60, 70, 80, 90, 100)):
        written(others[i % 3], v)
    auth.register("me@example.com")
    with app.app_context():
        me = db.session.scalar(select(User.id).where(User.email == "me@example.com"))
    mine = written(me, 10)
    row = trait_row(client.get(f"/answers/{mine}").get_data(as_text=True), "EXT")
    assert "80" in row and "n=5" in row, row
    written(others[0], 0)  # one other answer: the row reads the same
    assert trait_row(client.get(f"/answers/{mine}").get_data(as_text=True), "EXT") == row
    for uid in others[1:] + others[:1]:
        written(uid, 0)  # three more: five waiting (mine among them) from four candidates, counted at once
    moved = trait_row(client.get(f"/answers/{mine}").get_data(as_text=True), "EXT")
    assert "(n=9)" in moved and ">44<" in moved, moved  # (400 + 4 x 0) / 9 others; mine is left out


def test_deleting_answers_goes_through_the_batches(batched):
    app = batched
    a, b, c, d = (add_user(app, f"{n}@example.com") for n in "abcd")
    ids = [answer(app, uid, v) for uid, v in ((a, 10), (b, 20), (c, 30), (a, 40), (b, 50))]
    assert shown(app)["q:1"] == (5, 30.0)
    late = answer(app, d, 90)  # waiting
    with app.app_context():
        delete_answers([db.session.get(Answer, ids[0])])  # a counted answer: its removal waits
    assert shown(app)["q:1"] == (5, 30.0)
    rows = waiting(app)
    assert [(r.sign, r.value, r.answer_id) for r in rows] == [(1, 90.0, late), (-1, 10.0, None)]
    with app.app_context():
        delete_answers([db.session.get(Answer, late)])  # a waiting answer leaves nothing behind
    assert [(r.sign, r.value) for r in waiting(app)] == [(-1, 10.0)]
    assert shown(app)["q:1"] == (5, 30.0)
    # the removal is applied with the next batch: four more answers from three candidates
    for uid, v in ((b, 60), (c, 60), (d, 60), (c, 60)):
        answer(app, uid, v)
    assert shown(app)["q:1"] == (8, (150 - 10 + 240) / 8)
    assert waiting(app) == []


def test_own_waiting_results_are_not_taken_out_of_the_totals(batched):
    app = batched
    a, b, c = (add_user(app, f"{n}@example.com") for n in "abc")
    for uid, v in ((a, 10), (b, 20), (c, 30), (a, 40), (b, 50)):
        answer(app, uid, v)
    viewer = add_user(app, "viewer@example.com")
    mine = answer(app, viewer, 100)  # waiting: not in the totals, so nothing of it is subtracted
    assert shown(app, viewer, own=[mine])["q:1"] == (5, 30.0)
    for uid, v in ((a, 0), (b, 0), (c, 0), (a, 0)):
        answer(app, uid, v)  # now it is counted with four others, and taken out again for its owner
    assert shown(app)["q:1"] == (10, 250 / 10)
    assert shown(app, viewer, own=[mine])["q:1"] == (9, 150 / 9)


def test_admins_are_told_how_many_results_wait(batched, client, auth, make_admin):
    app = batched
    a, b = add_user(app, "a@example.com"), add_user(app, "b@example.com")
    for uid, v in ((a, 10), (b, 20), (a, 30)):
        answer(app, uid, v)
    email, password = make_admin()
    auth.login(email, password)
    page = " ".join(client.get("/admin/analytics?modality=video&family=gaze&question=1").get_data(as_text=True).split())
    assert 'id="waiting-note"' in page and "up to 3 new or removed results per score" in page
    assert "at least 5 results of a score from at least 3 candidates" in page
    assert 'id="no-results"' in page  # nothing counted yet
    assert '<option value="gaze" selected>Head position and movement</option>' in page  # the gaze family is there
