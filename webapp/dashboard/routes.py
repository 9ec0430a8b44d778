from pathlib import Path

from flask import Response, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload

from ml.speech.metrics import MIN_RATE_WORDS, MIN_SPAN_S

from .. import media, stats
from ..access import note_deletion, note_opened, owned_answer
from ..answers import answers_of, delete_answers
from ..extensions import db, upload_limit
from ..jobs import enqueue
from ..labels import (BOX_LABELS, GAZE_EXPLAINED, HEAD_MOVES_HIDDEN, HEAD_POSE_LABELS, SPEECH_COACH, SPEECH_EXPLAINED,
                      TRAIT_NAMES, VOICE_MIN_STRETCHES, WRITING_EXPLAINED, head_few_frames, modality_name, old_box,
                      old_head_pose, voice_short)
from ..models import Answer
from ..modelinfo import text_words
from ..practice.coach import stands_out
from ..practice.figures import one_event_per_100_words, one_event_per_min, within_steps
from ..textstats import top_words
from ..wording import files_stuck, scores_leave
from . import bp
from .transcript import cues, speech_of, to_text, to_vtt, transcript_items


@bp.get("/history")
@login_required
def history():
    return render_template("dashboard/history.html", answers=answers_of(current_user.id))


@bp.get("/answers/<int:answer_id>")
@login_required
def answer(answer_id):
    # The answer with its question and scores in one query. owned_answer then applies the
    # ownership rule to that same object: Session.get runs no SQL for an object the session
    # holds, and `loaded` keeps it held (the identity map keeps only weak references).
    loaded = db.session.execute(
        select(Answer).where(Answer.id == answer_id).options(joinedload(Answer.question), joinedload(Answer.scores))
    ).unique().scalar_one_or_none()
    ans = owned_answer(answer_id, opened="page")
    assert loaded is None or ans is loaded
    # In one query: the candidate's attempts at this question, and every analysed answer of theirs
    # in this answer's modality group with its scores, whose contribution to the aggregates is
    # taken out so the page compares them with OTHER candidates only.
    group = [m for m in ("text", "pdf", "video", "audio") if stats.modality_group(m) == stats.modality_group(ans.modality)]
    mine = db.session.execute(
        select(Answer).where(Answer.user_id == ans.user_id,
                             or_(Answer.question_id == ans.question_id,
                                 and_(Answer.status == "done", Answer.modality.in_(group))))
        .options(joinedload(Answer.scores)).order_by(Answer.created_at.desc())
    ).unique().scalars().all()
    attempts = [a for a in mine if a.question_id == ans.question_id]
    own = [a for a in mine if a.status == "done" and a.modality in group]
    if ans.status != "done":
        return render_template("dashboard/progress.html", answer=ans, attempts=attempts)
    if ans.modality in ("text", "pdf"):
        return render_template("dashboard/text.html", answer=ans, attempts=attempts, **text_context(ans, own))
    return render_template("dashboard/recording.html", answer=ans, attempts=attempts,
                           **recording_context(ans, own))


@bp.app_template_global()
def points_changed(points, question) -> bool:
    """Whether the talking points an answer was checked against (``points``, as ml.points.match returns them) are no
    longer the question's: an admin has changed them since."""
    return [p.get("point") for p in points] != list(question.talking_points or [])


@bp.app_template_global()
def min_others_for_average() -> int:
    """The number of answers from others an average or a word list needs, for the notes of the
    answer pages (dashboard/_compare.html's others_note is imported without the page's context)."""
    return stats.MIN_OTHERS_FOR_AVERAGE


@bp.app_template_global()
def min_others_people() -> int:
    """The number of other candidates those answers must come from (stats.MIN_OTHERS_PEOPLE)."""
    return stats.MIN_OTHERS_PEOPLE


@bp.app_template_global()
def min_rate_words() -> int:
    """The fewest words a written answer's hedges per 100 words are counted from (ml.speech.metrics.MIN_RATE_WORDS),
    for the answer page and the figures' notes of the report and the progress page."""
    return MIN_RATE_WORDS


