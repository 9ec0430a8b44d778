"""Admin pages: overview, analytics over time, CSV exports, question bank and users.

Every number shown here is read from the pre-aggregated rows of webapp.stats (all-time
Aggregate/AggregateBin rows, daily AggregateDay/AnswerDay rows) or from small indexed
lookups, never from a scan of the answers, so the pages stay fast as answers pile up.
Only the raw-score CSV export reads scores, and it streams them.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import wraps

from flask import Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from .. import stats
from ..dashboard.routes import SPEECH_EXPLAINED, TRAIT_NAMES
from ..extensions import db
from ..models import AggregateDay, Answer, AnswerDay, Question, Score, User, utcnow
from . import bp
from .forms import QuestionForm


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)
    return wrapped


# --- Overview ---------------------------------------------------------------------------

def status_counts() -> dict[str, int]:
    """Answers per state: 'done' from the daily counters, the (few) others through the status index."""
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


@bp.get("/")
@admin_required
def overview():
    n_candidates, _ = candidate_counts()
    by_status = status_counts()
    n_answers = sum(by_status.values())
    questions = db.session.execute(select(Question).order_by(Question.id)).scalars().all()
    big5 = stats.comparisons("text", "big5")  # every scope in one query
    rows = []
    for q in questions:
        comp = big5.get(stats.question_scope(q.id), {})
        count = max((c["count"] for c in comp.values()), default=0)
        rows.append({"question": q, "count": count,
                     "means": {code: comp.get(code, {}).get("mean") for code in TRAIT_NAMES}})
    overall = big5.get(stats.OVERALL, {})
    failed = db.session.execute(
        select(Answer).where(Answer.status == "failed").order_by(Answer.finished_at.desc()).limit(50)
    ).scalars().all()
    return render_template("admin/overview.html", n_candidates=n_candidates, n_answers=n_answers,
                           by_status=by_status, rows=rows, overall=overall, traits=TRAIT_NAMES,
                           failed=failed)


# --- Filters shared by the analytics page and the exports ----------------------------------

MODALITIES = {"text": "Written (typed text and PDF)", "video": "Video", "audio": "Audio"}
FAMILIES = {
    "text": {"big5": "Big Five traits"},
    "video": {"face": "Facial expressions (% of time dominant)", "face_meta": "Face visible (% of time)",
              "voice": "Vocal emotion (% of time dominant)", "speech": "Speaking metrics"},
    "audio": {"voice": "Vocal emotion (% of time dominant)", "speech": "Speaking metrics"},
}
LABEL_NAMES = {**TRAIT_NAMES, **{k: v[0] for k, v in SPEECH_EXPLAINED.items()}, "face_share": "Face visible"}
DEFAULT_DAYS = 90
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
        return date.fromisoformat(value.strip())
    except ValueError:
        errors.append(f"Ignored the {name} date {value!r}: use YYYY-MM-DD.")
        return None


def parse_filters(args, question_ids) -> Filters:
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
        if raw_q.isdigit() and int(raw_q) in question_ids:
            question_id = int(raw_q)
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


def _questions():
    return db.session.execute(select(Question).order_by(Question.id)).scalars().all()


@bp.get("/analytics")
@admin_required
def analytics():
    questions = _questions()
    f = parse_filters(request.args, {q.id for q in questions})
    for e in f.errors:
        flash(e, "warning")
    series = stats.timeseries(f.scope, f.modality, f.family, f.start, f.end)
    summary = stats.range_summary(f.scope, f.modality, f.family, f.start, f.end)
    per_day = stats.answers_per_day(f.scope, f.start, f.end)
    answers_in_range = {m: sum(per_day.get(m, {}).values()) for m in MODALITIES}
    labels = stats.labels_of(f.scope, f.modality, f.family)
    label = f.label if f.label in labels else (labels[0] if labels else None)
    hist = stats.histogram(f.scope, f.modality, f.family, label) if label else None
    n_candidates, n_active = candidate_counts()
    days = stats.days_between(f.start, f.end)
    chart = {
        "days": series["days"],
        "series": [{"label": LABEL_NAMES.get(k, k), "data": v["mean"]} for k, v in series["labels"].items()],
        "answers": [{"label": MODALITIES[m], "data": [per_day.get(m, {}).get(d, 0) for d in days]}
                    for m in MODALITIES],
        "fixedScale": f.family != "speech",
        "histogram": None if hist is None else {
            "label": LABEL_NAMES.get(label, label),
            "bins": [f"{hist['edges'][i]:g}–{hist['edges'][i + 1]:g}" for i in range(stats.N_BINS)],
            "counts": hist["counts"],
        },
    }
    return render_template(
        "admin/analytics.html", f=f, questions=questions, modalities=MODALITIES,
        families=FAMILIES, summary=summary, label_names=LABEL_NAMES, labels=labels, label=label,
        hist=hist, answers_in_range=answers_in_range, answers_total=stats.answers_total(f.scope),
        n_candidates=n_candidates, n_active=n_active, chart=chart, by_status=status_counts(),
    )


# --- CSV exports (no personal data: no e-mail, no user or answer id) ------------------------

def _csv_line(row) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(row)
    return buf.getvalue()


def _csv_response(name: str, f: Filters, lines) -> Response:
    filename = f"{name}_{f.start.isoformat()}_{f.end.isoformat()}.csv"
    return Response(stream_with_context(lines), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "no-store"})


def _question_of(scope: str) -> str:
    return "all" if scope == stats.OVERALL else scope.split(":", 1)[1]


AGGREGATE_COLUMNS = ["question_id", "modality", "family", "label", "date", "count", "mean", "sd"]
SCORE_COLUMNS = ["row", "question_id", "modality", "family", "label", "value", "date"]


@bp.get("/export/aggregates.csv")
@admin_required
def export_aggregates():
    """Daily aggregates of the selected modality (all its families), per question and overall
    (question_id "all"), for the selected date range and question."""
    f = parse_filters(request.args, set(db.session.execute(select(Question.id)).scalars()))
    q = select(AggregateDay.scope, AggregateDay.modality, AggregateDay.family, AggregateDay.label,
               AggregateDay.day, AggregateDay.count, AggregateDay.total, AggregateDay.total_sq).where(
        AggregateDay.modality == f.modality, AggregateDay.day >= f.start, AggregateDay.day <= f.end,
        AggregateDay.count > 0)
    if f.question_id is not None:
        q = q.where(AggregateDay.scope == f.scope)
    q = q.order_by(AggregateDay.scope, AggregateDay.family, AggregateDay.label, AggregateDay.day)

    def lines():
        yield _csv_line(AGGREGATE_COLUMNS)
        for scope, modality, family, label, day, count, total, total_sq in \
                db.session.execute(q.execution_options(yield_per=2000)):
            mean, sd = stats._mean_sd(count, total, total_sq)
            yield _csv_line([_question_of(scope), modality, family, label, day.isoformat(), count,
                             f"{mean:.4f}", f"{sd:.4f}"])
    return _csv_response("aggregates", f, lines())


@bp.get("/export/scores.csv")
@admin_required
def export_scores():
    """Every score of the analysed answers in the filter, one line each. Answers are numbered
    in the order of this file only (`row`), so lines of one answer stay together but cannot be
    traced back to an answer or a person; the date is the day, not the time."""
    f = parse_filters(request.args, set(db.session.execute(select(Question.id)).scalars()))
    members = [m for m in ("text", "pdf", "video", "audio") if stats.modality_group(m) == f.modality]
    q = (select(Answer.id, Answer.question_id, Answer.modality, Answer.created_at,
                Score.family, Score.label, Score.value)
         .join(Score, Score.answer_id == Answer.id)
         .where(Answer.status == "done", Answer.modality.in_(members),
                Answer.created_at >= datetime.combine(f.start, time.min),
                Answer.created_at < datetime.combine(f.end + timedelta(days=1), time.min)))
    if f.question_id is not None:
        q = q.where(Answer.question_id == f.question_id)
    q = q.order_by(Answer.created_at, Answer.id, Score.family, Score.label)

    def lines():
        yield _csv_line(SCORE_COLUMNS)
        row, last = 0, None
        for answer_id, question_id, modality, created_at, family, label, value in \
                db.session.execute(q.execution_options(yield_per=2000)):
            if answer_id != last:
                row, last = row + 1, answer_id
            yield _csv_line([row, question_id, modality, family, label, f"{value:.4f}",
                             created_at.date().isoformat()])
    return _csv_response("scores", f, lines())


# --- Question bank -----------------------------------------------------------------------------

def _answers_per_question() -> dict[int, int]:
    """Analysed answers per question, all time, from the daily counters."""
    totals = db.session.execute(
        select(AnswerDay.scope, func.sum(AnswerDay.count)).where(AnswerDay.scope != stats.OVERALL)
        .group_by(AnswerDay.scope)
    ).all()
    return {int(scope.split(":", 1)[1]): int(n or 0) for scope, n in totals}


@bp.get("/questions")
@admin_required
def questions():
    return _render_questions(QuestionForm())


def _render_questions(form, status=200):
    qs = _questions()
    categories = sorted({q.category for q in qs})
    return render_template("admin/questions.html", questions=qs, form=form, categories=categories,
                           answered=_answers_per_question()), status


def _duplicate(text: str, exclude_id: int | None = None) -> bool:
    q = select(Question.id).where(func.lower(Question.text) == text.lower())
    if exclude_id is not None:
        q = q.where(Question.id != exclude_id)
    return db.session.execute(q.limit(1)).first() is not None


@bp.post("/questions")
@admin_required
def add_question():
    form = QuestionForm()
    if form.validate_on_submit():
        text, category = form.clean()
        if _duplicate(text):
            form.text.errors.append("This question is already in the bank.")
        else:
            q = Question(text=text, category=category, talking_points=form.talking_points.data)
            db.session.add(q)
            db.session.commit()
            flash(f"Question #{q.id} added.", "success")
            return redirect(url_for("admin.questions"))
    return _render_questions(form, 400)


def _question_or_404(question_id: int) -> Question:
    q = db.session.get(Question, question_id)
    if q is None:
        abort(404)
    return q


@bp.route("/questions/<int:question_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_question(question_id):
    q = _question_or_404(question_id)
    form = QuestionForm(obj=q)
    if request.method == "POST":
        if form.validate_on_submit():
            text, category = form.clean()
            if _duplicate(text, exclude_id=q.id):
                form.text.errors.append("Another question has this text.")
            else:
                q.text, q.category = text, category
                q.talking_points = form.talking_points.data
                db.session.commit()
                flash(f"Question #{q.id} saved.", "success")
                return redirect(url_for("admin.questions"))
        return render_template("admin/question_edit.html", question=q, form=form), 400
    return render_template("admin/question_edit.html", question=q, form=form)


@bp.post("/questions/<int:question_id>/<any(retire, unretire):action>")
@admin_required
def retire_question(question_id, action):
    """Retired questions disappear from the candidates' list; their answers are kept."""
    q = _question_or_404(question_id)
    q.retired = action == "retire"
    db.session.commit()
    flash(f"Question #{q.id} {'retired' if q.retired else 'back in the candidates’ list'}.", "success")
    return redirect(url_for("admin.questions"))


