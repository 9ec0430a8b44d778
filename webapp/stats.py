"""Pre-aggregated comparisons: running totals and histograms per scope/modality/label.

Every function here runs inside the caller's transaction, so a result and the
aggregates it feeds are committed (or rolled back) together.
"""
from __future__ import annotations

import math
import secrets
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Iterable, Iterator

from collections import Counter

from flask import current_app
from sqlalchemy import (Float, Integer, String, and_, case, cast, delete, event, func, insert, inspect, literal, null,
                        select, union_all, update)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .extensions import db
from .models import (Aggregate, AggregateBin, AggregateDay, Answer, AnswerDay, Contributor, PendingResult, Score,
                     User, UserCount, WordCount, WordUser, utcnow)
from .textstats import content_word_counts

N_BINS = 100
OVERALL = "all"
# Below this many results from OTHER candidates a percentile says little: pages say so instead.
MIN_OTHERS_FOR_PERCENTILE = 20
# Small-cell suppression of what a candidate sees of OTHER candidates (an average, its spread and
# percentile, a word list): it is held back unless it rests on at least MIN_OTHERS_FOR_AVERAGE of
# their results AND on at least MIN_OTHERS_PEOPLE distinct other candidates. With one other answer
# "the average" IS that candidate's score, and "everybody's words" are theirs; counting answers alone
# is not enough either, since five answers of one other candidate make "the average of others" that
# one person's average (and their words). Three is the usual smallest cell: with two other
# candidates, a viewer who knows one of them's results (a friend's, a second account's) can work
# out the other's. People are counted per figure (a Big Five average rests on the candidates with a stored
# Big Five, not on all who answered), from the Contributor rows. Both rules live in held_back();
# compare(viewer_id=...) and others_words() apply them.
MIN_OTHERS_FOR_AVERAGE = 5
MIN_OTHERS_PEOPLE = 3
# Differencing: a candidate who reads "the average of others" before and after one other answer
# arrives (or goes) could work out that answer's score from the two averages and counts. So the
# score totals (Aggregate, AggregateBin, AggregateDay, Contributor) move only in batches: each new or
# removed result waits in PendingResult until its scope, modality group and score have waiting
# changes that, with any one candidate's own left out (what they see has their own results taken
# out), still number AVERAGES_BATCH_RESULTS from AVERAGES_BATCH_PEOPLE distinct candidates (config;
# by default the small-cell rule's 5 and 3); then all of them are applied at once (batch_ready).
# Any difference between two states a page shows then rests on as many results and people as a
# shown average. own_contribution leaves out what is counted of a candidate's own results: not their
# new results still waiting, but also their deleted ones whose removal still waits. A written answer's
# words (WordCount, the most frequent words shown beside an answer) wait in the same way, as one
# change per answer and scope under the "score" WORDS, with the number of answers and of candidates
# whose words are counted (WORDS's Aggregate count and people and Contributor rows), on which
# others_words holds a list back. A deleted answer's counted words leave at once, not with a batch:
# nothing of a deleted text waits in the database (the price: a list read just before and after a
# deletion shows that answer's counts of the listed words, which at least MIN_OTHERS_PEOPLE others
# wrote too). The answer counts per day (AnswerDay, admins' figures) and the ANSWERS Contributor rows
# are not batched.
# The family and label of a candidate's Contributor row that counts their analysed answers in a
# scope (not one score's results).
ANSWERS = ("", "")
# The family and label under which a written answer's words are counted (Aggregate: answers whose words
# are in WordCount, no total; Contributor: per candidate) and wait for their batch (PendingResult.words).
WORDS = ("words", "")


# Whose answers the stored figures are made of: candidates'. An admin's answer (an admin trying the product) goes into
# none of them: not the averages, spreads and percentiles, the word lists and what they rest on, nor admins' daily
# figures and answer counts, so it never moves what candidates are compared with. Each answer says whether it went in
# (Answer.in_averages), so that a deletion takes out exactly what it added: it is decided when the analysis is stored
# (record: its author's role then), and a candidate made an admin has their answers taken out
# (webapp.answers.take_out_of_averages). Each answer also says whether it was given by an admin (Answer.given_as_admin,
# read when it is sent: _given_as): an admin made a candidate again has the answers they gave as a candidate put back
# (out_while_admin, webapp.answers.put_back_in_averages), while those they gave to try the product stay out for good (a
# review: a candidate made an admin by mistake had their three answers out of every figure after the role was
# revoked). The answer's own pages are the same either way; only what others are compared with moves.
COUNTED_ROLE = "candidate"


@event.listens_for(Answer, "before_insert")
def _given_as(_mapper, connection, answer: Answer) -> None:
    """Every new answer says whether its author is an admin as it is sent (Answer.given_as_admin), whoever stores it:
    an answer sent as a candidate and analysed after its author was made an admin is theirs as a candidate, and comes
    back into the figures with the role (a job reads the role only when it stores the result)."""
    if answer.given_as_admin is None and answer.user_id is not None:
        role = connection.execute(select(User.role).where(User.id == answer.user_id)).scalar()
        answer.given_as_admin = role is not None and role != COUNTED_ROLE


def counted(answer):
    """Whether an answer is in the stored figures (the averages, the word lists and what they rest on): analysed
    (status "done") and added when its analysis was stored (Answer.in_averages). The one place this is said.
    ``counted(Answer)``, the mapped class, gives the condition as an SQL expression, for a query's ``where``;
    ``counted(answer)``, a loaded answer, gives its value now."""
    if isinstance(answer, type):
        return and_(answer.status == "done", answer.in_averages.is_(True))
    return answer.status == "done" and bool(answer.in_averages)


def out_while_admin(answer):
    """Whether an analysed answer is out of the stored figures only because its author was made an admin after
    sending it (not Answer.in_averages, not Answer.given_as_admin): the answers that making the account a candidate
    again puts back (webapp.answers.put_back_in_averages). ``out_while_admin(Answer)`` and ``out_while_admin(answer)``
    as counted()'s."""
    if isinstance(answer, type):
        return and_(answer.status == "done", answer.in_averages.is_(False), answer.given_as_admin.is_(False))
    return answer.status == "done" and not answer.in_averages and not answer.given_as_admin


def kept_out(answer):
    """Whether an analysed answer is an admin's own (Answer.given_as_admin) and out of the stored figures: it stays
    out whatever its author's role becomes. ``kept_out(Answer)`` and ``kept_out(answer)`` as counted()'s."""
    if isinstance(answer, type):
        return and_(answer.status == "done", answer.given_as_admin.is_(True), answer.in_averages.is_(False))
    return answer.status == "done" and bool(answer.given_as_admin) and not answer.in_averages


def author_counts(user_id: int) -> bool:
    """Whether a result of the account `user_id` stored now goes into the stored figures (COUNTED_ROLE; no account:
    no). The role is read under a share lock of the account's row (PostgreSQL; SQLite's writes follow one another
    anyway): a role change at the same moment writes that row first and then takes the account's counted answers
    out, so it either waits for this transaction and finds the answer counted, or goes first and is read here."""
    role = db.session.execute(select(User.role).where(User.id == user_id).with_for_update(read=True)).scalar()
    return role == COUNTED_ROLE