@bp.app_template_global()
def averages_batch() -> tuple[int, int]:
    """(results, candidates) of a batch in which others' averages and word lists move (stats.batch_size;
    (0, 0): they move with every answer), for the same notes."""
    return stats.batch_size()


# The families whose results some analysed answers have none of, for a stated rule (compare_rows' `*_left_out`).
LEFT_OUT_FAMILIES = ("big5", "speech")


def compare_rows(ans: Answer, values: dict[str, dict], own: list[Answer] | None = None) -> dict[str, list[dict]]:
    """{family: rows}: each label's value (values = {family: {label: value}}) beside the averages
    of OTHER candidates (same question, all questions: the stored aggregates minus the candidate's
    own answers `own`), their numbers of results and the percentiles among them, in one query.
    What the candidate may not see is held back by stats.compare(viewer_id=...): a mean or
    percentile is then None and `*_held` says why ("answers", "people"; None when shown), so the
    page can say there are not enough answers or candidates yet."""
    q_scope = stats.question_scope(ans.question_id)
    exclude = stats.own_contribution(own if own is not None else [ans], [ans.question_id], ans.user_id, ans.modality)
    table = stats.compare((q_scope, stats.OVERALL), ans.modality, values, exclude=exclude, viewer_id=ans.user_id)
    # how many of others' answers have no result of a Big Five trait (too short for it) or of pace, fillers and hedges
    # (an unreliable transcript, too little speech), so that a page gives that rule as the reason only when it is one
    # (_compare.html others_cell, _speech.html)
    families = [f for f in LEFT_OUT_FAMILIES if f in values and any(  # (only where an average of others is missing)
        table.get(scope, {}).get(f, {}).get(label, {}).get("mean") is None
        for scope in (q_scope, stats.OVERALL) for label in values[f])]
    short = stats.others_left_out((q_scope, stats.OVERALL), ans.modality, families, ans.user_id) if families else None
    out = {}
    for family, labels in values.items():
        by_question = table.get(q_scope, {}).get(family, {})
        overall = table.get(stats.OVERALL, {}).get(family, {})
        rows = []
        for label, value in labels.items():
            q, o = by_question.get(label, {}), overall.get(label, {})
            rows.append({
                "label": label, "value": value,
                "question_mean": q.get("mean"), "overall_mean": o.get("mean"),
                "question_count": q.get("count", 0), "overall_count": o.get("count", 0),
                "question_held": q.get("held_back"), "overall_held": o.get("held_back"),
                "question_sd": q.get("sd"), "overall_sd": o.get("sd"),  # (coach_hint's "about the same")
                "percentile_question": q.get("percentile"), "percentile_overall": o.get("percentile"),
                "question_left_out": stats.left_out(short, q_scope, family, label, q.get("count", 0)),
                "overall_left_out": stats.left_out(short, stats.OVERALL, family, label, o.get("count", 0)),
            })
        out[family] = rows
    return out


def time_axis_end(result: dict) -> float | None:
    """Where the shared time axis of a recording's charts ends: the recording's duration, or (for a
    result stored without it) the latest time any channel reached (a face frame, the end of a voice
    window, of the pace stretches or of the last word), so the charts still line up."""
    duration = (result.get("media") or {}).get("duration")
    if duration:
        return float(duration)
    ends = [0.0]
    face, voice = result.get("face") or {}, result.get("voice") or {}
    speech = result.get("speech") if isinstance(result.get("speech"), dict) else {}
    ends += [float(t) for t in (face.get("t") or [])[-1:]]
    ends += [float(w.get("end") or 0.0) for w in (voice.get("windows") or [])[-1:]]
    series = speech.get("wpm_series") if isinstance(speech.get("wpm_series"), dict) else {}
    ends += [float(series["end"])] if series.get("end") is not None else []
    ends += [float(w.get("end") or 0.0) for w in (speech.get("words") or [])[-1:] if isinstance(w, dict)]
    return max(ends) or None


