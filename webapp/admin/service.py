"""The admin domain: overview counts, analytics over time, CSV exports, question bank and user rules.

Every number here is read from the pre-aggregated rows of webapp.stats (all-time
Aggregate/AggregateBin rows, daily AggregateDay/AnswerDay rows) or from small indexed
lookups, never from a scan of the answers, so the pages stay fast as answers pile up.
Only the raw-score CSV export reads scores, and it streams them.

Nothing here knows HTTP: the routes (webapp/admin/routes.py) parse the request, call these
functions and render or redirect; rule violations are raised as ``AdminError`` with a
message for the admin.
"""
from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Callable, Iterator

from sqlalchemy import case, delete, func, select, true, update
from sqlalchemy.orm import selectinload

from ml.speech.metrics import MIN_RATE_WORDS, MIN_SPAN_S

from .. import stats
from ..drafts import draft_key, draft_marks
from ..extensions import db
from ..labels import FAMILY_UNITS, HEAD_MOVES_HIDDEN, LABEL_NAMES, TRAIT_NAMES, in_page_order, modality_name, unit_of
from ..models import (AggregateDay, Answer, AnswerDay, Question, Score, User, lock_question_order,
                      next_question_position, utcnow)
from ..params import db_id
from ..wording import files_stuck, plural, scores_join, scores_leave


class AdminError(ValueError):
    """An admin action refused by a rule; the message is shown to the admin."""


# --- Overview ---------------------------------------------------------------------------

def status_counts() -> dict[str, int]:
    """Answers per state: 'done' from the daily counters, so candidates' only (stats.COUNTED_ROLE), the (few) others
    through the status index, everyone's (the analysis's load). Two populations: the page says which is which."""
    counts = dict(db.session.execute(
        select(Answer.status, func.count()).where(Answer.status.in_(("queued", "running", "failed")))
        .group_by(Answer.status)
    ).all())
    return {"done": stats.answers_total(stats.OVERALL), **counts}


def candidate_counts() -> tuple[int, int]:
    """(registered candidates, of which active), from the user counters."""
    counts = stats.user_counts()
    active = counts.get(("candidate", True), 0)
    return active + counts.get(("candidate", False), 0), active


def overview() -> dict:
    """The overview page: counts, the Big Five averages per question and overall, recent failures."""
    n_candidates, _ = candidate_counts()
    by_status = status_counts()
    big5 = stats.comparisons("text", "big5", exact=True)  # every scope in one query, every result stored now
    waiting = stats.waiting_by_scope("text", "big5")
    per_question = answers_per_question_by_modality()
    rows = []
    for q in all_questions():
        comp = big5.get(stats.question_scope(q.id), {})
        by_modality = per_question.get(q.id, {})
        rows.append({"question": q, "count": sum(by_modality.values()), "by_modality": by_modality, "big5": comp})
    failed = db.session.execute(
        select(Answer).where(Answer.status == "failed").options(selectinload(Answer.question))
        .order_by(Answer.finished_at.desc()).limit(50)
    ).scalars().all()
    totals = {m: sum(r["by_modality"].get(m, 0) for r in rows) for m in MODALITIES}
    # the table lists the questions with answers; the others are one collapsed list of their texts under it (a row
    # of zeros and dashes each made the page ~11,000 px tall on a phone, a fresh-eyes review). They add nothing to
    # the totals, which stay those of every question.
    unanswered = [r["question"] for r in rows if not r["count"] and not r["big5"]]
    rows = [r for r in rows if r["count"] or r["big5"]]
    return {"n_candidates": n_candidates, "by_status": by_status,
            "rows": rows, "unanswered": unanswered, "overall": big5.get(stats.OVERALL, {}), "traits": TRAIT_NAMES, "failed": failed,
            "modalities": MODALITIES, "totals": totals, "waiting": max(waiting.values(), default=0),
            "batch": stats.batch_size()}


# --- Filters shared by the analytics page and the exports ----------------------------------

MODALITIES = {"text": "Written (typed text and PDF)", "video": "Video", "audio": "Audio"}
#: the same, inside a sentence ("PDF" keeps its capitals)
MODALITIES_IN_TEXT = {m: name[0].lower() + name[1:] for m, name in MODALITIES.items()}
#: why an analysed answer gives no score of a family (the analytics page's empty states: an admin review read "No
#: analysed answers match these filters" beside "video: 1", a recording in which no face was found)
NO_SCORES_WHY = {
    "big5": "a written answer too short for an estimate, or not in English, gives none",
    "writing": f"a written answer under {MIN_RATE_WORDS} words (filler sounds not counted), or not in English, gives "
               "none",
    "face": "a recording in which no face was found gives none",
    "face_meta": "a recording in which no face was found gives none",
    "gaze": "a recording in which no face was found gives none",
    "voice": "a recording without clear speech gives none",
    "speech": "a recording without clear speech gives none; pace, fillers, hedges and long pauses also need a "
              f"transcript not flagged unreliable and {MIN_SPAN_S:.0f} s of speech or more",
}
FAMILIES = {
    "text": {"big5": "Big Five traits", "writing": "Hedges (per 100 words)"},
    "video": {"face": "Facial expressions (% of frames with a face, dominant)", "face_meta": "Face found in frame (% of frames)",
              "voice": "Vocal emotion (% of speech stretches dominant)", "speech": "Speaking metrics",
              "gaze": "Head position and movement"},
    "audio": {"voice": "Vocal emotion (% of speech stretches dominant)", "speech": "Speaking metrics"},
}
MIXED_UNITS = {"speech", "gaze"}  # families whose labels have different units
#: families whose figures are shown as whole numbers: a Big Five estimate comes from a model right about 6 times in
#: 10, so a tenth of a point ('40.6') claims a precision it does not have (as on the overview and candidates'
#: pages); every other family (rates such as pauses or fillers per minute, shares of frames) keeps one decimal
WHOLE_NUMBER_FAMILIES = {"big5"}


