"""The job adapter: find the answer's input, call ``ml``, hand back what to store.

Imported by workers only (``ml`` loads the models). Nothing here knows a model or a channel:
``ml.analysis`` decodes a recording once, runs every channel on one time axis and returns
the dashboard's result, the score rows for the stored averages and any derived files.
Returns ``(scores, result, fields)``; ``fields`` are answer columns to store with the result
(a PDF's extracted text).
"""
from __future__ import annotations

from flask import current_app

from .. import media
from ..models import Answer
from ..modelinfo import stored_scores
from . import AnalysisError

PDF_LIMIT_MESSAGE = ("This PDF could not be read within the limits (it needs too much memory or time). "
                     "Export it again, or paste the text instead.")
# The time ran out while the reader mostly waited for a busy server (webapp.sandbox.timeout_kind "wall"),
# not because of the file: a retry may help.
PDF_TIME_MESSAGE = ("This PDF could not be read within the time limit ({seconds} s) because the server was busy. "
                    "Retrying later may work; otherwise export it again, or paste the text instead.")


def analyse(answer: Answer, report):
    from ml.analysis import RecordingError, analyse_recording, analyse_text

    cfg = current_app.config
    result, fields = dict(answer.result or {}), {}
    try:
        if answer.modality in ("text", "pdf"):
            text = answer.text or ""
            if answer.modality == "pdf" and not text.strip():  # extracted once, in a limited child
                report(10, "Reading the PDF")
                extracted = _pdf_text(answer)
                text = extracted["text"]
                fields = {"text": text}
                result["pdf"] = {k: extracted.get(k) for k in ("pages_read", "pages_total", "truncated", "cut_at_chars")}
            report(40, "Estimating Big Five traits from the wording")
            analysis = analyse_text(text, min_words=cfg["MIN_WORDS_FOR_ESTIMATE"],
                                    talking_points=answer.question.talking_points)
            if fields:  # the length ml counted (as the pages count words), not a second count of it here (a review)
                fields["word_count"] = analysis.result["word_count"]
        elif answer.modality in ("video", "audio"):
            limit = cfg["MAX_VIDEO_SECONDS"] if answer.modality == "video" else cfg["MAX_AUDIO_SECONDS"]
            analysis = analyse_recording(_stored_file(answer, "recording"), kind=answer.modality,
                                         fps=cfg["VIDEO_SAMPLE_FPS"], fine_fps=cfg["VIDEO_BLINK_FPS"] or None,
                                         max_seconds=limit + 1,
                                         max_pixels=cfg["MAX_VIDEO_WIDTH"] * cfg["MAX_VIDEO_HEIGHT"], progress=report,
                                         options={"min_words": cfg["MIN_WORDS_FOR_ESTIMATE"],
                                                  "talking_points": answer.question.talking_points})
            for suffix, data in analysis.files.items():  # e.g. the heatmap, deleted with the recording
                media.write_derived(answer.media_path, suffix, data)
        else:
            raise AnalysisError(f"No analysis is available for {answer.modality} answers.")
    except RecordingError as exc:
        raise AnalysisError(str(exc)) from exc
    result.update(analysis.result)
    read = text if answer.modality in ("text", "pdf") else (result.get("speech") or {}).get("text")
    return stored_scores(analysis.scores, read), result, fields


def _stored_file(answer: Answer, what: str):
    try:
        path = media.absolute(answer.media_path or "")
    except media.MediaError:
        path = None
    if path is None or not path.is_file():
        again = "upload the answer again" if what == "PDF" else "record the answer again"
        raise AnalysisError(f"The {what} file is missing on the server; {again}.")
    return path


def _pdf_text(answer: Answer) -> dict:
    """The stored PDF's text, extracted in a child process with memory and time limits."""
    from ..sandbox import BUSY_CPU_SHARE, LimitExceeded, TaskError, run_limited

    cfg = current_app.config
    path = _stored_file(answer, "PDF")
    try:
        return run_limited("pdf_text", {"path": str(path), "max_chars": cfg["MAX_TEXT_CHARS"],
                                        "max_pages": cfg["MAX_PDF_PAGES"]},
                           memory_mb=cfg["PDF_MEMORY_MB"], seconds=cfg["PDF_SECONDS"])
    except LimitExceeded as exc:
        if exc.kind == "wall":
            raise AnalysisError(PDF_TIME_MESSAGE.format(seconds=cfg["PDF_SECONDS"]),
                                detail=f"PDF text extraction stopped at the time limit (PDF_SECONDS = "
                                       f"{cfg['PDF_SECONDS']} s) after less than {BUSY_CPU_SHARE:.0%} of it "
                                       "on a CPU: the machine was busy") from exc
        raise AnalysisError(PDF_LIMIT_MESSAGE) from exc
    except TaskError as exc:
        raise AnalysisError(str(exc)) from exc
