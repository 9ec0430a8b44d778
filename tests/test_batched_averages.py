"""Other candidates' averages move in batches (webapp.stats, AVERAGES_BATCH_RESULTS and
AVERAGES_BATCH_PEOPLE at their defaults here, 5 and 3): comparing a page before and after one other
answer arrives, or goes, must not reveal that answer's score. A written answer's words (the
most frequent words shown beside an answer) move in the same batches. A batch counts as any one candidate
sees it (their own changes left out): at least 5 results from at least 3 others, so at least 6
results from at least 4 candidates.

Answers are stored as the worker stores them (Score rows and stats.record in one transaction)."""
import json

import pytest
from sqlalchemy import func, select

from tests.helpers import add_user, store_analysed
from tests.test_others_minimum import ZEPPELIN, analysed, trait_row, words_block
from webapp import stats
from webapp.answers import delete_answers
from webapp.config import Config
from webapp.extensions import db
from webapp.labels import TRAIT_NAMES
from webapp.models import Aggregate, AggregateDay, Answer, Contributor, PendingResult, User, WordCount
from webapp.wording import scores_leave

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
    """What a candidate `viewer` sees of others' facing share on question 1 and overall (with their
    answers `own` left out): {scope: (count, mean)}; (0, None) when nothing is counted."""
    with app.app_context():
        mine = [db.session.get(Answer, i) for i in own]
        exclude = stats.own_contribution(mine, [1], viewer, "video") if viewer is not None else None
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


def users(app, names):
    return [add_user(app, f"{n}@example.com") for n in names]


def race(app, answer_id, store):
    """Delete the answer `answer_id` (stats.forget, then the row) in one thread and, once that
    transaction holds its locks and before it commits, call `store` (a job storing an answer) in
    another; neither may fail."""
    import threading
    import time

    deleting, errors = threading.Event(), []

    def delete():
        try:
            with app.app_context():
                ans = db.session.get(Answer, answer_id)
                stats.forget(ans)
                db.session.delete(ans)
                deleting.set()
                time.sleep(0.5)  # the job now waits for our locks
                db.session.commit()
                db.session.remove()
        except Exception as exc:  # reported below
            errors.append(exc)
            deleting.set()

    def job():
        try:
            deleting.wait(10)
            store()
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=delete), threading.Thread(target=job)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors


def test_one_new_answer_does_not_move_what_others_see(batched):
    app = batched
    a, b, c, d, e, f, g = users(app, "abcdefg")
    viewer = add_user(app, "viewer@example.com")
    # five results from five candidates: any one of them would see only four others' results
    for uid, v in ((a, 10), (b, 20), (c, 30), (d, 40), (e, 50)):
        answer(app, uid, v)
    assert shown(app) == {"q:1": (0, None), stats.OVERALL: (0, None)}
    assert len(waiting(app)) == 5
    answer(app, f, 60)  # the sixth: all six are counted at once
    assert shown(app, viewer) == {"q:1": (6, 35.0), stats.OVERALL: (6, 35.0)}
    assert waiting(app) == []
    # one more answer, however extreme, changes nothing a candidate sees ...
    answer(app, g, 100)
    assert shown(app, viewer) == {"q:1": (6, 35.0), stats.OVERALL: (6, 35.0)}
    # ... and neither do four more from two candidates (d or e would see only three others' results)
    for uid in (d, e, e, d):
        answer(app, uid, 100)
    assert shown(app, viewer) == {"q:1": (6, 35.0), stats.OVERALL: (6, 35.0)}
    answer(app, a, 100)
    assert shown(app, viewer)["q:1"] == (6, 35.0)
    answer(app, b, 100)  # seven waiting from five candidates, at least five without any one of them
    assert shown(app, viewer) == {"q:1": (13, 910 / 13), stats.OVERALL: (13, 910 / 13)}
    with app.app_context():  # the daily totals and the candidates behind the average moved with them
        agg = db.session.scalar(select(Aggregate).filter_by(scope="q:1", family="gaze", label="facing_share"))
        assert (agg.count, agg.people) == (13, 7)
        day = db.session.scalars(select(AggregateDay).filter_by(scope="q:1", family="gaze")).all()
        assert sum(r.count for r in day) == 13


def test_a_batch_counts_without_the_viewers_own_results(batched):
    """Someone who adds most of a batch themselves (with a second account) must not be able to read
    the one other result in it: their own results are taken out of what they see."""
    app = batched
    attacker, second, victim, other = users(app, ["attacker", "second", "victim", "other"])
    for v in (10, 10, 10):
        answer(app, attacker, v)
    answer(app, second, 20)
    answer(app, victim, 87)
    assert shown(app)["q:1"] == (0, None)  # five results from three candidates, but only two besides the attacker's
    answer(app, other, 30)
    assert shown(app)["q:1"] == (0, None)  # six from four: still only three without the attacker's
    assert len(waiting(app)) == 6


def test_the_answer_page_shows_the_same_average_before_and_after_one_answer(batched, client, auth):
    app = batched
    others = users(app, [f"o{i}" for i in range(6)])

    def written(uid, v):
        return analysed(app, uid, 1, scores=[("big5", code, float(v)) for code in TRAIT_NAMES])

    for uid, v in zip(others, (60, 70, 80, 90, 100, 80)):
        written(uid, v)
    auth.register("me@example.com")
    with app.app_context():
        me = db.session.scalar(select(User.id).where(User.email == "me@example.com"))
    mine = written(me, 10)
    row = trait_row(client.get(f"/answers/{mine}").get_data(as_text=True), "EXT")
    assert ">80<" in row and "(n=6)" in row, row
    written(others[0], 0)  # one other answer: the row reads the same
    assert trait_row(client.get(f"/answers/{mine}").get_data(as_text=True), "EXT") == row
    for uid in others[1:5]:
        written(uid, 0)  # four more: six waiting (mine among them) from six candidates, counted at once
    moved = trait_row(client.get(f"/answers/{mine}").get_data(as_text=True), "EXT")
    assert "(n=11)" in moved and ">44<" in moved, moved  # (480 + 5 x 0) / 11 others; mine is left out