def family_decimals(family: str) -> int:
    """How many decimals the analytics page gives a family's figures: its tables' format and its chart's values (so a
    tooltip reads 3.4, as the table does, not 3.4285714285714284) both come from here."""
    return 0 if family in WHOLE_NUMBER_FAMILIES else 1


#: the scores a family always has (listed in the analytics summary even with none counted in the period)
FAMILY_LABELS = {"big5": tuple(TRAIT_NAMES)}
DEFAULT_DAYS = 90
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(9998, 12, 31)  # dates outside are ignored (with a message)
MAX_DAYS = 731


@dataclass
class Filters:
    start: date
    end: date
    question_id: int | None = None
    modality: str = "text"
    family: str = "big5"
    label: str | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def scope(self) -> str:
        return stats.OVERALL if self.question_id is None else stats.question_scope(self.question_id)

    def args(self, **override) -> dict:
        a = {"start": self.start.isoformat(), "end": self.end.isoformat(), "modality": self.modality,
             "family": self.family}
        if self.question_id is not None:
            a["question"] = self.question_id
        if self.label:
            a["label"] = self.label
        a.update(override)
        return {k: v for k, v in a.items() if v is not None}


def _parse_date(value: str | None, name: str, errors: list[str]) -> date | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        shaped = re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()) is not None
        errors.append(f"Ignored the {name} date {value!r}: " + ("there is no such day in the calendar." if shaped
                                                                 else "use YYYY-MM-DD."))
        return None
    if not FIRST_DAY <= day <= LAST_DAY:  # the range and the exports step a day past each end
        errors.append(f"Ignored the {name} date {value!r}: use a date between {FIRST_DAY} and {LAST_DAY}.")
        return None
    return day


def parse_filters(args, question_ids) -> Filters:
    """Filters from query arguments; nonsense falls back to defaults, with a message in `errors`."""
    errors: list[str] = []
    today = utcnow().date()
    end = _parse_date(args.get("end"), "end", errors) or today
    start = _parse_date(args.get("start"), "start", errors) or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        start, end = end, start
    if (end - start).days >= MAX_DAYS:
        start = end - timedelta(days=MAX_DAYS - 1)
        errors.append(f"The date range was shortened to {MAX_DAYS} days.")
    question_id = None
    raw_q = (args.get("question") or "").strip()
    if raw_q and raw_q != "all":
        asked = db_id(raw_q)
        if asked in question_ids:
            question_id = asked
        else:
            errors.append("Unknown question; showing all questions.")
    modality = stats.modality_group(args.get("modality") or "text")
    if modality not in MODALITIES:
        modality = "text"
    family = args.get("family") or ""
    if family not in FAMILIES[modality]:
        family = next(iter(FAMILIES[modality]))
    label = (args.get("label") or "").strip()[:40] or None
    return Filters(start, end, question_id, modality, family, label, errors)


def shown(labels) -> list[str]:
    """The score labels the analytics page shows, in the candidates' pages' order: not nods, head shakes or the head's
    speed (labels.HEAD_MOVES_HIDDEN), which candidates are not shown either since nothing checked them on real videos;
    they stay stored, averaged and in the score export (the page says so: hidden_labels)."""
    return [k for k in in_page_order(labels) if k not in HEAD_MOVES_HIDDEN]


def all_questions() -> list[Question]:
    """Every question, retired ones too, in the bank's order (Question.position; the id breaks a tie)."""
    return db.session.execute(select(Question).order_by(Question.position, Question.id)).scalars().all()


def question_ids() -> set[int]:
    return set(db.session.execute(select(Question.id)).scalars())


# --- Analytics over time -----------------------------------------------------------------------

