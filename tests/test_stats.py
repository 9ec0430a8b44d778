"""The pre-aggregated comparisons, checked against values computed directly."""
import statistics

import pytest

from webapp import stats
from webapp.extensions import db
from webapp.models import Answer, Score, User

pytestmark = pytest.mark.all_databases


@pytest.fixture
def users(app):
    with app.app_context():
        u = User(email="s@example.com")
        u.set_password("x" * 8)
        db.session.add(u)
        db.session.commit()
        return u.id


def add_done(user_id, question_id, value, text="teamwork deadline teamwork", modality="text"):
    ans = Answer(user_id=user_id, question_id=question_id, modality=modality, text=text, status="done")
    db.session.add(ans)
    db.session.flush()
    scores = [("big5", "EXT", value)]
    for f, l, v in scores:
        db.session.add(Score(answer_id=ans.id, family=f, label=l, value=v))
    stats.record(ans, scores)
    db.session.commit()
    return ans


def test_means_sd_counts_match_direct_computation(app, users):
    values_q1 = [10.0, 35.5, 60.25, 99.9]
    values_q2 = [50.0, 70.0]
    with app.app_context():
        for v in values_q1:
            add_done(users, 1, v)
        for v in values_q2:
            add_done(users, 2, v, modality="pdf")  # PDFs are compared with typed text
        q1 = stats.comparison("q:1", "text", "big5")["EXT"]
        assert q1["count"] == 4
        assert q1["mean"] == pytest.approx(statistics.fmean(values_q1))
        assert q1["sd"] == pytest.approx(statistics.pstdev(values_q1))
        allq = stats.comparison(stats.OVERALL, "pdf", "big5")["EXT"]
        assert allq["count"] == 6 and allq["mean"] == pytest.approx(statistics.fmean(values_q1 + values_q2))
        assert stats.comparison("q:1", "video", "big5") == {}


def test_percentiles_from_histogram(app, users):
    with app.app_context():
        for v in range(0, 100, 10):  # 0, 10, ..., 90
            add_done(users, 1, float(v))
        assert stats.percentile("q:1", "text", "big5", "EXT", 45.0) == pytest.approx(50.0)
        assert stats.percentile("q:1", "text", "big5", "EXT", 0.0) == pytest.approx(5.0)
        assert stats.percentile("q:1", "text", "big5", "EXT", 100.0) == pytest.approx(100.0)
        assert stats.percentile("q:1", "text", "big5", "EXT", 90.5) == pytest.approx(95.0)
        assert stats.percentile("q:7", "text", "big5", "EXT", 50.0) is None


def test_forget_removes_contribution_and_words(app, users):
    with app.app_context():
        a = add_done(users, 1, 20.0, text="leadership leadership team")
        add_done(users, 1, 80.0, text="team budget")
        assert stats.top_words("q:1") == [("leadership", 2, 1), ("team", 2, 1), ("budget", 1, 1)]
        assert ("leadership", 2, 1) in stats.top_words(stats.OVERALL)
        stats.forget(a)
        db.session.delete(a)
        db.session.commit()
        comp = stats.comparison("q:1", "text", "big5")["EXT"]
        assert comp["count"] == 1 and comp["mean"] == pytest.approx(80.0)
        assert stats.percentile("q:1", "text", "big5", "EXT", 90.0) == pytest.approx(100.0)
        words = {w: c for w, c, _people in stats.top_words(stats.OVERALL)}
        assert "leadership" not in words and words["team"] == 1


