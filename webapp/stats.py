"""Pre-aggregated comparisons: running totals and histograms per scope/modality/label.

Every function here runs inside the caller's transaction, so a result and the
aggregates it feeds are committed (or rolled back) together.
"""
from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Iterable

from collections import Counter

from sqlalchemy import Integer, and_, case, cast, event, func, insert, inspect, null, select, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .extensions import db
from .models import (Aggregate, AggregateBin, AggregateDay, Answer, AnswerDay, User, UserCount, WordCount,
                     utcnow)
from .textstats import content_word_counts

N_BINS = 100
OVERALL = "all"
# Below this many results from OTHER candidates a percentile says little: pages say so instead.
MIN_OTHERS_FOR_PERCENTILE = 20
# Below this many results from OTHER candidates a candidate is shown no average and no word list of
# theirs (small-cell suppression): with one other answer "the average" IS that candidate's score,
# and "everybody's words" are theirs. It counts answers, not distinct people: five answers of one
# other candidate are enough, and their average is then theirs alone (though no single score).
MIN_OTHERS_FOR_AVERAGE = 5


def enough_for_average(count: int) -> bool:
    """Whether an average of `count` results from other candidates may be shown to a candidate."""
    return count >= MIN_OTHERS_FOR_AVERAGE


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
    Returns the row's id."""
    row_id = _row_id(model, key)
    db.session.execute(update(model).where(model.id == row_id).values(
        {getattr(model, col): getattr(model, col) + delta for col, delta in deltas.items()}))
    return row_id


def _apply(scope, modality, family, label, day, value, sign):
    """One score into the all-time totals and histogram and the day's totals of a scope."""
    key = {"scope": scope, "modality": modality, "family": family, "label": label}
    moments = {"count": sign, "total": sign * value, "total_sq": sign * value * value}
    aggregate_id = _add(Aggregate, key, **moments)
    _add(AggregateBin, {"aggregate_id": aggregate_id, "bin": _bin(value, family, label)}, count=sign)
    _add(AggregateDay, {**key, "day": day}, **moments)


def answer_day(answer: Answer) -> date:
    """The calendar day (UTC) an answer counts for in the daily aggregates."""
    return (answer.created_at or utcnow()).date()


def record(answer: Answer, scores: Iterable[tuple[str, str, float]], sign: int = 1) -> None:
    """Add (sign=1) or remove (sign=-1) an answer's scores and words from the aggregates.

    Updates the all-time rows (Aggregate, AggregateBin, WordCount) and the daily rows
    (AggregateDay, AnswerDay) of the answer's created_at day, in the caller's transaction.
    """
    group = modality_group(answer.modality)
    day = answer_day(answer)
    scores = list(scores)
    words = content_word_counts(answer.text) if answer.text else {}
    for scope in scopes_for(answer):
        for family, label, value in scores:
            _apply(scope, group, family, label, day, float(value), sign)
        _add(AnswerDay, {"scope": scope, "modality": group, "day": day}, count=sign)
        for word, n in words.items():
            _add(WordCount, {"scope": scope, "word": word}, count=sign * n)


def own_contribution(own: Iterable[Answer], question_ids: Iterable[int]) -> dict[str, list[tuple[str, str, float]]]:
    """{scope: [(family, label, value)]}: what a candidate's analysed answers `own` (scores loaded;
    all of one modality group) added to the aggregates of all questions and of each of
    `question_ids`, for compare(exclude=...) so that the candidate is compared with OTHER
    candidates only. An answer's stored scores are exactly what record() added for it (a short
    answer's Big Five estimate is in neither: see jobs.analyzers)."""
    scopes = {q: question_scope(q) for q in question_ids}
    out: dict[str, list] = {OVERALL: [], **{scope: [] for scope in scopes.values()}}
    for a in own:
        triples = [(s.family, s.label, s.value) for s in a.scores]
        out[OVERALL] += triples
        if a.question_id in scopes:
            out[scopes[a.question_id]] += triples
    return out


def forget(answer: Answer) -> None:
    """Remove a finished answer's contribution (called before deleting it)."""
    if answer.status == "done":
        record(answer, [(s.family, s.label, s.value) for s in answer.scores], sign=-1)


