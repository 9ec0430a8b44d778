"""Admins' own answers are in no stored figure that candidates are compared with (webapp.stats.COUNTED_ROLE): not
the averages, the word lists or admins' daily figures. Each answer says whether it went in (Answer.in_averages) and
whether it was given by an admin (Answer.given_as_admin); making a candidate an admin takes their answers out, and
making the admin a candidate again puts back those they gave as a candidate (never those they gave as an admin).

Exactness is checked against a recount from scratch: every stored counter row (aggregates, histogram bins, daily
rows, answer counts, the per-candidate rows, word counts) must equal what the analysed answers marked in the
averages add up to, with nothing left waiting (the tests' averages move at once, except where batched)."""
from collections import Counter, defaultdict

import pytest
from sqlalchemy import func, select

from tests.conftest import Auth, csrf_token
from tests.helpers import add_user, store_analysed
from webapp import stats
from webapp.answers import delete_account_and_data, delete_answers, set_role
from webapp.config import Config
from webapp.extensions import db
from webapp.models import (Aggregate, AggregateBin, AggregateDay, Answer, AnswerDay, Contributor, PendingResult, User,
                           WordCount, WordUser)

pytestmark = pytest.mark.all_databases

# a word nobody else writes, to find an answer's words in the lists
COMMON = "I planned the project carefully with my team and we delivered the booking system on time."


def text_of(uid):
    return f"{COMMON} Zebulon{uid} helped."


def store(app, uid, value, question_id=1, modality="text"):
    """An answer of `uid`, stored as the job worker stores it (Score rows and stats.record in one transaction): a
    written one with words and a Big Five EXT of `value`, or a video one with a facing share of `value`."""
    with app.app_context():
        if modality == "text":
            ans = Answer(user_id=uid, question_id=question_id, modality="text", text=text_of(uid), status="done",
                         progress=100, result={})
            return store_analysed(ans, [("big5", "EXT", float(value))])
        if modality == "audio":  # (a pace, in words per minute)
            ans = Answer(user_id=uid, question_id=question_id, modality="audio", status="done", progress=100,
                         result={})
            return store_analysed(ans, [("speech", "wpm", float(value))])
        ans = Answer(user_id=uid, question_id=question_id, modality="video", status="done", progress=100, result={})
        return store_analysed(ans, [("gaze", "facing_share", float(value))])


def stored(app) -> dict:
    """Every counter row of the stored figures with something in it, by table."""
    with app.app_context():
        key = (Aggregate.scope, Aggregate.modality, Aggregate.family, Aggregate.label)
        out = {
            "aggregate": {tuple(r[:4]): (r[4], round(r[5], 6), round(r[6], 6), r[7]) for r in db.session.execute(
                select(*key, Aggregate.count, Aggregate.total, Aggregate.total_sq, Aggregate.people))
                if r[4] or r[7]},
            "bins": {tuple(r[:5]): r[5] for r in db.session.execute(
                select(*key, AggregateBin.bin, AggregateBin.count).join(
                    AggregateBin, AggregateBin.aggregate_id == Aggregate.id)) if r[5]},
            "days": {tuple(r[:5]): (r[5], round(r[6], 6)) for r in db.session.execute(
                select(AggregateDay.scope, AggregateDay.modality, AggregateDay.family, AggregateDay.label,
                       AggregateDay.day, AggregateDay.count, AggregateDay.total)) if r[5]},
            "contributors": {tuple(r[:5]): r[5] for r in db.session.execute(
                select(Contributor.scope, Contributor.modality, Contributor.family, Contributor.label,
                       Contributor.user_id, Contributor.answers))},
            "answer_days": {tuple(r[:3]): r[3] for r in db.session.execute(
                select(AnswerDay.scope, AnswerDay.modality, AnswerDay.day, AnswerDay.count)) if r[3]},
            "words": {tuple(r[:2]): (r[2], r[3]) for r in db.session.execute(
                select(WordCount.scope, WordCount.word, WordCount.count, WordCount.people))},
            "word_users": {tuple(r[:3]): r[3] for r in db.session.execute(
                select(WordUser.scope, WordUser.word, WordUser.user_id, WordUser.answers))},
        }
        assert db.session.scalar(select(PendingResult.id).limit(1)) is None, "a change still waits"
        return out