def recording_context(ans: Answer, own: list[Answer] | None = None) -> dict:
    result = ans.result or {}
    ctx = {"face": result.get("face"), "voice": result.get("voice"), "agreement": result.get("agreement"),
           "media_info": result.get("media") or {}, "min_others": stats.MIN_OTHERS_FOR_PERCENTILE,
           "axis_end": time_axis_end(result),
           # some browsers play no Ogg video (Theora, VP8 in Ogg): its page offers the file to download
           "replay_type": stored_type(ans) if ans.media_path else None}
    values = {}
    if ctx["face"]:
        values.update(face=ans.score_map("face"), face_meta=ans.score_map("face_meta"))
    voice = ctx["voice"]
    if voice_short(voice):  # also a result stored before the mark (labels.voice_short)
        voice = ctx["voice"] = dict(voice, short=True, min_voiced_windows=VOICE_MIN_STRETCHES)
    if voice and voice.get("dominant"):
        speech = ans.score_map("speech")
        values.update(voice=ans.score_map("voice"), speech={k: speech.get(k) for k in SPEECH_EXPLAINED})
    speech = speech_of(result)
    ctx.update(speech=speech or None, transcript=transcript_items(speech) if speech else [])
    stored = ans.score_map("speech")
    coach = {k: stored[k] for k in SPEECH_COACH if k in stored}  # stored only for a trustworthy transcript
    if coach:
        values["speech"] = {**values.get("speech", {}), **coach}
    big5 = speech_big5(ans, speech)
    if big5:
        values["big5"] = big5
    gaze = ans.score_map("gaze")  # stored only when a face was followed (ml.channels.gaze)
    ctx["old_head_pose"] = old_head_pose(result)
    if ctx["old_head_pose"]:  # angles read with an earlier 3-D face: not comparable with today's
        gaze = {k: v for k, v in gaze.items() if k not in HEAD_POSE_LABELS}
    ctx["old_box"] = old_box(result)
    ctx["head_few"] = head_few_frames(result)  # no rates of a head in a handful of frames
    if ctx["old_box"]:  # blinks that a jumping face box could make up
        gaze = {k: v for k, v in gaze.items() if k not in BOX_LABELS}
    # nods, head shakes and the head's speed: stored and averaged, not shown (labels.HEAD_MOVES_HIDDEN)
    gaze = {k: v for k, v in gaze.items() if k not in HEAD_MOVES_HIDDEN}
    if gaze:
        values["gaze"] = {k: gaze[k] for k in GAZE_EXPLAINED if k in gaze}
    rows = compare_rows(ans, values, own) if values else {}
    # Others' averages and percentiles come from aggregates kept per modality group (stats.modality_group): a video
    # answer is set beside other video answers only, an audio one beside audio ones. Every row carries the group's
    # name, which the tables' headers say ("Others' video answers", dashboard/_compare.html compare_table).
    ctx["pool"] = modality_name(stats.modality_group(ans.modality))
    rows = {family: [dict(row, pool=ctx["pool"]) for row in family_rows] for family, family_rows in rows.items()}
    if ctx["face"]:
        ctx["face_rows"], ctx["face_share_row"] = rows["face"], rows["face_meta"]
    if "voice" in rows:
        ctx["voice_rows"] = rows["voice"]
        ctx["speech_rows"] = [dict(row, name=SPEECH_EXPLAINED[row["label"]][0], unit=SPEECH_EXPLAINED[row["label"]][1],
                                   explain=SPEECH_EXPLAINED[row["label"]][2])
                              for row in rows["speech"] if row["label"] in SPEECH_EXPLAINED]
    ctx["coach_rows"] = [dict(row, name=SPEECH_COACH[row["label"]][0], unit=SPEECH_COACH[row["label"]][1],
                              explain=SPEECH_COACH[row["label"]][2],
                              hint=coach_hint(row, (speech or {}).get("speaking_span_s")))
                         for row in rows.get("speech", []) if row["label"] in SPEECH_COACH]
    # some of others' answers store no pace, fillers or hedges (an unreliable transcript, too little speech) though
    # their voice measures count: _speech.html gives that rule when their averages are missing for want of answers
    ctx["coach_left_out"] = any(r["question_left_out"] or r["overall_left_out"] for r in ctx["coach_rows"])
    ctx["min_span_s"] = MIN_SPAN_S
    ctx["gaze_rows"] = [dict(row, name=GAZE_EXPLAINED[row["label"]][0], unit=GAZE_EXPLAINED[row["label"]][1],
                             explain=GAZE_EXPLAINED[row["label"]][2])
                        for row in rows.get("gaze", [])]
    ctx["speech_traits"] = [dict(row, code=row["label"], name=TRAIT_NAMES[row["label"]], score=row["value"])
                            for row in rows.get("big5", [])]
    return ctx