def held_back(answers: int, people: int) -> str | None:
    """Why an average or word list of OTHER candidates resting on `answers` of their results from
    `people` distinct other candidates may not be shown to a candidate: "answers" (too few results)
    or "people" (enough results, but from too few candidates), or None when it may be shown.
    The one place of the rule (see MIN_OTHERS_FOR_AVERAGE)."""
    if answers < MIN_OTHERS_FOR_AVERAGE:
        return "answers"
    if people < MIN_OTHERS_PEOPLE:
        return "people"
    return None


def question_scope(question_id: int) -> str:
    return f"q:{question_id}"


def scopes_for(answer: Answer) -> tuple[str, str]:
    return (OVERALL, question_scope(answer.question_id))


def modality_group(modality: str) -> str:
    """Typed text and PDF cover letters are both written answers, compared together."""
    return "text" if modality in ("text", "pdf") else modality


# Histogram range per (family, label); scores default to 0-100.
RANGES = {  # histogram range of scores that are not 0-100 (percentiles come from these bins)
    ("speech", "wpm"): (0.0, 300.0),
    ("speech", "articulation_wpm"): (0.0, 400.0),
    ("speech", "fillers_per_min"): (0.0, 30.0),
    ("speech", "hedges_per_min"): (0.0, 30.0),
    ("speech", "long_pauses_per_min"): (0.0, 30.0),
    ("gaze", "looking_away_per_min"): (0.0, 30.0),
    ("gaze", "nods_per_min"): (0.0, 60.0),
    ("gaze", "shakes_per_min"): (0.0, 60.0),
    ("gaze", "motion"): (0.0, 60.0),
    ("gaze", "blinks_per_min"): (0.0, 60.0),
    ("speech", "pauses_per_min"): (0.0, 60.0),
    ("speech", "pitch_sd_semitones"): (0.0, 12.0),
    ("speech", "loudness_sd_db"): (0.0, 30.0),
    # a written answer's hedges per 100 of its words (ml.speech.metrics.written_hedges)
    ("writing", "hedges_per_100_words"): (0.0, 30.0),
}


def _bin(value: float, family: str = "", label: str = "") -> int:
    lo, hi = RANGES.get((family, label), (0.0, 100.0))
    return min(N_BINS - 1, max(0, int(math.floor((value - lo) / (hi - lo) * N_BINS))))


def _row_id(model, key: dict) -> int:
    """Id of the counter row of `model` with the unique `key`, inserted (counters at 0) if missing.

    Portable (SQLite and PostgreSQL): look it up, else insert it in a savepoint; a worker that
    inserted the same key concurrently makes ours fail on the unique constraint, and its row is
    used instead. The caller's transaction is left intact either way.
    """
    lookup = select(model.id).filter_by(**key)
    row_id = db.session.scalar(lookup)
    if row_id is not None:
        return row_id
    try:
        with db.session.begin_nested():
            return db.session.execute(insert(model).values(**key)).inserted_primary_key[0]
    except IntegrityError:  # created concurrently by another worker
        return db.session.execute(lookup).scalar_one()


def _add(model, key: dict, **deltas) -> int:
    """Add `deltas` to the counter columns of the row of `model` with the unique `key` (created
    at zero first) with one relative UPDATE (col = col + delta), which concurrent workers cannot
    lose; runs in the caller's transaction, so the counts move exactly when the result is stored.
    Returns the row's id. A candidate's row that another transaction deleted meanwhile (its count fell to 0,
    _contribute) is made again."""
    values = {getattr(model, col): getattr(model, col) + delta for col, delta in deltas.items()}
    for _ in range(3):
        row_id = _row_id(model, key)
        if db.session.execute(update(model).where(model.id == row_id).values(values)).rowcount:
            return row_id
    raise RuntimeError(f"the {model.__tablename__} row {key} kept vanishing")


def _contribute(key: dict, sign: int, model=Contributor) -> int:
    """Add `sign` to a candidate's count in the Contributor row `key` (relative UPDATE, as _add) and
    return how the number of distinct candidates behind it moves: +1 when their first result
    arrives (0 -> 1), -1 when their last one goes (1 -> 0), else 0. The count is read back under the
    lock of the UPDATE, so two workers storing answers of one candidate at once cannot both see a
    first (or a last) result. `model` WordUser: the same for the candidate's answers with one word.
    A row that falls to 0 is deleted: it would go on saying which questions the candidate answered, and in what
    form, after they deleted those answers (a privacy review found such rows kept until the account went); a
    transaction adding to it meanwhile makes it again (_add)."""
    # _add's relative UPDATE locks the row (PostgreSQL) or the database (SQLite) until the transaction
    # ends, so the count read right after it is the one it wrote (no UPDATE ... RETURNING, which
    # SQLite before 3.35 lacks)
    row_id = _add(model, key, answers=sign)
    after = db.session.execute(select(model.answers).where(model.id == row_id)).scalar_one()
    if after <= 0:
        db.session.execute(delete(model).where(model.id == row_id))
    return int(after > 0) - int(after - sign > 0)


def _apply(scope, modality, family, label, day, value, sign, user_id, people=None):
    """One score of the candidate `user_id` into the all-time totals, histogram and number of
    candidates and the day's totals of a scope. `people`: how the number of candidates moves, when
    it is not read from the candidate's Contributor row (a deleted account's, see _release)."""
    key = {"scope": scope, "modality": modality, "family": family, "label": label}
    if people is None:
        people = _contribute({**key, "user_id": user_id}, sign)
    moments = {"count": sign, "total": sign * value, "total_sq": sign * value * value}
    aggregate_id = _add(Aggregate, key, **moments, people=people)
    _add(AggregateBin, {"aggregate_id": aggregate_id, "bin": _bin(value, family, label)}, count=sign)
    _add(AggregateDay, {**key, "day": day}, **moments)


def _apply_words(scope, modality, words, sign, user_id, people=None):
    """A written answer's words ({word: count}) into the word counts of a scope, and the answer into
    the number of answers and candidates behind them (the Aggregate and Contributor rows of WORDS);
    `people` as for _apply."""
    key = {"scope": scope, "modality": modality, "family": WORDS[0], "label": WORDS[1]}
    if people is None:
        people = _contribute({**key, "user_id": user_id}, sign)
    _add(Aggregate, key, count=sign, people=people)
    for word, n in sorted(words.items()):
        # how the number of candidates who wrote the word moves (the caller holds the scope's WORDS lock)
        people_moved = _contribute({"scope": scope, "word": word, "user_id": user_id}, sign, WordUser)
        row = _add(WordCount, {"scope": scope, "word": word}, count=sign * int(n), people=people_moved)
        db.session.execute(delete(WordCount).where(WordCount.id == row, WordCount.count <= 0))


def answer_day(answer: Answer) -> date:
    """The calendar day (UTC) an answer counts for in the daily aggregates."""
    return (answer.created_at or utcnow()).date()


