"""Answering questions: thin routes — validate, store, enqueue, redirect to the progress page."""
from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import media
from ..extensions import db
from ..jobs import enqueue
from ..models import Answer, Question
from ..textstats import word_count
from ..uploads import UploadError, clean_text, pdf_text, read_limited
from . import bp
from .forms import TextAnswerForm


def active_question(question_id: int) -> Question:
    question = db.session.get(Question, question_id)
    if question is None or question.retired:
        abort(404)
    return question


@bp.get("/questions")
@login_required
def questions():
    rows = db.session.execute(
        select(Question).where(Question.retired.is_(False)).order_by(Question.id)
    ).scalars().all()
    return render_template("interview/questions.html", questions=rows)


@bp.route("/questions/<int:question_id>/text", methods=["GET", "POST"])
@login_required
def text_answer(question_id):
    question = active_question(question_id)
    form = TextAnswerForm()
    if form.validate_on_submit():
        cfg = current_app.config
        upload = form.pdf.data
        has_file = upload is not None and getattr(upload, "filename", "")
        try:
            if has_file and (form.answer.data or "").strip():
                raise UploadError("Either type an answer or upload a PDF, not both.")
            if has_file:
                data = read_limited(upload, cfg["MAX_PDF_BYTES"])
                text = pdf_text(data, cfg["MAX_TEXT_CHARS"])
                modality = "pdf"
            else:
                data = None
                text = clean_text(form.answer.data, cfg["MAX_TEXT_CHARS"])
                modality = "text"
            answer = Answer(user_id=current_user.id, question_id=question.id, modality=modality,
                            text=text, word_count=word_count(text))
            if data is not None:
                answer.media_path = media.save(current_user.id, data, ".pdf")
                answer.original_filename = (upload.filename or "answer.pdf")[-200:]
        except (UploadError, media.MediaError) as exc:
            flash(str(exc), "error")
            return render_template("interview/text.html", question=question, form=form), 400
        enqueue(answer)
        db.session.add(answer)
        try:
            db.session.commit()
        except Exception:
            db.session.rollback()
            media.delete(answer.media_path)
            raise
        if answer.word_count < cfg["MIN_WORDS_FOR_ESTIMATE"]:
            flash(f"Your answer has only {answer.word_count} words: with fewer than "
                  f"{cfg['MIN_WORDS_FOR_ESTIMATE']} the estimate is very uncertain.", "warning")
        return redirect(url_for("dashboard.answer", answer_id=answer.id))
    status = 400 if form.errors else 200
    if form.errors.get("csrf_token"):
        flash("The form expired; please submit it again.", "error")
    return render_template("interview/text.html", question=question, form=form), status