def test_deleting_answers_goes_through_the_batches(batched):
    app = batched
    a, b, c, d, e, f, g = users(app, "abcdefg")
    ids = [answer(app, uid, v) for uid, v in ((a, 10), (b, 20), (c, 30), (d, 40), (e, 50), (f, 60))]
    assert shown(app)["q:1"] == (6, 35.0)
    late = answer(app, g, 90)  # waiting
    with app.app_context():
        delete_answers([db.session.get(Answer, ids[0])])  # a counted answer: its removal waits
    assert shown(app)["q:1"] == (6, 35.0)
    rows = waiting(app)
    assert [(r.sign, r.value, r.answer_id) for r in rows] == [(1, 90.0, late), (-1, 10.0, None)]
    with app.app_context():
        delete_answers([db.session.get(Answer, late)])  # a waiting answer leaves nothing behind
    assert [(r.sign, r.value) for r in waiting(app)] == [(-1, 10.0)]
    assert shown(app)["q:1"] == (6, 35.0)
    # the removal is applied with the next batch: five more answers from five other candidates
    for uid in (b, c, d, e, f):
        answer(app, uid, 60)
    assert shown(app)["q:1"] == (10, (210 - 10 + 300) / 10)
    assert waiting(app) == []


def test_a_deletion_that_completes_others_batch_still_says_its_own_removal_waits(batched):
    """A deletion whose removal completes a batch of other candidates' waiting removals in one scope (every question)
    while its own removal still waits in another (its question): the message must say its scores leave with the next
    batch. Counting all waiting removals before and after gave 4 fewer, and it said they were out of the averages."""
    app = batched
    me, *others = users(app, "abcdefg")
    mine = answer(app, me, 10.0, question_id=1)
    for uid in others[:5]:
        answer(app, uid, 50.0, question_id=1)
    q2 = [answer(app, uid, 60.0, question_id=2) for uid in others]
    assert waiting(app) == []
    with app.app_context():
        assert delete_answers([db.session.get(Answer, a) for a in q2[:5]]).waiting == 10  # q:2 and every question
        done = delete_answers([db.session.get(Answer, mine)])
        left = db.session.execute(select(PendingResult.scope, PendingResult.sign, PendingResult.value)
                                  .where(PendingResult.user_id == me)).all()
    assert left == [("q:1", -1, 10.0)]  # its removal from every question's average went with the batch it completed
    assert (done.scored, done.waiting) == (1, 1)
    assert "leave the averages that other candidates see with the next batch" in scores_leave(done.waiting, done.scored)
    assert shown(app)["q:1"] == (6, (10 + 250) / 6)  # still in q:1's average


def test_a_deleted_account_leaves_the_averages_with_its_batch(batched):
    app = batched
    a, b, c, d, e, f, g = users(app, "abcdefg")
    for uid, v in ((a, 10), (a, 20), (b, 30), (c, 40), (d, 50), (e, 60), (f, 70)):
        answer(app, uid, v)
    with app.app_context():
        agg = db.session.scalar(select(Aggregate).filter_by(scope="q:1", family="gaze", label="facing_share"))
        assert (agg.count, agg.people) == (7, 6)
        user = db.session.get(User, a)  # as deleting the account does (webapp.auth.routes.delete_account)
        delete_answers(db.session.scalars(select(Answer).where(Answer.user_id == a)).all(), also=[user])
        assert db.session.scalar(select(Contributor).where(Contributor.user_id == a)) is None
    assert [(r.sign, r.value) for r in waiting(app)] == [(-1, 10.0), (-1, 20.0)]
    stand_in = {r.user_id for r in waiting(app)}  # what waits no longer names the deleted account
    assert len(stand_in) == 1 and stand_in.pop() < 0
    assert shown(app)["q:1"] == (7, 40.0)  # still counted: one removal must not show
    for uid in (b, c, d, e):
        answer(app, uid, 100)
    assert shown(app)["q:1"] == (7, 40.0)  # six waiting, but only four without the two removals of a
    answer(app, g, 100)  # the batch completes and is applied (no crash on the deleted account)
    with app.app_context():
        agg = db.session.scalar(select(Aggregate).filter_by(scope="q:1", family="gaze", label="facing_share"))
        assert (agg.count, agg.total, agg.people) == (10, 280 - 30 + 500, 6)  # a left, g came
    assert waiting(app) == []


def test_own_results_are_left_out_once_counted_and_until_their_removal_counts(batched):
    app = batched
    a, b, c, d, e, f = users(app, "abcdef")
    viewer = add_user(app, "viewer@example.com")
    for uid, v in ((a, 10), (b, 20), (c, 30), (d, 40), (e, 50), (f, 60)):
        answer(app, uid, v)
    mine = answer(app, viewer, 100)  # waiting: not in the totals, so nothing of it is subtracted
    assert shown(app, viewer, own=[mine])["q:1"] == (6, 35.0)
    for uid in (a, b, c, d, e):
        answer(app, uid, 0)  # now it is counted with five others, and taken out again for its owner
    assert shown(app)["q:1"] == (12, 310 / 12)
    assert shown(app, viewer, own=[mine])["q:1"] == (11, 210 / 11)
    with app.app_context():
        delete_answers([db.session.get(Answer, mine)])
    # its removal waits for a batch: it is still in the totals, and still not shown to its owner as
    # another candidate's result
    assert shown(app)["q:1"] == (12, 310 / 12)
    assert shown(app, viewer)["q:1"] == (11, 210 / 11)