# --- Users -------------------------------------------------------------------------------------

USERS_PER_PAGE = 50


@bp.get("/users")
@admin_required
def users():
    search = (request.args.get("q") or "").strip()[:254]
    page = max(1, request.args.get("page", 1, type=int) or 1)
    q = select(User)
    if search:
        q = q.where(User.email.contains(search.lower(), autoescape=True))
    rows = db.session.execute(
        q.order_by(User.id).offset((page - 1) * USERS_PER_PAGE).limit(USERS_PER_PAGE + 1)
    ).scalars().all()
    has_next = len(rows) > USERS_PER_PAGE
    rows = rows[:USERS_PER_PAGE]
    answer_counts = dict(db.session.execute(
        select(Answer.user_id, func.count()).where(Answer.user_id.in_([u.id for u in rows]))
        .group_by(Answer.user_id)
    ).all()) if rows else {}
    return render_template("admin/users.html", users=rows, search=search, page=page, has_next=has_next,
                           answer_counts=answer_counts)


USER_ACTIONS = {
    "deactivate": ("active", False, "deactivated"),
    "reactivate": ("active", True, "reactivated"),
    "make-admin": ("role", "admin", "is now an admin"),
    "revoke-admin": ("role", "candidate", "is no longer an admin"),
}


@bp.post("/users/<int:user_id>/<any('deactivate', 'reactivate', 'make-admin', 'revoke-admin'):action>")
@admin_required
def user_action(user_id, action):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    back = url_for("admin.users", q=request.form.get("q") or None,
                   page=request.form.get("page", type=int) or None)
    if user.id == current_user.id and action in ("deactivate", "revoke-admin"):
        flash("You cannot deactivate your own account or remove your own admin rights; "
              "ask another admin.", "error")
        return redirect(back)
    attr, value, done = USER_ACTIONS[action]
    setattr(user, attr, value)
    db.session.commit()
    flash(f"{user.email} {done}.", "success")
    return redirect(back)