def speech_big5(ans: Answer, speech: dict) -> dict:
    """{trait: score 0..100} of the transcript: the stored scores, or (a short transcript, whose
    estimate is not stored) the channel's probabilities x 100; {} without an estimate."""
    return big5_scores(ans, speech.get("big5") if speech and not speech.get("flags") else None)


def written_big5(ans: Answer) -> dict:
    """{trait: score 0..100} of a written answer: the stored scores, or (a short answer, whose
    estimate is not stored either, as for a short transcript) the model's probabilities x 100."""
    return big5_scores(ans, ans.result.get("big5") if isinstance(ans.result, dict) else None)


def big5_scores(ans: Answer, probs) -> dict:
    """{trait: score 0..100} of every trait: the stored score, else the probability of `probs` x 100
    (an estimate kept out of the averages: a short answer's, or a trait the model cannot estimate at
    the answer's length, which the page then does not show); {} without either."""
    stored = ans.score_map("big5")
    probs = probs if isinstance(probs, dict) else {}
    out = {}
    for code in TRAIT_NAMES:
        if code in stored:
            out[code] = stored[code]
        elif isinstance(probs.get(code), (int, float)) and not isinstance(probs.get(code), bool):
            out[code] = round(100.0 * float(probs[code]), 2)
    return out


# What one event of a rate is, for the hint that a difference within one event in the answer's speaking span is
# too small to read into (coach_hint).
COACH_EVENT = {"wpm": "word", "articulation_wpm": "word", "fillers_per_min": "filler", "long_pauses_per_min": "long pause",
               "hedges_per_min": "hedge", "hedges_per_100_words": "hedge"}
# Pace is described, never judged (no sourced ideal range, as in the mock report's figures): its
# hint says how it compares and leaves the judgement to the candidate's own ear.
PACE_NOTE = "no pace is right or wrong here; replay your answer to hear whether it felt rushed or slow."
COACH_ADVICE = {
    "wpm": (PACE_NOTE, PACE_NOTE),
    "articulation_wpm": (PACE_NOTE, PACE_NOTE),
    "fillers_per_min": ("replace \"um\" and \"uh\" with a short silent pause while you think.", ""),
    "long_pauses_per_min": ("outline your answer in two or three steps before you start, so you are not "
                            "searching for the next point.", ""),
    "hedges_per_min": ("where you are sure, say it directly (\"I did\", \"it worked\") instead of "
                       "\"I think\" or \"maybe\".", ""),
}
COACH_ADVICE["hedges_per_100_words"] = COACH_ADVICE["hedges_per_min"]


