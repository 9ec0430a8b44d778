"""All database models (SQLAlchemy 2 style). The schema is created by Alembic migrations."""
from __future__ import annotations

import json
import secrets
import unicodedata
from datetime import date, datetime, timezone
from typing import Optional

from flask_login import UserMixin
from sqlalchemy import (
    JSON, Boolean, Date, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint, Index,
)
from sqlalchemy import text as sql_text
from sqlalchemy import event, false, select, true
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship
from sqlalchemy.orm.attributes import instance_state
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db


def utcnow():
    return datetime.now(timezone.utc).replace(tzinfo=None)


def new_session_token() -> str:
    """A random, unguessable identifier that Flask-Login's session and remember cookies carry."""
    return secrets.token_urlsafe(32)


MODALITIES = ("text", "pdf", "video", "audio")
JOB_STATES = ("queued", "running", "done", "failed")
# How a job that stopped sending heartbeats too often ends (webapp.jobs.requeue_stale); a retry may help
# (Answer.retry_helps reads the text before "{": rows stored with the older "; retry it later." still match).
INTERRUPTED_ERROR = "The analysis was interrupted {attempts} times."


class User(UserMixin, db.Model):
    __tablename__ = "users"
    # Ids appear in URLs and folders: SQLite must never hand out a deleted user's id again.
    __table_args__ = {"sqlite_autoincrement": True}
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    # active_history: the old value is known at flush, for the user counters (UserCount)
    role: Mapped[str] = mapped_column(String(20), default="candidate", active_history=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, active_history=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # What the session and remember cookies carry instead of the id; a new value signs out everywhere.
    session_token: Mapped[str] = mapped_column(String(64), unique=True, index=True, default=new_session_token)

    answers: Mapped[list["Answer"]] = relationship(back_populates="user", cascade="all, delete-orphan")
    # the database deletes them with the user (ON DELETE CASCADE); the ORM lets it
    practice_sessions: Mapped[list["InterviewSession"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True)

    def get_id(self) -> str:  # Flask-Login: never the numeric id, which a cookie could outlive
        return self.session_token

    def rotate_session(self) -> None:
        """Invalidate every session and remember cookie of this user."""
        self.session_token = new_session_token()

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)
        self.rotate_session()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_active(self) -> bool:  # Flask-Login: deactivated users cannot log in
        return bool(self.active)


class Question(db.Model):
    __tablename__ = "questions"
    __table_args__ = (Index("ix_questions_position", "position", unique=True), {"sqlite_autoincrement": True})
    id: Mapped[int] = mapped_column(primary_key=True)
    # where it stands in the bank's order (the admin's list, the candidates' list; lists sort by position, then id):
    # unique, set by an admin's moves (webapp.admin.service.move_question); a new question goes after the last
    # (``_place_new_questions``, below), existing ones got 1, 2, 3... in id order (revision 0016). Gaps are allowed.
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(40), default="behavioural")
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Key phrases a good answer covers (a JSON list of short strings); ml.points matches them.
    talking_points: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=sql_text("'[]'"))
    # when an admin last saved it (added or edited) and who: an admin's draft of the question's form older than that
    # save is not offered over the saved text (static/js/draft.js; NULL for questions saved before revision 0014 and
    # those the seed or a command stored, and the admin once their account is deleted)
    saved_at: Mapped[Optional[datetime]] = mapped_column(DateTime, nullable=True)
    saved_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)