def recount(app) -> dict:
    """What the analysed answers marked in the averages add up to, counted from scratch, in the shape of stored()."""
    with app.app_context():
        agg, bins, days, contrib = defaultdict(lambda: [0, 0.0, 0.0]), Counter(), defaultdict(lambda: [0, 0.0]), Counter()
        answer_days, words, word_users, answered = Counter(), Counter(), Counter(), Counter()
        for a in db.session.scalars(select(Answer).where(Answer.status == "done", Answer.in_averages.is_(True))):
            group, day, listed = stats.modality_group(a.modality), stats.answer_day(a), stats._words(a)
            for scope in stats.scopes_for(a):
                answer_days[scope, group, day] += 1
                contrib[(scope, group, *stats.ANSWERS, a.user_id)] += 1
                for s in a.scores:
                    k = (scope, group, s.family, s.label)
                    agg[k][0] += 1
                    agg[k][1] += s.value
                    agg[k][2] += s.value * s.value
                    bins[(*k, stats._bin(s.value, s.family, s.label))] += 1
                    days[(*k, day)][0] += 1
                    days[(*k, day)][1] += s.value
                    contrib[(*k, a.user_id)] += 1
                if listed:
                    answered[(scope, group, *stats.WORDS)] += 1
                    contrib[(scope, group, *stats.WORDS, a.user_id)] += 1
                    for w, n in listed.items():
                        words[scope, w] += n
                        word_users[scope, w, a.user_id] += 1
        people = Counter(k[:4] for k in contrib)
        word_people = Counter(k[:2] for k in word_users)
        aggregate = {k: (c, round(t, 6), round(q, 6), people[k]) for k, (c, t, q) in agg.items()}
        aggregate.update({k: (n, 0.0, 0.0, people[k]) for k, n in answered.items()})
        return {"aggregate": aggregate, "bins": dict(bins),
                "days": {k: (c, round(t, 6)) for k, (c, t) in days.items()}, "contributors": dict(contrib),
                "answer_days": dict(answer_days), "words": {k: (n, word_people[k]) for k, n in words.items()},
                "word_users": dict(word_users)}


def assert_exact(app):
    assert stored(app) == recount(app)


def counted(app, answer_id) -> bool:
    with app.app_context():
        return db.session.get(Answer, answer_id).in_averages


def ext_count(app, scope="q:1") -> int:
    with app.app_context():
        return stats.comparison(scope, "text", "big5").get("EXT", {}).get("count", 0)


def admin_user(app, email="boss@example.com") -> int:
    with app.app_context():
        user = User(email=email, role="admin")
        user.set_password("admin password")
        db.session.add(user)
        db.session.commit()
        return user.id


def test_an_admins_answer_is_in_no_stored_figure(app):
    a, b, c = (add_user(app, f"{n}@example.com") for n in "abc")
    boss = admin_user(app)
    for uid, v in ((a, 10), (b, 20), (c, 30)):
        store(app, uid, v)
    mine = store(app, boss, 90)
    video = store(app, boss, 80, modality="video")
    assert not counted(app, mine) and not counted(app, video)
    assert_exact(app)
    with app.app_context():
        comp = stats.comparison("q:1", "text", "big5")["EXT"]
        assert (comp["count"], comp["mean"]) == (3, pytest.approx(20.0))
        assert stats.comparison("q:1", "video", "gaze") == {}
        assert stats.answers_total() == 3  # admins' daily answer counts leave it out too
        assert stats.range_summary("q:1", "text", "big5", stats.answer_day(db.session.get(Answer, mine)),
                                   stats.answer_day(db.session.get(Answer, mine)), exact=True)["EXT"]["count"] == 3
        assert f"zebulon{boss}" not in {w for (_, w) in stored(app)["words"]}
        assert db.session.scalar(select(Contributor.id).where(Contributor.user_id == boss)) is None
        # a recount of the word lists does not bring the admin's words in
        stats.recount_words()
        db.session.commit()
    assert_exact(app)


def test_an_admin_sees_their_own_answer_beside_every_candidates_results(app):
    """The admin's own figures are unchanged: none of their answer is taken out of what they are compared with
    (it was never in), and every candidate counts as another."""
    a, b, c = (add_user(app, f"{n}@example.com") for n in "abc")
    boss = admin_user(app)
    for uid, v in ((a, 10), (b, 20), (c, 30), (a, 40), (b, 50)):
        store(app, uid, v)
    mine = store(app, boss, 90)
    with app.app_context():
        own = [db.session.get(Answer, mine)]
        exclude = stats.own_contribution(own, [1], boss, "text")
        assert exclude == {stats.OVERALL: [], "q:1": []}
        row = stats.compare(["q:1"], "text", {"big5": {"EXT": 90.0}}, exclude=exclude, viewer_id=boss)["q:1"]["big5"]["EXT"]
        assert (row["count"], row["people"], row["held_back"]) == (5, 3, None)
        assert row["mean"] == pytest.approx(30.0) and row["percentile"] is None  # (under 20 results: not shown)
    # a candidate's own answer is still taken out of what they see
    with app.app_context():
        theirs = db.session.scalars(select(Answer).where(Answer.user_id == a)).all()
        row = stats.compare(["q:1"], "text", {"big5": {"EXT": 50.0}}, exclude=stats.own_contribution(theirs, [1], a, "text"),
                            viewer_id=a)["q:1"]["big5"]["EXT"]
        assert (row["count"], row["people"]) == (3, 2)


