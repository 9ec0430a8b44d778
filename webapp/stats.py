"""Pre-aggregated comparisons: running totals and histograms per scope/modality/label.

Every function here runs inside the caller's transaction, so a result and the
aggregates it feeds are committed (or rolled back) together.
"""
from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Iterable

from collections import Counter

from sqlalchemy import case, event, func, insert, inspect, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .extensions import db
from .models import (Aggregate, AggregateBin, AggregateDay, Answer, AnswerDay, User, UserCount, WordCount,
                     utcnow)
from .textstats import content_word_counts

N_BINS = 100
OVERALL = "all"


def question_scope(question_id: int) -> str:
    return f"q:{question_id}"


def scopes_for(answer: Answer) -> tuple[str, str]:
    return (OVERALL, question_scope(answer.question_id))


def modality_group(modality: str) -> str:
    """Typed text and PDF cover letters are both written answers, compared together."""
    return "text" if modality in ("text", "pdf") else modality


# Histogram range per (family, label); scores default to 0-100.
RANGES = {
    ("speech", "pauses_per_min"): (0.0, 60.0),
    ("speech", "pitch_sd_semitones"): (0.0, 12.0),
    ("speech", "loudness_sd_db"): (0.0, 30.0),
}


def _bin(value: float, family: str = "", label: str = "") -> int:
    lo, hi = RANGES.get((family, label), (0.0, 100.0))
    return min(N_BINS - 1, max(0, int(math.floor((value - lo) / (hi - lo) * N_BINS))))


def _get_or_create(model, **key):
    row = db.session.execute(select(model).filter_by(**key)).scalar_one_or_none()
    if row is not None:
        return row
    try:
        with db.session.begin_nested():
            row = model(**key)
            db.session.add(row)
            db.session.flush()
        return row
    except IntegrityError:  # created concurrently by another worker
        return db.session.execute(select(model).filter_by(**key)).scalar_one()


def _apply(scope, modality, family, label, value, sign):
    agg = _get_or_create(Aggregate, scope=scope, modality=modality, family=family, label=label)
    db.session.execute(
        update(Aggregate).where(Aggregate.id == agg.id).values(
            count=Aggregate.count + sign,
            total=Aggregate.total + sign * value,
            total_sq=Aggregate.total_sq + sign * value * value,
        )
    )
    b = _get_or_create(AggregateBin, aggregate_id=agg.id, bin=_bin(value, family, label))
    db.session.execute(
        update(AggregateBin).where(AggregateBin.id == b.id).values(count=AggregateBin.count + sign)
    )


def _apply_day(scope, modality, family, label, day, value, sign):
    row = _get_or_create(AggregateDay, scope=scope, modality=modality, family=family, label=label, day=day)
    db.session.execute(
        update(AggregateDay).where(AggregateDay.id == row.id).values(
            count=AggregateDay.count + sign,
            total=AggregateDay.total + sign * value,
            total_sq=AggregateDay.total_sq + sign * value * value,
        )
    )


def _count_day(scope, modality, day, sign):
    row = _get_or_create(AnswerDay, scope=scope, modality=modality, day=day)
    db.session.execute(update(AnswerDay).where(AnswerDay.id == row.id).values(count=AnswerDay.count + sign))


def answer_day(answer: Answer) -> date:
    """The calendar day (UTC) an answer counts for in the daily aggregates."""
    return (answer.created_at or utcnow()).date()


def _apply_words(scope, counts, sign):
    for word, n in counts.items():
        row = _get_or_create(WordCount, scope=scope, word=word)
        db.session.execute(
            update(WordCount).where(WordCount.id == row.id).values(count=WordCount.count + sign * n)
        )


def record(answer: Answer, scores: Iterable[tuple[str, str, float]], sign: int = 1) -> None:
    """Add (sign=1) or remove (sign=-1) an answer's scores and words from the aggregates.

    Updates the all-time rows (Aggregate, AggregateBin, WordCount) and the daily rows
    (AggregateDay, AnswerDay) of the answer's created_at day, in the caller's transaction.
    """
    group = modality_group(answer.modality)
    day = answer_day(answer)
    scores = list(scores)
    for scope in scopes_for(answer):
        for family, label, value in scores:
            _apply(scope, group, family, label, float(value), sign)
            _apply_day(scope, group, family, label, day, float(value), sign)
        _count_day(scope, group, day, sign)
        if answer.text:
            _apply_words(scope, content_word_counts(answer.text), sign)