def analytics(f: Filters) -> dict:
    """The analytics page for the filters: daily means, the range's summary, answers per day,
    the all-time histogram of one label, and the chart's data."""
    # every result stored now (stats.day_totals: the changes still waiting for their batch added)
    series = stats.timeseries(f.scope, f.modality, f.family, f.start, f.end, exact=True)
    per_day = stats.answers_per_day(f.scope, f.start, f.end)
    labels = shown(stats.labels_of(f.scope, f.modality, f.family, exact=True))
    label = f.label if f.label in labels else (labels[0] if labels else None)
    hist = stats.histogram(f.scope, f.modality, f.family, label, exact=True) if label else None
    if hist is not None and not any(hist["counts"]):
        hist = None  # no results left in the bins: an empty state, not a chart of zeros
    n_candidates, n_active = candidate_counts()
    days = stats.days_between(f.start, f.end)
    summary = stats.range_summary(f.scope, f.modality, f.family, f.start, f.end, exact=True)
    summary = {k: summary[k] for k in shown(summary)}
    series["labels"] = {k: series["labels"][k] for k in shown(series["labels"])}
    units = {k: unit_of(f.family, k) for k in {*labels, *series["labels"], *summary, *FAMILY_LABELS.get(f.family, ())}}
    mixed = f.family in MIXED_UNITS
    decimals = family_decimals(f.family)
    chart = {
        "days": series["days"],
        # the speech and gaze families mix units on one axis: there each series' name carries its unit
        # (the other families share one unit, given on the axis)
        "series": [{"label": _with_unit(LABEL_NAMES.get(k, k), units[k]) if mixed else LABEL_NAMES.get(k, k),
                    "unit": units[k], "data": [_rounded(x, decimals) for x in v["mean"]]}
                   for k, v in series["labels"].items()],
        "answers": [{"label": MODALITIES[m], "data": [per_day.get(m, {}).get(d, 0) for d in days]}
                    for m in MODALITIES],
        "fixedScale": not mixed,
        "decimals": decimals,  # the tooltips show each value as the tables do (3.0, not 3)
        "axisUnit": FAMILY_UNITS.get(f.family, ""),
        "histogram": None if hist is None else {
            "label": LABEL_NAMES.get(label, label), "unit": units.get(label, ""),
            "bins": [f"{hist['edges'][i]:g}–{hist['edges'][i + 1]:g}" for i in range(stats.N_BINS)],
            "counts": hist["counts"],
        },
    }
    return {
        "modalities": MODALITIES, "modalities_in_text": MODALITIES_IN_TEXT, "families": FAMILIES, "label_names": LABEL_NAMES, "units": units,
        "summary": summary, "value_format": f"%.{decimals}f",  # the tables' means and SDs
        "labels": labels, "label": label, "hist": hist,
        "answers_in_range": {m: sum(per_day.get(m, {}).values()) for m in MODALITIES},
        "answers_total": stats.answers_total(f.scope), "n_candidates": n_candidates, "n_active": n_active,
        # the empty states: answers of the type that gave none of the family's scores, and why an answer gives none
        "answers_of_type": stats.answers_total(f.scope, f.modality), "no_scores_why": NO_SCORES_WHY.get(f.family, ""),
        "min_span_s": MIN_SPAN_S,  # (the results note: the rates from a transcript need this much speech)
        "chart": chart, "by_status": status_counts(),
        # the changes of this period's results that candidates' pages do not show yet (waiting for their batch)
        "waiting": stats.waiting(f.scope, f.modality, f.family, f.start, f.end), "batch": stats.batch_size(),
        # scores of the family with no result counted in the period: listed with a dash, not left out
        "uncounted": [k for k in FAMILY_LABELS.get(f.family, ()) if k not in summary],
    }


def _rounded(x: float | None, decimals: int) -> float | int | None:
    """A chart value rounded as the tables format it ('%.1f' and round() round the same binary value alike)."""
    if x is None:
        return None
    return round(x, decimals) if decimals else round(x)


def _with_unit(name: str, unit: str) -> str:
    return f"{name} ({unit})" if unit else name


# --- CSV exports (no personal data: no e-mail, no user or answer id) ------------------------

EXPORT_BATCH = 2000  # rows fetched at a time while streaming


def csv_line(row) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(row)
    return buf.getvalue()


def _question_of(scope: str) -> str:
    return "all" if scope == stats.OVERALL else scope.split(":", 1)[1]


def _aggregate_rows(f: Filters) -> Iterator[list]:
    """Daily aggregates of the selected modality (all its families), per question and overall
    (question_id "all"), for the selected date range and question."""
    t = stats.day_totals(f.modality, f.start, f.end, scope=None if f.question_id is None else f.scope, exact=True)
    q = (select(t.c.scope, t.c.modality, t.c.family, t.c.label, t.c.day, t.c["count"], t.c.total, t.c.total_sq)
         .where(t.c["count"] > 0).order_by(t.c.scope, t.c.family, t.c.label, t.c.day))
    for scope, modality, family, label, day, count, total, total_sq in _stream(q):
        mean, sd = stats.mean_sd(count, total, total_sq)
        yield [_question_of(scope), modality, family, label, day.isoformat(), count, f"{mean:.4f}", f"{sd:.4f}"]


def _score_rows(f: Filters) -> Iterator[list]:
    """Every score of the analysed answers in the filter that are in the averages (candidates', not admins':
    stats.COUNTED_ROLE, as in the daily aggregates), one line each. Answers are numbered
    in the order of this file only (`row`), so lines of one answer stay together but cannot be
    traced back to an answer or a person; the date is the day, not the time."""
    members = [m for m in ("text", "pdf", "video", "audio") if stats.modality_group(m) == f.modality]
    q = (select(Answer.id, Answer.question_id, Answer.modality, Answer.created_at,
                Score.family, Score.label, Score.value)
         .join(Score, Score.answer_id == Answer.id)
         .where(stats.counted(Answer), Answer.modality.in_(members),
                Answer.created_at >= datetime.combine(f.start, time.min),
                Answer.created_at < datetime.combine(f.end + timedelta(days=1), time.min)))
    if f.question_id is not None:
        q = q.where(Answer.question_id == f.question_id)
    row, last = 0, None
    for answer_id, question_id, modality, created_at, family, label, value in \
            _stream(q.order_by(Answer.created_at, Answer.id, Score.family, Score.label)):
        if answer_id != last:
            row, last = row + 1, answer_id
        yield [row, question_id, modality, family, label, f"{value:.4f}", created_at.date().isoformat()]