def test_admins_see_every_result_stored_now_and_how_many_candidates_do_not_yet(batched, client, auth, make_admin):
    """An admin review: the admin pages showed the batched totals, so a question's average rested on results of
    deleted answers and left out new ones ("n=6" beside 3 answers), which a small site may keep for long. Admins, who
    can read every score, see the results stored now (the waiting changes added: the series, the summary, the
    labels, the histogram, the aggregates export), and are told that candidates' pages do not count some yet."""
    import csv
    import io
    app = batched
    a, b, c, d = users(app, "abcd")
    counted = [answer(app, uid, v) for uid, v in ((a, 10), (b, 20), (c, 30), (d, 40), (a, 50), (b, 60), (c, 70))]
    with app.app_context():
        assert stats.comparison("q:1", "video", "gaze")["facing_share"]["count"] == 7  # one batch counted
    for uid, v in ((a, 85), (b, 95)):   # new, waiting
        answer(app, uid, v)
    with app.app_context():             # two counted ones deleted: their removals wait
        from webapp.answers import delete_answers
        delete_answers([db.session.get(Answer, i) for i in counted[:2]])
        assert stats.comparison("q:1", "video", "gaze")["facing_share"]["count"] == 7  # candidates' totals: unmoved
    live = [30, 40, 50, 60, 70, 85, 95]
    # a candidate's pages keep the batched figures (what a change of one answer could otherwise give away)
    assert shown(app, viewer=d)["q:1"] == (7, pytest.approx((10 + 20 + 30 + 40 + 50 + 60 + 70) / 7))
    email, password = make_admin()
    auth.login(email, password)
    page = " ".join(client.get("/admin/analytics?modality=video&family=gaze&question=1").get_data(as_text=True).split())
    summary = page[page.index('id="summary"'):page.index("</table>", page.index('id="summary"'))]
    row = summary[summary.index('<tr data-label="facing_share">'):]
    assert f'data-label="Results">{len(live)}</td><td class="mean" data-label="Mean">{sum(live) / len(live):.1f}</td>' \
        in row[:row.index("</tr>")]
    assert "7 results in 100 bins" in page
    assert 'id="waiting-note">Up to 4 new or removed results of this period per score are not in the averages candidates see yet' in page
    assert "at least 5 results of a score from at least 3 candidates" in page
    assert '<option value="gaze" selected>Head position and movement</option>' in page  # the gaze family is there
    rows = list(csv.reader(io.StringIO(client.get("/admin/export/aggregates.csv?modality=video&question=1")
                                       .get_data(as_text=True))))
    facing = [r for r in rows[1:] if r[3] == "facing_share"]
    assert [(int(r[5]), float(r[6])) for r in facing] == [(len(live), pytest.approx(sum(live) / len(live)))]
    # a period without any result is empty, and nothing of it waits
    page = " ".join(client.get("/admin/analytics?modality=video&family=gaze&question=1&start=2020-01-01&end=2020-01-31")
                    .get_data(as_text=True).split())
    assert 'id="waiting-note"' not in page
    assert "No analysed answers match these filters yet" in page


def test_the_analytics_summary_lists_every_big_five_trait(client, auth, make_admin, app):
    """Two traits counted, three not (too short for them): the summary lists all five, the others
    with 0 results and a dash, instead of leaving them out as if the model gave no such trait."""
    a, = users(app, "a")
    with app.app_context():
        ans = Answer(user_id=a, question_id=1, modality="text", status="done", progress=100, result={})
        store_analysed(ans, [("big5", "NEU", 40.0), ("big5", "OPN", 70.0)])
    email, password = make_admin()
    auth.login(email, password)
    page = " ".join(client.get("/admin/analytics").get_data(as_text=True).split())
    summary = page[page.index('id="summary"'):page.index("</table>", page.index('id="summary"'))]
    for code in ("EXT", "AGR", "CON"):
        assert f'<tr data-label="{code}" class="uncounted">' in summary and summary.count(f'data-label="{code}"') == 1
    assert ('<tr data-label="NEU"><th scope="row">Neuroticism</th><td class="count" data-label="Results">1</td>'
            '<td class="mean" data-label="Mean">40</td>') in summary
    assert "A score with 0 results has none in this period (no answer long enough for it, for instance)." in page


def test_a_deletion_and_a_release_of_the_same_score_at_the_same_time(batched):
    """A waiting answer is deleted while another job's result would complete a batch with it: the
    job waits for the deletion (both take the score's lock before touching its waiting changes), so
    the deleted answer is never counted."""
    app = batched
    a, b, c, d, e, f = users(app, "abcdef")
    x = answer(app, a, 10)
    for uid, v in ((b, 20), (c, 30), (d, 40), (e, 50)):
        answer(app, uid, v)
    assert len(waiting(app)) == 5 and shown(app)["q:1"] == (0, None)
    race(app, x, lambda: answer(app, f, 60))
    # five waiting, from five candidates: not a batch, in either scope
    assert shown(app) == {"q:1": (0, None), stats.OVERALL: (0, None)}
    with app.app_context():
        left = db.session.execute(select(PendingResult.scope, PendingResult.value)).all()
    assert sorted(left) == [(s, v) for s in ("all", "q:1") for v in (20.0, 30.0, 40.0, 50.0, 60.0)]


def test_dropping_scores_goes_through_the_batches(batched):
    """stats.drop_scores (flask forget-short-estimates) takes one family of scores out like a deletion:
    a counted one waits for its batch to leave, a waiting one just goes."""
    app = batched
    a, b, c, d, e, f, g = users(app, "abcdefg")
    ids = [answer(app, uid, v) for uid, v in ((a, 10), (b, 20), (c, 30), (d, 40), (e, 50), (f, 60))]
    late = answer(app, g, 90)
    with app.app_context():
        for i in (ids[0], late):
            assert stats.drop_scores(db.session.get(Answer, i), "gaze") == 1
        db.session.commit()
    assert [(r.sign, r.value, r.answer_id) for r in waiting(app)] == [(-1, 10.0, None)]
    assert shown(app)["q:1"] == (6, 35.0)


KRAKEN = "The kraken survey taught me patience: I listened to every fisher before writing a word."


def words(app, scope="q:1"):
    """{word: count} of the counted words of a scope."""
    with app.app_context():
        return dict(db.session.execute(select(WordCount.word, WordCount.count).where(
            WordCount.scope == scope, WordCount.count > 0)).all())


def waiting_words(app, scope="q:1"):
    with app.app_context():
        return [(r.sign, r.user_id, r.answer_id, r.words) for r in db.session.scalars(
            select(PendingResult).where(PendingResult.scope == scope, PendingResult.words.is_not(None))
            .order_by(PendingResult.id))]