def test_compare_reads_every_family_and_scope_at_once(app, users):
    """stats.compare: means, counts and per-label percentiles of several families and scopes."""
    with app.app_context():
        for q, ext, neu in ((1, 10.0, 90.0), (1, 30.0, 70.0), (2, 50.0, 50.0), (2, 70.0, 30.0)):
            ans = Answer(user_id=users, question_id=q, modality="text", text="plan", status="done")
            db.session.add(ans)
            db.session.flush()
            stats.record(ans, [("big5", "EXT", ext), ("big5", "NEU", neu), ("other", "x", ext / 10)])
        db.session.commit()
        table = stats.compare(["q:1", stats.OVERALL, "q:9"], "pdf",
                              {"big5": {"EXT": 30.0, "NEU": None}, "other": {"x": 4.0}})
        assert set(table) == {"q:1", stats.OVERALL}
        q1, overall = table["q:1"], table[stats.OVERALL]
        assert q1["big5"]["EXT"]["percentile"] == pytest.approx(75.0)  # 10 below, 30 in its bin
        assert overall["big5"]["EXT"]["percentile"] == pytest.approx(37.5)
        assert overall["big5"]["NEU"] == {"mean": pytest.approx(60.0), "sd": pytest.approx(statistics.pstdev(
            [90.0, 70.0, 50.0, 30.0])), "count": 4, "percentile": None}
        assert overall["other"]["x"]["percentile"] == pytest.approx(50.0)  # 1, 3 below; 5, 7 above
        assert q1["other"]["x"]["mean"] == pytest.approx(2.0)
        assert stats.compare([stats.OVERALL], "text", {"big5": {"EXT": None}})[stats.OVERALL]["big5"]["EXT"][
            "percentile"] is None


def test_record_moves_counters_only_with_its_transaction(app, users):
    """The aggregates are written in the caller's transaction: a rollback leaves no trace."""
    from webapp.models import Aggregate, AggregateBin, AggregateDay, AnswerDay, Contributor, WordCount
    with app.app_context():
        ans = Answer(user_id=users, question_id=1, modality="text", text="teamwork", status="done")
        db.session.add(ans)
        db.session.flush()
        stats.record(ans, [("big5", "EXT", 40.0)])
        assert stats.comparison("q:1", "text", "big5")["EXT"]["count"] == 1
        db.session.rollback()
        for model in (Aggregate, AggregateBin, AggregateDay, AnswerDay, WordCount, Contributor):
            assert db.session.query(model).count() == 0, model


def test_counter_row_inserted_concurrently_is_reused(app, users, monkeypatch):
    """Another worker inserts the same counter row between our look-up and our insert: ours fails
    on the unique key inside a savepoint, their row gets our increment, our transaction goes on."""
    from webapp.models import Aggregate, AggregateDay, Contributor
    with app.app_context():
        add_done(users, 1, 40.0)
        real_scalar = db.session.scalar
        missed = []

        def lookup_misses_once(statement, *args, **kwargs):
            if not missed:  # the first look-up (the candidate's Contributor row of scope "all") sees no row yet
                missed.append(statement)
                return None
            return real_scalar(statement, *args, **kwargs)

        monkeypatch.setattr(db.session, "scalar", lookup_misses_once)
        add_done(users, 1, 60.0)
        monkeypatch.undo()
        assert missed
        assert db.session.query(Aggregate).filter_by(scope=stats.OVERALL, label="EXT").count() == 1
        comp = stats.comparison(stats.OVERALL, "text", "big5")["EXT"]
        assert comp["count"] == 2 and comp["mean"] == pytest.approx(50.0)
        assert stats.percentile(stats.OVERALL, "text", "big5", "EXT", 50.0) == pytest.approx(50.0)
        assert db.session.query(AggregateDay).filter_by(scope="q:1", label="EXT").one().count == 2
        contributor = db.session.query(Contributor).filter_by(scope=stats.OVERALL, label="EXT").one()
        assert contributor.answers == 2  # one row, both answers; still one candidate behind the aggregate
        assert db.session.query(Aggregate).filter_by(scope=stats.OVERALL, label="EXT").one().people == 1


def test_stop_words_are_not_counted():
    from webapp.textstats import content_word_counts, top_words
    counts = content_word_counts("The team and I, we were the best team. I'm proud of it!")
    assert "the" not in counts and "and" not in counts and "i'm" not in counts
    assert counts["team"] == 2
    assert top_words("budget budget plan", 1) == [("budget", 2)]


