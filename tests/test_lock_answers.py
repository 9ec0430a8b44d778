"""answers.lock_answers: the step before changing what answers added to the averages (delete_answers,
take_out_of_averages, flask fail-empty-videos, forget-few-face-frames, count-written-hedges). What another connection
committed before the lock is what it returns: a row deleted is not returned, a row that no longer matches the
condition is not, and a row changed otherwise comes back as it is now, not as the session held it; the rows stay
locked until the transaction ends."""
import pytest
from sqlalchemy import create_engine, select, text

from tests.helpers import add_user
from webapp.answers import lock_answers
from webapp.extensions import db
from webapp.models import Answer

pytestmark = pytest.mark.all_databases


def answers(app, uid, n):
    with app.app_context():
        rows = [Answer(user_id=uid, question_id=1, modality="text", status="done", text=f"answer {k}", result={"k": k})
                for k in range(n)]
        db.session.add_all(rows)
        db.session.commit()
        return [a.id for a in rows]


def test_lock_answers_reads_again_what_others_committed_before_the_lock(app):
    uid = add_user(app, "lock@example.com")
    gone, failed, changed, kept = answers(app, uid, 4)
    other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with app.app_context():
            done = Answer.status == "done"
            held = db.session.scalars(select(Answer).where(done).order_by(Answer.id)).all()  # read before the lock
            assert [a.id for a in held] == [gone, failed, changed, kept]
            with other.begin() as conn:  # another transaction commits before the lock
                conn.execute(text("DELETE FROM answers WHERE id = :i"), {"i": gone})
                conn.execute(text("UPDATE answers SET status = 'failed' WHERE id = :i"), {"i": failed})
                conn.execute(text("UPDATE answers SET in_averages = false WHERE id = :i"), {"i": changed})
            locked = lock_answers(done, ids=[a.id for a in reversed(held)])
            assert [a.id for a in locked] == [changed, kept]  # the deleted and the failed one left out, in id order
            assert [a.in_averages for a in locked] == [False, True]  # read again, not the objects held before
            db.session.rollback()
            # without ids: the answers matching the condition when the lock is taken
            assert [a.id for a in lock_answers(Answer.user_id == uid, done, Answer.in_averages.is_(True))] == [kept]
            db.session.rollback()
            assert lock_answers(done, ids=[]) == []
            with pytest.raises(ValueError):
                lock_answers()
    finally:
        other.dispose()


def test_lock_answers_holds_them_until_the_transaction_ends(app, db_backend):
    """PostgreSQL: the rows are locked (another transaction cannot lock them); SQLite, which has no row locks: the
    database's write lock is taken (another connection cannot begin writing)."""
    uid = add_user(app, "held@example.com")
    first, second = answers(app, uid, 2)
    other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with app.app_context():
            assert [a.id for a in lock_answers(ids=[first])] == [first]
            with other.connect() as conn:
                if db_backend == "postgresql":
                    conn.execute(text("SET lock_timeout = '200ms'"))
                    with pytest.raises(Exception, match="lock"):
                        conn.execute(text("SELECT id FROM answers WHERE id = :i FOR UPDATE"), {"i": first})
                    conn.rollback()
                    # only the answers asked for
                    assert conn.execute(text("SELECT id FROM answers WHERE id = :i FOR UPDATE"), {"i": second}).all()
                    conn.rollback()
                else:
                    conn.exec_driver_sql("PRAGMA busy_timeout=0")
                    with pytest.raises(Exception, match="locked"):
                        conn.exec_driver_sql("UPDATE answers SET text = text WHERE id = ?", (second,))
                    conn.rollback()
            db.session.rollback()
            with other.begin() as conn:  # released with the transaction
                conn.execute(text("UPDATE answers SET text = text WHERE id = :i"), {"i": first})
    finally:
        other.dispose()
