"""Pre-aggregated comparisons: running totals and histograms per scope/modality/label.

Every function here runs inside the caller's transaction, so a result and the
aggregates it feeds are committed (or rolled back) together.
"""
from __future__ import annotations

import math
from typing import Iterable

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from .extensions import db
from .models import Aggregate, AggregateBin, Answer, WordCount
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


def _apply_words(scope, counts, sign):
    for word, n in counts.items():
        row = _get_or_create(WordCount, scope=scope, word=word)
        db.session.execute(
            update(WordCount).where(WordCount.id == row.id).values(count=WordCount.count + sign * n)
        )


def record(answer: Answer, scores: Iterable[tuple[str, str, float]], sign: int = 1) -> None:
    """Add (sign=1) or remove (sign=-1) an answer's scores and words from the aggregates."""
    group = modality_group(answer.modality)
    for scope in scopes_for(answer):
        for family, label, value in scores:
            _apply(scope, group, family, label, float(value), sign)
        if answer.text:
            _apply_words(scope, content_word_counts(answer.text), sign)


def forget(answer: Answer) -> None:
    """Remove a finished answer's contribution (called before deleting it)."""
    if answer.status == "done":
        record(answer, [(s.family, s.label, s.value) for s in answer.scores], sign=-1)


def comparison(scope: str, modality: str, family: str) -> dict[str, dict]:
    """{label: {"mean", "sd", "count"}} for one scope, read from the aggregate rows."""
    rows = db.session.execute(
        select(Aggregate).filter_by(scope=scope, modality=modality_group(modality), family=family)
    ).scalars()
    out = {}
    for a in rows:
        if a.count <= 0:
            continue
        mean = a.total / a.count
        var = max(0.0, a.total_sq / a.count - mean * mean)
        out[a.label] = {"mean": mean, "sd": math.sqrt(var), "count": a.count}
    return out


def percentile(scope: str, modality: str, family: str, label: str, value: float):
    """Share (0-100) of stored results in the scope below `value` (half of its own bin counted).

    Returns None when there is nothing to compare with.
    """
    agg = db.session.execute(
        select(Aggregate).filter_by(scope=scope, modality=modality_group(modality), family=family, label=label)
    ).scalar_one_or_none()
    if agg is None or agg.count <= 0:
        return None
    bins = dict(db.session.execute(
        select(AggregateBin.bin, AggregateBin.count).where(AggregateBin.aggregate_id == agg.id)
    ).all())
    b = _bin(value, family, label)
    below = sum(c for k, c in bins.items() if k < b)
    same = bins.get(b, 0)
    return 100.0 * (below + 0.5 * same) / agg.count


def top_words(scope: str, n: int = 10) -> list[tuple[str, int]]:
    rows = db.session.execute(
        select(WordCount.word, WordCount.count)
        .where(WordCount.scope == scope, WordCount.count > 0)
        .order_by(WordCount.count.desc(), WordCount.word)
        .limit(n)
    ).all()
    return [(w, c) for w, c in rows]