def test_the_stored_word_lists_count_by_the_rule_of_every_answers_own_list(app, users):
    """All candidates' word lists (stats, from written answers) count by the one rule of an answer's own list, typed
    or spoken (ml.text.topwords): hedges and spoken answer words ("I think", "maybe", "okay", "actually") are not
    listed, content words ("made", "say") are (an architecture review found two stop lists; fails without)."""
    from ml.speech.metrics import top_words as spoken
    text = "Okay, I think I made it work. Actually I made a plan, maybe, and I still say so. You know, okay."
    with app.app_context():
        add_done(users, 1, 50.0, text=text)
        listed = [(w, c) for w, c, _people in stats.top_words("q:1")]
    assert listed == [("made", 2), ("plan", 1), ("say", 1), ("work", 1)]
    assert [list(x) for x in listed] == spoken([{"w": w, "start": 0.0, "end": 0.0} for w in text.split()])


def test_recount_words_lists_a_stored_transcripts_words_again_by_the_one_rule(app, users):
    """`flask recount-words` (run by `flask upgrade`) lists a recording's own most-used words again from its stored
    transcript: one stored by the spoken answers' former stop list ("made", "still" listed; "think", "okay" not) gets
    the one rule's list, which its page and the data export show (fails without); a second run changes nothing."""
    from webapp.textstats import top_words
    said = "okay so I made it I think I still made it work actually okay"
    timeline = [{"w": w, "start": i * 0.3, "end": i * 0.3 + 0.3, "kind": None} for i, w in enumerate(said.split())]
    with app.app_context():
        ans = Answer(user_id=users, question_id=1, modality="audio", status="done",
                     result={"speech": {"text": said, "words": timeline, "top_words": [["made", 2], ["still", 1],
                                                                                       ["work", 1]]}})
        db.session.add(ans)
        db.session.commit()
        answer_id = ans.id
    runner = app.test_cli_runner()
    out = runner.invoke(args=["recount-words"])
    assert out.exit_code == 0 and "The most-used words of 1 recording listed again." in out.output, out.output
    with app.app_context():
        stored = db.session.get(Answer, answer_id).result["speech"]
    assert stored["top_words"] == [[w, c] for w, c in top_words(said)] == [["made", 2], ["work", 1]]
    assert stored["words"] == timeline and stored["text"] == said
    assert "of 0 recordings listed again." in runner.invoke(args=["recount-words"]).output


def test_word_lists_keep_curly_apostrophes_and_accents_inside_their_words():
    """A phone's or a PDF's apostrophes and accented letters do not cut words into pieces ("haven", "sum", "st",
    "rke"), in the candidate's own list or in the shared word lists (fails without)."""
    from webapp.textstats import content_word_counts, top_words
    text = "I haven’t won’t — my résumé, my résumé! Meine Stärke ist Geduld; café-style."
    counts = content_word_counts(text)
    assert counts["résumé"] == 2 and counts["stärke"] == 1 and counts["café"] == 1
    assert not {"haven", "won", "sum", "st", "rke", "caf"} & counts.keys()
    assert top_words(text, 1) == [("résumé", 2)]
    # numbers are no words to practise (and a phone number or a postcode is not for the shared lists)
    assert content_word_counts("Call me on +44 7700 900123 at 42 Wolverhampton Road, B15 2TT; I scored 98 in 2019.") \
        == {"call": 1, "wolverhampton": 1, "road": 1, "scored": 1}


