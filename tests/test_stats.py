"""The pre-aggregated comparisons, checked against values computed directly."""
import statistics

import pytest

from webapp import stats
from webapp.extensions import db
from webapp.models import Answer, Score, User


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
        assert stats.top_words("q:1") == [("leadership", 2), ("team", 2), ("budget", 1)]
        assert ("leadership", 2) in stats.top_words(stats.OVERALL)
        stats.forget(a)
        db.session.delete(a)
        db.session.commit()
        comp = stats.comparison("q:1", "text", "big5")["EXT"]
        assert comp["count"] == 1 and comp["mean"] == pytest.approx(80.0)
        assert stats.percentile("q:1", "text", "big5", "EXT", 90.0) == pytest.approx(100.0)
        words = dict(stats.top_words(stats.OVERALL))
        assert "leadership" not in words and words["team"] == 1


def test_stop_words_are_not_counted():
    from webapp.textstats import content_word_counts, top_words
    counts = content_word_counts("The team and I, we were the best team. I'm proud of it!")
    assert "the" not in counts and "and" not in counts and "i'm" not in counts
    assert counts["team"] == 2
    assert top_words("budget budget plan", 1) == [("budget", 2)]
