"""Answering questions: thin routes — validate, store, enqueue, redirect to the progress page."""
from datetime import timedelta
from urllib.parse import urlsplit

from flask import abort, current_app, flash, jsonify, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import media, quota
from ..answers import answer_draft_key, asked_wording, hold_candidate
from ..drafts import draft_arrived
from ..modelinfo import text_words
from ..extensions import db, upload_limit
from ..jobs import enqueue
from ..labels import QUESTION_RETIRED
from ..models import Answer, Question, utcnow
from ..params import from_this_site, this_site, token_expired
from ..practice.service import (lost_place, next_url, place_answer, refuse, retaken_url, retaking_in, session_check,
                                session_context)
from ..textstats import word_count
from ..uploads import UploadError, check_pdf_header, check_pdf_pages, clean_text, read_limited, safe_filename
from ..wording import plural
from . import bp
from .forms import TextAnswerForm


def active_question(question_id: int) -> Question:
    """The question answered: 404 if it does not exist, or if it is retired and no answer to it is
    under way. An answer sent (POST) or a mock interview's answer page (``?session=``, which
    ``session_check`` then holds to the interview's current question) still works after an admin
    retires the question meanwhile, so neither the answer nor the interview is lost."""
    question = db.session.get(Question, question_id)
    if question is None and request.method == "POST":
        abort(_question_deleted())
    if question is None:
        abort(404)
    if question.retired and request.method != "POST" and "session" not in request.args:
        # opened directly (a bookmark, an old link): a 404 that says why, as the answer pages do, not a bare
        # "Not found" (a review), with the ways on
        abort(make_response(render_template(
            "error.html", title="Question retired", message=QUESTION_RETIRED,
            links=[(url_for("dashboard.history"), "My answers"), (url_for("interview.questions"), "Questions")]), 404))
    return question


QUESTION_DELETED = ("This question is no longer in the question bank (an administrator deleted it, perhaps while you "
                    "were answering it), so your answer could not be added.")


def _question_deleted():
    """An answer sent to a question an administrator deleted meanwhile (admin.delete_question: only retired questions
    that nobody answered): a 404 that says so and gives the typed text back, instead of losing it."""
    if request.accept_mimetypes.best == "application/json":
        return make_response(jsonify(error=QUESTION_DELETED + " Choose another question from the list."), 404)
    typed = request.form.get("answer") or ""
    return make_response(render_template("interview/question_deleted.html", message=QUESTION_DELETED, typed=typed), 404)


def short_answer_note(answer: Answer, question_no: int | None = None) -> str:
    """What a written answer under MIN_WORDS_FOR_ESTIMATE words is told as it is sent: that no trait will be shown
    when it is too short for every one of them (its page then says so), else that the estimate is very uncertain.
    ``question_no``: its number in a mock interview, whose next page (another question, or the report) shows it."""
    from ..modelinfo import text_metrics
    n = text_words(answer.text)  # the length rule's count, without filler sounds, as the counter showed it
    which = f"Your answer to question {question_no}" if question_no else "Your answer"
    m = text_metrics(n)
    first = m.first_shown_from if m else None
    if first and m.nothing_shown:
        return (f"{which} has only {n} {plural('word', n)}: too few for an estimate of any Big Five trait (the "
                f"first needs {first} words). Its words and talking points are still analysed.")
    return (f"{which} has only {n} {plural('word', n)}: with fewer than "
            f"{current_app.config['MIN_WORDS_FOR_ESTIMATE']} the estimate is very uncertain, and it is not added to "
            "the averages.")


def store_and_enqueue(answer: Answer) -> None:
    """Commit a new answer queued for analysis; its file goes too if the row cannot be stored."""
    enqueue(answer)
    db.session.add(answer)
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        media.delete(answer.media_path)
        raise


@bp.get("/questions")
@login_required
def questions():
    rows = db.session.execute(  # in the bank's order, which admins set (Question.position)
        select(Question).where(Question.retired.is_(False)).order_by(Question.position, Question.id)
    ).scalars().all()
    return render_template("interview/questions.html", questions=rows)