def test_daily_rows_follow_record_and_forget(app, users):
    from datetime import datetime
    from webapp.models import AggregateDay, AnswerDay
    with app.app_context():
        day1, day2 = datetime(2026, 3, 1, 23, 59), datetime(2026, 3, 2, 0, 1)
        a = Answer(user_id=users, question_id=1, modality="pdf", text="plan", status="done", created_at=day1)
        b = Answer(user_id=users, question_id=1, modality="text", text="plan", status="done", created_at=day2)
        c = Answer(user_id=users, question_id=2, modality="text", text="plan", status="done", created_at=day2)
        db.session.add_all([a, b, c])
        db.session.flush()
        for ans, value in ((a, 30.0), (b, 50.0), (c, 70.0)):
            db.session.add(Score(answer_id=ans.id, family="big5", label="EXT", value=value))
            stats.record(ans, [("big5", "EXT", value)])
        db.session.commit()
        start, end = day1.date(), day2.date()
        series = stats.timeseries(stats.OVERALL, "text", "big5", start, end)
        assert series["days"] == ["2026-03-01", "2026-03-02"]
        assert series["labels"]["EXT"]["mean"] == [pytest.approx(30.0), pytest.approx(60.0)]
        assert series["labels"]["EXT"]["count"] == [1, 2]
        assert stats.timeseries("q:2", "text", "big5", start, end)["labels"]["EXT"]["mean"] == [None, pytest.approx(70.0)]
        summary = stats.range_summary(stats.OVERALL, "text", "big5", start, end)["EXT"]
        assert summary["count"] == 3 and summary["mean"] == pytest.approx(50.0)
        assert summary["sd"] == pytest.approx(statistics.pstdev([30.0, 50.0, 70.0]))
        assert stats.answers_per_day(stats.OVERALL, start, end) == {"text": {start: 1, end: 2}}
        assert stats.answers_total("q:1") == 2
        stats.forget(b)
        db.session.delete(b)
        db.session.commit()
        row = db.session.execute(
            db.select(AggregateDay).filter_by(scope="q:1", modality="text", family="big5", label="EXT", day=end)
        ).scalar_one()
        assert (row.count, row.total, row.total_sq) == (0, pytest.approx(0.0), pytest.approx(0.0))
        assert db.session.execute(db.select(AnswerDay.count).filter_by(scope="all", day=end)).scalar_one() == 1
        assert "EXT" not in stats.timeseries("q:1", "text", "big5", end, end)["labels"]
        assert stats.range_summary(stats.OVERALL, "text", "big5", start, end)["EXT"]["count"] == 2


def test_migration_backfills_daily_rows_of_existing_results(tmp_path):
    """A database with results from before revision 0002 gets the same daily rows as record()."""
    from datetime import datetime
    from flask_migrate import upgrade
    from sqlalchemy import text
    from webapp import create_app
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'b.sqlite'}",
                      "MEDIA_DIR": str(tmp_path / "media"),
                      "AVERAGES_BATCH_RESULTS": 0, "AVERAGES_BATCH_PEOPLE": 0})  # results count at once
    with app.app_context():
        upgrade(revision="0001")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO users (id, email, password_hash, role, active, created_at) "
                              "VALUES (1, 'x@example.com', 'h', 'candidate', 1, '2026-01-01 00:00:00')"))
            conn.execute(text("INSERT INTO questions (id, text, category, retired, created_at) "
                              "VALUES (4, 'Q?', 'behavioural', 0, '2026-01-01 00:00:00')"))
            for aid, modality, status, when, value in [(1, "pdf", "done", "2026-02-03 10:00:00", 20.0),
                                                       (2, "text", "done", "2026-02-03 18:00:00", 40.0),
                                                       (3, "text", "failed", "2026-02-03 19:00:00", None),
                                                       (4, "audio", "done", "2026-02-04 08:00:00", 55.0)]:
                conn.execute(text(
                    "INSERT INTO answers (id, user_id, question_id, modality, word_count, created_at, status, "
                    "progress, attempts) VALUES (:id, 1, 4, :m, 0, :w, :s, 100, 1)"),
                    {"id": aid, "m": modality, "w": when, "s": status})
                if value is not None:
                    family, label = ("voice", "happy") if modality == "audio" else ("big5", "EXT")
                    conn.execute(text("INSERT INTO scores (answer_id, family, label, value) VALUES (:a, :f, :l, :v)"),
                                 {"a": aid, "f": family, "l": label, "v": value})
        upgrade()
        assert stats.user_counts() == {("candidate", True): 1, ("candidate", False): 0,
                                       ("admin", True): 0, ("admin", False): 0}
        start, end = datetime(2026, 2, 3).date(), datetime(2026, 2, 4).date()
        for scope in ("all", "q:4"):
            assert stats.timeseries(scope, "text", "big5", start, end)["labels"]["EXT"]["mean"] == [
                pytest.approx(30.0), None]
            assert stats.range_summary(scope, "text", "big5", start, end)["EXT"]["sd"] == pytest.approx(10.0)
            assert stats.answers_per_day(scope, start, end) == {"text": {start: 2}, "audio": {end: 1}}
            assert stats.range_summary(scope, "audio", "voice", start, end)["happy"]["mean"] == pytest.approx(55.0)
        # and later results add to the backfilled rows
        ans = db.session.get(Answer, 2)
        stats.record(ans, [("big5", "EXT", 90.0)])
        db.session.commit()
        assert stats.range_summary("q:4", "text", "big5", start, start)["EXT"]["count"] == 3
        db.session.remove()
        db.engine.dispose()


