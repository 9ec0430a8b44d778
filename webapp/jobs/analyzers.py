"""Analyses per modality. Imported by workers only: this is where the models load."""
from __future__ import annotations

from flask import current_app

from ..models import Answer
from ..textstats import word_count
from . import AnalysisError


def analyse(answer: Answer, report):
    """Return (scores, result): scores as (family, label, value 0-100), result as JSON."""
    if answer.modality in ("text", "pdf"):
        return analyse_text(answer, report)
    raise AnalysisError(f"No analysis is available for {answer.modality} answers yet.")


def analyse_text(answer: Answer, report):
    text = answer.text or ""
    if not text.strip():
        raise AnalysisError("The answer contains no text to analyse.")
    report(20, "Loading the personality model")
    from ml.text.predict import predict  # loaded once per worker process, then cached

    report(50, "Estimating Big Five traits from writing style")
    probs = predict(text)
    scores = [("big5", trait, round(100.0 * float(p), 2)) for trait, p in probs.items()]
    n_words = word_count(text)
    result = {
        "big5": {t: float(p) for t, p in probs.items()},
        "word_count": n_words,
        "short": n_words < current_app.config["MIN_WORDS_FOR_ESTIMATE"],
    }
    return scores, result