def _stream(query):
    return db.session.execute(query.execution_options(yield_per=EXPORT_BATCH))


# name -> (header, rows of the filters)
EXPORTS: dict[str, tuple[list[str], Callable[[Filters], Iterator[list]]]] = {
    "aggregates": (["question_id", "modality", "family", "label", "date", "count", "mean", "sd"], _aggregate_rows),
    "scores": (["row", "question_id", "modality", "family", "label", "value", "date"], _score_rows),
}


def export_lines(name: str, f: Filters) -> Iterator[str]:
    """The CSV lines of one export (its header first), produced as the rows are read."""
    header, rows = EXPORTS[name]
    yield csv_line(header)
    for row in rows(f):
        yield csv_line(row)


def export_filename(name: str, f: Filters) -> str:
    """e.g. scores_written_question-4_2026-09-07_2026-12-05.csv: the filters of the file in its name."""
    which = "all-questions" if f.question_id is None else f"question-{f.question_id}"
    return f"{name}_{modality_name(f.modality)}_{which}_{f.start.isoformat()}_{f.end.isoformat()}.csv"


# --- Question bank -----------------------------------------------------------------------------

def answers_per_question() -> dict[int, int]:
    """Analysed answers per question, all time, from the daily counters."""
    totals = db.session.execute(
        select(AnswerDay.scope, func.sum(AnswerDay.count)).where(AnswerDay.scope != stats.OVERALL)
        .group_by(AnswerDay.scope)
    ).all()
    return {int(scope.split(":", 1)[1]): int(n or 0) for scope, n in totals}


def answers_per_question_by_modality() -> dict[int, dict[str, int]]:
    """{question id: {modality group: analysed answers}}, all time, from the daily counters."""
    totals = db.session.execute(
        select(AnswerDay.scope, AnswerDay.modality, func.sum(AnswerDay.count)).where(AnswerDay.scope != stats.OVERALL)
        .group_by(AnswerDay.scope, AnswerDay.modality)
    ).all()
    out: dict[int, dict[str, int]] = {}
    for scope, modality, n in totals:
        if n:
            out.setdefault(int(scope.split(":", 1)[1]), {})[modality] = int(n)
    return out


def categories() -> list[str]:
    """The categories of the bank's questions, for the forms' suggestions."""
    return list(db.session.scalars(select(Question.category).distinct().order_by(Question.category)))


def question_bank() -> dict:
    qs = all_questions()
    return {"questions": qs, "categories": sorted({q.category for q in qs}), "answered": answers_per_question(),
            "deletable": deletable_questions([q.id for q in qs if q.retired])}


def _question_traces() -> list[tuple]:
    """(stats table, the condition under which one of its rows is a trace of a question's scope): a counter row
    whose results all left again (count 0, kept by the running totals) is none, and goes with the question (an
    admin review: a retired question whose only answer's account was deleted could never be deleted)."""
    from ..models import Aggregate, AggregateDay, Contributor, PendingResult, WordCount, WordUser
    return [(Aggregate, Aggregate.count != 0), (AggregateDay, AggregateDay.count != 0),
            (AnswerDay, AnswerDay.count != 0), (Contributor, Contributor.answers != 0),
            (PendingResult, true()), (WordCount, WordCount.count != 0), (WordUser, WordUser.answers != 0)]


def deletable_questions(question_ids: list[int]) -> set[int]:
    """Those of `question_ids` (retired questions) that left no trace: no answer (of any state), no mock interview
    that lists them, and no figure of theirs in the averages, word lists or waiting changes (the scope q:<id> of
    every stats table). Only such a question can be deleted: nothing refers to it, and no candidate can answer a
    retired question meanwhile."""
    from ..models import InterviewSession

    left = set(question_ids)
    if not left:
        return left
    left -= set(db.session.scalars(select(Answer.question_id).where(Answer.question_id.in_(left)).distinct()))
    for model, counted in _question_traces():
        scopes = db.session.scalars(select(model.scope).where(
            model.scope.in_([stats.question_scope(q) for q in left]), counted).distinct())
        left -= {int(scope.split(":", 1)[1]) for scope in scopes}
    if left:
        for ids in db.session.scalars(select(InterviewSession.question_ids).execution_options(yield_per=500)):
            left -= set(ids or [])
    return left


def delete_question(q: Question) -> bool:
    """Delete a retired question that left no trace (deletable_questions); False (and nothing done) otherwise."""
    if not q.retired or q.id not in deletable_questions([q.id]):
        return False
    from sqlalchemy.exc import IntegrityError
    from ..models import Aggregate, AggregateBin
    scope = stats.question_scope(q.id)
    db.session.execute(delete(AggregateBin).where(AggregateBin.aggregate_id.in_(
        select(Aggregate.id).where(Aggregate.scope == scope))).execution_options(synchronize_session=False))
    for model, counted in _question_traces():  # only emptied counter rows are left (deletable_questions) ...
        db.session.execute(delete(model).where(model.scope == scope, ~counted)
                           .execution_options(synchronize_session=False))
        if db.session.scalar(select(model.id).where(model.scope == scope).limit(1)) is not None:
            db.session.rollback()  # ... unless a result arrived since the check
            return False
    db.session.delete(q)
    try:
        db.session.commit()
    except IntegrityError:  # an answer to it arrived since the check (a page opened before it was retired)
        db.session.rollback()
        return False
    return True