def record(answer: Answer, scores: Iterable[tuple[str, str, float]], sign: int = 1,
           words: dict[str, int] | None = None) -> None:
    """Add (sign=1) or remove (sign=-1) an answer's scores and words from the aggregates.

    Updates the all-time rows (Aggregate, AggregateBin, WordCount), the candidate's Contributor
    rows (one per score and one for the answer) and the daily rows (AggregateDay, AnswerDay) of the
    answer's created_at day, in the caller's transaction. The scores' and words' changes go through
    their batches (_apply_scores), the answer counts at once. `words`: the answer's _words(), if
    the caller has them already.

    Adding decides whether the answer counts at all (Answer.in_averages: not an admin's own answer, given_as_admin,
    and its author is a candidate now, author_counts); an answer that does not count moves nothing, added or removed.
    """
    if sign > 0:
        answer.in_averages = not answer.given_as_admin and author_counts(answer.user_id)
    if not answer.in_averages:
        return
    group = modality_group(answer.modality)
    day = answer_day(answer)
    family, label = ANSWERS
    _apply_scores(answer, scores, sign, _words(answer) if words is None else words)
    for scope in scopes_for(answer):
        _add(AnswerDay, {"scope": scope, "modality": group, "day": day}, count=sign)
        _contribute({"scope": scope, "modality": group, "family": family, "label": label,
                     "user_id": answer.user_id}, sign)


KEY = ("scope", "modality", "family", "label")  # what identifies one score's totals (an Aggregate row)


def _changes(answer: Answer, scores: Iterable[tuple[str, str, float]],
             words: dict[str, int] | None) -> dict[tuple, list[tuple[float, dict | None]]]:
    """{key (KEY's values): [(value, words or None)]}: the changes an answer's scores and words make."""
    group = modality_group(answer.modality)
    changes: dict[tuple, list[tuple[float, dict | None]]] = {}
    for scope in scopes_for(answer):
        for fam, lab, value in scores:
            changes.setdefault((scope, group, fam, lab), []).append((float(value), None))
        if words:
            changes.setdefault((scope, group, *WORDS), []).append((0.0, dict(words)))
    return changes


def _apply_scores(answer: Answer, scores: Iterable[tuple[str, str, float]], sign: int,
                  words: dict[str, int] | None = None) -> None:
    """Add (sign=1) or remove (sign=-1) scores of an answer in each of its scopes: each change waits
    in PendingResult for its batch (see AVERAGES_BATCH_RESULTS above); a removal of a result still
    waiting just deletes it. Then each score whose batch is complete is applied (_release).
    `words` ({word: count}, a written answer's) wait in the same way, as one change per scope under
    the family and label WORDS.

    Every change of a score's waiting or counted results happens under the lock of its Aggregate row
    (a relative UPDATE; rows taken in sorted order, the same order on every path), so a job storing
    a result, a deletion and a release of the same score follow one another: a removal cannot miss a
    result that a concurrent release is applying, and a batch completed by two jobs at once is seen
    complete by the second."""
    day = answer_day(answer)
    changes = _changes(answer, scores, words)
    for k in sorted(changes):
        key = dict(zip(KEY, k))
        _add(Aggregate, key, count=0)  # the score's lock: a relative UPDATE of its row (created if missing)
        for value, listed in changes[k]:
            if sign < 0 and answer.id is not None and db.session.execute(delete(PendingResult).filter_by(
                    answer_id=answer.id, sign=1, **key).execution_options(synchronize_session=False)).rowcount:
                continue  # it was never counted: nothing to take out
            if sign < 0 and listed is not None:
                # a deleted answer's counted words leave at once: a removal waiting for its batch would keep
                # the deleted text's words (and its candidate) in the database for as long as the batch takes
                _apply_words(key["scope"], key["modality"], listed, sign, answer.user_id)
                continue
            row = PendingResult(**key, day=day, value=value, sign=sign, user_id=answer.user_id,
                                answer_id=answer.id if sign > 0 else None, words=listed)
            db.session.add(row)
            for added in db.session.info.get(_ADDED, ()):
                added.append(row)
        db.session.flush()
        _release(key)


def batch_size() -> tuple[int, int]:
    """(results, people) a batch of changes to other candidates' averages needs, as any one candidate
    sees it (config; (0, 0): no batches, every change at once)."""
    cfg = current_app.config
    return (max(0, int(cfg.get("AVERAGES_BATCH_RESULTS", MIN_OTHERS_FOR_AVERAGE))),
            max(0, int(cfg.get("AVERAGES_BATCH_PEOPLE", MIN_OTHERS_PEOPLE))))


def batch_ready(user_ids: list[int]) -> bool:
    """Whether waiting changes of these candidates (one id per change) make a batch: with every one
    candidate's own changes left out (a candidate's own results are taken out of what they see), at
    least batch_size() results from at least that many other candidates remain."""
    results, people = batch_size()
    if not user_ids:
        return False
    if results == 0 and people == 0:
        return True
    per = Counter(user_ids)
    return len(user_ids) - max(per.values()) >= results and len(per) - 1 >= people


def _release(key: dict) -> int:
    """Apply the changes waiting for the score `key` (scope, modality, family, label) to its totals
    and delete them, if they make a batch (batch_ready). The caller holds the lock of the key's
    Aggregate row (_apply_scores). Returns how many were applied.

    A removal whose candidate has since deleted their account has no Contributor row any more (it
    went with the user): the candidate leaves the number of people behind the score once, when
    their removals are applied (all of them wait in the same batch: an account's answers are
    deleted in one transaction, and a release takes every waiting change of the score)."""
    rows = db.session.execute(select(PendingResult).filter_by(**key).order_by(PendingResult.id)).scalars().all()
    if not batch_ready([r.user_id for r in rows]):
        return 0
    ids = {r.user_id for r in rows}
    gone = ids - set(db.session.scalars(select(User.id).where(User.id.in_(ids))))
    left = set()
    for r in rows:
        people = None
        if r.user_id in gone:
            people = 0 if r.user_id in left else -1
            left.add(r.user_id)
        if r.words is not None:
            _apply_words(r.scope, r.modality, r.words, r.sign, r.user_id, people)
        else:
            _apply(r.scope, r.modality, r.family, r.label, r.day, r.value, r.sign, r.user_id, people)
    db.session.execute(delete(PendingResult).where(PendingResult.id.in_([r.id for r in rows]))
                       .execution_options(synchronize_session=False))
    for r in rows:  # gone: SQLite may give their ids to the next rows added (pending_results has no AUTOINCREMENT)
        db.session.expunge(r)
    return len(rows)


_ADDED = "stats.changes_added"  # db.session.info: the lists new_changes() is filling


@contextmanager
def new_changes() -> Iterator[list]:
    """Collect the changes (PendingResult rows) added to the waiting ones inside the block, for still_waiting:
    what a deletion or a change of role made wait, and no one else's."""
    added: list = []
    lists = db.session.info.setdefault(_ADDED, [])
    lists.append(added)
    try:
        yield added
    finally:
        lists.remove(added)


def still_waiting(added: Iterable[PendingResult], sign: int) -> int:
    """How many of the changes ``added`` (new_changes) of this ``sign`` (-1: a counted result to take out, +1: a
    result to add) still wait for their batch, the rest having been applied at once by a batch they completed. A
    count of the whole table before and after would not do: a deletion that completes a batch of other candidates'
    waiting removals takes those away while its own still wait in another scope, and the message then said its
    scores had left the averages (wording.scores_leave). (SQLite may give a new row the id of one a batch has just
    deleted; both would then be this block's rows, and the count still says whether any of them waits.)"""
    ids = {r.id for r in added if r.sign == sign and r.id is not None}
    if not ids:
        return 0
    db.session.flush()
    return db.session.scalar(select(func.count()).select_from(PendingResult).where(PendingResult.id.in_(ids))) or 0