class Answer(db.Model):
    """One attempt of a candidate at a question, in one modality."""
    __tablename__ = "answers"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), index=True)
    # the question's wording when it was answered (an admin may reword the question later): see ``asked``
    question_text: Mapped[Optional[str]] = mapped_column(Text, nullable=True)
    modality: Mapped[str] = mapped_column(String(10))
    text: Mapped[Optional[str]] = mapped_column(Text, nullable=True)
    word_count: Mapped[int] = mapped_column(Integer, default=0)
    media_path: Mapped[Optional[str]] = mapped_column(String(300), nullable=True)
    original_filename: Mapped[Optional[str]] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    # Analysis state (the row the progress page polls)
    status: Mapped[str] = mapped_column(String(10), default="queued", index=True)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    progress_message: Mapped[Optional[str]] = mapped_column(String(200), nullable=True)
    error: Mapped[Optional[str]] = mapped_column(Text, nullable=True)  # shown to the candidate
    error_detail: Mapped[Optional[str]] = mapped_column(Text, nullable=True)  # for admins and logs only
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claim_token: Mapped[Optional[str]] = mapped_column(String(32), nullable=True)
    started_at: Mapped[Optional[datetime]] = mapped_column(DateTime, nullable=True)
    heartbeat_at: Mapped[Optional[datetime]] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[Optional[datetime]] = mapped_column(DateTime, nullable=True)
    result: Mapped[Optional[dict]] = mapped_column(JSON, nullable=True)
    # Whether its results are in the stored averages, word lists and admins' daily figures (webapp.stats): decided
    # when its analysis is stored (a candidate's are, an admin's are not: stats.record), set to false when its
    # candidate is made an admin (webapp.answers.take_out_of_averages) and back to true when the admin is made a
    # candidate again, unless given_as_admin (webapp.answers.put_back_in_averages); a deletion takes out what this
    # says went in. Meaningful for analysed answers only.
    in_averages: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Whether it is an admin's own answer (an admin trying the product), which goes into no stored figure whatever
    # its author's role becomes: its author was an admin when it was sent (stats._given_as: read at its insert), or
    # it was out of the averages, or its author an admin, when revision 0017 added this (its history unknown). An
    # answer given as a candidate and out of the averages because its author was made an admin comes back when the
    # account is made a candidate again (a review: three answers of a candidate made an admin by mistake stayed out
    # of the figures for good after the role was revoked).
    given_as_admin: Mapped[bool] = mapped_column(Boolean, server_default=false())
    # The mock interview it was given in, if any; deleting the session keeps the answer.
    session_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("interview_sessions.id", ondelete="SET NULL"), nullable=True, index=True)

    user: Mapped[User] = relationship(back_populates="answers")
    question: Mapped[Question] = relationship()
    scores: Mapped[list["Score"]] = relationship(back_populates="answer", cascade="all, delete-orphan")

    # the raw-score export reads analysed answers of a date range in time order
    __table_args__ = (Index("ix_answers_status_created_at", "status", "created_at"),
                      {"sqlite_autoincrement": True})

    @property
    def asked(self) -> str:
        """The question as the candidate answered it (the question's text when the answer was stored)."""
        return self.question_text or self.question.text

    @property
    def reworded(self) -> bool:
        """An admin changed the question's wording since this answer was given."""
        return (bool(self.question_text) and self.question is not None
                and unicodedata.normalize("NFC", self.question.text) != unicodedata.normalize("NFC", self.question_text))

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")

    @property
    def retry_helps(self) -> bool:
        """Whether running the same analysis again can succeed: after an internal error (its technical
        detail is kept in error_detail), an interrupted worker, or a PDF whose reading ran out of time on a busy
        machine (webapp.sandbox.timeout_kind; its detail says so). Every other failure is a reason about the
        answer itself (a damaged, protected or silent file, no text, over the limits), which a retry repeats."""
        if self.status != "failed":
            return False
        prefix = INTERRUPTED_ERROR.split("{", 1)[0]
        return bool(self.error_detail) or not self.error or self.error.startswith(prefix)

    def score_map(self, family: str) -> dict[str, float]:
        return {s.label: s.value for s in self.scores if s.family == family}


PRACTICE_MODES = ("written", "video", "audio")