def _question_key(text: str) -> str:
    """What two wordings of one question share: its words without the punctuation around them, case folded (NFC):
    "Tell us about yourself" and "Tell us about yourself." are one question (an admin review added both). Marks that
    combine with a letter (Devanagari's vowel signs, say) stay, as does punctuation inside a word ("don't")."""
    words = (w.strip("".join(c for c in set(w) if unicodedata.category(c).startswith("P")))
             for w in unicodedata.normalize("NFC", text or "").split())
    return " ".join(w for w in words if w).casefold()


def _clash(text: str, exclude_id: int | None = None) -> int | None:
    """The id of another question of the bank with ``text``'s key (_question_key), or None. Compared in Python: SQLite's
    lower() folds only ASCII letters, so "Élan…" and "élan…" both went in (an admin review). The bank holds a few
    hundred questions at most."""
    key = _question_key(text)
    q = select(Question.id, Question.text)
    if exclude_id is not None:
        q = q.where(Question.id != exclude_id)
    return next((qid for qid, t in db.session.execute(q) if key and _question_key(t) == key), None)


def duplicate_of(text: str, exclude_id: int | None = None, was: str | None = None) -> str | None:
    """Why `text` cannot be a question's (already another question's, punctuation aside), or None; ``was``: the
    question's own text before an edit, whose wording it may keep (two near-duplicates added before punctuation
    counted could not be edited at all, not even their category: a diff review)."""
    if was is not None and _question_key(text) == _question_key(was):
        return None
    other = _clash(text, exclude_id)
    if other is None:
        return None
    return (f"This question is already in the bank (#{other}; punctuation and capitals aside)." if exclude_id is None
            else f"Another question has this text (#{other}; punctuation and capitals aside).")


def add_question(text: str, category: str, by: int | None = None, **fields) -> Question:
    """A new question in the bank (committed), saved by the admin ``by`` (an id); AdminError if its text is already
    there."""
    if (why := duplicate_of(text)) is not None:
        raise AdminError(why)
    q = Question(text=text, category=category, saved_at=utcnow(), saved_by=by, **fields)
    db.session.add(q)
    db.session.commit()
    return q


def update_question(q: Question, text: str, category: str, by: int | None = None, **fields) -> None:
    """Save a question's new text, category and other fields, by the admin ``by`` (an id); AdminError if another
    question has the text."""
    if (why := duplicate_of(text, exclude_id=q.id, was=q.text)) is not None:
        raise AdminError(why)
    q.text, q.category, q.saved_at, q.saved_by = text, category, utcnow(), by
    for name, value in fields.items():
        setattr(q, name, value)
    db.session.commit()


def question_draft_key(admin_id: int, question: Question | None = None) -> str:
    """The name of an admin's draft of a question form in the browser tab (webapp.drafts): the new question's form,
    or the edit form of ``question``."""
    return draft_key(admin_id, f"question-{question.id}" if question is not None else "question-new")


def question_draft_marks(admin_id: int, question: Question | None = None) -> dict:
    """What static/js/draft.js needs for an admin's question form (webapp.drafts.draft_marks). The save a draft must
    be newer than to be offered again: the question's last save when editing (by anyone: a draft older than the text
    saved is not shown over it), else the admin's own latest added question (their new question saved, its page after
    never seen)."""
    if question is not None:
        last = question.saved_at
    else:  # the admin's latest added question (created_at, not saved_at: an edit of another question since must not
        # date a new question's draft out; one edited by another admin since no longer names them: its draft stays,
        # and sent again it is refused as a duplicate)
        last = db.session.scalar(select(func.max(Question.created_at)).where(Question.saved_by == admin_id))
    return draft_marks(question_draft_key(admin_id, question), last)


def set_retired(q: Question, retired: bool) -> None:
    """Retired questions disappear from the candidates' list; their answers are kept."""
    q.retired = retired
    db.session.commit()


# --- The bank's order, export and import ---------------------------------------------------------

def move_question(question_id: int, up: bool, past: int | None = None) -> int | None:
    """Swap the question ``question_id`` with the one just before it in the bank's order (``up``) or just after it, in
    one transaction under ``lock_question_order`` (committed): two admins' moves at once take turns, and the positions
    stay unique. The whole list moves, retired questions included (the admin's page lists them all, as one list; a
    retired question keeps its place, which candidates do not see). ``past``: the question the page showed as that
    neighbour; when another is there now (a second click of the same button, another admin's move in between),
    nothing moves (AdminError), so a double click moves a question one place, not two.

    Returns the id of the question it swapped places with, or None when it is first (up) or last already (nothing
    moves); LookupError when it is no longer in the bank."""
    lock_question_order(db.session)
    try:
        position = db.session.scalar(select(Question.position).where(Question.id == question_id))
        if position is None:
            raise LookupError(question_id)
        neighbour = db.session.execute(
            select(Question.id, Question.position)
            .where(Question.position < position if up else Question.position > position)
            .order_by(Question.position.desc() if up else Question.position).limit(1)
        ).first()
        if past is not None and (neighbour is None or neighbour.id != past):
            raise AdminError(f"Question #{question_id} was not moved: the order changed after this page was shown (a "
                             "second click, or another admin's change). The list below is the order now.")
        if neighbour is None:
            db.session.rollback()
            return None
        # three steps, so that no two rows share a place at any moment (the index is unique, checked at each row):
        # the question steps aside to a place no question has (positions are positive), then both take their new one
        for qid, new in ((question_id, -question_id), (neighbour.id, position), (question_id, neighbour.position)):
            db.session.execute(update(Question).where(Question.id == qid).values(position=new)
                               .execution_options(synchronize_session=False))
        db.session.commit()  # (which expires the objects the request loaded: they show their new places)
    except BaseException:
        db.session.rollback()
        raise
    return neighbour.id