def unlink(user_id: int) -> None:
    """Before a candidate's account is deleted: their changes still waiting for a batch (the removals
    of their counted results) keep a random negative stand-in for their id instead, so nothing that
    stays links them to the account; a batch still counts them as one candidate, who has left
    (_release: no user has that id)."""
    stand_in = -1 - secrets.randbelow(2**31 - 1)
    for model in (PendingResult, WordUser):  # (their counted words left with their answers: none is expected here)
        db.session.execute(update(model).where(model.user_id == user_id).values(user_id=stand_in)
                           .execution_options(synchronize_session=False))


def waiting_by_scope(modality: str, family: str, scope: str | None = None,
                     start: date | None = None, end: date | None = None) -> dict[str, int]:
    """{scope: the most changes still waiting for their batch of any one score (label) of a family} (scopes
    with none left out), in one query; ``scope``: that scope alone; ``start``/``end``: only changes of results
    of those days (inclusive; a removal carries its result's day)."""
    where = [PendingResult.modality == modality_group(modality), PendingResult.family == family]
    if scope is not None:
        where.append(PendingResult.scope == scope)
    if start is not None:
        where.append(PendingResult.day >= start)
    if end is not None:
        where.append(PendingResult.day <= end)
    per_label = (select(PendingResult.scope, func.count().label("n")).where(*where)
                 .group_by(PendingResult.scope, PendingResult.label).subquery())
    return dict(db.session.execute(select(per_label.c.scope, func.max(per_label.c.n)).group_by(per_label.c.scope)).all())


def waiting(scope: str, modality: str, family: str, start: date | None = None, end: date | None = None) -> int:
    """The most changes still waiting for their batch of any one score (label) of a family in a scope (of the
    results of days ``start`` to ``end``, when given)."""
    return waiting_by_scope(modality, family, scope, start, end).get(scope, 0)


def own_contribution(own: Iterable[Answer], question_ids: Iterable[int], user_id: int,
                     modality: str) -> dict[str, list[tuple[str, str, float]]]:
    """{scope: [(family, label, value)]}: what a candidate's analysed answers `own` (scores loaded;
    all of one modality group) added to the aggregates of all questions and of each of
    `question_ids`, for compare(exclude=...) so that the candidate is compared with OTHER
    candidates only. An answer's stored scores are exactly what record() added for it (a short
    answer's Big Five estimate is in neither: see jobs.analyzers), except for the changes still
    waiting for their batch (PendingResult of the candidate `user_id` in the modality group of
    `modality`, one query): a result not counted yet is not in the totals, so it is not taken out;
    a result of a deleted answer whose removal waits is still in them, so it is taken out."""
    scopes = {q: question_scope(q) for q in question_ids}
    own = [a for a in own if a.in_averages]  # an admin's answers were never added: nothing of them to take out
    out: dict[str, list] = {OVERALL: [], **{scope: [] for scope in scopes.values()}}
    waiting_new, removed = set(), []
    for p in db.session.execute(select(PendingResult).where(
            PendingResult.user_id == user_id, PendingResult.scope.in_(list(out)),
            PendingResult.modality == modality_group(modality), PendingResult.words.is_(None))).scalars():
        if p.sign > 0:
            waiting_new.add((p.answer_id, p.scope, p.family, p.label))
        else:
            removed.append(p)
    for a in own:
        for scope in (OVERALL, scopes.get(a.question_id)):
            if scope is not None:
                out[scope] += [(s.family, s.label, s.value) for s in a.scores
                               if (a.id, scope, s.family, s.label) not in waiting_new]
    for p in removed:
        out[p.scope].append((p.family, p.label, p.value))
    return out


def drop_scores(answer: Answer, family: str, labels: Iterable[str] | None = None) -> int:
    """Take one family of a finished answer's stored scores (only its `labels`, if given) out of the
    aggregates and delete them, leaving the answer, its other scores and its words counted (in the
    caller's transaction); an answer not in the averages (an admin's) only loses the scores. Returns
    how many scores went."""
    labels = None if labels is None else set(labels)
    gone = [s for s in answer.scores if s.family == family and (labels is None or s.label in labels)]
    if answer.status != "done" or not gone:
        return 0
    if answer.in_averages:
        _apply_scores(answer, [(s.family, s.label, s.value) for s in gone], -1)
    for s in gone:
        answer.scores.remove(s)
        db.session.delete(s)
    return len(gone)


def add_scores(answer: Answer, scores: Iterable[tuple[str, str, float]]) -> int:
    """Give a finished answer scores it lacks (a figure measured after its analysis: ``flask count-written-hedges``)
    and add them to the aggregates as record() would have, through their batches (in the caller's transaction);
    an answer not in the averages (an admin's) only gets the scores. A score the answer has already is left as it
    is. Returns how many were added."""
    have = {(s.family, s.label) for s in answer.scores}
    new = [(family, label, float(value)) for family, label, value in scores if (family, label) not in have]
    if answer.status != "done" or not new:
        return 0
    for family, label, value in new:
        answer.scores.append(Score(family=family, label=label, value=value))
    if counted(answer):
        _apply_scores(answer, new, 1)
    return len(new)


def _stored(answer: Answer) -> list[tuple[str, str, float]]:
    return [(s.family, s.label, s.value) for s in answer.scores]


def _words(answer: Answer) -> dict[str, int]:
    """{word: count} of an answer's content words, as the word lists count them ({} without text)."""
    return content_word_counts(answer.text) if answer.text else {}