def test_promotion_takes_the_answers_out_and_revoking_it_puts_back_those_given_as_a_candidate(app, client, auth,
                                                                                                make_admin):
    a, b, c = (add_user(app, f"{n}@example.com") for n in "abc")
    for uid, v in ((a, 10), (b, 20), (c, 30), (c, 70)):
        store(app, uid, v)
    store(app, c, 60, question_id=2, modality="video")
    assert ext_count(app) == 4
    email, password = make_admin()
    auth.login(email, password)
    token = csrf_token(client, "/admin/users")
    page = client.post(f"/admin/users/{c}/make-admin", data={"csrf_token": token}, follow_redirects=True)
    assert "c@example.com is now an admin. Admins’ answers are not in the averages" in \
        page.get_data(as_text=True).replace("'", "’").replace("&#39;", "’")
    assert ("3 analysed answers of theirs were in them. Their scores are out of the averages. They come back if the "
            "role is revoked.") in page.get_data(as_text=True)
    with app.app_context():
        assert not any(a.in_averages for a in db.session.scalars(select(Answer).where(Answer.user_id == c)))
        assert db.session.scalar(select(Contributor.id).where(Contributor.user_id == c)) is None
    assert ext_count(app) == 2
    assert_exact(app)
    # an answer given as an admin does not count; made a candidate again, the ones given as a candidate come back
    # (a review: they stayed out for good), the admin's own stays out, and new ones count
    as_admin = store(app, c, 95)
    assert not counted(app, as_admin)
    page = client.post(f"/admin/users/{c}/revoke-admin", data={"csrf_token": token}, follow_redirects=True)
    assert ("c@example.com is no longer an admin. 3 analysed answers they gave as a candidate are back in the averages "
            "candidates are compared with. Their scores are in the averages. The 1 analysed answer they gave as an "
            "admin stays out of the averages. The answers they give from now on count.") in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, c).role == "candidate"
    assert ext_count(app) == 4 and not counted(app, as_admin)
    assert_exact(app)
    again = store(app, c, 50)
    assert counted(app, again) and ext_count(app) == 5
    assert_exact(app)
    # deleting answers afterwards takes out exactly what each added: nothing for the one out of the averages, once
    # for one put back
    with app.app_context():
        delete_answers([db.session.get(Answer, as_admin)])
    assert ext_count(app) == 5
    assert_exact(app)
    with app.app_context():
        delete_answers(db.session.scalars(select(Answer).where(Answer.user_id == c, Answer.modality == "text")
                                          .order_by(Answer.id).limit(1)).all())
    assert ext_count(app) == 4
    assert_exact(app)
    with app.app_context():
        delete_account_and_data(db.session.get(User, c))
    assert ext_count(app) == 2
    assert_exact(app)
    with app.app_context():
        comp = stats.comparison("q:1", "text", "big5")["EXT"]
        assert (comp["mean"], comp["count"]) == (pytest.approx(15.0), 2)
        assert db.session.scalar(select(Aggregate.people).filter_by(scope="q:1", family="big5", label="EXT")) == 2


def overview_figures(client) -> dict:
    """What the admin overview and the audio analytics of question 2 show: registered candidates, their analysed
    answers, and question 2's analysed audio answers."""
    import re
    page = client.get("/admin/").get_data(as_text=True)
    audio = client.get("/admin/analytics?question=2&modality=audio&family=speech").get_data(as_text=True)
    figure = {name: int(re.search(rf'id="{name}">(\d+)<', html).group(1))
              for name, html in (("n-candidates", page), ("n-done", page), ("n-answers-total", audio))}
    figure["no audio"] = 'id="no-answers-per-day"' in audio
    return figure


def role_confirm_of(client, uid) -> str:
    """What the users page asks before its role button for the account `uid` is sent."""
    import html
    import re
    page = client.get("/admin/users").get_data(as_text=True)
    row = page[page.index(f'<tr data-user="{uid}">'):]
    row = row[:row.index("</tr>")]
    return html.unescape(re.search(r'data-confirm="([^"]*)">(?:Make|Revoke) admin', row).group(1))