def forget(answer: Answer) -> None:
    """Remove a finished answer's contribution (called before deleting it)."""
    if answer.status == "done":
        record(answer, [(s.family, s.label, s.value) for s in answer.scores], sign=-1)


def comparison(scope: str, modality: str, family: str) -> dict[str, dict]:
    """{label: {"mean", "sd", "count"}} for one scope, read from the aggregate rows."""
    rows = db.session.execute(
        select(Aggregate.label, Aggregate.count, Aggregate.total, Aggregate.total_sq).where(
            Aggregate.scope == scope, Aggregate.modality == modality_group(modality), Aggregate.family == family)
    ).all()
    return _comparison_rows(rows)


def _comparison_rows(rows) -> dict[str, dict]:
    out = {}
    for label, count, total, total_sq in rows:
        if count <= 0:
            continue
        mean, sd = _mean_sd(count, total, total_sq)
        out[label] = {"mean": mean, "sd": sd, "count": count}
    return out


def comparisons(modality: str, family: str) -> dict[str, dict[str, dict]]:
    """comparison() of every scope at once: {scope: {label: {"mean", "sd", "count"}}} (one query)."""
    rows = db.session.execute(
        select(Aggregate.scope, Aggregate.label, Aggregate.count, Aggregate.total, Aggregate.total_sq).where(
            Aggregate.modality == modality_group(modality), Aggregate.family == family)
    ).all()
    by_scope: dict[str, list] = {}
    for scope, *rest in rows:
        by_scope.setdefault(scope, []).append(rest)
    return {scope: _comparison_rows(r) for scope, r in by_scope.items()}


def percentile(scope: str, modality: str, family: str, label: str, value: float):
    """Share (0-100) of stored results in the scope below `value` (half of its own bin counted).

    Returns None when there is nothing to compare with. One indexed query: the aggregate row
    and the sums of its histogram below and at the value's bin.
    """
    b = _bin(value, family, label)
    row = db.session.execute(
        select(Aggregate.count,
               func.coalesce(func.sum(case((AggregateBin.bin < b, AggregateBin.count), else_=0)), 0),
               func.coalesce(func.sum(case((AggregateBin.bin == b, AggregateBin.count), else_=0)), 0))
        .select_from(Aggregate)
        .outerjoin(AggregateBin, AggregateBin.aggregate_id == Aggregate.id)
        .where(Aggregate.scope == scope, Aggregate.modality == modality_group(modality),
               Aggregate.family == family, Aggregate.label == label)
        .group_by(Aggregate.id)
    ).first()
    if row is None or row[0] <= 0:
        return None
    count, below, same = row
    return 100.0 * (below + 0.5 * same) / count


def top_words(scope: str, n: int = 10) -> list[tuple[str, int]]:
    rows = db.session.execute(
        select(WordCount.word, WordCount.count)
        .where(WordCount.scope == scope, WordCount.count > 0)
        .order_by(WordCount.count.desc(), WordCount.word)
        .limit(n)
    ).all()
    return [(w, c) for w, c in rows]



# --- Over time (admin analytics): read the daily rows, never the answers ---------------

def _mean_sd(count, total, total_sq):
    if count <= 0:
        return None, None
    mean = total / count
    return mean, math.sqrt(max(0.0, total_sq / count - mean * mean))


def days_between(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def timeseries(scope: str, modality: str, family: str, start: date, end: date) -> dict:
    """Daily means per label between start and end (inclusive), None on days without results.

    {"days": ["2026-01-01", ...], "labels": {label: {"mean": [...], "count": [...]}}}
    """
    rows = db.session.execute(
        select(AggregateDay.day, AggregateDay.label, AggregateDay.count, AggregateDay.total)
        .where(AggregateDay.scope == scope, AggregateDay.modality == modality_group(modality),
               AggregateDay.family == family, AggregateDay.day >= start, AggregateDay.day <= end)
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
        .where(AggregateDay.scope == scope, AggregateDay.modality == modality_group(modality),
               AggregateDay.family == family, AggregateDay.day >= start, AggregateDay.day <= end)
        .group_by(AggregateDay.label).order_by(AggregateDay.label)
    ).all()
    out = {}
    for label, count, total, total_sq in rows:
        mean, sd = _mean_sd(count or 0, total or 0.0, total_sq or 0.0)
        if mean is not None:
            out[label] = {"mean": mean, "sd": sd, "count": int(count)}
    return out


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