def recount_words() -> tuple[int, int]:
    """Rebuild the word lists from the written answers in the averages (Answer.in_averages: candidates', not admins')
    as ``content_word_counts`` reads them today, in the caller's
    transaction: WordCount and WordUser, and what the lists rest on (the WORDS Aggregate rows' answers and people and
    the candidates' WORDS Contributor rows); the words of answers still waiting for their batch are rewritten the
    same way (their change dropped if no word is left). After a change of how words are read, a deleted answer then
    takes out exactly what it put in. An answer with words now and none before is counted at once, not through a
    batch (an upgrade counts many answers together). Holds the WORDS lock of every scope (the order of
    _apply_scores). Returns (answers read, word rows)."""
    family, label = WORDS
    keys = sorted(tuple(k) for k in db.session.execute(
        select(Aggregate.scope, Aggregate.modality, Aggregate.family, Aggregate.label)
        .where(Aggregate.family == family, Aggregate.label == label)))
    for k in keys:
        _add(Aggregate, dict(zip(KEY, k)), count=0)
    waiting = {(r.answer_id, r.scope): r for r in db.session.scalars(select(PendingResult).where(
        PendingResult.family == family, PendingResult.label == label, PendingResult.sign == 1))}
    counts, users, answered = Counter(), Counter(), Counter()
    answers = db.session.scalars(select(Answer).where(counted(Answer), Answer.text.is_not(None))).all()
    for answer in answers:
        words, group = _words(answer), modality_group(answer.modality)
        for scope in scopes_for(answer):
            if (pending := waiting.get((answer.id, scope))) is not None:
                if words:
                    pending.words = dict(words)  # applied with its batch
                else:  # no word left: nothing to add (and its deletion would take nothing out)
                    db.session.delete(pending)
                continue
            if not words:
                continue
            answered[scope, group, answer.user_id] += 1
            for word, n in words.items():
                counts[scope, word] += n
                users[scope, word, answer.user_id] += 1
    db.session.execute(delete(WordUser))
    db.session.execute(delete(WordCount))
    db.session.execute(delete(Contributor).where(Contributor.family == family, Contributor.label == label))
    db.session.add_all(Contributor(scope=scope, modality=group, family=family, label=label, user_id=user_id, answers=n)
                       for (scope, group, user_id), n in answered.items())
    totals, people = Counter(), Counter()
    for (scope, group, _), n in answered.items():
        totals[scope, group] += n
        people[scope, group] += 1
    for scope, group in {(k[0], k[1]) for k in keys} | set(totals):
        row = _add(Aggregate, {"scope": scope, "modality": group, "family": family, "label": label}, count=0)
        db.session.execute(update(Aggregate).where(Aggregate.id == row).values(count=totals[scope, group],
                                                                              people=people[scope, group]))
    word_people = Counter((scope, word) for scope, word, _ in users)
    db.session.add_all(WordCount(scope=scope, word=word, count=n, people=word_people[scope, word])
                       for (scope, word), n in counts.items())
    db.session.add_all(WordUser(scope=scope, word=word, user_id=user_id, answers=n)
                       for (scope, word, user_id), n in users.items())
    db.session.flush()
    return len(answers), len(counts)


def forget(answer: Answer, words: dict[str, int] | None = None) -> None:
    """Remove a finished answer's contribution (called before deleting it), if it made one (Answer.in_averages);
    `words` as record()'s."""
    if counted(answer):
        record(answer, _stored(answer), sign=-1, words=words)


def forget_all(answers: Iterable[Answer], leaving: Iterable[int] = ()) -> None:
    """forget() several answers in one transaction, taking first, in one sorted order, the locks of
    every score and scope's words they touch and, for the candidates `leaving` (accounts about to be
    deleted: unlink moves their waiting changes, and their Contributor rows go with them), of every key
    with changes of theirs still waiting. One answer after another, a short written answer's words
    could be locked before a longer one's Big Five, against the order of a job storing an answer. The
    answers are then taken out by day and answer type (the order of the daily answer counts they move). Answers not
    in the averages (Answer.in_averages: an admin's) are passed over: they added nothing."""
    done = _in_lock_order(a for a in answers if counted(a))
    words = _lock_all(done, leaving)
    for a in done:
        forget(a, words[id(a)])


def record_all(answers: Iterable[Answer]) -> int:
    """record() again, in one transaction, the stored scores and words of analysed answers that are out of the
    figures while their author is an admin (out_while_admin; others are passed over), with forget_all's locks and
    order: what making an admin a candidate again does (webapp.answers.put_back_in_averages; the caller has written
    the role, so author_counts reads a candidate). They count again as if just analysed, on the days they were given,
    through the batches. Returns how many are in the averages now."""
    done = _in_lock_order(a for a in answers if out_while_admin(a))
    words = _lock_all(done)
    for a in done:
        record(a, _stored(a), words=words[id(a)])
    return sum(counted(a) for a in done)


def _in_lock_order(answers: Iterable[Answer]) -> list[Answer]:
    """Answers in the order several of them move the daily answer counts: by day, answer type and id."""
    return sorted(answers, key=lambda a: (answer_day(a), modality_group(a.modality), a.id or 0))


def _lock_all(answers: list[Answer], leaving: Iterable[int] = ()) -> dict[int, dict[str, int]]:
    """Take, in one sorted order, the locks of every score and scope's words these answers move and, for the
    candidates `leaving`, of every key with changes of theirs still waiting (forget_all); returns {id(answer): its
    words} (_words, read once)."""
    keys, words = set(), {}
    for a in answers:
        words[id(a)] = _words(a)
        keys.update(_changes(a, _stored(a), words[id(a)]))
    leaving = list(leaving)
    if leaving:
        keys.update(tuple(row) for row in db.session.execute(
            select(PendingResult.scope, PendingResult.modality, PendingResult.family, PendingResult.label)
            .where(PendingResult.user_id.in_(leaving)).distinct()))
    for k in sorted(keys):
        _add(Aggregate, dict(zip(KEY, k)), count=0)
    return words


def comparisons(modality: str, family: str, scopes: Iterable[str] | None = None,
                exact: bool = False) -> dict[str, dict[str, dict]]:
    """{scope: {label: {"mean", "sd", "count"}}} of every scope (or of `scopes`), in one query; ``exact``: of every
    result stored now (admins' figures: the changes still waiting for their batch added)."""
    group = modality_group(modality)
    q = select(Aggregate.scope, Aggregate.label, Aggregate.count, Aggregate.total, Aggregate.total_sq).where(
        Aggregate.modality == group, Aggregate.family == family)
    if scopes is not None:
        q = q.where(Aggregate.scope.in_(list(scopes)))
    if exact:
        waiting = select(PendingResult.scope, PendingResult.label, *_waiting_moments()).where(
            *_waiting_filter(group, family))
        if scopes is not None:
            waiting = waiting.where(PendingResult.scope.in_(list(scopes)))
        u = union_all(q, waiting).subquery()
        q = (select(u.c.scope, u.c.label, *_sums(u)).group_by(u.c.scope, u.c.label))
    out: dict[str, dict[str, dict]] = {}
    for scope, label, count, total, total_sq in db.session.execute(q):
        if (row := summary(count, total, total_sq)) is not None:
            out.setdefault(scope, {})[label] = row
    return out


def comparison(scope: str, modality: str, family: str) -> dict[str, dict]:
    """{label: {"mean", "sd", "count"}} for one scope, read from the aggregate rows."""
    return comparisons(modality, family, [scope]).get(scope, {})