def test_promote_revoke_promote_revoke_with_answers_in_each_phase_keeps_every_figure_exact(app, client, auth,
                                                                                         make_admin):
    """A review: carol (3 analysed answers, among them question 2's only audio answer) made an admin by mistake, then
    the role revoked: her answers stayed out for good; the overview said 3 candidates but 2... answers, the audio
    analytics "No analysed answers". Through two rounds, with answers given in each phase (one sent as a candidate
    and analysed while she is an admin), every stored figure equals a recount of the answers in the averages, the
    confirm dialogs and messages say what moves, and deletions afterwards take out exactly what is in."""
    a, b, c = (add_user(app, f"{n}@example.com") for n in "abc")
    store(app, a, 10)
    store(app, b, 20)
    mine = [store(app, c, 30), store(app, c, 70), store(app, c, 120, question_id=2, modality="audio")]
    with app.app_context():  # sent as a candidate, analysed once she is an admin
        running = Answer(user_id=c, question_id=1, modality="text", text=text_of(c), status="running", result={})
        db.session.add(running)
        db.session.commit()
        running = running.id
    email, password = make_admin()
    auth.login(email, password)
    token = csrf_token(client, "/admin/users")
    assert overview_figures(client) == {"n-candidates": 3, "n-done": 5, "n-answers-total": 1, "no audio": False}
    assert role_confirm_of(client, c) == ("Make admin c@example.com? Their 3 analysed answers leave the averages "
                                          "candidates are compared with while they are an admin, and come back if the "
                                          "role is revoked.")
    assert role_confirm_of(client, a) == ("Make admin a@example.com? Their 1 analysed answer leaves the averages "
                                          "candidates are compared with while they are an admin, and comes back if "
                                          "the role is revoked.")

    # 1. made an admin: her 3 leave; the one being analysed, and one she gives as an admin, stay out
    client.post(f"/admin/users/{c}/make-admin", data={"csrf_token": token})
    store_result(app, running)
    mine.append(running)
    admins = [store(app, c, 95)]
    assert not any(counted(app, i) for i in mine + admins)
    assert_exact(app)
    assert ext_count(app) == 2
    assert overview_figures(client) == {"n-candidates": 2, "n-done": 2, "n-answers-total": 0, "no audio": True}
    assert role_confirm_of(client, c) == ("Revoke admin c@example.com? The 4 analysed answers they gave as a "
                                          "candidate come back into the averages. The 1 analysed answer they gave as "
                                          "an admin stays out of the averages. Answers they give from now on count.")

    # 2. the role revoked: the 4 given as a candidate come back (the audio one too); hers as an admin stays out
    page = client.post(f"/admin/users/{c}/revoke-admin", data={"csrf_token": token}, follow_redirects=True)
    assert "4 analysed answers they gave as a candidate are back in the averages" in page.get_data(as_text=True)
    assert all(counted(app, i) for i in mine) and not counted(app, admins[0])
    assert_exact(app)
    assert ext_count(app) == 5
    assert overview_figures(client) == {"n-candidates": 3, "n-done": 6, "n-answers-total": 1, "no audio": False}
    mine.append(store(app, c, 50))  # given as a candidate: counts at once
    assert counted(app, mine[-1]) and ext_count(app) == 6
    assert_exact(app)

    # 3. made an admin again: the 5 leave, and one more given as an admin stays out
    assert role_confirm_of(client, c).startswith("Make admin c@example.com? Their 5 analysed answers leave")
    page = client.post(f"/admin/users/{c}/make-admin", data={"csrf_token": token}, follow_redirects=True)
    assert "5 analysed answers of theirs were in them." in page.get_data(as_text=True)
    admins.append(store(app, c, 85, question_id=2, modality="audio"))
    assert not any(counted(app, i) for i in mine + admins)
    assert_exact(app)
    assert overview_figures(client) == {"n-candidates": 2, "n-done": 2, "n-answers-total": 0, "no audio": True}

    # 4. revoked again: the 5 come back, the 2 given as an admin stay out
    page = client.post(f"/admin/users/{c}/revoke-admin", data={"csrf_token": token}, follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "5 analysed answers they gave as a candidate are back in the averages" in text
    assert "The 2 analysed answers they gave as an admin stay out of the averages." in text
    assert all(counted(app, i) for i in mine) and not any(counted(app, i) for i in admins)
    assert_exact(app)
    assert ext_count(app) == 6
    assert overview_figures(client) == {"n-candidates": 3, "n-done": 7, "n-answers-total": 1, "no audio": False}
    with app.app_context():
        assert stats.comparison("q:2", "audio", "speech")["wpm"]["count"] == 1
        comp = stats.comparison("q:1", "text", "big5")["EXT"]
        assert comp["count"] == 6 and comp["mean"] == pytest.approx((10 + 20 + 30 + 70 + 99 + 50) / 6)
    scores_csv = client.get("/admin/export/scores.csv?modality=audio").get_data(as_text=True)
    assert scores_csv.count(",audio,speech,wpm,") == 1  # hers, given as a candidate; not the admin's own

    # deletions afterwards: an answer put back twice leaves once; an admin's own takes nothing out
    with app.app_context():
        delete_answers([db.session.get(Answer, mine[0]), db.session.get(Answer, admins[1])])
    assert_exact(app)
    assert ext_count(app) == 5
    assert overview_figures(client)["n-done"] == 6
    with app.app_context():
        delete_account_and_data(db.session.get(User, c))
    assert_exact(app)
    assert ext_count(app) == 2
    assert overview_figures(client) == {"n-candidates": 2, "n-done": 2, "n-answers-total": 0, "no audio": True}


def test_an_admins_own_answer_stays_out_whenever_it_is_analysed(app):
    """An answer sent while its author is an admin is theirs as an admin (Answer.given_as_admin, read as it is sent):
    analysed after the role was revoked, it does not count, and it is not put back by a later revocation."""
    a = add_user(app, "a@example.com")
    store(app, a, 10)
    boss = admin_user(app)
    with app.app_context():
        sent = Answer(user_id=boss, question_id=1, modality="text", text=text_of(boss), status="running", result={})
        db.session.add(sent)
        db.session.commit()
        sent = sent.id
        assert db.session.get(Answer, sent).given_as_admin
        assert set_role(db.session.get(User, boss), "candidate") == 0
        db.session.commit()
    store_result(app, sent)
    assert not counted(app, sent)
    with app.app_context():
        assert set_role(db.session.get(User, boss), "admin") == 0
        db.session.commit()
        assert set_role(db.session.get(User, boss), "candidate") == 0
        db.session.commit()
    assert not counted(app, sent) and ext_count(app) == 1
    assert_exact(app)


def test_an_admins_account_deleted_after_a_promotion_takes_nothing_out_twice(app):
    a, b = (add_user(app, f"{n}@example.com") for n in "ab")
    for uid, v in ((a, 10), (b, 20), (b, 40)):
        store(app, uid, v)
    with app.app_context():
        assert set_role(db.session.get(User, b), "admin") == 2
        db.session.commit()
        assert set_role(db.session.get(User, b), "admin") == 0  # nothing left to take out
        db.session.commit()
    assert_exact(app)
    with app.app_context():  # as an admin deleting their own account (the account page) does
        delete_account_and_data(db.session.get(User, b))
    assert_exact(app)
    assert ext_count(app) == 1


@pytest.fixture
def batched(app):
    app.config.update(AVERAGES_BATCH_RESULTS=Config.AVERAGES_BATCH_RESULTS,
                      AVERAGES_BATCH_PEOPLE=Config.AVERAGES_BATCH_PEOPLE)
    return app


def test_a_promotion_goes_through_the_batches_and_ends_exact(batched):
    """With the default batches: a new admin's counted results leave with the next batch (a removal waits, as a
    deletion's does), their waiting ones just go; a deletion of their answers afterwards adds no removal."""
    app = batched
    a, b, c, d, e, f, g = (add_user(app, f"{n}@example.com") for n in "abcdefg")
    for uid, v in ((a, 10), (b, 20), (c, 30), (d, 40), (e, 50), (f, 60)):
        store(app, uid, v, modality="video")
    late = store(app, f, 90, modality="video")  # waiting for its batch
    with app.app_context():
        assert stats.comparison("q:1", "video", "gaze")["facing_share"]["count"] == 6
        assert set_role(db.session.get(User, f), "admin") == 2
        db.session.commit()
        waiting = db.session.execute(select(PendingResult.sign, PendingResult.value).where(
            PendingResult.scope == "q:1")).all()
        assert waiting == [(-1, 60.0)]  # the counted one waits to leave; the waiting one is gone
        removals = select(func.count()).select_from(PendingResult).where(PendingResult.sign == -1)
        before = db.session.scalar(removals)
        done = delete_answers(db.session.scalars(select(Answer).where(Answer.id == late)).all())
        assert db.session.scalar(removals) == before and done.waiting == 0  # never counted: nothing to take out
    for uid in (a, b, c, d, e):  # the next batch applies the removal
        store(app, uid, 100, modality="video")
    with app.app_context():
        comp = stats.comparison("q:1", "video", "gaze")["facing_share"]
        assert (comp["count"], comp["mean"]) == (10, pytest.approx((150 + 500) / 10))
    assert_exact(app)
    with app.app_context():
        delete_account_and_data(db.session.get(User, f))
    assert_exact(app)


def old_admin(app, uid):
    """Make `uid` an admin the way an instance of before this rule did: the role alone, its answers left counted."""
    with app.app_context():
        db.session.get(User, uid).role = "admin"
        db.session.commit()


def test_forget_admin_answers_takes_out_what_admins_added_before_and_runs_again_safely(app):
    a, b, c = (add_user(app, f"{n}@example.com") for n in "abc")
    for uid, v in ((a, 10), (b, 20), (c, 80), (c, 90)):
        store(app, uid, v)
    store(app, c, 60, question_id=2, modality="video")
    old_admin(app, c)
    assert ext_count(app) == 4  # still counted, as before the rule
    assert_exact(app)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["forget-admin-answers"])
    assert result.exit_code == 0, result.output
    assert "Took 3 analysed answers of 1 admin out of the averages." in result.output
    assert ext_count(app) == 2
    assert_exact(app)
    with app.app_context():
        assert db.session.scalar(select(Contributor.id).where(Contributor.user_id == c)) is None
        assert stats.answers_total() == 2
    after = stored(app)
    again = runner.invoke(args=["forget-admin-answers"])
    assert again.exit_code == 0 and "Took 0 analysed answers of 1 admin" in again.output
    assert stored(app) == after
    # and a deletion afterwards takes nothing out
    with app.app_context():
        delete_answers(db.session.scalars(select(Answer).where(Answer.user_id == c)).all())
    assert stored(app) == after