def comparisons(modality: str, family: str, scopes: Iterable[str] | None = None) -> dict[str, dict[str, dict]]:
    """{scope: {label: {"mean", "sd", "count"}}} of every scope (or of `scopes`), in one query."""
    q = select(Aggregate.scope, Aggregate.label, Aggregate.count, Aggregate.total, Aggregate.total_sq).where(
        Aggregate.modality == modality_group(modality), Aggregate.family == family)
    if scopes is not None:
        q = q.where(Aggregate.scope.in_(list(scopes)))
    out: dict[str, dict[str, dict]] = {}
    for scope, label, count, total, total_sq in db.session.execute(q):
        if (row := summary(count, total, total_sq)) is not None:
            out.setdefault(scope, {})[label] = row
    return out


def comparison(scope: str, modality: str, family: str) -> dict[str, dict]:
    """{label: {"mean", "sd", "count"}} for one scope, read from the aggregate rows."""
    return comparisons(modality, family, [scope]).get(scope, {})


def compare(scopes: Iterable[str], modality: str, values: dict[str, dict[str, float | None]],
            exclude: dict[str, Iterable[tuple[str, str, float]]] | None = None) -> dict:
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
    """
    families = list(values)
    if not families:
        return {}
    whens = [(and_(Aggregate.family == family, Aggregate.label == label), _bin(value, family, label))
             for family, labels in values.items() for label, value in labels.items() if value is not None]
    target_bin = case(*whens, else_=None) if whens else cast(null(), Integer)

    def bin_sum(condition):
        return func.coalesce(func.sum(case((condition, AggregateBin.count), else_=0)), 0)

    rows = db.session.execute(
        select(Aggregate.scope, Aggregate.family, Aggregate.label, Aggregate.count, Aggregate.total,
               Aggregate.total_sq, bin_sum(AggregateBin.bin < target_bin), bin_sum(AggregateBin.bin == target_bin))
        .select_from(Aggregate)
        .outerjoin(AggregateBin, AggregateBin.aggregate_id == Aggregate.id)
        .where(Aggregate.scope.in_(list(scopes)), Aggregate.modality == modality_group(modality),
               Aggregate.family.in_(families))
        .group_by(Aggregate.id)
    ).all()
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
    for scope, family, label, count, total, total_sq, below, same in rows:
        if (m := minus.get((scope, family, label))) is not None:
            count, total, total_sq = count - m[0], (total or 0.0) - m[1], (total_sq or 0.0) - m[2]
            below, same = below - m[3], same - m[4]
        if count <= 0 or (row := summary(count, total, total_sq)) is None:
            continue
        value = values[family].get(label)
        row["percentile"] = None if value is None else 100.0 * (below + 0.5 * same) / count
        out.setdefault(scope, {}).setdefault(family, {})[label] = row
    return out


def percentile(scope: str, modality: str, family: str, label: str, value: float):
    """Share (0-100) of stored results in the scope below `value` (half of its own bin counted),
    or None when there is nothing to compare with."""
    row = compare([scope], modality, {family: {label: value}}).get(scope, {}).get(family, {}).get(label)
    return None if row is None else row["percentile"]


def top_words(scope: str, n: int = 10) -> list[tuple[str, int]]:
    """The n most frequent words of a scope, most frequent first: [(word, count)]."""
    return top_words_of([scope], n)[scope]


def top_words_of(scopes: Iterable[str], n: int = 10) -> dict[str, list[tuple[str, int]]]:
    """top_words() of several scopes in one statement: a UNION ALL of each scope's first n rows
    (each an index range of ix_word_counts_scope_count)."""
    return _words_and_answers(list(scopes), n)[0]


def words_and_answers(scopes: Iterable[str], modality: str, n: int = 10) -> tuple[dict, dict[str, int]]:
    """(top_words_of(scopes, n), {scope: answers_total(scope, modality)}) in one statement, so that
    an answer page can hold back a word list resting on too few answers of others at no extra query.
    Only written answers have words (a recording's transcript is not counted), so `modality` is
    normally "text"."""
    return _words_and_answers(list(scopes), n, modality)


def _words_and_answers(scopes: list[str], n: int, modality: str | None = None) -> tuple[dict, dict[str, int]]:
    """Each scope's first n words and, with `modality`, its number of analysed answers of that group
    (a row with no word), in one UNION ALL."""
    if not scopes:
        return {}, {}
    parts = [select(WordCount.scope, WordCount.word, WordCount.count)
             .where(WordCount.scope == scope, WordCount.count > 0)
             .order_by(WordCount.count.desc(), WordCount.word).limit(n).subquery()
             for scope in scopes]
    selects = [select(part) for part in parts]
    if modality is not None:
        selects.append(select(AnswerDay.scope, cast(null(), WordCount.word.type), cast(func.sum(AnswerDay.count), Integer))
                       .where(AnswerDay.scope.in_(scopes), AnswerDay.modality == modality_group(modality))
                       .group_by(AnswerDay.scope))
    words: dict[str, list[tuple[str, int]]] = {scope: [] for scope in scopes}
    answers: dict[str, int] = {scope: 0 for scope in scopes} if modality is not None else {}
    for scope, word, count in db.session.execute(union_all(*selects)):
        if word is None:
            answers[scope] = int(count or 0)
        else:
            words[scope].append((word, count))
    for listed in words.values():  # the order of a UNION is not guaranteed
        listed.sort(key=lambda wc: (-wc[1], wc[0]))
    return words, answers



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
                family: str | None = None) -> list:
    """WHERE conditions on the daily rows of a modality group between start and end (inclusive),
    optionally of one scope and one family."""
    conditions = [AggregateDay.modality == modality_group(modality), AggregateDay.day >= start,
                  AggregateDay.day <= end]
    if scope is not None:
        conditions.append(AggregateDay.scope == scope)
    if family is not None:
        conditions.append(AggregateDay.family == family)
    return conditions


def timeseries(scope: str, modality: str, family: str, start: date, end: date) -> dict:
    """Daily means per label between start and end (inclusive), None on days without results.

    {"days": ["2026-01-01", ...], "labels": {label: {"mean": [...], "count": [...]}}}
    """
    rows = db.session.execute(
        select(AggregateDay.day, AggregateDay.label, AggregateDay.count, AggregateDay.total)
        .where(*days_filter(modality, start, end, scope, family))
    ).all()
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


def range_summary(scope: str, modality: str, family: str, start: date, end: date) -> dict[str, dict]:
    """{label: {"mean", "sd", "count"}} over the results of the days start..end."""
    rows = db.session.execute(
        select(AggregateDay.label, func.sum(AggregateDay.count), func.sum(AggregateDay.total),
               func.sum(AggregateDay.total_sq))
        .where(*days_filter(modality, start, end, scope, family))
        .group_by(AggregateDay.label).order_by(AggregateDay.label)
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


def histogram(scope: str, modality: str, family: str, label: str) -> dict | None:
    """All-time distribution of one score: 100 bin counts over its range, or None."""
    agg = db.session.execute(
        select(Aggregate).filter_by(scope=scope, modality=modality_group(modality), family=family, label=label)
    ).scalar_one_or_none()
    if agg is None or agg.count <= 0:
        return None
    counts = [0] * N_BINS
    for b, c in db.session.execute(
        select(AggregateBin.bin, AggregateBin.count).where(AggregateBin.aggregate_id == agg.id)
    ):
        counts[b] = c
    lo, hi = RANGES.get((family, label), (0.0, 100.0))
    return {"lo": lo, "hi": hi, "counts": counts, "count": agg.count,
            "edges": [lo + (hi - lo) * i / N_BINS for i in range(N_BINS + 1)]}


def labels_of(scope: str, modality: str, family: str) -> list[str]:
    """Labels with stored results (all time) for a scope, modality and family."""
    return list(db.session.execute(
        select(Aggregate.label).where(Aggregate.scope == scope, Aggregate.modality == modality_group(modality),
                                      Aggregate.family == family, Aggregate.count > 0).order_by(Aggregate.label)
    ).scalars())



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
