from functools import wraps

from flask import abort, render_template
from flask_login import current_user, login_required
from sqlalchemy import func, select

from .. import stats
from ..dashboard.routes import TRAIT_NAMES
from ..extensions import db
from ..models import Answer, Question, User
from . import bp


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)
    return wrapped


@bp.get("/")
@admin_required
def overview():
    n_candidates = db.session.scalar(select(func.count()).select_from(User).where(User.role == "candidate"))
    n_answers = db.session.scalar(select(func.count()).select_from(Answer))
    by_status = dict(db.session.execute(select(Answer.status, func.count()).group_by(Answer.status)).all())
    questions = db.session.execute(select(Question).order_by(Question.id)).scalars().all()
    rows = []
    for q in questions:
        comp = stats.comparison(stats.question_scope(q.id), "text", "big5")
        count = max((c["count"] for c in comp.values()), default=0)
        rows.append({"question": q, "count": count,
                     "means": {code: comp.get(code, {}).get("mean") for code in TRAIT_NAMES}})
    overall = stats.comparison(stats.OVERALL, "text", "big5")
    failed = db.session.execute(
        select(Answer).where(Answer.status == "failed").order_by(Answer.finished_at.desc()).limit(50)
    ).scalars().all()
    return render_template("admin/overview.html", n_candidates=n_candidates, n_answers=n_answers,
                           by_status=by_status, rows=rows, overall=overall, traits=TRAIT_NAMES,
                           failed=failed)