def test_create_admin_promote_takes_the_accounts_answers_out(app):
    a, b = (add_user(app, f"{n}@example.com") for n in "ab")
    for uid, v in ((a, 10), (b, 20)):
        store(app, uid, v)
    result = app.test_cli_runner().invoke(args=["create-admin", "b@example.com", "--password", "a long admin password",
                                                "--promote"])
    assert result.exit_code == 0, result.output
    assert "Its 1 analysed answer left the averages" in result.output
    assert ext_count(app) == 1
    assert_exact(app)


def test_an_admins_deleted_answer_says_nothing_about_leaving_the_averages(app, client, make_admin):
    email, password = make_admin()
    Auth(client).login(email, password)
    with app.app_context():
        boss = db.session.scalar(select(User.id).where(User.email == email))
    mine = store(app, boss, 50)
    token = csrf_token(client, f"/answers/{mine}")
    page = client.post(f"/answers/{mine}/delete", data={"csrf_token": token}, follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "The answer was deleted." in text and "out of the averages" not in text and "leave the averages" not in text


@pytest.mark.parametrize("promoted_meanwhile", [False, True])
def test_the_deletion_message_says_what_the_deletion_took_out(app, client, auth, monkeypatch, promoted_meanwhile):
    """The delete routes read Answer.in_averages before delete_answers locked the answer: a promotion committed in
    between (it takes the answers out of the averages) left a message saying the scores were taken out when they were
    no longer in. What was in them is now read under the deletion's lock (answers.Deleted)."""
    from webapp.dashboard import routes

    auth.register("cand@example.com", "correct horse")
    with app.app_context():
        me = db.session.scalar(select(User.id).where(User.email == "cand@example.com"))
    mine = store(app, me, 40)
    token = csrf_token(client, f"/answers/{mine}")
    real = routes.owned_answer

    def then_promoted(*args, **kwargs):
        ans = real(*args, **kwargs)  # read (and, before the fix, its in_averages with it)
        if promoted_meanwhile:  # an admin makes the candidate an admin, in another transaction, before the lock
            with app.app_context():
                set_role(db.session.get(User, me), "admin")
                db.session.commit()
        return ans

    monkeypatch.setattr(routes, "owned_answer", then_promoted)
    page = client.post(f"/answers/{mine}/delete", data={"csrf_token": token}, follow_redirects=True)
    text = " ".join(page.get_data(as_text=True).split())
    if promoted_meanwhile:
        assert "The answer was deleted." in text and "averages" not in text
    else:
        assert "The answer was deleted. Its scores are out of the averages." in text
    assert ext_count(app) == 0
    assert_exact(app)


def test_migration_0015_counts_every_stored_answer_and_refuses_a_downgrade_that_would_lose_track(tmp_path, db_backend,
                                                                                               capfd):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from tests.conftest import fresh_database_url
    from webapp import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": fresh_database_url(db_backend, tmp_path),
                      "MEDIA_DIR": str(tmp_path / "media")})
    with app.app_context():
        upgrade(revision="0014")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO questions (id, text, category, retired, created_at) "
                              "VALUES (1, 'Q?', 'behavioural', false, CURRENT_TIMESTAMP)"))
            conn.execute(text("INSERT INTO users (id, email, password_hash, role, active, created_at, session_token) "
                              "VALUES (1, 'a@example.com', 'x', 'admin', true, CURRENT_TIMESTAMP, 't1')"))
            conn.execute(text("INSERT INTO answers (user_id, question_id, modality, text, word_count, status, "
                              "progress, attempts, created_at) "
                              "VALUES (1, 1, 'text', 'hello', 1, 'done', 100, 1, CURRENT_TIMESTAMP)"))
        upgrade()
        with db.engine.begin() as conn:
            # the old rule counted it: it starts in the averages, for forget-admin-answers to take out
            assert conn.execute(text("SELECT in_averages FROM answers")).scalar() in (True, 1)
            conn.execute(text("UPDATE answers SET in_averages = false"))
        with pytest.raises(SystemExit):  # (flask_migrate logs the reason and exits)
            downgrade(revision="0014")
        assert "Not downgraded: analysed answers of admins are not in the averages (1)" in capfd.readouterr().err
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM answers"))
        downgrade(revision="0014")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM users")).scalar() == 1
            if db_backend == "sqlite":
                sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'answers'")).scalar()
                assert "AUTOINCREMENT" in sql and "in_averages" not in sql
        db.engine.dispose()