def compare(scopes: Iterable[str], modality: str, values: dict[str, dict[str, float | None]],
            exclude: dict[str, Iterable[tuple[str, str, float]]] | None = None,
            viewer_id: int | None = None) -> dict:
    """An answer's scores beside the stored results of each scope, in one query whatever the
    number of scopes, families and labels.

    `exclude` is {scope: [(family, label, value), ...]}: results to leave out of that scope's
    figures (a candidate's own scores, so they are compared with OTHER candidates only). They
    are subtracted from the counts, totals and histogram sums read from the aggregates, so
    excluding costs no query; a label left with no results is dropped.

    `values` is {family: {label: value or None}}. Returns {scope: {family: {label: {"mean",
    "sd", "count", "percentile"}}}} for every label with stored results in those families;
    "percentile" is the share (0-100) of the scope's results below the label's value (half of
    its own histogram bin counted), None without a value. Each aggregate row comes with the
    sums of its histogram below and at the bin of its label's value (a CASE picks that bin).

    `viewer_id`: what the candidate with that id may see (with `exclude` their own results):
    each row also has "people", the number of distinct OTHER candidates its results come from,
    and "held_back", the reason (held_back()) why its "mean", "sd" and "percentile" are None, or
    None when they are shown; "percentile" is also None below MIN_OTHERS_FOR_PERCENTILE results.
    "count" stays, so a page can say how many answers of others there are. Without `viewer_id`
    (admins) every figure is returned.
    """
    families = list(values)
    if not families:
        return {}
    whens = [(and_(Aggregate.family == family, Aggregate.label == label), _bin(value, family, label))
             for family, labels in values.items() for label, value in labels.items() if value is not None]
    target_bin = case(*whens, else_=None) if whens else cast(null(), Integer)

    def bin_sum(condition):
        return func.coalesce(func.sum(case((condition, AggregateBin.count), else_=0)), 0)

    # for a viewer: the number of candidates behind each aggregate, and the viewer's own results in
    # it (their Contributor row, joined on its unique key; 0 without one)
    viewer = [Aggregate.people, func.coalesce(func.max(Contributor.answers), 0)] if viewer_id is not None else []
    query = (
        select(Aggregate.scope, Aggregate.family, Aggregate.label, Aggregate.count, Aggregate.total,
               Aggregate.total_sq, bin_sum(AggregateBin.bin < target_bin), bin_sum(AggregateBin.bin == target_bin),
               *viewer)
        .select_from(Aggregate)
        .outerjoin(AggregateBin, AggregateBin.aggregate_id == Aggregate.id)
        .where(Aggregate.scope.in_(list(scopes)), Aggregate.modality == modality_group(modality),
               Aggregate.family.in_(families))
        .group_by(Aggregate.id)
    )
    if viewer_id is not None:
        query = query.outerjoin(Contributor, and_(
            Contributor.scope == Aggregate.scope, Contributor.modality == Aggregate.modality,
            Contributor.family == Aggregate.family, Contributor.label == Aggregate.label,
            Contributor.user_id == viewer_id))
    rows = db.session.execute(query).all()
    minus: dict = {}  # (scope, family, label) -> [count, total, total_sq, below, same] to subtract
    for scope, own in (exclude or {}).items():
        for family, label, v in own:
            if family not in values:
                continue
            m = minus.setdefault((scope, family, label), [0, 0.0, 0.0, 0, 0])
            v = float(v)
            m[0] += 1
            m[1] += v
            m[2] += v * v
            value = values[family].get(label)
            if value is not None:
                b, target = _bin(v, family, label), _bin(value, family, label)
                m[3] += b < target
                m[4] += b == target
    out: dict = {}
    for scope, family, label, count, total, total_sq, below, same, *people_mine in rows:
        if (m := minus.get((scope, family, label))) is not None:
            count, total, total_sq = count - m[0], (total or 0.0) - m[1], (total_sq or 0.0) - m[2]
            below, same = below - m[3], same - m[4]
        if count <= 0 or (row := summary(count, total, total_sq)) is None:
            continue
        value = values[family].get(label)
        row["percentile"] = None if value is None else 100.0 * (below + 0.5 * same) / count
        if viewer_id is not None:
            people, mine = people_mine
            row["people"] = (people or 0) - (1 if mine > 0 else 0)
            row["held_back"] = held_back(count, row["people"])
            if row["held_back"] is not None:
                row.update(mean=None, sd=None, percentile=None)
            elif count < MIN_OTHERS_FOR_PERCENTILE:
                row["percentile"] = None
        out.setdefault(scope, {}).setdefault(family, {})[label] = row
    return out


def others_left_out(scopes: Iterable[str], modality: str, families: Iterable[str], viewer_id: int) -> dict:
    """What tells why a figure of OTHER candidates rests on fewer results than they have answers (a Big Five trait:
    the worker stores no trait score of an answer too short for it): {"answers": {scope: their analysed answers of
    any length in the modality group (the ANSWERS Contributor rows, counted at once)}, "waiting": {(scope, family,
    label): the net change of their results of `families` still waiting for their batch}}, in one query. With a label's
    counted results (compare's "count"), left_out() says how many of their answers have no result of it: not "no
    other candidate answered" when a length rule kept their answers out (an answer page said "only answers of 100
    words or more count" where nobody else had answered at all); pace, fillers and hedges: a transcript that looks
    unreliable or too short a span of speech stores none, while the voice measures of the same answer count."""
    scopes, group = list(scopes), modality_group(modality)
    answered = (select(literal("a", String).label("kind"), Contributor.scope, literal("", String).label("family"),
                       literal("", String).label("label"), func.sum(Contributor.answers).label("n"))
                .where(Contributor.scope.in_(scopes), Contributor.modality == group, Contributor.family == ANSWERS[0],
                       Contributor.label == ANSWERS[1], Contributor.user_id != viewer_id, Contributor.answers > 0)
                .group_by(Contributor.scope))
    waits = (select(literal("w", String), PendingResult.scope, PendingResult.family, PendingResult.label,
                    func.sum(PendingResult.sign))
             .where(PendingResult.scope.in_(scopes), PendingResult.modality == group,
                    PendingResult.family.in_(list(families)), PendingResult.user_id != viewer_id,
                    PendingResult.words.is_(None))
             .group_by(PendingResult.scope, PendingResult.family, PendingResult.label))
    answers, waiting = dict.fromkeys(scopes, 0), {}
    for kind, scope, family, label, n in db.session.execute(union_all(answered, waits)):
        if kind == "a":
            answers[scope] = int(n or 0)
        else:
            waiting[scope, family, label] = int(n or 0)
    return {"answers": answers, "waiting": waiting}


def left_out(info: dict | None, scope: str, family: str, label: str, count: int) -> int:
    """How many analysed answers of other candidates in `scope` have no result of the score (`family`, `label`),
    neither counted (`count`, compare's) nor waiting for a batch (info: others_left_out's); 0 without info."""
    if not info:
        return 0
    return max(0, info["answers"].get(scope, 0) - (count or 0) - info["waiting"].get((scope, family, label), 0))


def percentile(scope: str, modality: str, family: str, label: str, value: float):
    """Share (0-100) of stored results in the scope below `value` (half of its own bin counted),
    or None when there is nothing to compare with."""
    row = compare([scope], modality, {family: {label: value}}).get(scope, {}).get(family, {}).get(label)
    return None if row is None else row["percentile"]


def top_words(scope: str, n: int = 10) -> list[tuple[str, int, int]]:
    """The n most widely used words of a scope (_word_order): [(word, count, people)]."""
    return top_words_of([scope], n)[scope]


# The words of a list come in the order of how many candidates wrote them, then how often: a word repeated a thousand
# times by a few (throwaway) accounts does not push out the words that many candidates use.
def _word_order(row) -> tuple:
    word, count, people = row
    return -people, -count, word


def top_words_of(scopes: Iterable[str], n: int = 10) -> dict[str, list[tuple[str, int, int]]]:
    """top_words() of several scopes in one statement: a UNION ALL of each scope's first n rows
    (each an index range of ix_word_counts_scope_people)."""
    scopes = list(scopes)
    words: dict[str, list[tuple[str, int, int]]] = {scope: [] for scope in scopes}
    if scopes:
        for _kind, scope, word, count, people in db.session.execute(union_all(*_top_word_selects(scopes, n))):
            words[scope].append((word, count, people))
    for listed in words.values():  # the order of a UNION is not guaranteed
        listed.sort(key=_word_order)
    return words