def coach_hint(row: dict, span_s: float | None = None, words: int | None = None) -> str:
    """A plain-language hint for one speech-coach row, relative to OTHER candidates' average (this
    question when others answered it, else all questions): no absolute norm is assumed (see the
    speech model card, "Ranges used in the hints"); "about the same" below the mock report's gap (coach.stands_out),
    so the two pages never disagree on whether a difference is worth practising. ``span_s``: the seconds the answer's rates are
    per (``speaking_span_s``); a difference of no more than one word, filler, hedge or pause in that time
    (figures.within_steps, the rule of the change table too) reads "close to", with that reason (in a 12-second answer one long pause moves the rate by 5 per minute).
    A written answer's rate per 100 words (``hedges_per_100_words``) is compared with other candidates' written
    answers (the only ones the row's averages hold) and ``words`` is its length: one hedge in 40 words is 2.5."""
    label, value = row["label"], row["value"]
    if value is None:
        return ""
    if row["question_count"] and row["question_mean"] is not None:
        mean, sd, n, where = row["question_mean"], row.get("question_sd"), row["question_count"], "on this question"
    elif row["overall_count"] and row["overall_mean"] is not None:
        mean, sd, n, where = row["overall_mean"], row.get("overall_sd"), row["overall_count"], "on all questions"
    elif row["overall_held"] == "people":  # their averages are held back (stats.compare)
        return "Not enough other candidates to compare with yet."
    else:
        return "Not enough answers from other candidates to compare with yet."
    fmt = "%.0f" if label.endswith("wpm") else "%.1f"
    written = label.endswith("_per_100_words")
    unit = " words/min" if label.endswith("wpm") else " per 100 words" if written else " per minute"
    whose = "the average of other candidates' written answers" if written else "other candidates' average"
    others = f"{whose} {where} ({fmt % mean}{unit}, n={n})"
    if written:
        one_event = one_event_per_100_words(words) or 0.0
    else:
        one_event = one_event_per_min(span_s) if span_s else 0.0
    # "about the same" is what the mock report's rule calls no gap (coach.stands_out: half the others' spread, never
    # less than half the figure's floor); pace while talking goes by pace's figure
    if not stands_out("wpm" if label == "articulation_wpm" else label, value - mean, sd):
        if label == "fillers_per_min" and value == 0 and mean == 0:
            return (f"None found, as in {others}; the transcript leaves out many \"um\"s and \"uh\"s, so both may be "
                    "higher.")
        return f"About the same as {others}."
    # said with its reason: "about the same" read oddly beside 2.4 against 0.4. One event apart or less is noise, by
    # the rule of the change table, best marks and suggestions (figures.within_steps), the boundary included
    if within_steps(value, mean, (one_event,)):
        return (f"Close to {others}: in an answer this short one {COACH_EVENT.get(label, 'event')} more or less moves "
                f"the rate by {one_event:.1f}{unit}, so the difference is too small to read into.")
    higher, lower = COACH_ADVICE.get(label, ("", ""))
    if label.endswith("wpm"):
        word, advice = ("Faster", higher) if value > mean else ("Slower", lower)
    else:
        word, advice = ("More", higher) if value > mean else ("Fewer", "")
    hint = f"{word} than {others}"
    return f"{hint}: {advice}" if advice else f"{hint}."


@bp.get("/answers/<int:answer_id>/heatmap.png")
@login_required
def heatmap(answer_id):
    ans = owned_answer(answer_id)
    rel = media.derived(ans.media_path, ".cam.png") if ans.media_path else None
    return send_stored(rel, "No heatmap", "This answer has no heatmap.", seen=(ans, "heat map"), mimetype="image/png")


def send_stored(rel, title, missing_message, seen=None, **send_kwargs):
    """Send a file of MEDIA_DIR, or a clear 404 page when there is none; ``seen``: (answer, what), noted for its
    owner when an admin is sent the file (access.note_opened)."""
    try:
        path = media.absolute(rel) if rel else None
    except media.MediaError:
        path = None
    if path is None or not path.is_file():
        return render_template("error.html", title=title, message=missing_message), 404
    if seen is not None:
        note_opened(*seen)
    return send_file(path, **send_kwargs)


