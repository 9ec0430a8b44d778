"""Mock interview routes: thin, the logic is in webapp.practice.service."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from ..answers import delete_answers
from ..extensions import db, upload_limit
from ..models import Answer, Question
from ..params import db_id
from ..wording import files_stuck, plural, scores_leave
from . import bp, service
from .forms import SelectChoice, StartForm


@bp.app_template_global()
def practice_change(answer, attempts):
    """For the answer page: "try this question again" and the change since the previous attempt."""
    return service.change_since_previous(answer, attempts)


@bp.app_template_global()
def retake_url_of(answer):
    """For the report and a failed answer's page: where its candidate answers the question again within its mock
    interview (service.retake_url_of), or None."""
    return service.retake_url_of(answer)


def _start_form():
    cfg = current_app.config
    form = StartForm()
    form.category.choices = [SelectChoice(service.MIXED, "Mixed (all categories)")] + [
        SelectChoice(c, c.capitalize()) for c in service.categories()]
    form.limit_count(cfg["PRACTICE_MAX_QUESTIONS"])
    if request.method == "GET":
        form.category.data = service.MIXED
        form.count.data = min(cfg["PRACTICE_QUESTIONS"], cfg["PRACTICE_MAX_QUESTIONS"])
    return form


@bp.route("/practice", methods=["GET", "POST"])
@upload_limit  # starting one shares the candidate's answer budget: a security review made 1,000 in ten seconds
@login_required
def start():
    form = _start_form()
    if form.validate_on_submit():
        try:
            s = service.start(current_user.id, form.mode.data, form.category.data, form.count.data)
        except ValueError as exc:
            flash(str(exc), "error")
        else:
            return redirect(url_for("practice.step", session_id=s.id))
    status = 400 if form.errors or request.method == "POST" else 200
    return render_template("practice/start.html", form=form,
                           sessions=service.user_sessions(current_user.id, service.SESSIONS_LISTED),
                           sessions_listed=service.SESSIONS_LISTED,
                           prep_seconds=current_app.config["PRACTICE_PREP_SECONDS"]), status


@bp.get("/practice/<int:session_id>")
@login_required
def step(session_id):
    s = service.owned_session(session_id)
    qid = s.current_question_id
    if qid is None:
        return redirect(url_for("practice.report", session_id=s.id))
    if s.user_id != current_user.id:  # an admin looking at a candidate's session: the report only
        return redirect(url_for("practice.report", session_id=s.id))
    question = db.session.get(Question, qid)
    return render_template("practice/step.html", s=s, question=question, answer_url=service.answer_url(s, qid),
                           prep_seconds=current_app.config["PRACTICE_PREP_SECONDS"])


@bp.get("/practice/<int:session_id>/finish")
@login_required
def finish_address(session_id):
    """Opened as a page (from the address bar or history): the report, which says how the interview stands."""
    return redirect(url_for("practice.report", session_id=service.owned_session(session_id).id))


@bp.post("/practice/<int:session_id>/finish")
@login_required
def finish(session_id):
    s = service.owned_session(session_id, admins=False)  # an admin reads a candidate's interview, never ends it
    service.finish(s)
    return redirect(url_for("practice.report", session_id=s.id))


@bp.post("/practice/<int:session_id>/delete")
@login_required
def delete(session_id):
    """Delete a mock interview with its answers (their scores, files and contribution to the averages)."""
    s = service.owned_session(session_id, admins=False)
    answers = db.session.scalars(select(Answer).where(Answer.session_id == s.id)).all()
    done = delete_answers(answers, also=[s])
    count = done.answers
    flash(("The mock interview was deleted." if count == 0 else
           f"The mock interview and its {count} {plural('answer', count)} were deleted.")
          + scores_leave(done.waiting, done.scored, "Their") + files_stuck(done.stuck), "success")
    return redirect(url_for("practice.start"))


@bp.get("/practice/<int:session_id>/report")
@login_required
def report(session_id):
    s = service.owned_session(session_id)
    context = service.report(s)
    if s.user_id != current_user.id:  # an admin reading a candidate's report: noted for the candidate, per answer
        from ..access import note_view
        from ..models import Answer
        for answer in db.session.scalars(select(Answer).where(Answer.session_id == s.id)):
            note_view(answer, "report")
    return render_template("practice/report.html", **context)


@bp.get("/practice/progress")
@login_required
def progress():
    raw = request.args.get("question")
    question_id = db_id(raw)            # not a number: all questions, as before; a number past any id: 404
    if question_id is None and (raw or "").strip().isdecimal():
        abort(404)
    data = service.progress(current_user.id, question_id)
    question = db.session.get(Question, question_id) if question_id is not None else None
    if question_id is not None and question is None:
        abort(404)
    if question is not None and question_id not in dict(data["questions"]):  # no analysed attempt at it yet
        data["questions"] = sorted([*data["questions"], (question_id, question.text)])
    return render_template("practice/progress.html", question_id=question_id,
                           question_text=question.text if question else None, **data)