def test_user_counters_follow_every_change(app):
    """Registration, role and status changes and deletions move the counters in the same flush."""
    from sqlalchemy import func, select

    def direct():
        rows = db.session.execute(select(User.role, User.active, func.count()).group_by(User.role, User.active))
        return {(r, bool(a)): n for r, a, n in rows}

    def counted():
        return {k: n for k, n in stats.user_counts().items() if n}

    with app.app_context():
        users = []
        for i in range(4):
            u = User(email=f"u{i}@example.com")
            u.set_password("x" * 8)
            users.append(u)
        db.session.add_all(users)
        db.session.commit()
        assert counted() == direct() == {("candidate", True): 4}
        ids = [u.id for u in users]
        db.session.get(User, ids[0]).role = "admin"
        db.session.get(User, ids[1]).active = False
        db.session.commit()
        u = db.session.get(User, ids[2])  # expired attributes: the old value is still known
        u.active = False
        u.role = "admin"
        db.session.flush()
        u.active = True  # changed twice in one transaction
        db.session.commit()
        assert counted() == direct() == {("candidate", True): 1, ("candidate", False): 1, ("admin", True): 2}
        db.session.get(User, ids[3]).role = "candidate"  # no change
        db.session.delete(db.session.get(User, ids[1]))
        db.session.commit()
        odd = User(email="odd@example.com", role="reviewer", password_hash="x")
        db.session.add(odd)
        db.session.commit()
        assert counted() == direct() == {("candidate", True): 1, ("admin", True): 2, ("reviewer", True): 1}
        db.session.rollback()
        x = User(email="rolled@example.com", password_hash="x")
        db.session.add(x)
        db.session.flush()
        db.session.rollback()  # the counter change is rolled back with the user
        assert counted() == direct()


def test_counted_is_one_condition_in_python_and_in_sql(app, users):
    """stats.counted: "in the stored figures" (analysed and added, Answer.in_averages), said once; the query form and
    the loaded answer's value agree for every status and flag."""
    from sqlalchemy import select
    with app.app_context():
        made = {}
        for status in ("queued", "running", "failed", "done"):
            for flag in (False, True):
                a = Answer(user_id=users, question_id=1, modality="text", text="x", status=status, in_averages=flag)
                db.session.add(a)
                db.session.flush()
                made[a.id] = stats.counted(a)
        db.session.commit()
        assert [i for i, yes in made.items() if yes] == sorted(db.session.scalars(
            select(Answer.id).where(Answer.id.in_(list(made)), stats.counted(Answer))))
        assert sum(made.values()) == 1
