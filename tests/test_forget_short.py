"""`flask forget-short-estimates`: written answers under MIN_WORDS_FOR_ESTIMATE words whose Big Five
was stored before the short-answer rule lose those scores from the averages (and only those), once."""
import pytest
from sqlalchemy import func, select

from tests.helpers import add_user
from webapp import stats
from webapp.extensions import db
from webapp.jobs import run_pending
from webapp.models import Aggregate, AnswerDay, Answer, Contributor, Score, User, WordCount

pytestmark = [pytest.mark.all_databases, pytest.mark.usefixtures("whole_essay_text_figures")]

BIG5 = {"EXT": 0.7, "NEU": 0.4, "AGR": 0.6, "CON": 0.5, "OPN": 0.55}


def add_text(app, email, text):
    """The id of a queued written answer of `email` (the user is created if needed)."""
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == email))
    if user_id is None:
        user_id = add_user(app, email)
    with app.app_context():
        ans = Answer(user_id=user_id, question_id=1, modality="text", status="queued", text=text)
        db.session.add(ans)
        db.session.commit()
        return ans.id


def aggregate(label="EXT"):
    row = db.session.scalar(select(Aggregate).where(Aggregate.scope == stats.OVERALL, Aggregate.modality == "text",
                                                    Aggregate.family == "big5", Aggregate.label == label))
    return (row.count, round(row.total, 6), row.people) if row else (0, 0.0, 0)


def test_short_answers_lose_their_big5_from_the_averages_once(app, monkeypatch):
    flags = {}  # answer id -> what its result says of "short" (absent: a result from before the key)

    def analyse(answer, report):  # stores the Big Five whatever the length, as before the rule
        result = {"big5": BIG5, "word_count": len(answer.text.split())}
        if flags.get(answer.id) is not None:
            result["short"] = flags[answer.id]
        return [("big5", k, 100 * v) for k, v in BIG5.items()], result, {"word_count": len(answer.text.split())}

    monkeypatch.setattr("webapp.jobs.analyzers.analyse", analyse)
    long_text = " ".join(["teamwork"] * 60)
    ids = {
        "long": add_text(app, "a@example.com", long_text),
        "short": add_text(app, "b@example.com", "I led a small team well"),
        "old_short": add_text(app, "c@example.com", "We shipped it early and users liked it"),
        "mixed": add_text(app, "a@example.com", "Short again from a"),
    }
    flags.update({ids["long"]: False, ids["short"]: True, ids["mixed"]: True})
    with app.app_context():
        assert run_pending() == 4
        assert aggregate() == (4, 280.0, 3)
        days = db.session.scalar(select(func.sum(AnswerDay.count)))
        words = db.session.scalar(select(func.sum(WordCount.count)))
        answers_people = db.session.scalar(select(func.count()).select_from(Contributor)
                                           .where(Contributor.family == stats.ANSWERS[0], Contributor.answers > 0))
    runner = app.test_cli_runner()
    out = runner.invoke(args=["forget-short-estimates"])
    assert out.exit_code == 0, out.output
    assert "3 short written answers (15 scores)" in out.output
    with app.app_context():
        assert aggregate() == (1, 70.0, 1)            # only the long answer's; its writer is the one candidate left
        for label in BIG5:
            assert aggregate(label)[0] == 1
        assert {a.id: a.score_map("big5") != {} for a in db.session.scalars(select(Answer))} == {
            ids["long"]: True, ids["short"]: False, ids["old_short"]: False, ids["mixed"]: False}
        # the answers themselves still count (answers per day, words, candidates who answered)
        assert db.session.scalar(select(func.sum(AnswerDay.count))) == days
        assert db.session.scalar(select(func.sum(WordCount.count))) == words
        assert db.session.scalar(select(func.count()).select_from(Contributor).where(
            Contributor.family == stats.ANSWERS[0], Contributor.answers > 0)) == answers_people
        assert db.session.scalar(select(func.count()).select_from(Score)) == 5
    again = runner.invoke(args=["forget-short-estimates"])
    assert again.exit_code == 0 and "0 short written answers (0 scores)" in again.output
    with app.app_context():
        assert aggregate() == (1, 70.0, 1)
