from pathlib import Path

from flask import current_app, flash, redirect, render_template, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import media, stats
from ..access import owned_answer
from ..answers import delete_answers
from ..extensions import db, upload_limit
from ..jobs import enqueue
from ..labels import SPEECH_EXPLAINED, TRAIT_NAMES
from ..models import Answer
from ..textstats import top_words
from . import bp


@bp.get("/history")
@login_required
def history():
    answers = db.session.execute(
        select(Answer).where(Answer.user_id == current_user.id).order_by(Answer.created_at.desc())
    ).scalars().all()
    return render_template("dashboard/history.html", answers=answers)


@bp.get("/answers/<int:answer_id>")
@login_required
def answer(answer_id):
    # The answer with its question and scores in one query. owned_answer then applies the
    # ownership rule to that same object: Session.get runs no SQL for an object the session
    # holds, and `loaded` keeps it held (the identity map keeps only weak references).
    loaded = db.session.execute(
        select(Answer).where(Answer.id == answer_id).options(joinedload(Answer.question), joinedload(Answer.scores))
    ).unique().scalar_one_or_none()
    ans = owned_answer(answer_id)
    assert loaded is None or ans is loaded
    attempts = db.session.execute(
        select(Answer).where(Answer.user_id == ans.user_id, Answer.question_id == ans.question_id)
        .order_by(Answer.created_at.desc())
    ).scalars().all()
    if ans.status != "done":
        return render_template("dashboard/progress.html", answer=ans, attempts=attempts)
    if ans.modality in ("text", "pdf"):
        return render_template("dashboard/text.html", answer=ans, attempts=attempts, **text_context(ans))
    return render_template("dashboard/recording.html", answer=ans, attempts=attempts, **recording_context(ans))


def compare_rows(ans: Answer, values: dict[str, dict]) -> dict[str, list[dict]]:
    """{family: rows}: each label's value (values = {family: {label: value}}) beside the stored
    averages (same question, all questions) and its percentiles, read in one query."""
    q_scope = stats.question_scope(ans.question_id)
    table = stats.compare((q_scope, stats.OVERALL), ans.modality, values)
    out = {}
    for family, labels in values.items():
        by_question = table.get(q_scope, {}).get(family, {})
        overall = table.get(stats.OVERALL, {}).get(family, {})
        out[family] = [{
            "label": label, "value": value,
            "question_mean": by_question.get(label, {}).get("mean"),
            "overall_mean": overall.get(label, {}).get("mean"),
            "question_count": by_question.get(label, {}).get("count", 0),
            "overall_count": overall.get(label, {}).get("count", 0),
            "percentile_question": by_question.get(label, {}).get("percentile"),
            "percentile_overall": overall.get(label, {}).get("percentile"),
        } for label, value in labels.items()]
    return out


def recording_context(ans: Answer) -> dict:
    result = ans.result or {}
    ctx = {"face": result.get("face"), "voice": result.get("voice"), "agreement": result.get("agreement"),
           "media_info": result.get("media") or {}}
    values = {}
    if ctx["face"]:
        values.update(face=ans.score_map("face"), face_meta=ans.score_map("face_meta"))
    voice = ctx["voice"]
    if voice and voice.get("dominant"):
        speech = ans.score_map("speech")
        values.update(voice=ans.score_map("voice"), speech={k: speech.get(k) for k in SPEECH_EXPLAINED})
    rows = compare_rows(ans, values) if values else {}
    if ctx["face"]:
        ctx["face_rows"], ctx["face_share_row"] = rows["face"], rows["face_meta"]
    if "voice" in rows:
        ctx["voice_rows"] = rows["voice"]
        ctx["speech_rows"] = [dict(row, name=SPEECH_EXPLAINED[row["label"]][0], unit=SPEECH_EXPLAINED[row["label"]][1],
                                   explain=SPEECH_EXPLAINED[row["label"]][2]) for row in rows["speech"]]
    return ctx


@bp.get("/answers/<int:answer_id>/heatmap.png")
@login_required
def heatmap(answer_id):
    ans = owned_answer(answer_id)
    rel = media.derived(ans.media_path, ".cam.png") if ans.media_path else None
    return send_stored(rel, "No heatmap", "This answer has no heatmap.", mimetype="image/png")


def send_stored(rel, title, missing_message, **send_kwargs):
    """Send a file of MEDIA_DIR, or a clear 404 page when there is none."""
    try:
        path = media.absolute(rel) if rel else None
    except media.MediaError:
        path = None
    if path is None or not path.is_file():
        return render_template("error.html", title=title, message=missing_message), 404
    return send_file(path, **send_kwargs)


def text_context(ans: Answer) -> dict:
    scores = ans.score_map("big5")
    q_scope = stats.question_scope(ans.question_id)
    rows = compare_rows(ans, {"big5": {code: scores[code] for code in TRAIT_NAMES if code in scores}})["big5"]
    traits = [dict(row, code=row["label"], name=TRAIT_NAMES[row["label"]], score=row["value"]) for row in rows]
    words = stats.top_words_of((q_scope, stats.OVERALL), 10)
    return {
        "traits": traits,
        "my_words": top_words(ans.text or "", 10),
        "question_words": words[q_scope],
        "everyone_words": words[stats.OVERALL],
        "min_words": current_app.config["MIN_WORDS_FOR_ESTIMATE"],
    }


@bp.post("/answers/<int:answer_id>/retry")
@upload_limit  # a retry costs an analysis, like an upload: same per-candidate budget
@login_required
def retry(answer_id):
    """Queue a failed analysis again. Candidates may do so while the answer has had fewer than
    JOB_MAX_ATTEMPTS attempts. Admins (the retry button of the admin overview) always may, and their
    retry resets the count: the job gets the full JOB_MAX_ATTEMPTS again (so an interrupted worker
    does not fail it at once) and the candidate their own retries."""
    ans = owned_answer(answer_id)
    max_attempts = current_app.config["JOB_MAX_ATTEMPTS"]
    if ans.status != "failed":
        flash("Only a failed analysis can be retried.", "info")
    elif ans.attempts >= max_attempts and not current_user.is_admin:
        flash(f"This analysis has already been tried {ans.attempts} times, the most allowed. "
              "Record or type the answer again, or ask an administrator.", "error")
    else:
        if current_user.is_admin:
            ans.attempts = 0
        enqueue(ans)
        ans.error_detail = None
        db.session.commit()
        flash("The analysis was queued again.", "success")
    return redirect(url_for("dashboard.answer", answer_id=ans.id))


@bp.post("/answers/<int:answer_id>/delete")
@login_required
def delete(answer_id):
    ans = owned_answer(answer_id)
    # A job still running for it finds its claim gone and stores nothing (see jobs.run_job).
    delete_answers([ans])
    flash("The answer and its media were deleted.", "success")
    return redirect(url_for("dashboard.history"))


@bp.get("/answers/<int:answer_id>/media")
@login_required
def answer_media(answer_id):
    ans = owned_answer(answer_id)
    if not ans.media_path:
        return render_template("error.html", title="No file", message="This answer has no stored file."), 404
    return send_stored(ans.media_path, "No file", "The stored file is missing.",
                       download_name=ans.original_filename or Path(ans.media_path).name, as_attachment=False)