def test_a_written_answers_words_wait_for_their_batch(batched):
    app = batched
    a, b, c, d, e, f, g = users(app, "abcdefg")
    for uid in (a, b, c, d, e):
        analysed(app, uid, 1, text=ZEPPELIN)
    assert words(app) == {} and words(app, stats.OVERALL) == {}
    first = analysed(app, f, 1, text=ZEPPELIN)  # the sixth, from a sixth candidate: all six counted at once
    counted = words(app)
    assert counted["zeppelin"] == 6 and words(app, stats.OVERALL) == counted and waiting_words(app) == []
    late = analysed(app, g, 1, text=KRAKEN)
    assert words(app) == counted and "kraken" not in words(app, stats.OVERALL)  # one answer moves no word
    assert [(s, u, n) for s, u, _, n in waiting_words(app)] == [(1, g, {w: 1 for w in words_of(KRAKEN)})]
    with app.app_context():  # its page says its words are not in the lists yet (it said "you included")
        assert stats.words_waiting(late) == {"q:1", stats.OVERALL} and stats.words_waiting(first) == set()
        assert stats.answers_total("q:1") == 7  # the answer counts (admins' figures) are not batched
        delete_answers([db.session.get(Answer, late)])  # a waiting answer's words leave nothing behind
        delete_answers([db.session.get(Answer, first)])  # a counted answer's words leave at once: no text waits
    assert words(app) == {w: n - 1 for w, n in counted.items()} and waiting_words(app) == []
    for uid in (a, b, c, d, e, g):
        analysed(app, uid, 1, text=KRAKEN)
    now = words(app)
    assert now["zeppelin"] == 5 and now["kraken"] == 6 and waiting_words(app) == []
    assert words(app, stats.OVERALL) == now


def words_of(text):
    from webapp.textstats import content_word_counts
    return content_word_counts(text)


def test_a_deleted_accounts_words_leave_at_once(batched):
    """The words of a deleted account's counted answers leave the counts at once: none of its texts' words waits
    in the database for a batch (a privacy review found them kept there, with the account, for as long as the
    batch took: for ever on a rarely answered question)."""
    app = batched
    a, b, c, d, e, f = users(app, "abcdef")
    for uid in (a, b, c, d, e, f):
        analysed(app, uid, 1, text=ZEPPELIN)
    assert words(app)["zeppelin"] == 6
    with app.app_context():
        user = db.session.get(User, a)
        delete_answers(db.session.scalars(select(Answer).where(Answer.user_id == a)).all(), also=[user])
    assert waiting_words(app) == [] and words(app)["zeppelin"] == 5
    counted, per_user = word_people(app)
    assert counted["zeppelin"] == 5 and not [u for _w, u in per_user if u == a or u < 0]


def me_after_six_others(app, auth, text):
    """Six other candidates' answers to question 1 (their words counted), then my answer `text` to it, signed in as
    me (its words wait for their batch): (the others' ids, my answer's id)."""
    others = users(app, [f"o{i}" for i in range(6)])
    for uid in others:
        analysed(app, uid, 1, text=ZEPPELIN)
    auth.register("me@example.com")
    with app.app_context():
        me = db.session.scalar(select(User.id).where(User.email == "me@example.com"))
    return others, analysed(app, me, 1, text=text)


def test_the_answer_page_shows_the_same_words_before_and_after_one_answer(batched, client, auth):
    app = batched
    others, mine = me_after_six_others(app, auth, ZEPPELIN)
    page = client.get(f"/answers/{mine}").get_data(as_text=True)
    before = {where: words_block(page, where) for where in ("question", "overall")}
    assert "zeppelin" in before["question"] and "kraken" not in before["question"]
    # my words wait for their batch: the lists are the others' alone, and say so (they said "you included")
    flat = " ".join(page.split())
    assert "All candidates, this question</h3><p class=\"hint words-waiting\">This answer’s words are not in this " \
           "list yet: they join with the next batch.</p>" in flat
    assert "you included" not in page
    analysed(app, others[0], 1, text=KRAKEN + " " + KRAKEN)  # one other answer: the lists read the same
    page = client.get(f"/answers/{mine}").get_data(as_text=True)
    assert {where: words_block(page, where) for where in ("question", "overall")} == before


def test_each_word_list_says_whether_it_holds_the_answers_words_yet(batched, client, auth):
    """Each scope's words batch completes on its own: once every question's list holds my words and this question's
    does not yet, the headings say so each for its own list (one flag for both said both were waiting)."""
    app = batched
    others, mine = me_after_six_others(app, auth, KRAKEN)
    for uid in others:  # answers to question 2 complete every question's batch, with my words in it
        analysed(app, uid, 2, text=ZEPPELIN)
    with app.app_context():
        assert stats.words_waiting(mine) == {"q:1"}
    flat = " ".join(client.get(f"/answers/{mine}").get_data(as_text=True).split())
    assert 'id="words-question"><h3>All candidates, this question</h3><p class="hint words-waiting">' in flat
    assert 'id="words-overall"><h3>All candidates (you included), all questions</h3>' in flat


def test_a_deletion_and_a_release_of_the_same_words_at_the_same_time(batched):
    """As for a score: a waiting written answer is deleted while another job's answer would complete
    the batch of its words; the job waits for the deletion (both take the scope's words' lock), so
    the deleted answer's words are never counted. The answers have words only (no Big Five, as a short
    answer), so no score's lock orders the two."""
    app = batched
    a, b, c, d, e, f = users(app, "abcdef")
    x = analysed(app, a, 1, text=KRAKEN, scores=[])
    for uid in (b, c, d, e):
        analysed(app, uid, 1, text=ZEPPELIN, scores=[])
    assert len(waiting_words(app)) == 5 and words(app) == {}
    race(app, x, lambda: analysed(app, f, 1, text=ZEPPELIN, scores=[]))
    assert words(app) == {} and words(app, stats.OVERALL) == {}  # five waiting from five: not a batch
    assert sorted(u for _, u, _, _ in waiting_words(app)) == [b, c, d, e, f]