class InterviewSession(db.Model):
    """A mock interview: questions asked one after another in one mode (webapp.practice)."""
    __tablename__ = "interview_sessions"
    # Ids appear in URLs: SQLite must never hand out a deleted session's id again.
    __table_args__ = {"sqlite_autoincrement": True}
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    mode: Mapped[str] = mapped_column(String(10))  # written | video | audio
    category: Mapped[str] = mapped_column(String(40), default="mixed")  # a question category, or "mixed"
    question_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # in the order they are asked
    position: Mapped[int] = mapped_column(Integer, default=0)  # index of the next question to answer
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[Optional[datetime]] = mapped_column(DateTime, nullable=True)

    user: Mapped[User] = relationship(back_populates="practice_sessions")

    @property
    def total(self) -> int:
        return len(self.question_ids or [])

    @property
    def current_question_id(self) -> Optional[int]:
        if self.finished_at is not None or self.position >= self.total:
            return None
        return self.question_ids[self.position]


class AnswerView(db.Model):
    """An admin opened a candidate's answer: its page, file, transcript or heat map (webapp.access), or deleted it.
    The candidate sees these on their account page. One row per admin, answer and thing opened in an hour (a
    replayed recording asks for many byte ranges). The rows go with an answer its candidate deletes; when an admin
    deletes it they stay, detached (``answer_id`` NULL, the rest kept in the ``deleted_answer_id``, ``question_text``
    and ``modality`` columns: webapp.access.note_deletion). The admin's name goes with the admin's account."""
    __tablename__ = "answer_views"
    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[Optional[int]] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"), index=True,
                                                     nullable=True)
    deleted_answer_id: Mapped[Optional[int]] = mapped_column(Integer, nullable=True)
    question_text: Mapped[Optional[str]] = mapped_column(Text, nullable=True)
    modality: Mapped[Optional[str]] = mapped_column(String(10), nullable=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    viewer_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    what: Mapped[str] = mapped_column(String(20))  # VIEW_KINDS
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Score(db.Model):
    """One scalar result of an analysis, 0-100, e.g. family 'big5', label 'EXT'."""
    __tablename__ = "scores"
    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"), index=True)
    family: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(40))
    value: Mapped[float] = mapped_column(Float)

    answer: Mapped[Answer] = relationship(back_populates="scores")

    __table_args__ = (UniqueConstraint("answer_id", "family", "label", name="uq_score"),)


class ScoreKey:
    """The columns that name one score's totals: scope ('all' or 'q:<id>'), modality group, family and
    label (webapp.stats.KEY); shared by the counter tables of webapp.stats."""
    scope: Mapped[str] = mapped_column(String(20))
    modality: Mapped[str] = mapped_column(String(10))
    family: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(40))


class Aggregate(ScoreKey, db.Model):
    """Running totals of a score over all answers in a scope ('all' or 'q:<id>').

    Updated in the same transaction as each new or deleted result, so dashboards
    read one row instead of scanning answers.
    """
    __tablename__ = "aggregates"
    id: Mapped[int] = mapped_column(primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[float] = mapped_column(Float, default=0.0)
    total_sq: Mapped[float] = mapped_column(Float, default=0.0)
    # How many distinct candidates these results come from (their Contributor rows with answers > 0),
    # moved by webapp.stats.record when a candidate's first result arrives or their last one goes.
    people: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (UniqueConstraint("scope", "modality", "family", "label", name="uq_aggregate"),)

    @property
    def mean(self) -> Optional[float]:
        return self.total / self.count if self.count else None


class AggregateBin(db.Model):
    """Fixed-width histogram (100 bins over 0-100) of a score, for percentiles."""
    __tablename__ = "aggregate_bins"
    id: Mapped[int] = mapped_column(primary_key=True)
    aggregate_id: Mapped[int] = mapped_column(ForeignKey("aggregates.id", ondelete="CASCADE"))
    bin: Mapped[int] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (UniqueConstraint("aggregate_id", "bin", name="uq_aggregate_bin"),)


class WordCount(db.Model):
    """How often each (non-stop) word occurs in the text answers of a scope, and in the answers of
    how many distinct candidates (``people``: a word is listed for others only when enough candidates
    wrote it, so one candidate's names and places never are). A row whose count falls to 0 is deleted."""
    __tablename__ = "word_counts"
    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(20))
    word: Mapped[str] = mapped_column(String(40))
    count: Mapped[int] = mapped_column(Integer, default=0)
    people: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (
        UniqueConstraint("scope", "word", name="uq_word_count"),
        # the lists' order (stats.top_words): by how many candidates wrote a word, then how often
        Index("ix_word_counts_scope_people", "scope", "people", "count"),
    )