def _top_word_selects(scopes: list[str], n: int, viewer_id: int | None = None) -> list:
    """(kind "w", scope, word, count, people) of each scope's first n words (_word_order); with `viewer_id`, only the
    words that at least MIN_OTHERS_PEOPLE candidates other than the viewer wrote (so a list never shows what one or
    two candidates alone wrote: names, employers, places)."""
    def enough_people(scope):
        if viewer_id is None:
            return []
        viewer_wrote = (select(func.count()).where(WordUser.scope == scope, WordUser.word == WordCount.word,
                                                   WordUser.user_id == viewer_id, WordUser.answers > 0)
                        .scalar_subquery())
        return [WordCount.people - viewer_wrote >= MIN_OTHERS_PEOPLE]

    parts = [select(WordCount.scope, WordCount.word, WordCount.count, WordCount.people)
             .where(WordCount.scope == scope, WordCount.count > 0, *enough_people(scope))
             .order_by(WordCount.people.desc(), WordCount.count.desc(), WordCount.word).limit(n).subquery()
             for scope in scopes]
    return [select(literal("w", String), part.c.scope, part.c.word, part.c.count, part.c.people) for part in parts]


def words_waiting(answer_id: int) -> set[str]:
    """The scopes whose word lists do not hold a written answer's words yet: they wait there for their batch
    (PendingResult, family and label WORDS; each scope's batch completes on its own)."""
    family, label = WORDS
    return set(db.session.scalars(select(PendingResult.scope).where(
        PendingResult.answer_id == answer_id, PendingResult.family == family, PendingResult.label == label)))


def others_words(scopes: Iterable[str], modality: str, viewer_id: int, n: int = 10) -> dict[str, dict]:
    """What the candidate `viewer_id` may see of each scope's most widely used words, in one statement:
    {scope: {"words": [(word, count, people)] (top_words) or None, "held_back": held_back()'s reason or None}}.
    The lists mix in every candidate's written answers (the viewer's too; admins' are in none), so a scope's list is shown
    only while it rests on enough answers of OTHER candidates whose words are counted, from enough of
    them (the WORDS counters, which move with the word counts); else it would show theirs; and each word
    only once at least MIN_OTHERS_PEOPLE candidates other than the viewer wrote it (_top_word_selects).
    Only written answers have words (a recording's transcript is not counted), so `modality` is normally
    "text"."""
    scopes = list(scopes)
    if not scopes:
        return {}
    group = modality_group(modality)
    family, label = WORDS
    answer_rows = (Contributor.modality == group, Contributor.family == family, Contributor.label == label,
                   Contributor.answers > 0)
    # the first MIN_OTHERS_PEOPLE other candidates with counted words in each scope (an index
    # range of uq_contributor that stops there): enough to apply the rule, whatever their number
    others = [select(Contributor.scope).where(Contributor.scope == scope, Contributor.user_id != viewer_id,
                                              *answer_rows)
              .limit(MIN_OTHERS_PEOPLE).subquery() for scope in scopes]
    no_word, no_people = cast(null(), WordCount.word.type), cast(null(), Integer)
    selects = _top_word_selects(scopes, n, viewer_id) + [
        select(literal("a", String), Aggregate.scope, no_word, Aggregate.count, no_people)
        .where(Aggregate.scope.in_(scopes), Aggregate.modality == group, Aggregate.family == family,
               Aggregate.label == label),
        select(literal("m", String), Contributor.scope, no_word, Contributor.answers, no_people)
        .where(Contributor.scope.in_(scopes), Contributor.user_id == viewer_id, *answer_rows),
    ] + [select(literal("p", String), part.c.scope, no_word, literal(1, Integer), no_people) for part in others]
    words: dict[str, list[tuple[str, int, int]]] = {scope: [] for scope in scopes}
    answers, mine, people = dict.fromkeys(scopes, 0), dict.fromkeys(scopes, 0), dict.fromkeys(scopes, 0)
    for kind, scope, word, count, wrote in db.session.execute(union_all(*selects)):
        if kind == "w":
            words[scope].append((word, count, wrote))
        elif kind == "a":
            answers[scope] = int(count or 0)
        elif kind == "m":
            mine[scope] = int(count)
        else:
            people[scope] += 1
    out = {}
    for scope in scopes:
        words[scope].sort(key=_word_order)  # the order of a UNION is not guaranteed
        reason = held_back(answers[scope] - mine[scope], people[scope])
        out[scope] = {"words": None if reason else words[scope], "held_back": reason}
    return out



# --- Admins' figures: every result stored now -------------------------------------------------
# Candidates' pages read the totals, which move in batches (above). Admins can read every score (the scores export),
# so their pages and the aggregates export add the changes still waiting to the totals: the figures of the results
# stored now (an admin review: a question's average rested on 6 results, 4 of them of deleted answers, while one of
# its 3 answers was left out, and on a small site a batch may take long to fill).

def _waiting_moments() -> tuple:
    """A waiting change as the moments the totals keep: count, total, total_sq (a removal's negative)."""
    return (PendingResult.sign.label("count"), (PendingResult.sign * PendingResult.value).label("total"),
            (PendingResult.sign * PendingResult.value * PendingResult.value).label("total_sq"))


def _sums(t) -> tuple:
    """The summed moments of the rows of ``t`` (count, total, total_sq), as an integer and floats (PostgreSQL sums
    integers to bigint, and bigints to numeric)."""
    return (cast(func.sum(t.c["count"]), Integer).label("count"), cast(func.sum(t.c.total), Float).label("total"),
            cast(func.sum(t.c.total_sq), Float).label("total_sq"))


def _waiting_filter(group: str, family: str | None = None) -> list:
    """The waiting changes of scores (not of words) of a modality group (and family)."""
    conditions = [PendingResult.modality == group, PendingResult.words.is_(None)]
    if family is not None:
        conditions.append(PendingResult.family == family)
    return conditions


# --- Over time (admin analytics): read the daily rows, never the answers ---------------

def mean_sd(count, total, total_sq) -> tuple[float | None, float | None]:
    """Mean and (population) standard deviation from running totals; (None, None) without results."""
    if not count or count <= 0:
        return None, None
    mean = total / count
    return mean, math.sqrt(max(0.0, (total_sq or 0.0) / count - mean * mean))


def summary(count, total, total_sq) -> dict | None:
    """{"mean", "sd", "count"} from running totals, or None without results."""
    mean, sd = mean_sd(count, total or 0.0, total_sq)
    return None if mean is None else {"mean": mean, "sd": sd, "count": int(count)}