def test_a_word_list_rests_on_the_answers_whose_words_are_counted(batched):
    """Deletions can leave the counted words resting on few answers while new answers wait: the list is
    held back on the counted answers (the WORDS counters), not on all answers stored."""
    app = batched
    a, b, c, d, e, f, g, h, i, j, viewer = users(app, "abcdefghijv")
    ids = {uid: analysed(app, uid, 1, text=ZEPPELIN) for uid in (a, b, c, d, e, f)}  # one batch: counted
    with app.app_context():
        delete_answers([db.session.get(Answer, ids[uid]) for uid in (a, b, c, d, e)])  # their words leave at once
    assert words(app) == {w: 1 for w in words_of(ZEPPELIN)}  # f's
    for uid in (g, h, i, j, viewer):
        analysed(app, uid, 1, text=KRAKEN)  # five wait (not a batch): 6 answers of 5 others are stored
    assert "kraken" not in words(app)
    with app.app_context():
        assert stats.answers_total("q:1") == 6 + 1 - 1  # (the admins' live count: f, g, h, i, j and the viewer's)
        shown = stats.others_words(["q:1", stats.OVERALL], "text", viewer)
    assert shown["q:1"] == {"words": None, "held_back": "answers"}  # two counted answers of others
    assert shown[stats.OVERALL] == {"words": None, "held_back": "answers"}


def test_migration_0008_counts_the_words_already_stored_and_applies_waiting_ones_on_downgrade(app):
    """Upgrading fills the WORDS counters from the answers stored, as stats.record would have; a
    downgrade counts the words still waiting at once, as the older code does."""
    from flask_migrate import downgrade, upgrade

    people = users(app, "abcdef")
    ids = [analysed(app, uid, 1 + k % 2, text=ZEPPELIN if k % 3 else KRAKEN) for k, uid in enumerate(people)]
    analysed(app, people[0], 2, text="the and of")  # no content words: not behind any list
    with app.app_context():
        delete_answers([db.session.get(Answer, ids[1])])

    def snapshot():
        return (sorted(db.session.execute(select(Aggregate.scope, Aggregate.modality, Aggregate.count, Aggregate.people)
                                          .where(Aggregate.family == stats.WORDS[0])).all()),
                sorted(db.session.execute(select(Contributor.scope, Contributor.user_id, Contributor.answers)
                                          .where(Contributor.family == stats.WORDS[0], Contributor.answers > 0)).all()))

    with app.app_context():
        recorded = snapshot()
        assert ("all", "text", 5, 5) in recorded[0] and ("q:2", "text", 2, 2) in recorded[0]
        db.session.remove()
        downgrade(revision="0007")
        upgrade()
        assert snapshot() == recorded
    # with batches, two answers wait; a downgrade counts their words
    app.config.update(AVERAGES_BATCH_RESULTS=5, AVERAGES_BATCH_PEOPLE=3)
    before = words(app)
    for uid in people[:2]:
        analysed(app, uid, 1, text=KRAKEN)
    assert words(app) == before and len(waiting_words(app)) == 2
    with app.app_context():
        db.session.remove()
        downgrade(revision="0007")
        from sqlalchemy import text
        counted = dict(db.session.execute(text("SELECT word, count FROM word_counts WHERE scope = 'q:1' AND count > 0")).all())
        assert counted["kraken"] == before.get("kraken", 0) + 2
        db.session.remove()
        upgrade()


@pytest.mark.parametrize("batch", [(5, 3), (0, 0)])
def test_the_answer_pages_say_that_figures_move_in_batches(whole_essay_text_figures, app, client, auth, batch):
    """The notes under others' averages and word lists say how big a batch is, and say nothing of
    batches when the site counts every answer at once."""
    app.config.update(AVERAGES_BATCH_RESULTS=batch[0], AVERAGES_BATCH_PEOPLE=batch[1])
    auth.register("me@example.com")
    with app.app_context():
        me = db.session.scalar(select(User.id).where(User.email == "me@example.com"))
    mine = analysed(app, me, 1, text=ZEPPELIN)
    page = " ".join(client.get(f"/answers/{mine}").get_data(as_text=True).split())
    said = [f"count in batches of at least {batch[0]} from at least {batch[1]} candidates",
            f"answers in batches of at least {batch[0]} from at least {batch[1]} candidates"]
    assert all((s in page) == (batch[0] > 0) for s in said), page


def word_people(app, scope="q:1"):
    """({word: people} of the counted words, {(word, user id): answers}) of a scope; also checks that no
    counter row is left at zero."""
    from webapp.models import WordUser
    with app.app_context():
        assert not db.session.scalar(select(WordCount.id).where(WordCount.count <= 0).limit(1))
        assert not db.session.scalar(select(WordUser.id).where(WordUser.answers <= 0).limit(1))
        return (dict(db.session.execute(select(WordCount.word, WordCount.people).where(WordCount.scope == scope)).all()),
                {(w, u): n for w, u, n in db.session.execute(select(WordUser.word, WordUser.user_id, WordUser.answers)
                                                             .where(WordUser.scope == scope))})


NAMES = " I worked at Globexcorp with Rutherford Hayes." * 10


def test_a_word_that_too_few_other_candidates_wrote_is_not_listed(client, auth, app):
    """One candidate who repeats a name, an employer or a place fills no list that others see: a word is
    listed only once at least three candidates other than the viewer wrote it (found by a privacy review:
    "globexcorp ×52" in another candidate's list)."""
    auth.register("bob@example.com")
    with app.app_context():
        bob = db.session.scalar(select(User.id).where(User.email == "bob@example.com"))
    mine = analysed(app, bob, 1, text=ZEPPELIN)
    alice, carol, dave, erin = users(app, ["alice", "carol", "dave", "erin"])
    for _ in range(3):
        analysed(app, alice, 1, text=ZEPPELIN + NAMES)
    for uid in (carol, dave):
        analysed(app, uid, 1, text=ZEPPELIN)

    def listed(where="question"):
        return words_block(client.get(f"/answers/{mine}").get_data(as_text=True), where)

    for where in ("question", "overall"):
        block = listed(where)
        assert "zeppelin" in block and "globexcorp" not in block and "rutherford" not in block
    # Bob writes the name too, and so does Erin: three candidates, but only two besides Bob
    analysed(app, bob, 1, text="Rutherford " + ZEPPELIN)
    analysed(app, erin, 1, text="Rutherford " + ZEPPELIN)
    people, per_user = word_people(app)
    assert people["rutherford"] == 3 and people["globexcorp"] == 1 and per_user[("globexcorp", alice)] == 3
    assert "rutherford" not in listed()
    analysed(app, carol, 1, text="Rutherford " + KRAKEN)    # a third other candidate
    assert "rutherford" in listed() and "globexcorp" not in listed()
    # deleting answers takes their candidates out of the word's people, and counts of 0 leave no row
    with app.app_context():
        delete_answers(db.session.scalars(select(Answer).where(Answer.user_id == alice)).all())
    people, per_user = word_people(app)
    assert "globexcorp" not in people and people["rutherford"] == 3 and ("rutherford", alice) not in per_user