class WordUser(db.Model):
    """In how many of one candidate's counted answers of a scope a word occurs: what WordCount.people
    counts, and what leaves out a viewer's own use of a word. Moved with WordCount (a new answer's words
    with their batch, a deleted answer's at once). ``user_id`` has no foreign key, as in PendingResult: an
    account's rows are gone once its answers are (webapp.stats.unlink moves any left to a stand-in id).
    A row whose count falls to 0 is deleted."""
    __tablename__ = "word_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(20))
    word: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int] = mapped_column(Integer, index=True)
    answers: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (UniqueConstraint("scope", "word", "user_id", name="uq_word_user"),)


class AggregateDay(ScoreKey, db.Model):
    """Running totals of a score per calendar day (UTC, the answer's created_at date).

    Same scopes, modality groups and sign convention as ``Aggregate``; admins chart
    averages over time from these rows instead of scanning answers.
    """
    __tablename__ = "aggregate_days"
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    count: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[float] = mapped_column(Float, default=0.0)
    total_sq: Mapped[float] = mapped_column(Float, default=0.0)

    # (scope, modality, family, day) leads, so a date range of one family is one index range.
    __table_args__ = (UniqueConstraint("scope", "modality", "family", "day", "label", name="uq_aggregate_day"),)


class AnswerDay(db.Model):
    """Number of analysed answers per scope, modality group and day (for counts over time)."""
    __tablename__ = "answer_days"
    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(20))
    modality: Mapped[str] = mapped_column(String(10))
    day: Mapped[date] = mapped_column(Date)
    count: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (UniqueConstraint("scope", "modality", "day", name="uq_answer_day"),)


class Contributor(ScoreKey, db.Model):
    """How many results of one candidate are in the totals of a scope, modality group and score
    (family, label), or (family and label "") how many of their analysed answers are in the scope,
    or (family "words", webapp.stats.WORDS) how many of their answers' words are counted (what the word
    lists rest on). Kept by webapp.stats.record like the other
    counters; it tells how many distinct OTHER candidates an average or word list rests on
    (webapp.stats.MIN_OTHERS_PEOPLE). Deleted with the user; their answers were forgotten first."""
    __tablename__ = "contributors"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    answers: Mapped[int] = mapped_column(Integer, default=0)

    # (scope, modality, family, label) leads: the other candidates of one figure are one index range
    __table_args__ = (UniqueConstraint("scope", "modality", "family", "label", "user_id", name="uq_contributor"),)


class PendingResult(ScoreKey, db.Model):
    """A change of a score's totals waiting for its batch (webapp.stats): one result of an analysed
    answer to add (sign +1, answer_id set; deleted with the answer, so a deleted answer that was
    never counted leaves nothing) or one counted result to take out again (sign -1, after its
    answer was deleted: answer_id is None). ``user_id`` is the candidate whose result it is (no
    foreign key: a removal outlives a deleted account until its batch is applied; ids are never
    reused). Applied to Aggregate, AggregateBin, AggregateDay and Contributor, and deleted, once a
    scope/modality/score has enough of them. A new written answer's words wait the same way, one row per
    answer and scope (``words``), and are applied to WordCount and WordUser; a deleted answer's counted words
    leave at once (no removal with words waits: nothing of a deleted text is kept)."""
    __tablename__ = "pending_results"
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    value: Mapped[float] = mapped_column(Float)
    sign: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(Integer, index=True)
    answer_id: Mapped[Optional[int]] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"), nullable=True,
                                                     index=True)
    #: {word: count} of a written answer's words (family and label webapp.stats.WORDS, value 0):
    #: applied to WordCount with their batch; None for a score.
    words: Mapped[Optional[dict]] = mapped_column(JSON(none_as_null=True), nullable=True)

    __table_args__ = (Index("ix_pending_results_key", "scope", "modality", "family", "label"),)