@bp.route("/questions/<int:question_id>/text", methods=["GET", "POST"])
@upload_limit
@login_required
def text_answer(question_id):
    question = active_question(question_id)
    practice, refusal = session_check(question.id, "text")  # a mock interview's question (?session=), or None
    retake = retaking_in(practice)  # again, in place of the session's failed answer (?retake=)
    form = TextAnswerForm()
    if refusal is not None:
        return _text_not_added(practice, question, form, refusal)
    if form.validate_on_submit():
        cfg = current_app.config
        upload = form.pdf.data
        has_file = upload is not None and getattr(upload, "filename", "")
        asked = asked_wording(question.id, request.form.get("asked"))  # the wording the form showed
        tmp = None  # the PDF under inspection, until it is moved into the candidate's folder
        try:
            if has_file and (form.answer.data or "").strip():
                raise UploadError("Either type an answer or upload a PDF, not both.")
            if has_file:  # only its pages are counted here: the job worker reads it, in a limited child process
                data = read_limited(upload, cfg["MAX_PDF_BYTES"])
                check_pdf_header(data)
                quota.check_waiting(current_user.id)
                quota.check_room(current_user.id, len(data))
                # a manual sent as a cover letter is refused here, the form kept (its page count only: the text is
                # read by the job, which refuses a PDF with more than a typed answer may have)
                try:
                    tmp = media.write_temp(data, ".pdf")
                except OSError as exc:
                    current_app.logger.error("could not store a PDF: %s", exc)
                    raise media.MediaError(f"The file {media.STORAGE_UNAVAILABLE}") from exc
                check_pdf_pages(tmp, cfg["MAX_PDF_PAGES"], memory_mb=cfg["PDF_MEMORY_MB"],
                                seconds=cfg["MEDIA_CHECK_SECONDS"], slots=cfg["MEDIA_CHECK_SLOTS"],
                                slot_dir=media.lock_dir(), wait_seconds=cfg["MEDIA_CHECK_WAIT_SECONDS"],
                                owner=current_user.id)
                answer = Answer(user_id=current_user.id, question_id=question.id, modality="pdf",
                                text=None, word_count=0, question_text=asked)
            else:
                data = None
                text = clean_text(form.answer.data, cfg["MAX_TEXT_CHARS"])
                twin = None if practice else _just_sent(question.id, text)
                if twin is not None:  # a double submit (a double click, a form sent twice): one answer
                    flash("This answer was already submitted a moment ago; here it is.", "info")
                    # it did arrive: its draft in the tab goes too (else Back put it in the box as "not sent")
                    draft_arrived(answer_draft_key(current_user.id, question.id, practice))
                    return redirect(url_for("dashboard.answer", answer_id=twin))
                # after the double-submit check (which holds the candidate): the second of a double click at the
                # limit is that same answer, not one refused as "not added"
                quota.check_waiting(current_user.id)
                answer = Answer(user_id=current_user.id, question_id=question.id, modality="text",
                                text=text, word_count=word_count(text), question_text=asked)
            if data is not None:
                answer.media_path = media.save_file(current_user.id, tmp, ".pdf")
                tmp = None
                answer.original_filename = safe_filename(upload.filename, "answer.pdf")
        except (UploadError, media.MediaError) as exc:
            # said at the field it is about (marked invalid, focused: form_errors.js), not only in a box at the top
            # that a screen reader does not read out (found by an accessibility audit)
            about = form.pdf if pdf_sent_alone() else form.answer
            about.errors = [*about.errors, str(exc)]
            return (render_template("interview/text.html", question=question, form=form, practice=practice,
                                    retake=retake), getattr(exc, "status", 400))
        finally:
            if tmp is not None:  # refused (or not stored): the file under inspection goes
                media.discard(tmp)
        if practice and not place_answer(practice, answer, retake):  # a double submit, a second tab was first
            return _text_not_added(practice, question, form, lost_place(practice, question.id, retake, answer.modality))
        store_and_enqueue(answer)
        # the next page tells static/js/draft.js that this answer arrived: its draft in the tab goes (base.html)
        draft_arrived(answer_draft_key(current_user.id, question.id, practice))
        target = _after(practice, question.id, retake, answer)  # its "received" line first, then the note
        if answer.modality == "text" and text_words(answer.text) < cfg["MIN_WORDS_FOR_ESTIMATE"]:
            flash(short_answer_note(answer, practice.question_ids.index(question.id) + 1 if practice else None), "warning")
        return redirect(target)
    status = 400 if form.errors else 200
    if set(form.errors) == {"csrf_token"} and request.form.get("from_signed_out") and (form.answer.data or "").strip():
        # "Submit again" on the signed-out page after signing in again in another tab, as that page asks: its token
        # was the signed-out session's, so it cannot match (and nothing is saved without a matching one), but
        # nothing went wrong either. A review found a red "expired" error (HTTP 400) at the end of those very steps.
        flash(SIGNED_IN_AGAIN, "info")
        status = 200
    else:
        token_expired(form, "Your answer", file_field=form.pdf if pdf_sent_alone() else None)
    return render_template("interview/text.html", question=question, form=form, practice=practice,
                           retake=retake), status