def text_context(ans: Answer, own: list[Answer] | None = None) -> dict:
    own = own if own is not None else [ans]
    scores = written_big5(ans)
    q_scope = stats.question_scope(ans.question_id)
    # hedges per 100 words (stored when measured: an English answer of MIN_RATE_WORDS words or more), beside other
    # candidates' written answers only: the aggregates are kept per modality group, so never beside spoken answers'
    # rates per minute
    writing = {k: v for k, v in ans.score_map("writing").items() if k in WRITING_EXPLAINED}
    tables = compare_rows(ans, {"big5": scores, **({"writing": writing} if writing else {})}, own)
    # the answer type the averages are kept for, named in the tables' headers as on a recording's page ("Others'
    # written answers"; it read "Others, this question" here while the mock report said "Others' written answers")
    pool = modality_name(stats.modality_group(ans.modality))
    tables = {family: [dict(row, pool=pool) for row in rows] for family, rows in tables.items()}
    traits = [dict(row, code=row["label"], name=TRAIT_NAMES[row["label"]], score=row["value"]) for row in tables["big5"]]
    length = text_words(ans.text)
    writing_rows = [dict(row, name=WRITING_EXPLAINED[row["label"]][0], unit=WRITING_EXPLAINED[row["label"]][1],
                         explain=WRITING_EXPLAINED[row["label"]][2], hint=coach_hint(row, words=length))
                    for row in tables.get("writing", [])]
    # everybody's most frequent words, held back while they would show few other candidates' words
    words = stats.others_words((q_scope, stats.OVERALL), ans.modality, ans.user_id, 10)
    result = ans.result if isinstance(ans.result, dict) else {}
    hedges = result.get("hedges") if isinstance(result.get("hedges"), list) else None
    waiting = stats.words_waiting(ans.id) if ans.in_averages else set()
    return {
        "traits": traits, "pool": pool,
        # the lists beside it say "you included" only once its words are in them (a review: they were the others'
        # alone while its words waited for their batch)
        "words_waiting": {"question": q_scope in waiting, "overall": stats.OVERALL in waiting},
        "writing_rows": writing_rows, "hedges": hedges, "hedge_phrases": hedge_phrases(hedges or []),
        # analysed since written answers' hedges are counted, in English, but too short for a rate
        "hedges_unmeasured": hedges is not None and not writing_rows and not result.get("not_english"),
        "my_words": top_words(ans.text or "", 10),
        "question_words": words[q_scope]["words"], "question_words_held": words[q_scope]["held_back"],
        "everyone_words": words[stats.OVERALL]["words"], "everyone_words_held": words[stats.OVERALL]["held_back"],
        "estimate_stored": bool(ans.score_map("big5")),
        "min_words": current_app.config["MIN_WORDS_FOR_ESTIMATE"],
        "min_others": stats.MIN_OTHERS_FOR_PERCENTILE,
    }


def hedge_phrases(hedges: list) -> list[str]:
    """The different hedges of an answer as written in a sentence, in the order first used: "i think" -> "I think"."""
    out = []
    for phrase in hedges:
        shown = " ".join("I" if w == "i" else w for w in str(phrase).split())
        if shown not in out:
            out.append(shown)
    return out


@bp.post("/answers/<int:answer_id>/retry")
@upload_limit  # a retry costs an analysis, like an upload: same per-candidate budget
@login_required
def retry(answer_id):
    """Queue a failed analysis again. Candidates may do so where a retry can help (Answer.retry_helps)
    while the answer has had fewer than JOB_MAX_ATTEMPTS attempts. Admins (the retry button of the admin overview) always may, and their
    retry resets the count: the job gets the full JOB_MAX_ATTEMPTS again (so an interrupted worker
    does not fail it at once) and the candidate their own retries."""
    ans = owned_answer(answer_id)
    max_attempts = current_app.config["JOB_MAX_ATTEMPTS"]
    if ans.status != "failed":
        flash("Only a failed analysis can be retried.", "info")
    elif not ans.retry_helps and not current_user.is_admin:
        # the answer itself is the cause (a damaged or silent file, no text, over the limits): the same
        # analysis would fail the same way, and it would cost one of the candidate's uploads
        flash("Retrying would fail the same way: the cause is the answer itself (the reason is given on this page). "
              "Record, type or upload the answer again.", "error")
    elif ans.attempts >= max_attempts and not current_user.is_admin:
        flash(f"This analysis has already been tried {ans.attempts} times, the most allowed. "
              "Record or type the answer again, or ask an administrator.", "error")
    elif not current_user.is_admin and (full := _waiting_full(ans.user_id)):
        flash(full, "error")
    else:
        if current_user.is_admin:
            ans.attempts = 0
        enqueue(ans)
        ans.error_detail = None
        db.session.commit()
        flash("The analysis was queued again.", "success")
    return redirect(url_for("dashboard.answer", answer_id=ans.id))