def days_between(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def days_filter(modality: str, start: date, end: date, scope: str | None = None,
                family: str | None = None, model=AggregateDay) -> list:
    """WHERE conditions on the daily rows (or the waiting changes, ``model`` PendingResult) of a modality group
    between start and end (inclusive), optionally of one scope and one family."""
    conditions = [model.modality == modality_group(modality), model.day >= start, model.day <= end]
    if scope is not None:
        conditions.append(model.scope == scope)
    if family is not None:
        conditions.append(model.family == family)
    return conditions


def day_totals(modality: str, start: date, end: date, scope: str | None = None, family: str | None = None,
               exact: bool = False):
    """The daily totals (scope, modality, family, label, day, count, total, total_sq) of days_filter's rows, as a
    subquery; ``exact``: of every result stored now (the changes still waiting for their batch added)."""
    cols = ("scope", "modality", "family", "label", "day")
    counted = select(*(getattr(AggregateDay, c) for c in cols), AggregateDay.count, AggregateDay.total,
                     AggregateDay.total_sq).where(*days_filter(modality, start, end, scope, family))
    if not exact:
        return counted.subquery()
    waiting = select(*(getattr(PendingResult, c) for c in cols), *_waiting_moments()).where(
        *days_filter(modality, start, end, scope, family, model=PendingResult), PendingResult.words.is_(None))
    u = union_all(counted, waiting).subquery()
    return select(*(u.c[c] for c in cols), *_sums(u)).group_by(*(u.c[c] for c in cols)).subquery()


def timeseries(scope: str, modality: str, family: str, start: date, end: date, exact: bool = False) -> dict:
    """Daily means per label between start and end (inclusive), None on days without results; ``exact`` as
    day_totals'.

    {"days": ["2026-01-01", ...], "labels": {label: {"mean": [...], "count": [...]}}}
    """
    t = day_totals(modality, start, end, scope, family, exact)
    rows = db.session.execute(select(t.c.day, t.c.label, t.c["count"], t.c.total)).all()
    days = days_between(start, end)
    index = {d: i for i, d in enumerate(days)}
    labels: dict[str, dict] = {}
    for day, label, count, total in rows:
        series = labels.setdefault(label, {"mean": [None] * len(days), "count": [0] * len(days)})
        if count > 0:
            series["mean"][index[day]] = total / count
            series["count"][index[day]] = count
    labels = {k: v for k, v in labels.items() if any(v["count"])}
    return {"days": [d.isoformat() for d in days], "labels": dict(sorted(labels.items()))}


def range_summary(scope: str, modality: str, family: str, start: date, end: date,
                  exact: bool = False) -> dict[str, dict]:
    """{label: {"mean", "sd", "count"}} over the results of the days start..end; ``exact`` as day_totals'."""
    t = day_totals(modality, start, end, scope, family, exact)
    rows = db.session.execute(
        select(t.c.label, *_sums(t)).group_by(t.c.label).order_by(t.c.label)
    ).all()
    return {label: row for label, *totals in rows if (row := summary(*totals)) is not None}


def answers_per_day(scope: str, start: date, end: date, modality: str | None = None) -> dict[str, dict[date, int]]:
    """{modality group: {day: number of analysed answers}} (one group when `modality` is given)."""
    q = select(AnswerDay.modality, AnswerDay.day, AnswerDay.count).where(
        AnswerDay.scope == scope, AnswerDay.day >= start, AnswerDay.day <= end, AnswerDay.count > 0)
    if modality:
        q = q.where(AnswerDay.modality == modality_group(modality))
    out: dict[str, dict[date, int]] = {}
    for group, day, count in db.session.execute(q):
        out.setdefault(group, {})[day] = count
    return out


def answers_total(scope: str = OVERALL, modality: str | None = None) -> int:
    """Number of analysed answers in a scope, all time."""
    q = select(func.coalesce(func.sum(AnswerDay.count), 0)).where(AnswerDay.scope == scope)
    if modality:
        q = q.where(AnswerDay.modality == modality_group(modality))
    return int(db.session.scalar(q))


def histogram(scope: str, modality: str, family: str, label: str, exact: bool = False) -> dict | None:
    """All-time distribution of one score: 100 bin counts over its range, or None; ``exact``: of every result
    stored now (the changes still waiting for their batch added)."""
    key = {"scope": scope, "modality": modality_group(modality), "family": family, "label": label}
    agg = db.session.execute(select(Aggregate).filter_by(**key)).scalar_one_or_none()
    counts = [0] * N_BINS
    count = agg.count if agg is not None else 0
    if agg is not None:
        for b, c in db.session.execute(
            select(AggregateBin.bin, AggregateBin.count).where(AggregateBin.aggregate_id == agg.id)
        ):
            counts[b] = c
    if exact:
        for value, sign in db.session.execute(select(PendingResult.value, PendingResult.sign).filter_by(**key)
                                              .where(PendingResult.words.is_(None))):
            counts[_bin(value, family, label)] += sign
            count += sign
    if count <= 0:
        return None
    lo, hi = RANGES.get((family, label), (0.0, 100.0))
    return {"lo": lo, "hi": hi, "counts": counts, "count": count,
            "edges": [lo + (hi - lo) * i / N_BINS for i in range(N_BINS + 1)]}


def labels_of(scope: str, modality: str, family: str, exact: bool = False) -> list[str]:
    """Labels with stored results (all time) for a scope, modality and family; ``exact``: of every result stored
    now (the changes still waiting for their batch added)."""
    group = modality_group(modality)
    counted = select(Aggregate.label, Aggregate.count).where(
        Aggregate.scope == scope, Aggregate.modality == group, Aggregate.family == family)
    if exact:
        counted = union_all(counted, select(PendingResult.label, PendingResult.sign.label("count")).where(
            PendingResult.scope == scope, *_waiting_filter(group, family)))
    u = counted.subquery()
    return list(db.session.execute(
        select(u.c.label).group_by(u.c.label).having(func.sum(u.c["count"]) > 0).order_by(u.c.label)).scalars())



# --- Users per role and status (admin counts), kept at every flush --------------------------

def _user_key(user: User, committed: bool) -> tuple[str, bool]:
    """(role, active) of a user as stored (committed=True) or as about to be stored."""
    def value(attr, default):
        hist = inspect(user).attrs[attr].history
        if committed:
            v = hist.deleted[0] if hist.deleted else (hist.unchanged[0] if hist.unchanged else getattr(user, attr))
        else:
            v = getattr(user, attr)
        return default if v is None else v
    return value("role", "candidate"), bool(value("active", True))


@event.listens_for(Session, "before_flush")
def _count_users(session, flush_context, instances):
    """Move the user counters in the same transaction as the users they count."""
    deltas: Counter = Counter()
    for obj in session.new:
        if isinstance(obj, User):
            deltas[_user_key(obj, committed=False)] += 1
    for obj in session.deleted:
        if isinstance(obj, User):
            deltas[_user_key(obj, committed=True)] -= 1
    for obj in session.dirty:
        if isinstance(obj, User) and session.is_modified(obj):
            old, new = _user_key(obj, committed=True), _user_key(obj, committed=False)
            if old != new:
                deltas[old] -= 1
                deltas[new] += 1
    conn = session.connection() if any(deltas.values()) else None
    for (role, active), n in deltas.items():
        if n == 0:
            continue
        moved = conn.execute(update(UserCount).where(UserCount.role == role, UserCount.active == active)
                             .values(count=UserCount.count + n)).rowcount
        if moved == 0:  # a role without a row yet (the usual ones are created by the migration)
            conn.execute(insert(UserCount).values(role=role, active=active, count=n))


def user_counts() -> dict[tuple[str, bool], int]:
    """{(role, active): number of users}."""
    return {(r, bool(a)): n for r, a, n in db.session.execute(
        select(UserCount.role, UserCount.active, UserCount.count))}