def pdf_sent_alone() -> bool:
    """Whether the written-answer form was sent with a PDF chosen and nothing typed: what is said about it is then
    about the PDF, at its field, and asks for the file again (no page can choose it again for the candidate), never
    "your answer is below" (a refusal, an expired token, too many attempts: webapp.errors)."""
    return bool(getattr(request.files.get("pdf"), "filename", "")) and not (request.form.get("answer") or "").strip()


SIGNED_IN_AGAIN = ("You signed in again since this form was opened, so your answer was not sent yet. Check it below "
                   "and press “Submit for analysis”.")


def _after(practice, question_id: int, retake: bool, answer: Answer) -> str:
    """Where a stored answer goes: its page; in a mock interview, on to the next step, or for a retake back to the
    report, at its question (the interview stays where it was)."""
    if practice is None:
        return url_for("dashboard.answer", answer_id=answer.id)
    if not retake:
        if practice.current_question_id is not None:
            # the next question's page opens with its preparation clock running: say that this answer arrived (a
            # fresh-eyes review saw nothing say so); the report, the last step, lists it as being analysed itself
            no = practice.question_ids.index(question_id) + 1
            flash(f"Your answer to question {no} was received and is being analysed; you will see it in the report.",
                  "success")
        return next_url(practice)
    no = practice.question_ids.index(question_id) + 1
    flash(f"Your new answer to question {no} is in this report in place of the one whose analysis failed, which stays "
          "among your answers.", "success")
    return retaken_url(practice, question_id)


def _text_not_added(practice, question, form, refusal):
    """A written answer for a mock interview's question that is not (or no longer) its current one:
    the typed text comes back, to be kept as a separate answer to this question (the form posts without
    ?session=), unless the session already holds this very text or PDF (a double submit: said, and on)."""
    kind, message, target = refusal
    posted = request.method == "POST"
    typed = (form.answer.data or "").strip() if posted else ""
    pdf = form.pdf.data if posted else None
    has_pdf = pdf is not None and getattr(pdf, "filename", "") and not typed
    if kind not in ("gone", "unknown") and (typed or has_pdf):
        # the same text or file sent again once the first was added (a double submit, or a reply lost): said, and
        # on, as for a recording, never offered again as a separate answer
        twin = (_already_answered_with(practice, question.id, typed) if typed
                else _already_answered_with_pdf(practice, question.id, pdf))
        if twin is not None:
            if typed:  # it did arrive: its draft in the tab goes too (else Back put it in the box as "not sent")
                draft_arrived(answer_draft_key(current_user.id, question.id, practice))
            return _answer_received(practice, question.id, twin, target, "written answer" if typed else "PDF")
    if typed:
        flash(f"{_not_current(kind)}, so this answer was not added to it. Your text is below: submit it to "
              "keep it as a separate answer to this question.", "warning")
    elif has_pdf:
        flash(f"{_not_current(kind)}, so your PDF was not added to it, nor kept. Upload it again below to keep it "
              "as a separate answer to this question.", "warning")
    else:
        refuse(message, target)
    return render_template("interview/text.html", question=question, form=form, practice=None,
                           post_to=url_for("interview.text_answer", question_id=question.id)), 409


def typed_answer_again(message: str, status: int):
    """The written-answer form again, with the text just sent and ``message``, for a request refused
    before its view ran (a rate limit): None unless it came from this site and its candidate is signed
    in (another site's POST must not fill the form), or when the question is unknown."""
    question = db.session.get(Question, (request.view_args or {}).get("question_id"))
    if question is None or not current_user.is_authenticated or not from_this_site():
        return None
    flash(message, "error")
    return render_template("interview/text.html", question=question, form=TextAnswerForm(), practice=None), status