def test_an_admins_answer_page_compares_it_with_every_candidate_and_says_whose_answers_count(
        app, client, make_admin, whole_essay_text_figures):
    """The admin's page is a candidate's page: their traits beside the candidates' averages, of which nothing of
    theirs is left out (none of it is in), and the lists say the answer is not among them."""
    from tests.test_others_minimum import analysed, trait_row
    from webapp.labels import TRAIT_NAMES

    email, password = make_admin()
    Auth(client).login(email, password)
    with app.app_context():
        boss = db.session.scalar(select(User.id).where(User.email == email))
    for n in "abc":
        uid = add_user(app, f"{n}@example.com")
        for _ in range(2):
            analysed(app, uid, 1)
    mine = analysed(app, boss, 1, scores=[("big5", code, 20.0) for code in TRAIT_NAMES])
    assert not counted(app, mine)
    page = " ".join(client.get(f"/answers/{mine}").get_data(as_text=True).split())
    row = trait_row(page, "EXT")
    assert ('<td class="others-question" data-label="Others’ written answers, this question: average"><span class="num">87</span> '
            '<span class="hint nowrap">(n=6)</span></td>') in row
    assert "All candidates (this answer not included), this question" in page
    assert "yours are left out, and admins’ own answers are not included" in page
    Auth(client).logout()
    Auth(client).login("a@example.com")
    with app.app_context():
        theirs = db.session.scalar(select(Answer.id).join(User).where(User.email == "a@example.com"))
    page = " ".join(client.get(f"/answers/{theirs}").get_data(as_text=True).split())
    assert "All candidates (you included), this question" in page


def candidate_with_a_running_answer(app) -> tuple[int, int]:
    """Two candidates with an analysed answer each, and a second answer of the second one being analysed: (its
    author's id, its id)."""
    a, b = (add_user(app, f"{n}@example.com") for n in "ab")
    store(app, a, 10)
    store(app, b, 20)
    with app.app_context():
        pending = Answer(user_id=b, question_id=1, modality="text", text=text_of(b), status="running", result={})
        db.session.add(pending)
        db.session.commit()
        return b, pending.id


