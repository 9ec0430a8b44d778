"""Admin pages: overview, analytics over time, CSV exports, question bank and users.

Thin routes: parse and validate the request, call webapp.admin.service (which holds the
queries and the rules), render or redirect.
"""
from __future__ import annotations

from functools import wraps

from flask import Response, abort, current_app, flash, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user, login_required

from ..drafts import draft_arrived
from ..extensions import db
from ..models import Question, User
from ..params import control_char, db_id, page_number, token_expired
from ..uploads import human_size
from ..wording import plural
from . import bp, service
from .forms import QuestionForm, QuestionImportForm


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
    # min_words: a trait's average counts answers from its shown-from length, never below the minimum word count
    # (ModelMetrics.others_from, as on candidates' pages)
    return render_template("admin/overview.html", **service.overview(),
                           min_words=current_app.config["MIN_WORDS_FOR_ESTIMATE"])


@bp.get("/analytics")
@admin_required
def analytics():
    questions = service.all_questions()
    f = service.parse_filters(request.args, {q.id for q in questions})
    for e in f.errors:
        flash(e, "warning")
    return render_template("admin/analytics.html", f=f, questions=questions, **service.analytics(f))


# --- CSV exports (no personal data: no e-mail, no user or answer id) ------------------------

def _export(name: str):
    f = service.parse_filters(request.args, service.question_ids())
    if f.errors:  # a hand-edited link: no file of other rows than asked for; the analytics page says what was ignored
        for e in f.errors:
            flash(e, "warning")
        flash("Nothing was exported: check the filters below, then export again.", "warning")
        return redirect(url_for("admin.analytics", **f.args()))
    return Response(stream_with_context(service.export_lines(name, f)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{service.export_filename(name, f)}"',
                             "Cache-Control": "no-store"})


@bp.get("/export/aggregates.csv")
@admin_required
def export_aggregates():
    return _export("aggregates")


@bp.get("/export/scores.csv")
@admin_required
def export_scores():
    return _export("scores")


# --- Question bank -----------------------------------------------------------------------------

@bp.get("/questions")
@admin_required
def questions():
    return _render_questions(QuestionForm())


def _render_questions(form, status=200, import_form=None):
    """The question bank page, with the add-question form ``form`` (and the import form ``import_form``, shown with
    its errors: the add-question form is then a fresh one, which gets its draft back)."""
    return render_template("admin/questions.html", form=form, draft=service.question_draft_marks(current_user.id),
                           import_form=import_form or QuestionImportForm(formdata=None),
                           add_form_fresh=request.method == "GET" or import_form is not None,
                           bank_limit=human_size(service.MAX_BANK_BYTES), **service.question_bank()), status


@bp.post("/questions")
@admin_required
def add_question():
    form = QuestionForm()
    if form.validate_on_submit():
        text, category = form.clean()
        try:
            q = service.add_question(text, category, by=current_user.id, talking_points=form.talking_points.data)
        except service.AdminError as exc:
            form.text.errors.append(str(exc))
        else:
            draft_arrived(service.question_draft_key(current_user.id))  # the next page drops its draft in the tab
            flash(f"Question #{q.id} added.", "success")
            return redirect(url_for("admin.questions"))
    else:
        _also_duplicate(form)
    token_expired(form)
    return _render_questions(form, 400)


def _also_duplicate(form, exclude_id: int | None = None) -> None:
    """A form refused for another field says at once, too, when its question text is already in the bank
    (else the admin fixes one thing, sends it again and only then learns of the other)."""
    if request.method == "POST" and form.text.data and not form.text.errors:
        why = service.duplicate_of(form.text.data, exclude_id)
        if why is not None:
            form.text.errors = [*form.text.errors, why]


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
            try:
                service.update_question(q, text, category, by=current_user.id,
                                        talking_points=form.talking_points.data)
            except service.AdminError as exc:
                form.text.errors.append(str(exc))
            else:
                draft_arrived(service.question_draft_key(current_user.id, q))  # the next page drops its draft
                flash(f"Question #{q.id} saved.", "success")
                return redirect(url_for("admin.questions"))
        else:
            _also_duplicate(form, q.id)
        token_expired(form)
        return _render_edit(q, form, 400)
    return _render_edit(q, form)


def _render_edit(q: Question, form, status=200):
    return render_template("admin/question_edit.html", question=q, form=form, categories=service.categories(),
                           draft=service.question_draft_marks(current_user.id, q)), status


@bp.post("/questions/<int:question_id>/<any(retire, unretire):action>")
@admin_required
def retire_question(question_id, action):
    q = _question_or_404(question_id)
    service.set_retired(q, action == "retire")
    flash(f"Question #{q.id} {'retired' if q.retired else 'back in the candidates’ list'}.", "success")
    return redirect(url_for("admin.questions"))


@bp.post("/questions/<int:question_id>/move-<any(up, down):direction>")
@admin_required
def move_question(question_id, direction):
    """Move a question one place up or down the bank's order (the whole list: service.move_question); back to its row
    on the page, so that the next move is at hand."""
    _question_or_404(question_id)
    up = direction == "up"
    try:
        other = service.move_question(question_id, up, past=db_id(request.form.get("past")))
    except LookupError:  # deleted by another admin meanwhile
        abort(404)
    except service.AdminError as exc:
        flash(str(exc), "warning")
    else:
        if other is None:
            flash(f"Question #{question_id} is {'first' if up else 'last'} already; nothing was moved.", "info")
        else:
            flash(f"Question #{question_id} moved {direction}, {'above' if up else 'below'} #{other}.", "success")
    return redirect(url_for("admin.questions", _anchor=f"question-{question_id}"))