def _not_current(kind: str) -> str:
    return {"over": "This mock interview is over", "gone": "This mock interview was deleted",
            "unknown": "This mock interview could not be found (it may have been deleted)",
            # a retake (?retake=) refused: practice.service.retake_refusal
            "replaced": "Your mock interview already has another answer to this question",
            "unanswered": "This question has no failed answer in your mock interview to replace",
            "elsewhere": "That question is not part of this mock interview",
            "ahead": "Your mock interview has not reached that question yet",
            "mode": "This mock interview takes answers of another kind"}.get(
        kind, "This is no longer the current question of your mock interview")


def _recording_not_added(question, kind: str, refusal, practice=None):
    """A recording for a mock interview's question that is not (or no longer) its current one, unless that
    interview (``practice``) holds this very recording already (:func:`_answer_received`). The
    recorder (JSON) keeps it in the browser and is told where to upload it as a separate answer to this
    question (``keep_url``, without ?session=) and where the mock interview goes on (``redirect``); a
    file sent with the form is still on the candidate's computer: a message and the way back."""
    which, message, target = refusal
    if practice is not None and which not in ("gone", "unknown"):
        # the same take sent again once its first upload was added (its reply lost): said, and on, never offered
        # again as a separate answer (a review found "keep it as a separate answer" make a duplicate)
        twin = _recording_sent_before(question.id, kind, _posted_recording(kind), practice)
        if twin is not None:
            return _answer_received(practice, question.id, twin, target)
    if request.accept_mimetypes.best == "application/json":
        return jsonify(error=f"{_not_current(which)}, so this recording was not added to it. It is still here: "
                             "keep it as a separate answer to this question, or go back to the mock interview.",
                       redirect=target,
                       keep_url=url_for("interview.upload_recording", question_id=question.id, kind=kind)), 409
    refuse(message, target)


RECORDING_LIMITS = {  # kind -> (bytes config key, seconds config key)
    "video": ("MAX_VIDEO_BYTES", "MAX_VIDEO_SECONDS"),
    "audio": ("MAX_AUDIO_BYTES", "MAX_AUDIO_SECONDS"),
}


@bp.get("/questions/<int:question_id>/<any(video, audio):kind>")
@login_required
def record(question_id, kind):
    question = active_question(question_id)
    practice = session_context(question.id, kind)
    from .. import mediacheck
    bytes_key, seconds_key = RECORDING_LIMITS[kind]
    return render_template("interview/record.html", question=question, kind=kind, practice=practice,
                           retake=retaking_in(practice),
                           max_seconds=current_app.config[seconds_key], min_seconds=mediacheck.MIN_SECONDS,
                           max_bytes=current_app.config[bytes_key],
                           formats=mediacheck.VIDEO_FORMATS if kind == "video" else mediacheck.AUDIO_FORMATS)


def _upload_error(message, status=400, retry_after: int | None = None):
    if request.accept_mimetypes.best == "application/json":
        return jsonify(error=message), status, ({"Retry-After": str(retry_after)} if retry_after else {})
    flash(message, "upload")  # said at the upload form, opened again (record.html), or as an error elsewhere
    return redirect(_same_site(request.referrer) or url_for("interview.questions"))


#: the same text to the same question within this many seconds is one answer sent twice
DOUBLE_SUBMIT_SECONDS = 60


def _answer_with_text(question_id: int, text: str, *where) -> int | None:
    """The id of the latest stored answer to this question with this very text that meets ``where``."""
    return db.session.scalar(select(Answer.id).where(Answer.question_id == question_id, Answer.text == text, *where)
                             .order_by(Answer.id.desc()).limit(1))


def _just_sent(question_id: int, text: str) -> int | None:
    """The id of the candidate's answer to this question, outside a mock interview, with this very
    text stored in the last DOUBLE_SUBMIT_SECONDS, if any. Another written answer of the candidate
    waits here until this request commits (:func:`hold_candidate`), so two identical posts at the same
    instant are one answer too: the second sees the first's."""
    hold_candidate(current_user.id)
    since = utcnow() - timedelta(seconds=DOUBLE_SUBMIT_SECONDS)
    return _answer_with_text(question_id, text, Answer.user_id == current_user.id, Answer.modality == "text",
                             Answer.session_id.is_(None), Answer.created_at >= since)


