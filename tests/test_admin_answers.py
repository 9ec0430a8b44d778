"""Admins' own answers are in no stored figure that candidates are compared with (webapp.stats.COUNTED_ROLE): not
the averages, the word lists or admins' daily figures. Each answer says whether it went in (Answer.in_averages);
making a candidate an admin takes their answers out, and making an admin a candidate puts none back.

Exactness is checked against a recount from scratch: every stored counter row (aggregates, histogram bins, daily
rows, answer counts, the per-candidate rows, word counts) must equal what the analysed answers marked in the
averages add up to, with nothing left waiting (the tests' averages move at once, except where batched)."""
from collections import Counter, defaultdict

import pytest
from sqlalchemy import select

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


def test_promotion_takes_the_answers_out_and_demotion_puts_none_back(app, client, auth, make_admin):
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
    assert "3 analysed answers of theirs were in them. Their scores are out of the averages." in page.get_data(as_text=True)
    with app.app_context():
        assert not any(a.in_averages for a in db.session.scalars(select(Answer).where(Answer.user_id == c)))
        assert db.session.scalar(select(Contributor.id).where(Contributor.user_id == c)) is None
    assert ext_count(app) == 2
    assert_exact(app)
    # an answer given as an admin does not count; made a candidate again, the old ones stay out, new ones count
    as_admin = store(app, c, 95)
    assert not counted(app, as_admin)
    client.post(f"/admin/users/{c}/revoke-admin", data={"csrf_token": token})
    with app.app_context():
        assert db.session.get(User, c).role == "candidate"
    assert ext_count(app) == 2
    again = store(app, c, 50)
    assert counted(app, again) and ext_count(app) == 3
    assert_exact(app)
    # deleting answers afterwards takes out exactly what each added: nothing for the ones out of the averages
    with app.app_context():
        delete_answers([db.session.get(Answer, as_admin)])
    assert ext_count(app) == 3
    assert_exact(app)
    with app.app_context():
        delete_account_and_data(db.session.get(User, c))
    assert ext_count(app) == 2
    assert_exact(app)
    with app.app_context():
        comp = stats.comparison("q:1", "text", "big5")["EXT"]
        assert (comp["mean"], comp["count"]) == (pytest.approx(15.0), 2)
        assert db.session.scalar(select(Aggregate.people).filter_by(scope="q:1", family="big5", label="EXT")) == 2


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
        before = stats.waiting_removals()
        delete_answers(db.session.scalars(select(Answer).where(Answer.id == late)).all())
        assert stats.waiting_removals() == before  # it was never counted: nothing to take out
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
    assert ('<td class="others-question" data-label="Others, this question: average"><span class="num">87</span> '
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


def test_an_answer_stored_while_its_author_is_made_an_admin_does_not_count(app):
    """A job stores a result of a candidate whose promotion is under way (the role written, not committed): the job
    waits for the promotion (PostgreSQL: the share lock on the account's row; SQLite: the write lock) and then reads
    the new role, so the answer stays out, and everything stays exact."""
    import threading
    import time

    b, pending_id = candidate_with_a_running_answer(app)
    promoting, stored_ids, errors = threading.Event(), [], []

    def promote():
        try:
            with app.app_context():
                assert set_role(db.session.get(User, b), "admin") == 1
                promoting.set()
                time.sleep(0.5)  # the job now waits for this transaction
                db.session.commit()
                db.session.remove()
        except Exception as exc:  # reported below
            errors.append(exc)
            promoting.set()

    def job():
        try:
            promoting.wait(10)
            store_result(app, pending_id)
            stored_ids.append(pending_id)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=promote), threading.Thread(target=job)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert stored_ids == [pending_id] and not counted(app, pending_id)
    assert ext_count(app) == 1
    assert_exact(app)


def test_a_promotion_while_a_job_holds_its_authors_role_finishes_both(app, monkeypatch):
    """The other order (a review): the job has read its author's role (the share lock on the account's row) and has
    yet to lock the figures when the promotion starts. The promotion locks the account's row before any figure, so it
    waits for the job instead of holding figures the job needs (a deadlock on PostgreSQL, which aborts one of them);
    the job's answer, stored as a candidate's, is then taken out with the others, and everything stays exact."""
    import threading
    import time

    b, pending_id = candidate_with_a_running_answer(app)
    has_role, taken, errors = threading.Event(), [], []
    real = stats.author_counts

    def author_counts(user_id):
        counts = real(user_id)
        has_role.set()
        time.sleep(0.8)  # the promotion starts now, before this job locks any figure
        return counts

    monkeypatch.setattr(stats, "author_counts", author_counts)

    def job():
        try:
            store_result(app, pending_id)
        except Exception as exc:  # reported below
            errors.append(exc)
            has_role.set()

    def promote():
        try:
            has_role.wait(10)
            with app.app_context():
                taken.append(set_role(db.session.get(User, b), "admin"))
                db.session.commit()
                db.session.remove()
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=job), threading.Thread(target=promote)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert taken == [2] and not counted(app, pending_id)
    assert ext_count(app) == 1
    assert_exact(app)