def test_a_words_people_move_with_its_batch(batched):
    """With batches, a candidate's words count towards a word's people when their batch is applied."""
    app = batched
    people_ids = users(app, "abcdef")
    for uid in people_ids[:5]:
        analysed(app, uid, 1, text=ZEPPELIN)
    assert word_people(app) == ({}, {})                                 # five answers from five: not a batch
    analysed(app, people_ids[5], 1, text=ZEPPELIN)
    counted, per_user = word_people(app)
    assert counted["zeppelin"] == 6 and {u for (w, u) in per_user if w == "zeppelin"} == set(people_ids)


def test_migration_0009_counts_who_wrote_each_word(batched):
    """Upgrading fills word_users and word_counts.people from what is counted (answers whose words wait for
    their batch left out), and applies at once the removals of deleted answers' words that the code before it
    left waiting, as their batch would have (a deleted text's words no longer wait in the database)."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from webapp.textstats import content_word_counts

    app = batched
    people_ids = users(app, "abcdef")
    ids = [analysed(app, uid, 1, text=ZEPPELIN if k % 2 else KRAKEN) for k, uid in enumerate(people_ids)]
    with app.app_context():
        delete_answers([db.session.get(Answer, ids[1])])
    analysed(app, people_ids[0], 1, text=ZEPPELIN + " Globexcorp")      # waits
    assert waiting_words(app)

    def words_counters():
        return sorted(db.session.execute(select(Aggregate.scope, Aggregate.count, Aggregate.people)
                                         .where(Aggregate.family == stats.WORDS[0])).all())

    with app.app_context():
        recorded, counters = word_people(app), words_counters()
        assert recorded[0]["zeppelin"] == 2 and recorded[0]["kraken"] == 3 and "globexcorp" not in recorded[0]
        db.session.remove()
        downgrade(revision="0008")
        # as the code before this revision deleted c's counted KRAKEN answer: its words' removal waits
        gone = ids[2]
        db.session.execute(text("DELETE FROM scores WHERE answer_id = :a"), {"a": gone})
        db.session.execute(text("DELETE FROM answers WHERE id = :a"), {"a": gone})
        for scope in ("q:1", "all"):
            db.session.execute(text("INSERT INTO pending_results (scope, modality, family, label, day, value, sign, "
                                    "user_id, words) VALUES (:s, 'text', 'words', '', '2026-12-01', 0, -1, :u, :w)"),
                               {"s": scope, "u": people_ids[2], "w": json.dumps(content_word_counts(KRAKEN))})
        db.session.commit()
        db.session.remove()
        upgrade()
        counted, per_user = word_people(app)
        kraken = content_word_counts(KRAKEN)
        assert counted == {w: p - (w in kraken) for w, p in recorded[0].items()} and counted["kraken"] == 2
        assert words(app)["kraken"] == 2
        assert not [k for k in per_user if k[1] == people_ids[2]]
        assert per_user == {k: n for k, n in recorded[1].items() if k[1] != people_ids[2]}
        assert words_counters() == [(s, n - 1, p - 1) for s, n, p in counters]   # c's only answer with words
        assert db.session.scalar(text("SELECT COUNT(*) FROM pending_results WHERE sign = -1 AND words IS NOT NULL")) == 0


def test_the_admin_overview_shows_every_big_five_result_stored_now(batched, client, auth, make_admin):
    """Three written answers analysed, none counted for candidates yet: the overview shows their averages (it showed
    "–", then the batched totals, which an admin review found resting on deleted answers), and says that candidates'
    pages do not count them yet."""
    app = batched
    a, b = users(app, "ab")
    with app.app_context():
        for uid, question_id, v in ((a, 1, 60.0), (b, 1, 70.0), (a, 2, 80.0)):
            ans = Answer(user_id=uid, question_id=question_id, modality="text", status="done", progress=100, result={})
            store_analysed(ans, [("big5", code, v) for code in ("EXT", "NEU", "AGR", "CON", "OPN")])
    email, password = make_admin()
    auth.login(email, password)
    page = " ".join(client.get("/admin/").get_data(as_text=True).split())
    assert "no written answer of at least" not in page
    assert "These figures rest on every result stored now." in page
    assert "one moves only once at least 5 results from at least 3 candidates have come in or gone" in page
    # as stats.batch_ready counts (an admin saw 5 results from 5 candidates wait and read the rule as broken)
    assert "have come in or gone, not counting the candidate with the most of them" in page
    assert ('id="waiting-note">Up to 3 new or removed results per trait are not in the averages candidates see yet: '
            'those move in batches (see “How these figures are counted”)') in page
    assert "The number is the most of any one question, or of all questions together" in page
    row1 = page[page.index('<tr data-question="1">'):]
    assert ">65<br>" in row1[:row1.index("</tr>")] and "data-waiting" not in page
    row2 = page[page.index('<tr data-question="2">'):]
    assert ">80<br>" in row2[:row2.index("</tr>")]


RUSSIAN = "Наша команда работала над трудным проектом, и команда справилась вовремя."
CURLY = "I haven’t sent my résumé yet: my résumé is ready, and I won’t wait for the café to open."


def test_recount_words_reads_older_answers_as_words_are_read_now(batched, monkeypatch):
    """`flask recount-words` after the change of how words are read (accents and curly apostrophes inside a word):
    the lists counted the old way ("haven", "sum") and a waiting answer's words are counted again the new way, so
    the lists hold today's words and deleting every answer leaves no word behind (fails without the command)."""
    import re
    from collections import Counter
    from webapp import textstats

    def old_way(text):  # how content words were read before (ASCII letters, straight apostrophe only)
        return Counter(w for w in re.findall(r"[a-z]+(?:'[a-z]+)?", (text or "").lower())
                       if w not in textstats.STOP_WORDS and 2 <= len(w) <= 40)
    app = batched
    uids = users(app, "abcdefgh")
    with monkeypatch.context() as m:
        m.setattr(stats, "content_word_counts", old_way)
        ids = [analysed(app, uid, 1, text=CURLY) for uid in uids[:7]]  # six counted, the seventh waiting
        # a Russian answer had no word the old way: no change of the word lists at all, waiting or counted
        ids.append(analysed(app, uids[7], 1, text=RUSSIAN))
    assert words(app)["haven"] == 6 and words(app)["sum"] == 12 and "résumé" not in words(app)
    assert waiting_words(app)[0][3]["haven"] == 1 and len(waiting_words(app)) == 1

    def lists_rest_on(scope="q:1"):  # (answers, people) behind a scope's lists, and each candidate's answers
        from webapp.models import Contributor
        with app.app_context():
            row = db.session.scalar(select(Aggregate).filter_by(scope=scope, modality="text", family="words", label=""))
            per = dict(db.session.execute(select(Contributor.user_id, Contributor.answers).filter_by(
                scope=scope, modality="text", family="words", label="")).all())
            return (row.count, row.people) if row else (0, 0), {u: n for u, n in per.items() if n}
    assert lists_rest_on() == ((6, 6), {u: 1 for u in uids[:6]})
    with app.app_context():  # a length counted before marks stayed in their word (a Hindi answer's 16 for 7)
        db.session.get(Answer, ids[7]).word_count = 99
        db.session.commit()
    out = app.test_cli_runner().invoke(args=["recount-words"])
    assert out.exit_code == 0 and "Counted the words of 8 answers again" in out.output, out.output
    # and each written answer's length, as pages count it now (these were stored as pieces between spaces)
    from webapp.textstats import word_count
    with app.app_context():
        lengths = {a.id: (a.word_count, word_count(a.text)) for a in db.session.scalars(select(Answer))}
    assert all(stored == now for stored, now in lengths.values()), lengths
    assert "; 1 length of written answers corrected." in out.output, out.output
    new, russian = words_of(CURLY), words_of(RUSSIAN)
    assert new["résumé"] == 2 and "haven" not in new and "sum" not in new and russian["команда"] == 2
    assert words(app) == {**{w: 6 * n for w, n in new.items()}, **russian} == words(app, stats.OVERALL)
    people, per_user = word_people(app)
    assert people == {**{w: 6 for w in new}, **{w: 1 for w in russian}}
    assert per_user == {**{(w, u): 1 for w in new for u in uids[:6]}, **{(w, uids[7]): 1 for w in russian}}
    assert [n for *_, n in waiting_words(app)] == [dict(new)]
    # the Russian answer is counted now: the lists rest on it and on its candidate
    assert lists_rest_on() == lists_rest_on(stats.OVERALL) == ((7, 7), {u: 1 for u in uids[:6] + [uids[7]]})
    with app.app_context():
        delete_answers([db.session.get(Answer, i) for i in ids])
    assert words(app) == {} and words(app, stats.OVERALL) == {} and waiting_words(app) == []
    assert word_people(app) == ({}, {}) and lists_rest_on() == ((0, 0), {})  # nothing left below zero either