def store_result(app, answer_id):
    """As run_job stores a result, in its own transaction: the running answer done, a score, stats.record."""
    from sqlalchemy import update

    from webapp.models import Score
    with app.app_context():
        db.session.execute(update(Answer).where(Answer.id == answer_id).values(status="done"))
        ans = db.session.get(Answer, answer_id)
        db.session.refresh(ans)
        db.session.add(Score(answer_id=answer_id, family="big5", label="EXT", value=99.0))
        stats.record(ans, [("big5", "EXT", 99.0)])
        db.session.commit()
        db.session.remove()


def job_during_an_uncommitted_role_change(app, user_id, pending_id, role):
    """Set the author's role to ``role`` (one answer leaving or coming back) and, while that transaction is open (the
    role written, not committed), store the running answer ``pending_id`` in another thread, which waits for it.
    Returns ([pending_id once stored], [errors])."""
    import threading
    import time

    changing, stored_ids, errors = threading.Event(), [], []

    def change():
        try:
            with app.app_context():
                assert set_role(db.session.get(User, user_id), role) == 1
                changing.set()
                time.sleep(0.5)  # the job now waits for this transaction
                db.session.commit()
                db.session.remove()
        except Exception as exc:  # reported to the caller
            errors.append(exc)
            changing.set()

    def job():
        try:
            changing.wait(10)
            store_result(app, pending_id)
            stored_ids.append(pending_id)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=change), threading.Thread(target=job)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return stored_ids, errors


def test_an_answer_stored_while_its_author_is_made_an_admin_does_not_count(app):
    """A job stores a result of a candidate whose promotion is under way (the role written, not committed): the job
    waits for the promotion (PostgreSQL: the share lock on the account's row; SQLite: the write lock) and then reads
    the new role, so the answer stays out, and everything stays exact."""
    b, pending_id = candidate_with_a_running_answer(app)
    stored_ids, errors = job_during_an_uncommitted_role_change(app, b, pending_id, "admin")
    assert not errors, errors
    assert stored_ids == [pending_id] and not counted(app, pending_id)
    assert ext_count(app) == 1
    assert_exact(app)


def role_change_while_a_job_holds_the_role(app, monkeypatch, user_id, pending_id, role):
    """Store the running answer ``pending_id`` in one thread while another sets its author's role to ``role``, the
    role change starting after the job has read the author's role (stats.author_counts, a share lock on the account's
    row) and before it locks any figure. Returns ([what set_role returned], [errors])."""
    import threading
    import time

    has_role, changed, errors = threading.Event(), [], []
    real = stats.author_counts

    def author_counts(uid):
        counts = real(uid)
        has_role.set()
        time.sleep(0.8)  # the role change starts now, before this job locks any figure
        return counts

    monkeypatch.setattr(stats, "author_counts", author_counts)

    def job():
        try:
            store_result(app, pending_id)
        except Exception as exc:  # reported to the caller
            errors.append(exc)
            has_role.set()

    def change():
        try:
            has_role.wait(10)
            with app.app_context():
                changed.append(set_role(db.session.get(User, user_id), role))
                db.session.commit()
                db.session.remove()
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=job), threading.Thread(target=change)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return changed, errors


def test_a_promotion_while_a_job_holds_its_authors_role_finishes_both(app, monkeypatch):
    """The other order (a review): the job has read its author's role (the share lock on the account's row) and has
    yet to lock the figures when the promotion starts. The promotion locks the account's row before any figure, so it
    waits for the job instead of holding figures the job needs (a deadlock on PostgreSQL, which aborts one of them);
    the job's answer, stored as a candidate's, is then taken out with the others, and everything stays exact."""
    b, pending_id = candidate_with_a_running_answer(app)
    taken, errors = role_change_while_a_job_holds_the_role(app, monkeypatch, b, pending_id, "admin")
    assert not errors, errors
    assert taken == [2] and not counted(app, pending_id)
    assert ext_count(app) == 1
    assert_exact(app)