@bp.get("/questions/export.json")
@admin_required
def export_questions():
    """The whole question bank as a JSON file (service.export_bank), to import on another installation."""
    return Response(service.bank_json(service.export_bank()), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{service.export_bank_filename()}"',
                             "Cache-Control": "no-store"})


@bp.post("/questions/import")
@admin_required
def import_questions():
    """Add the questions of an uploaded question bank file after the last one (service.read_bank_file, import_bank):
    all or, when any entry is invalid, none; those already in the bank are skipped."""
    form = QuestionImportForm()
    if form.validate_on_submit():
        try:  # (read one byte past the limit: a larger file is refused without reading it all)
            added, skipped = service.import_bank(service.read_bank_file(
                form.bank_file.data.stream.read(service.MAX_BANK_BYTES + 1)))
        except service.ImportRefused as exc:
            form.bank_file.errors = [service.IMPORT_REFUSED, *exc.problems]
        except service.AdminError as exc:
            form.bank_file.errors = [str(exc)]
        else:
            flash(f"Imported {added} {plural('question', added)}; skipped {skipped} already in the bank.", "success")
            return redirect(url_for("admin.questions"))
    return _render_questions(QuestionForm(formdata=None), 400, import_form=form)


@bp.post("/questions/<int:question_id>/delete")
@admin_required
def delete_question(question_id):
    q = _question_or_404(question_id)
    text = q.text
    if service.delete_question(q):
        flash(f"Question #{question_id} (“{text[:60]}{'…' if len(text) > 60 else ''}”) deleted.", "success")
    else:
        flash(f"Question #{question_id} was not deleted: only a retired question that nobody has answered or been "
              "asked in a mock interview, and that nothing in the averages or word lists still counts (deleted answers "
              "can leave their results waiting for a batch), can be deleted. Retiring it hides it from candidates.",
              "error")
    return redirect(url_for("admin.questions"))


# --- Users -------------------------------------------------------------------------------------

@bp.get("/users")
@admin_required
def users():
    search = (request.args.get("q") or "").strip()[:254]
    if control_char(search) is not None:  # no e-mail holds one (the sign-up form refuses them), and PostgreSQL refuses NUL
        flash("The search contains an invisible or control character, which no e-mail address holds.", "error")
        search = ""
    page = page_number(request.args.get("page"))
    return render_template("admin/users.html", search=search, page=page, **service.find_users(search, page))


@bp.get("/users/<int:user_id>/answers")
@admin_required
def user_answers(user_id):
    """A candidate's answers, newest first, each linking to its page (where an admin's opening is noted for the
    candidate, webapp.access); this list shows when, which question and in what form, as the account page says."""
    from ..answers import answers_of
    user = _user_or_404(user_id)
    answers = answers_of(user.id, USER_ANSWERS_SHOWN + 1)
    return render_template("admin/user_answers.html", user=user, answers=answers[:USER_ANSWERS_SHOWN],
                           more=len(answers) > USER_ANSWERS_SHOWN)


USER_ANSWERS_SHOWN = 500


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _users_page() -> str:
    """The users page the admin came from (its search and page, sent with each button's form)."""
    search = (request.form.get("q") or "").strip()[:254]  # as the page itself reads it (a longer one: a URL too long)
    return url_for("admin.users", q=search or None, page=db_id(request.form.get("page")) or None)


def _on_user(user_id: int, act) -> Response:
    """Apply `act(admin, user)` (a service call that returns what was done, or raises AdminError) to the user
    `user_id` (404 if there is none), say how it went, and go back to the users page."""
    user = _user_or_404(user_id)
    try:
        flash(act(current_user, user), "success")
    except service.AdminError as exc:
        flash(str(exc), "error")
    return redirect(_users_page())


@bp.post("/users/<int:user_id>/delete")
@admin_required
def delete_user(user_id):
    """Delete an account with all its answers, files and mock interviews (a candidate who asked for it,
    or one deactivated, who can no longer sign in to do it)."""
    return _on_user(user_id, service.delete_user)


@bp.post("/users/<int:user_id>/reset-link")
@admin_required
def reset_link(user_id):
    """Show a password-reset link for a candidate, for the admin to pass on (the site sends no e-mail)."""
    user = _user_or_404(user_id)
    try:
        token = service.reset_token(current_user, user)
    except service.AdminError as exc:
        flash(str(exc), "error")
        return redirect(_users_page())
    base = current_app.config.get("PUBLIC_URL")
    link = (base + url_for("auth.reset_password", token=token) if base
            else url_for("auth.reset_password", token=token, _external=True))
    return render_template("admin/reset_link.html", user=user, hours=current_app.config["PASSWORD_RESET_HOURS"],
                           link=link)


@bp.post("/users/<int:user_id>/<any('deactivate', 'reactivate', 'make-admin', 'revoke-admin'):action>")
@admin_required
def user_action(user_id, action):
    return _on_user(user_id, lambda admin, user: service.apply_user_action(admin, user, action))