def test_deleting_says_when_the_scores_leave_the_averages(batched, client, auth):
    """The messages after a deletion say what became of its scores in others' averages: a counted result leaves with
    the next batch, which can take long, and only the numbers wait; one still waiting to be counted is simply gone
    (the privacy review found "all your data were deleted" while scores waited; the diff review, the batch sentence
    where nothing waited)."""
    from tests.conftest import csrf_token

    app = batched
    others = users(app, [f"o{i}" for i in range(6)])
    auth.register("me@example.com", "correct horse")
    with app.app_context():
        me = db.session.scalar(select(User.id).where(User.email == "me@example.com"))

    def written(uid, v, question_id=1):
        return analysed(app, uid, question_id, scores=[("big5", code, float(v)) for code in TRAIT_NAMES])

    fresh = written(me, 50, question_id=2)  # alone on its question: waits for a batch that never comes
    resp = client.post(f"/answers/{fresh}/delete", data={"csrf_token": csrf_token(client, f"/answers/{fresh}")})
    page = " ".join(client.get(resp.headers["Location"]).get_data(as_text=True).split())
    assert "The answer was deleted. Its scores are out of the averages." in page and "next batch" not in page
    counted = written(me, 10)
    for uid, v in zip(others, (60, 70, 80, 90, 100, 80)):
        written(uid, v)  # seven results from seven candidates: the batch is counted, mine in it
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PendingResult).where(
            PendingResult.answer_id == counted)) == 0
    resp = client.post(f"/answers/{counted}/delete", data={"csrf_token": csrf_token(client, f"/answers/{counted}")})
    page = " ".join(client.get(resp.headers["Location"]).get_data(as_text=True).split())
    assert ("The answer was deleted. Its scores leave the averages that other candidates see with the next batch of "
            "changes (so that no one can read a score from a single change). Where few others answer, that can take "
            "a long time; until then only the numbers wait, with no text, words or files.") in page
    written(me, 20)
    for uid, v in zip(others, (10, 20, 30, 40, 50, 60)):
        written(uid, v)
    resp = client.post("/account/delete", data={"csrf_token": csrf_token(client, "/account"),
                                                "account-password": "correct horse"})
    page = " ".join(client.get(resp.headers["Location"]).get_data(as_text=True).split())
    assert ("Your account and all your answers, files and mock interviews were deleted. Your scores leave the "
            "averages") in page and "with no text, words or files and no link to you." in page


def test_create_admin_promote_says_when_the_scores_wait_for_their_batch(batched):
    """`flask create-admin --promote` said the answers "left the averages" while their removal waited for its batch;
    it now says so as the users page does (the same sentence as after a deletion)."""
    app = batched
    me, *others = users(app, ["me"] + [f"o{i}" for i in range(6)])
    for uid, v in zip([me, *others], (10, 60, 70, 80, 90, 100, 80)):  # seven results from seven candidates: counted
        analysed(app, uid, 1, scores=[("big5", code, float(v)) for code in TRAIT_NAMES])

    def promote(email):
        result = app.test_cli_runner().invoke(args=["create-admin", email, "--password", "a long admin password",
                                                    "--promote"])
        assert result.exit_code == 0, result.output
        return " ".join(result.output.split())

    said = promote("me@example.com")
    assert ("Its 1 analysed answer was in the averages candidates are compared with (admins' answers are not in "
            "them). Their scores leave the averages that other candidates see with the next batch of changes") in said
    assert "left the averages" not in said
    with app.app_context():  # (each trait, on its question and overall)
        assert db.session.scalar(select(func.count()).select_from(PendingResult).where(
            PendingResult.user_id == me, PendingResult.sign == -1)) == 2 * len(TRAIT_NAMES)
    # where nothing waits (averages that move at once), it says they left: test_admin_answers.py