#: what a question bank file says it is (``export_bank``), and its version
BANK_FORMAT, BANK_VERSION = "interview-simulator question bank", 1
BANK_FIELDS = ("text", "category", "talking_points", "retired")
MAX_BANK_BYTES = 1024 * 1024  # largest file to import (the seed's 24 questions with their points: 8 kB)
MAX_BANK_QUESTIONS = 1000  # most questions of one file (a bank holds a few hundred at most)
IMPORT_ERRORS_SHOWN = 10


class ImportRefused(AdminError):
    """A question bank file with invalid entries: ``problems`` says what is wrong with each (“Entry 3 (…): ...”)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(IMPORT_REFUSED + " " + " ".join(problems))


IMPORT_REFUSED = "Nothing was imported: every question of the file must be valid, and these are not."


def export_bank() -> dict:
    """The whole bank, retired questions too, in its order, as a question bank file holds it: each question's text,
    category, talking points and whether it is retired (no ids, answers or dates: another installation gives its
    own). ``import_bank`` reads it back, as does ``flask import-questions``."""
    return {"format": BANK_FORMAT, "version": BANK_VERSION,
            "exported_at": utcnow().replace(microsecond=0).isoformat() + "Z",
            "questions": [{"text": q.text, "category": q.category, "talking_points": list(q.talking_points or []),
                           "retired": bool(q.retired)} for q in all_questions()]}


def bank_json(bank: dict) -> str:
    """A question bank (``export_bank``) as the file's text: JSON, UTF-8 as written, one field a line."""
    return json.dumps(bank, ensure_ascii=False, indent=1) + "\n"


def export_bank_filename() -> str:
    return f"question-bank-{utcnow():%Y-%m-%d}.json"


@dataclass
class BankEntry:
    """A question of a file to import, checked and cleaned as the add-question form cleans it."""
    text: str
    category: str
    talking_points: list[str]
    retired: bool


def _check_entry(item) -> tuple[BankEntry | None, list[str]]:
    """One entry of a question bank file: the question to import (cleaned as the add-question form cleans what is
    typed), or None and what is wrong with it (its shape, then its fields by the add-question form's own rules:
    lengths, characters, HTML tags, category, talking points), as sentences."""
    from werkzeug.datastructures import MultiDict
    from .forms import QuestionForm

    if not isinstance(item, dict):
        return None, ["It is not a question (an object with “text” and “category”)."]
    unknown = [k for k in item if k not in BANK_FIELDS]
    if unknown:
        return None, [f"It has a field “{str(unknown[0])[:40]}” that a question does not have (a question has "
                      + ", ".join(f"“{f}”" for f in BANK_FIELDS) + ")."]
    problems = [f"Its “{name}” is missing." for name in ("text", "category") if name not in item]
    problems += [f"Its “{name}” is not text (in quotes)." for name in ("text", "category")
                 if name in item and not isinstance(item[name], str)]
    points = item.get("talking_points", [])
    if not isinstance(points, list) or not all(isinstance(p, str) for p in points):
        problems.append("Its “talking_points” is not a list of texts.")
    elif any(len(p.splitlines()) > 1 for p in points):  # (the form's box has one point a line)
        problems.append("One of its talking points is on more than one line.")
    if not isinstance(item.get("retired", False), bool):
        problems.append("Its “retired” is neither true nor false.")
    if problems:
        return None, problems
    form = QuestionForm(formdata=MultiDict({"text": item["text"], "category": item["category"],
                                            "talking_points": "\n".join(points)}), meta={"csrf": False})
    if not form.validate():
        return None, [f"The {field.label.text.lower()} is empty." if message == "This field is required." else message
                      for field in (form.text, form.category, form.talking_points) for message in field.errors]
    text, category = form.clean()
    return BankEntry(text, category, list(form.talking_points.data), item.get("retired", False)), []