def test_migration_0017_keeps_every_answer_out_of_the_averages_out_and_the_answer_ids_on_sqlite(tmp_path, db_backend):
    """The answers stored before 0017 have no history: every analysed one out of the averages, and every one of an
    account that is an admin then (analysed and counted by the rule before 0015, or not analysed yet), is marked as an
    admin's own, so no revocation brings it in; the others are a candidate's. Downgrading drops the mark, and keeps
    SQLite's AUTOINCREMENT counter (no deleted answer's id given again)."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from tests.conftest import fresh_database_url
    from webapp import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": fresh_database_url(db_backend, tmp_path),
                      "MEDIA_DIR": str(tmp_path / "media")})
    with app.app_context():
        upgrade(revision="0016")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO questions (id, text, category, retired, created_at, position) "
                              "VALUES (1, 'Q?', 'behavioural', false, CURRENT_TIMESTAMP, 1)"))
            for uid, role in ((1, "candidate"), (2, "admin"), (3, "candidate")):
                conn.execute(text("INSERT INTO users (id, email, password_hash, role, active, created_at, "
                                  f"session_token) VALUES ({uid}, 'u{uid}@example.com', 'x', '{role}', true, "
                                  f"CURRENT_TIMESTAMP, 't{uid}')"))
            # (id, user, status, in the averages): a candidate's counted and queued answers; an admin's counted one
            # (before 0015's forget-admin-answers) and queued one; a promoted-then-revoked candidate's one left out
            for aid, uid, status, counted_ in ((1, 1, "done", True), (2, 1, "queued", True), (3, 2, "done", True),
                                               (4, 2, "queued", True), (5, 3, "done", False), (6, 1, "done", True)):
                conn.execute(text("INSERT INTO answers (id, user_id, question_id, modality, text, word_count, status, "
                                  "progress, attempts, created_at, in_averages) VALUES "
                                  f"({aid}, {uid}, 1, 'text', 'hello', 1, '{status}', 100, 1, CURRENT_TIMESTAMP, "
                                  f"{'true' if counted_ else 'false'})"))
            conn.execute(text("DELETE FROM answers WHERE id = 6"))
        upgrade(revision="0017")
        with db.engine.connect() as conn:
            marked = dict(conn.execute(text("SELECT id, given_as_admin FROM answers ORDER BY id")).all())
        assert {k: bool(v) for k, v in marked.items()} == {1: False, 2: False, 3: True, 4: True, 5: True}
        # a revocation of the account left out puts nothing back: its history is unknown
        assert set_role(db.session.get(User, 3), "admin") == 0
        assert set_role(db.session.get(User, 3), "candidate") == 0
        db.session.commit()
        db.session.remove()
        downgrade(revision="0016")
        with db.engine.begin() as conn:
            assert conn.execute(text("SELECT count(*) FROM answers")).scalar() == 5
            if db_backend == "sqlite":  # (PostgreSQL's sequences are not rebuilt)
                conn.execute(text("INSERT INTO answers (user_id, question_id, modality, word_count, status, progress, "
                                  "attempts, created_at) VALUES (1, 1, 'text', 0, 'queued', 0, 0, CURRENT_TIMESTAMP)"))
                assert conn.execute(text("SELECT max(id) FROM answers")).scalar() == 7
                sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'answers'")).scalar()
                assert "AUTOINCREMENT" in sql and "given_as_admin" not in sql
        db.engine.dispose()


def test_a_revocation_goes_through_the_batches_and_ends_exact(batched):
    """With the default batches: the scores of the answers put back wait for their batch, as a new answer's do, and
    the message says so; once the batch is applied every figure equals the recount."""
    app = batched
    users = [add_user(app, f"{n}@example.com") for n in "abcdef"]
    for uid, v in zip(users, (10, 20, 30, 40, 50, 60)):
        store(app, uid, v, modality="video")
    f = users[-1]
    with app.app_context():
        assert set_role(db.session.get(User, f), "admin") == 1
        db.session.commit()
    for uid in users[:5]:  # the removal's batch
        store(app, uid, 100, modality="video")
    assert_exact(app)
    with app.app_context():
        from webapp.admin.service import apply_user_action
        boss = db.session.get(User, admin_user(app))
        message = apply_user_action(boss, db.session.get(User, f), "revoke-admin")
        assert ("1 analysed answer they gave as a candidate is back in the averages candidates are compared with. "
                "Their scores join the averages that other candidates see with the next batch of changes") in message
        assert "gave as an admin" not in message
        assert db.session.execute(select(PendingResult.sign, PendingResult.value).where(
            PendingResult.scope == "q:1")).all() == [(1, 60.0)]
    for uid in users[:5]:
        store(app, uid, 0, modality="video")
    with app.app_context():
        comp = stats.comparison("q:1", "video", "gaze")["facing_share"]
        assert (comp["count"], comp["mean"]) == (16, pytest.approx((210 + 500 + 0) / 16))  # 60 back in
    assert_exact(app)


def admin_with_a_running_answer(app) -> tuple[int, int]:
    """candidate_with_a_running_answer's author made an admin while the answer waits: (their id, the answer's id)."""
    b, pending_id = candidate_with_a_running_answer(app)
    with app.app_context():
        assert set_role(db.session.get(User, b), "admin") == 1
        db.session.commit()
    return b, pending_id


def test_an_answer_stored_while_its_author_is_made_a_candidate_again_counts(app):
    """A job stores a result, sent as a candidate, while the role is being revoked (written, not committed): the job
    waits for the revocation and reads the candidate's role, so the answer counts, once, and everything stays exact."""
    b, pending_id = admin_with_a_running_answer(app)
    stored_ids, errors = job_during_an_uncommitted_role_change(app, b, pending_id, "candidate")
    assert not errors, errors
    assert stored_ids == [pending_id]
    assert counted(app, pending_id) and ext_count(app) == 3
    assert_exact(app)


def test_a_revocation_while_a_job_holds_its_authors_role_puts_its_answer_back_too(app, monkeypatch):
    """The other order: the job has read the admin's role (its answer stays out) and has yet to lock the figures when
    the revocation starts. The revocation waits for the job at the account's row, then finds the job's answer out of
    the averages and puts it back with the others: none of the answers given as a candidate is left out."""
    b, pending_id = admin_with_a_running_answer(app)
    back, errors = role_change_while_a_job_holds_the_role(app, monkeypatch, b, pending_id, "candidate")
    assert not errors, errors
    assert back == [2] and counted(app, pending_id)
    assert ext_count(app) == 3
    assert_exact(app)