def written_hedges_shown(app, viewer=None, own=()):
    """As shown(), for written answers' hedges per 100 words on question 1."""
    with app.app_context():
        mine = [db.session.get(Answer, i) for i in own]
        exclude = stats.own_contribution(mine, [1], viewer, "text") if viewer is not None else None
        table = stats.compare(["q:1"], "text", {"writing": {"hedges_per_100_words": 1.0}}, exclude=exclude,
                              viewer_id=viewer)
        row = table.get("q:1", {}).get("writing", {}).get("hedges_per_100_words")
        return (0, None) if row is None else (row["count"], round(row["mean"], 6))


def test_counting_older_written_answers_hedges_goes_through_the_batches(batched):
    """`flask count-written-hedges` (an upgrade step): written answers analysed before their hedges were counted get
    them, in their result and as a score added like a new answer's, through the batches (three older answers alone
    move no average); one not in English, one too short and an admin's add nothing to the averages; run again, it
    does nothing, and deleting such an answer takes out exactly what it added."""
    app = batched
    a, b, c, d, e, f, g = users(app, "abcdefg")
    with app.app_context():
        db.session.get(User, g).role = "admin"
        db.session.commit()

    def older(uid, hedges, words=40, **result):
        """A written answer analysed before hedges were counted: no hedges in its result, no score."""
        text = " ".join(["maybe"] * hedges + ["word"] * (words - hedges))
        with app.app_context():
            return store_analysed(Answer(user_id=uid, question_id=1, modality="text", status="done", progress=100,
                                         text=text, word_count=words, result={"short": True, **result}), [])

    ids = [older(a, 1), older(b, 2), older(c, 4), older(g, 3)]
    foreign, short = older(a, 0, not_english=True), older(b, 1, words=10)
    run = app.test_cli_runner().invoke
    out = run(args=["count-written-hedges"])
    assert out.exit_code == 0, out.output
    assert "Counted the hedges of 5 written answers: 4 rates per 100 words stored, 3 of them added" in out.output
    with app.app_context():
        assert [db.session.get(Answer, i).score_map("writing") for i in ids] == [
            {"hedges_per_100_words": v} for v in (2.5, 5.0, 10.0, 7.5)]
        assert db.session.get(Answer, ids[1]).result == {"short": True, "hedges": ["maybe", "maybe"],
                                                         "hedges_per_100_words": 5.0}
        assert db.session.get(Answer, short).result["hedges_per_100_words"] is None
        assert db.session.get(Answer, short).score_map("writing") == {}
        assert "hedges" not in db.session.get(Answer, foreign).result
        pending = db.session.scalars(select(PendingResult).where(PendingResult.family == "writing",
                                                                 PendingResult.scope == "q:1")).all()
        assert sorted((p.value, p.sign, p.answer_id) for p in pending) == [(2.5, 1, ids[0]), (5.0, 1, ids[1]),
                                                                          (10.0, 1, ids[2])]
    assert written_hedges_shown(app) == (0, None)  # three results of three candidates: no batch yet
    again = run(args=["count-written-hedges"])
    assert "Counted the hedges of 0 written answers: 0 rates" in again.output
    # new answers, analysed with their hedges, complete the batch: every waiting result counts at once
    for uid in (d, e, f):
        with app.app_context():
            store_analysed(Answer(user_id=uid, question_id=1, modality="text", status="done", progress=100,
                                  text="word " * 40, word_count=40, result={"hedges_per_100_words": 0.0}),
                           [("writing", "hedges_per_100_words", 0.0)])
    assert written_hedges_shown(app) == (6, round(17.5 / 6, 6))
    assert written_hedges_shown(app, viewer=c, own=[ids[2]]) == (5, 1.5)  # their own answer left out
    with app.app_context():
        delete_answers([db.session.get(Answer, ids[2])])  # its removal waits for a batch, with its value
        assert [(p.sign, p.value) for p in db.session.scalars(select(PendingResult).where(
            PendingResult.family == "writing", PendingResult.scope == "q:1"))] == [(-1, 10.0)]


def test_counting_older_written_hedges_reads_the_language_itself(batched):
    """`flask count-written-hedges` run alone (before forget-short-estimates has marked older non-English answers)
    gives a written answer that does not read as English no hedge rate, as a new answer gets none; an English one of
    the same length gets its rate."""
    app = batched
    a, b = users(app, "ab")
    with app.app_context():
        german = store_analysed(Answer(user_id=a, question_id=1, modality="text", status="done", progress=100,
                                       text=("Ich habe das Projekt geleitet und vielleicht war das der Grund, warum wir "
                                             "rechtzeitig fertig wurden. Wir haben jeden Tag kurz gesprochen und die "
                                             "Aufgaben nach Stärken verteilt, und am Ende war der Kunde zufrieden."),
                                       word_count=35, result={"short": True}), [])
        english = store_analysed(Answer(user_id=b, question_id=1, modality="text", status="done", progress=100,
                                        text=("I think I led the project well, and maybe that is why we finished on "
                                              "time. We spoke briefly every day and split the tasks by strengths, and "
                                              "in the end the client was happy with the result."),
                                        word_count=36, result={"short": True}), [])
    out = app.test_cli_runner().invoke(args=["count-written-hedges"])
    assert out.exit_code == 0, out.output
    with app.app_context():
        assert "hedges_per_100_words" not in db.session.get(Answer, german).result
        assert db.session.get(Answer, german).score_map("writing") == {}
        from ml.text.normalize import word_count
        n = word_count(db.session.get(Answer, english).text)  # 38: as the pages count ("I think", "maybe": 2 hedges)
        assert db.session.get(Answer, english).score_map("writing") == {"hedges_per_100_words": round(200 / n, 2)}