def user_by_email(email: str) -> User | None:
    """The account of a lower-cased address, stored with its accents composed (Unicode NFC, as addresses are since
    2026-12-06) or as letters and separate marks (an older account): the form as given first, so each of two such
    accounts still signs in as it did."""
    from sqlalchemy import func
    forms = list(dict.fromkeys([email, unicodedata.normalize("NFC", email), unicodedata.normalize("NFD", email)]))
    users = db.session.execute(select(User).where(func.lower(User.email).in_(forms))).scalars().all()
    return next((u for f in forms for u in users if u.email.lower() == f), None)


class UserCount(db.Model):
    """Number of users per role and active flag, kept up to date at every flush by a hook in
    webapp.stats (registration, role or status change, deletion), so admin pages read two rows
    instead of counting users."""
    __tablename__ = "user_counts"
    role: Mapped[str] = mapped_column(String(20), primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class WorkerHeartbeat(db.Model):
    """One row per job worker process, refreshed while it runs, so /healthz can tell whether
    queued jobs have anyone to run them."""
    __tablename__ = "worker_heartbeats"
    name: Mapped[str] = mapped_column(String(120), primary_key=True)  # host:pid
    backend: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


@event.listens_for(Answer, "before_insert")
def _keep_the_wording_answered(_mapper, connection, answer: Answer) -> None:
    """Every new answer keeps the question's wording of the moment (Answer.question_text), whoever stores it."""
    if answer.question_text is None and answer.question_id is not None:
        answer.question_text = connection.execute(
            select(Question.text).where(Question.id == answer.question_id)).scalar()


def lock_question_order(session) -> None:
    """Hold the question bank's order until ``session``'s transaction ends, before reading any position to change:
    two admins' moves, imports or new questions at the same moment then take turns, and never give two questions one
    place or swap from places already changed. PostgreSQL: a table lock that excludes every other writer of the
    questions (readers and candidates' answers are not held up). SQLite: the transaction's first write, which takes
    the database's write lock (the Python driver starts a transaction only then, so what is read next is current)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sql_text("LOCK TABLE questions IN SHARE ROW EXCLUSIVE MODE"))
    else:
        session.execute(sql_text("UPDATE questions SET position = position WHERE 1 = 0"))


def next_question_position(session) -> int:
    """The place after the last question (1 in an empty bank); read under ``lock_question_order``."""
    from sqlalchemy import func
    return session.scalar(select(func.coalesce(func.max(Question.position), 0))) + 1


@event.listens_for(Session, "before_flush")
def _place_new_questions(session, flush_context, instances) -> None:
    """New questions without a position (an admin's new question, the seed, a test's) go after the last, in the order
    they were added to the session, whoever stores them."""
    pending = [obj for obj in session.new if isinstance(obj, Question)]
    new = sorted((obj for obj in pending if obj.position is None), key=lambda obj: instance_state(obj).insert_order)
    if not new:
        return
    lock_question_order(session)
    # (after any place given already to a question of this flush, as webapp.admin.service.import_bank gives them)
    first = max([next_question_position(session)] + [obj.position + 1 for obj in pending if obj.position is not None])
    for n, question in enumerate(new):
        question.position = first + n