def read_bank_file(data: bytes) -> list[BankEntry]:
    """The questions of a question bank file (``export_bank``'s JSON, or a plain list of questions such as
    data/questions.json), each checked by the add-question form's rules (``_check_entry``). AdminError when the file
    cannot be read as one, ImportRefused (an AdminError) when any entry is invalid, saying what is wrong with each (by
    its number, counted from 1; up to IMPORT_ERRORS_SHOWN problems): then none of the file is to be imported."""
    from ..uploads import human_size

    if not data:
        raise AdminError("The file is empty. Choose a question bank file (JSON, as “Export the question bank” "
                         "makes).")
    if len(data) > MAX_BANK_BYTES:
        raise AdminError(f"The file is larger than the {human_size(MAX_BANK_BYTES)} limit of a question bank file, "
                         "so nothing was imported.")
    try:
        content = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise AdminError("The file is not JSON text (it is not UTF-8: a binary file, or text in another encoding). "
                         "Choose a question bank file (JSON, as “Export the question bank” makes).") from None
    except json.JSONDecodeError as exc:
        raise AdminError(f"The file is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}), so "
                         "nothing was imported. Choose a question bank file, as “Export the question bank” "
                         "makes.") from None
    except (ValueError, RecursionError):  # a number of thousands of digits, lists nested thousands deep
        raise AdminError("The file is not a question bank: its JSON holds a number too long or lists nested too "
                         "deep.") from None
    items = content.get("questions") if isinstance(content, dict) else content
    if isinstance(content, dict) and content.get("format", BANK_FORMAT) != BANK_FORMAT:
        raise AdminError(f"The file is not a question bank: its format is “{str(content['format'])[:60]}”.")
    if isinstance(content, dict) and content.get("version", BANK_VERSION) != BANK_VERSION:
        raise AdminError(f"The file is a question bank of version {str(content['version'])[:20]}, which this release "
                         f"does not read (it reads version {BANK_VERSION}).")
    if not isinstance(items, list):
        raise AdminError("The file is not a question bank: it holds no list of questions (“questions”, each with "
                         "“text” and “category”, as “Export the question bank” writes them).")
    if not items:
        raise AdminError("The file has no questions, so nothing was imported.")
    if len(items) > MAX_BANK_QUESTIONS:
        raise AdminError(f"The file has {len(items):,} questions; at most {MAX_BANK_QUESTIONS:,} can be imported at "
                         "once. Split it into smaller files.")
    entries, problems = [], []
    for n, item in enumerate(items, 1):
        entry, wrong = _check_entry(item)
        entries.append(entry)
        problems.extend(f"Entry {n}{_entry_named(item)}: {why}" for why in wrong)
    if problems:
        shown = problems[:IMPORT_ERRORS_SHOWN]
        more = len(problems) - len(shown)
        raise ImportRefused(shown + ([f"… and {more} more {plural('problem', more)}."] if more else []))
    return entries


def _entry_named(item) -> str:
    """An entry's question, briefly, to find it in the file: “Tell us about a time…”."""
    text = item.get("text") if isinstance(item, dict) else None
    if not isinstance(text, str) or not text.strip():
        return ""
    text = " ".join(text.split())
    return f" (“{text[:40].rstrip()}{'…' if len(text) > 40 else ''}”)"


def import_bank(entries: list[BankEntry]) -> tuple[int, int]:
    """Add ``entries`` (``read_bank_file``) after the last question of the bank, in the file's order, in one
    transaction under ``lock_question_order`` (committed). An entry whose text is a question of the bank already (the
    add-question form's duplicate rule, ``_question_key``: punctuation and capitals aside), or of an earlier entry, is
    skipped. Returns (questions added, entries skipped).

    The questions are saved by no admin (``saved_by``, as the seed's): an admin's draft of a new question, typed
    before, is still offered (a draft older than the admin's latest added question is not)."""
    lock_question_order(db.session)
    try:
        known = {key for key in map(_question_key, db.session.scalars(select(Question.text))) if key}
        position, added, skipped, now = next_question_position(db.session), 0, 0, utcnow()
        for entry in entries:
            key = _question_key(entry.text)
            if key and key in known:
                skipped += 1
                continue
            known.add(key)
            db.session.add(Question(text=entry.text, category=entry.category, talking_points=entry.talking_points,
                                    retired=entry.retired, position=position + added, saved_at=now))
            added += 1
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return added, skipped


# --- Users -------------------------------------------------------------------------------------

USERS_PER_PAGE = 50

USER_ACTIONS = {
    "deactivate": ("active", False, "deactivated"),
    "reactivate": ("active", True, "reactivated"),
    "make-admin": ("role", "admin", "is now an admin"),
    "revoke-admin": ("role", "candidate", "is no longer an admin"),
}
ALREADY = {"deactivate": "is already deactivated", "reactivate": "is already active",
           "make-admin": "is already an admin", "revoke-admin": "is not an admin"}