def _already_answered_with(practice, question_id: int, typed: str) -> int | None:
    """The id of this mock interview's answer to the question if it is this very text: a double submit, said
    (:func:`_answer_received`) rather than offered as a second answer."""
    try:
        text = clean_text(typed, current_app.config["MAX_TEXT_CHARS"])
    except UploadError:
        return None
    return _answer_with_text(question_id, text, Answer.session_id == practice.id)


def _already_answered_with_pdf(practice, question_id: int, upload) -> int | None:
    """The id of this mock interview's answer to the question if it is a PDF with the very bytes sent again (a
    double submit, said rather than asking for the file again)."""
    try:
        upload.stream.seek(0)  # read already when the session moved on between the check and the commit
        data = read_limited(upload, current_app.config["MAX_PDF_BYTES"])
    except (UploadError, OSError):
        return None
    return _stored_with(data, Answer.question_id == question_id, Answer.session_id == practice.id,
                        Answer.modality == "pdf")


def _stored_with(data: bytes, *where) -> int | None:
    """The id of the latest answer meeting ``where`` whose stored file holds these very bytes, if any: a file sent
    again (a double submit, or an upload whose reply was lost). Files of another size are not read."""
    stored = db.session.execute(select(Answer.id, Answer.media_path).where(Answer.media_path.is_not(None), *where)
                                .order_by(Answer.id.desc())).all()
    for answer_id, rel in stored:
        try:
            path = media.absolute(rel)
            if path.stat().st_size == len(data) and path.read_bytes() == data:
                return answer_id
        except (OSError, media.MediaError):
            continue
    return None


#: a recording (byte for byte) sent again to the same question within this many seconds was stored already.
#: Longer than DOUBLE_SUBMIT_SECONDS: two takes never have the same bytes, so this is the same take, not a
#: coincidence, and its second upload may start only after the first (a large video on a slow line) and a
#: candidate reading "The upload failed"; the window only bounds the files compared.
RESENT_RECORDING_SECONDS = 30 * 60


def _recording_sent_before(question_id: int, kind: str, data: bytes | None, practice=None) -> int | None:
    """The id of the candidate's answer to this question with this very recording, if it was stored already:
    in the mock interview ``practice``, its answer there; else one outside mock interviews from the last
    RESENT_RECORDING_SECONDS. The recorder sends a take again when the reply to its upload was lost (a dropped
    connection after the server stored it: a review found two identical answers, both analysed and counted,
    and in a mock interview an offer to keep, as a duplicate, a take the interview already held)."""
    if data is None:
        return None
    where = [Answer.question_id == question_id, Answer.modality == kind, Answer.user_id == current_user.id]
    if practice is not None:
        where.append(Answer.session_id == practice.id)
    else:
        since = utcnow() - timedelta(seconds=RESENT_RECORDING_SECONDS)
        where += [Answer.session_id.is_(None), Answer.created_at >= since]
    return _stored_with(data, *where)


def _posted_recording(kind: str) -> bytes | None:
    """The recording in this request (None: none, or over its size limit), for :func:`_recording_sent_before`."""
    upload = request.files.get("media")
    if upload is None or not upload.filename:
        return None
    try:
        upload.stream.seek(0)  # read already when the session moved on between the check and the commit
        return read_limited(upload, current_app.config[RECORDING_LIMITS[kind][0]])
    except (UploadError, OSError):
        return None


def _answer_received(practice, question_id: int, answer_id: int, target: str, what: str = "recording"):
    """The reply to an answer stored already (a recording: :func:`_recording_sent_before`; in a mock interview, a
    written answer or a PDF too), as if it had just been stored: on to its page, or to the mock interview's next
    step (``target``), saying so; nothing is stored again."""
    if practice is None:
        flash(f"Your {what} had already been received, so it was not stored a second time; here it is.", "info")
        target = url_for("dashboard.answer", answer_id=answer_id)
    else:
        no = practice.question_ids.index(question_id) + 1
        where = "it is in this report" if urlsplit(target).path.endswith("/report") else "you will see it in the report"
        flash(f"Your {what} for question {no} of your mock interview had already been received, so it was not added "
              f"a second time; {where}.", "info")
    if request.accept_mimetypes.best == "application/json":
        return jsonify(id=answer_id, redirect=target), 200
    return redirect(target)