def _waiting_full(user_id: int) -> str | None:
    """The message of a candidate's full analysis queue (webapp.quota), or None when there is room."""
    from ..quota import LimitReached, check_waiting
    try:
        check_waiting(user_id, retry=True)
    except LimitReached as exc:
        return str(exc)
    return None


@bp.post("/answers/<int:answer_id>/delete")
@login_required
def delete(answer_id):
    ans = owned_answer(answer_id)
    had_file = bool(ans.media_path)
    owner_id = ans.user_id
    someone_elses = owner_id != current_user.id
    if someone_elses:  # an admin's deletion: noted for the candidate, with what it had opened
        note_deletion(ans)
    # A job still running for it finds its claim gone and stores nothing (see jobs.run_job).
    done = delete_answers([ans])  # (what was in the averages is read under its lock)
    flash(("The answer and its file were deleted." if had_file else "The answer was deleted.")
          + scores_leave(done.waiting, done.scored) + files_stuck(done.stuck), "success")
    # an admin goes back to that candidate's answers (where they came from), not to their own answers
    return redirect(url_for("admin.user_answers", user_id=owner_id) if someone_elses else url_for("dashboard.history"))


# The type a stored file is sent with, from what the upload checks found it to be (its stored suffix), never from
# the candidate's file name: a PDF named "letter.html" was sent as text/html and ran as a page on this site. An Ogg
# file is a video answer's only when the checks found a picture in it (webapp.mediacheck): video/ogg, else audio/ogg.
STORED_TYPES = {".pdf": "application/pdf", ".webm": "{kind}/webm", ".mp4": "{kind}/mp4", ".ogg": "{kind}/ogg",
                ".wav": "audio/wav", ".flac": "audio/flac"}


def stored_type(ans: Answer) -> str:
    suffix = Path(ans.media_path).suffix.lower()
    kind = "video" if ans.modality == "video" else "audio"
    return STORED_TYPES.get(suffix, "application/octet-stream").format(kind=kind)


def download_name(ans: Answer) -> str:
    """The candidate's file name, ending in the stored file's suffix ("letter.html" -> "letter.html.pdf")."""
    suffix = Path(ans.media_path).suffix.lower()
    name = ans.original_filename or Path(ans.media_path).name
    return name if name.lower().endswith(suffix) else name + suffix


@bp.get("/answers/<int:answer_id>/media")
@login_required
def answer_media(answer_id):
    ans = owned_answer(answer_id)
    if not ans.media_path:
        return render_template("error.html", title="No file", message="This answer has no stored file."), 404
    return send_stored(ans.media_path, "No file", "The stored file is missing.", seen=(ans, "file"),
                       mimetype=stored_type(ans),
                       download_name=download_name(ans), as_attachment=False)


@bp.get("/answers/<int:answer_id>/captions.vtt")
@login_required
def captions(answer_id):
    """The transcript as WebVTT captions for the replay player (an empty, valid track when there
    is no transcript); ?download=1 sends it as a file."""
    return transcript_response(owned_answer(answer_id), to_vtt, "text/vtt", "vtt",
                               attachment=request.args.get("download") == "1")


@bp.get("/answers/<int:answer_id>/transcript.txt")
@login_required
def transcript_text(answer_id):
    """The transcript as a plain-text download (empty when there is none)."""
    return transcript_response(owned_answer(answer_id), to_text, "text/plain", "txt", attachment=True)


def transcript_response(ans: Answer, render, mimetype: str, ext: str, attachment: bool) -> Response:
    """The answer's transcript as ``render`` (to_vtt, to_text) writes it."""
    speech = speech_of(ans.result)
    if cues(speech):
        note_opened(ans, "transcript")  # an answer without a transcript gets an empty file: nothing was read
    resp = Response(render(speech), mimetype=mimetype)
    if attachment:
        resp.headers["Content-Disposition"] = f'attachment; filename="answer-{ans.id}-transcript.{ext}"'
    resp.headers["Cache-Control"] = "private, no-store"
    return resp
