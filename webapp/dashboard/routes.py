from pathlib import Path

from flask import current_app, flash, redirect, render_template, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import media, stats
from ..access import owned_answer
from ..answers import delete_answers
from ..extensions import db, upload_limit
from ..jobs import enqueue
from ..models import Answer
from ..textstats import top_words
from . import bp

TRAIT_NAMES = {"EXT": "Extraversion", "NEU": "Neuroticism", "AGR": "Agreeableness",
               "CON": "Conscientiousness", "OPN": "Openness"}


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
    ans = owned_answer(answer_id)
    attempts = db.session.execute(
        select(Answer).where(Answer.user_id == ans.user_id, Answer.question_id == ans.question_id)
        .order_by(Answer.created_at.desc())
    ).scalars().all()
    if ans.status != "done":
        return render_template("dashboard/progress.html", answer=ans, attempts=attempts)
    if ans.modality in ("text", "pdf"):
        return render_template("dashboard/text.html", answer=ans, attempts=attempts, **text_context(ans))
    return render_template("dashboard/recording.html", answer=ans, attempts=attempts, **recording_context(ans))


def compare_rows(ans: Answer, family: str, values: dict) -> list[dict]:
    """Each label's value beside the stored averages (same question, all) and percentiles."""
    q_scope = stats.question_scope(ans.question_id)
    by_question = stats.comparison(q_scope, ans.modality, family)
    overall = stats.comparison(stats.OVERALL, ans.modality, family)
    rows = []
    for label, value in values.items():
        rows.append({
            "label": label, "value": value,
            "question_mean": by_question.get(label, {}).get("mean"),
            "overall_mean": overall.get(label, {}).get("mean"),
            "question_count": by_question.get(label, {}).get("count", 0),
            "overall_count": overall.get(label, {}).get("count", 0),
            "percentile_question": None if value is None else stats.percentile(q_scope, ans.modality, family, label, value),
            "percentile_overall": None if value is None else stats.percentile(stats.OVERALL, ans.modality, family, label, value),
        })
    return rows


SPEECH_EXPLAINED = {
    "voiced_ratio": ("Speaking time", "%", "Share of the recording in which you were speaking rather than silent."),
    "pauses_per_min": ("Pauses per minute", "", "Silences of 0.3 s or more between stretches of speech."),
    "pitch_sd_semitones": ("Pitch variation", "semitones", "How much your voice rises and falls; "
                           "a very flat voice can sound monotonous."),
    "loudness_sd_db": ("Loudness variation", "dB", "How much your loudness changes while speaking."),
}


def recording_context(ans: Answer) -> dict:
    result = ans.result or {}
    ctx = {"face": result.get("face"), "voice": result.get("voice"), "agreement": result.get("agreement"),
           "media_info": result.get("media") or {}}
    if ctx["face"]:
        ctx["face_rows"] = compare_rows(ans, "face", ans.score_map("face"))
        ctx["face_share_row"] = compare_rows(ans, "face_meta", ans.score_map("face_meta"))
    voice = ctx["voice"]
    if voice and voice.get("dominant"):
        ctx["voice_rows"] = compare_rows(ans, "voice", ans.score_map("voice"))
        speech = ans.score_map("speech")
        ctx["speech_rows"] = [dict(row, name=SPEECH_EXPLAINED[row["label"]][0], unit=SPEECH_EXPLAINED[row["label"]][1],
                                   explain=SPEECH_EXPLAINED[row["label"]][2])
                              for row in compare_rows(ans, "speech", {k: speech.get(k) for k in SPEECH_EXPLAINED})]
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
    rows = compare_rows(ans, "big5", {code: scores[code] for code in TRAIT_NAMES if code in scores})
    traits = [dict(row, code=row["label"], name=TRAIT_NAMES[row["label"]], score=row["value"]) for row in rows]
    return {
        "traits": traits,
        "my_words": top_words(ans.text or "", 10),
        "question_words": stats.top_words(q_scope, 10),
        "everyone_words": stats.top_words(stats.OVERALL, 10),
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