def _same_site(url: str | None) -> str | None:
    """The path (and query) of ``url`` if it is a page of this site, else None: a bad upload goes back
    to the page it came from, never to another site named in the Referer header."""
    parts = this_site(url)
    if parts is None or not parts.path.startswith("/") or parts.path.startswith("//") or "\\" in parts.path:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


@bp.post("/questions/<int:question_id>/<any(video, audio):kind>")
@upload_limit
@login_required
def upload_recording(question_id, kind):
    """Check a recording by content, size, duration and decodability; store it; enqueue its analysis."""
    from .. import mediacheck

    question = active_question(question_id)
    practice, refusal = session_check(question.id, kind)
    retake = retaking_in(practice)
    if refusal is not None:
        return _recording_not_added(question, kind, refusal, practice)
    cfg = current_app.config
    bytes_key, seconds_key = RECORDING_LIMITS[kind]
    upload = request.files.get("media")
    if upload is None or not upload.filename:
        return _upload_error("No recording was received: record an answer and press Upload, or choose a file "
                             "under “Upload a recording file instead” and press Upload file.")
    tmp = None
    try:
        data = read_limited(upload, cfg[bytes_key])
        # before the limits: a take sent again (its reply lost) is that same answer, not one refused at the limit
        twin = None if practice else _recording_sent_before(question.id, kind, data)
        if twin is not None:
            return _answer_received(None, question.id, twin, "")
        quota.check_waiting(current_user.id)
        quota.check_room(current_user.id, len(data))
        tmp = media.write_temp(data)
        info = mediacheck.probe(tmp, kind, max_seconds=cfg[seconds_key], max_width=cfg["MAX_VIDEO_WIDTH"],
                                max_height=cfg["MAX_VIDEO_HEIGHT"], memory_mb=cfg["MEDIA_CHECK_MEMORY_MB"],
                                seconds=cfg["MEDIA_CHECK_SECONDS"], slots=cfg["MEDIA_CHECK_SLOTS"],
                                slot_dir=media.lock_dir(), wait_seconds=cfg["MEDIA_CHECK_WAIT_SECONDS"],
                                owner=current_user.id)
        rel = media.save_file(current_user.id, tmp, info.suffix)
        tmp = None
    except (quota.LimitReached, mediacheck.ChecksBusy) as exc:
        # the recorder (which asks for JSON) shows this and keeps the recording; a chosen file stays on the device
        kept = " Your recording is still here." if request.accept_mimetypes.best == "application/json" else ""
        return _upload_error(f"{exc}{kept}", exc.status, getattr(exc, "retry_after", None))
    except UploadError as exc:
        return _upload_error(str(exc))
    except (media.MediaError, OSError) as exc:
        current_app.logger.error("could not store a recording: %s", exc)
        return _upload_error(f"The recording {media.STORAGE_UNAVAILABLE}", 507)
    finally:
        if tmp is not None:
            media.discard(tmp)
    answer = Answer(user_id=current_user.id, question_id=question.id, modality=kind, media_path=rel,
                    original_filename=f"{kind}-answer{info.suffix}",
                    question_text=asked_wording(question.id, request.form.get("asked")),
                    result={"media": {"duration": info.duration, "container": info.container,
                                      "has_audio": info.has_audio, "has_video": info.has_video,
                                      "width": info.width, "height": info.height}})
    if practice and not place_answer(practice, answer, retake):  # a double submit, a second tab was first
        return _recording_not_added(question, kind, lost_place(practice, question.id, retake, kind), practice)
    if not practice:
        # checked again holding the candidate (:func:`hold_candidate`), only now (not while the file was probed):
        # two posts of one take at the same instant are one answer too, the second seeing the first's
        try:
            hold_candidate(current_user.id)
            twin = _recording_sent_before(question.id, kind, data)
        except Exception:  # the database did not answer (locked, restarting): the stored file goes too
            db.session.rollback()
            media.delete(rel)
            raise
        if twin is not None:
            db.session.rollback()
            media.delete(rel)
            return _answer_received(None, question.id, twin, "")
    store_and_enqueue(answer)
    target = _after(practice, question.id, retake, answer)
    if request.accept_mimetypes.best == "application/json":
        return jsonify(id=answer.id, redirect=target), 201
    return redirect(target)