def find_users(search: str, page: int) -> dict:
    """One page of users (by id) whose e-mail contains `search`, with their numbers of answers and what the buttons
    that change their role ask before (role_confirm), in one query."""
    q = select(User)
    if search:
        q = q.where(User.email.contains(search.lower(), autoescape=True))
    rows = db.session.execute(
        q.order_by(User.id).offset((page - 1) * USERS_PER_PAGE).limit(USERS_PER_PAGE + 1)
    ).scalars().all()
    has_next = len(rows) > USERS_PER_PAGE
    rows = rows[:USERS_PER_PAGE]

    def n(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    figures = {uid: rest for uid, *rest in db.session.execute(
        select(Answer.user_id, func.count(), n(stats.counted(Answer)), n(stats.out_while_admin(Answer)),
               n(stats.kept_out(Answer)))
        .where(Answer.user_id.in_([u.id for u in rows])).group_by(Answer.user_id)
    )} if rows else {}
    return {"users": rows, "has_next": has_next, "answer_counts": {uid: f[0] for uid, f in figures.items()},
            "role_confirms": {u.id: role_confirm(u, *figures.get(u.id, (0, 0, 0, 0))[1:]) for u in rows}}


def role_confirm(user: User, counted: int, back: int, kept_out: int) -> str:
    """What the users page asks before making `user` an admin, or making an admin a candidate again: what becomes of
    their analysed answers in the averages candidates are compared with (answers.set_role). `counted`: in them now
    (they leave while the account is an admin); `back`: out of them while it is an admin (they come back); `kept_out`:
    given as an admin (they stay out). A review found "Make admin carol@...?" alone, for a candidate whose three
    answers then left the figures."""
    if not user.is_admin:
        return f"Make admin {user.email}? " + (
            f"Their {counted} analysed {plural('answer', counted)} {'leaves' if counted == 1 else 'leave'} the averages "
            f"candidates are compared with while they are an admin, and {'comes' if counted == 1 else 'come'} back if "
            "the role is revoked." if counted else "Answers they give as an admin are in no average.")
    return f"Revoke admin {user.email}? " + " ".join(filter(None, (
        f"The {back} analysed {plural('answer', back)} they gave as a candidate {'comes' if back == 1 else 'come'} "
        "back into the averages." if back else "",
        _stays_out(kept_out), "Answers they give from now on count.")))


def _stays_out(kept_out: int) -> str:
    """The answers an admin gave (stats.kept_out) and stay out when the role is revoked, said only if there are any
    (a review: "the answers they gave as an admin stay out" to an account that gave none)."""
    if not kept_out:
        return ""
    return (f"The {kept_out} analysed {plural('answer', kept_out)} they gave as an admin "
            f"{'stays' if kept_out == 1 else 'stay'} out of the averages.")


def delete_user(actor: User, user: User) -> str:
    """Delete `user`'s account with its answers (out of the averages), files and mock interviews, and return
    what was done; not the admin's own account (that is done from one's account page), nor another admin's
    (their rights are revoked first, one deliberate step at a time): AdminError."""
    from ..answers import delete_account_and_data

    if user.id == actor.id:
        raise AdminError("You cannot delete your own account here; use your account page.")
    if user.is_admin:
        raise AdminError(f"{user.email} is an admin: revoke their admin rights first, then delete the account.")
    email = user.email
    done = delete_account_and_data(user)
    n = done.answers
    what = ("no answers" if n == 0 else "its one answer (and its file, if any)" if n == 1
            else f"its {n} answers (and their files)")
    return f"The account of {email} was deleted, with {what}." + files_stuck(done.stuck)


def reset_token(actor: User, user: User) -> str:
    """A password-reset link's token for a candidate who cannot sign in (webapp.auth.reset). Not for the
    admin's own account (their account page changes it), another admin's (`flask set-password` on the
    server does: a link seen by one admin would open another's rights) or a deactivated one: AdminError."""
    from ..auth.reset import make_token

    if user.id == actor.id:
        raise AdminError("Change your own password on your account page.")
    if user.is_admin:
        raise AdminError(f"{user.email} is an admin: set an admin's password on the server with "
                         "flask set-password.")
    if not user.active:
        raise AdminError(f"{user.email} is deactivated: reactivate the account first.")
    return make_token(user)


def apply_user_action(actor: User, user: User, action: str) -> str:
    """Apply one of USER_ACTIONS to `user` (committed) and return what was done, for the message.
    Admins cannot deactivate themselves or remove their own admin rights (AdminError)."""
    if user.id == actor.id and action in ("deactivate", "revoke-admin"):
        raise AdminError("You cannot deactivate your own account or remove your own admin rights; "
                         "ask another admin.")
    attr, value, done = USER_ACTIONS[action]
    if getattr(user, attr) == value:  # a second click, or a hand-made request: say so, change (and sign out) nothing
        raise AdminError(f"{user.email} {ALREADY[action]}; nothing was changed.")
    moved = waiting = 0
    if attr == "role":  # an admin's answers are not in the averages: a new admin's leave them, and come back with the
        from ..answers import set_role  # role of a candidate (answers.set_role)
        # the results that wait for their batch (privacy): removals, as after a deletion, or additions, as of new answers
        with stats.new_changes() as added:
            moved = set_role(user, value)
        waiting = stats.still_waiting(added, +1 if value == stats.COUNTED_ROLE else -1)
    else:
        setattr(user, attr, value)
    if action in ("deactivate", "revoke-admin"):
        # every cookie of the account ends: reactivating it (e.g. after it was taken over) must not bring back the
        # sessions it had, and a demoted admin signs in again
        user.rotate_session()
    db.session.commit()
    if action == "make-admin":
        return (f"{user.email} {done}. Admins' answers are not in the averages candidates are compared with: "
                + (f"{moved} analysed {plural('answer', moved)} of theirs {'was' if moved == 1 else 'were'} in them."
                   + scores_leave(waiting, moved, "Their")
                   + f" {'It comes' if moved == 1 else 'They come'} back if the role is revoked."
                   if moved else "they had no analysed answer in them."))
    if action == "revoke-admin":
        # what came back, and what stays out, if any (a review: "the answers they gave as an admin stay out" said of
        # a candidate made an admin by mistake, who gave none, while their three answers did not come back)
        kept_out = db.session.scalar(select(func.count()).select_from(Answer).where(
            Answer.user_id == user.id, stats.kept_out(Answer))) or 0
        return " ".join(filter(None, (
            f"{user.email} {done}.",
            f"{moved} analysed {plural('answer', moved)} they gave as a candidate {'is' if moved == 1 else 'are'} "
            "back in the averages candidates are compared with." + scores_join(waiting, moved) if moved else "",
            _stays_out(kept_out), "The answers they give from now on count.")))
    return f"{user.email} {done}."
