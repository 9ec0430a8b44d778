from flask import current_app, flash, redirect, render_template, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import media, stats
from ..access import owned_answer
from ..extensions import db
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
    return render_template("dashboard/progress.html", answer=ans, attempts=attempts)


def text_context(ans: Answer) -> dict:
    scores = ans.score_map("big5")
    q_scope = stats.question_scope(ans.question_id)
    by_question = stats.comparison(q_scope, ans.modality, "big5")
    overall = stats.comparison(stats.OVERALL, ans.modality, "big5")
    traits = []
    for code, name in TRAIT_NAMES.items():
        if code not in scores:
            continue
        value = scores[code]
        traits.append({
            "code": code, "name": name, "score": value,
            "question_mean": by_question.get(code, {}).get("mean"),
            "overall_mean": overall.get(code, {}).get("mean"),
            "question_count": by_question.get(code, {}).get("count", 0),
            "overall_count": overall.get(code, {}).get("count", 0),
            "percentile_question": stats.percentile(q_scope, ans.modality, "big5", code, value),
            "percentile_overall": stats.percentile(stats.OVERALL, ans.modality, "big5", code, value),
        })
    return {
        "traits": traits,
        "my_words": top_words(ans.text or "", 10),
        "question_words": stats.top_words(q_scope, 10),
        "everyone_words": stats.top_words(stats.OVERALL, 10),
        "min_words": current_app.config["MIN_WORDS_FOR_ESTIMATE"],
    }


@bp.post("/answers/<int:answer_id>/retry")
@login_required
def retry(answer_id):
    ans = owned_answer(answer_id)
    if ans.status != "failed":
        flash("Only a failed analysis can be retried.", "info")
    else:
        enqueue(ans)
        db.session.commit()
        flash("The analysis was queued again.", "success")
    return redirect(url_for("dashboard.answer", answer_id=ans.id))


@bp.post("/answers/<int:answer_id>/delete")
@login_required
def delete(answer_id):
    ans = owned_answer(answer_id)
    # A job still running for it finds its claim gone and stores nothing (see jobs.run_job).
    path = ans.media_path
    stats.forget(ans)
    db.session.delete(ans)
    db.session.commit()
    media.delete(path)
    flash("The answer and its media were deleted.", "success")
    return redirect(url_for("dashboard.history"))


@bp.get("/answers/<int:answer_id>/media")
@login_required
def answer_media(answer_id):
    ans = owned_answer(answer_id)
    if not ans.media_path:
        return render_template("error.html", title="No file", message="This answer has no stored file."), 404
    try:
        path = media.absolute(ans.media_path)
    except media.MediaError:
        return render_template("error.html", title="No file", message="The stored file is missing."), 404
    if not path.exists():
        return render_template("error.html", title="No file", message="The stored file is missing."), 404
    return send_file(path, download_name=ans.original_filename or path.name, as_attachment=False)
