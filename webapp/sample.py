"""The sample report on the landing page: a sample spoken answer, analysed by the real models.

    flask sample-report        # analyse static/sample/answer.webm, write data/sample/report.json

The recording is a synthetic English voice (espeak-ng, ``data/sample/README.md``) reading an answer
written for this sample to a seeded question, with the hesitations a real answer has. The command runs
the job's analysis of an audio answer (``ml.analysis.analyse_recording`` with the question's talking
points and the configured minimum for a Big Five estimate) and stores what it returns, so every figure
on the landing page is what the product computed; ``tests/test_sample.py`` analyses the recording again
and checks that the committed report still matches. Web processes only read the JSON (``load``).
"""
from __future__ import annotations

import json
import logging
from functools import lru_cache

from .config import ROOT

AUDIO = ROOT / "static" / "sample" / "answer.webm"
REPORT = ROOT / "data" / "sample" / "report.json"
log = logging.getLogger(__name__)
QUESTION = "Tell us about a time you had to meet a tight deadline."
MADE_WITH = ("a synthetic English voice (the open-source espeak-ng speech synthesiser) reading an answer we "
             "wrote for this sample, with its \"um\"s, hedges and pauses")


def question_points() -> list[str]:
    items = json.loads((ROOT / "data" / "questions.json").read_text(encoding="utf-8"))
    for q in items:
        if q["text"] == QUESTION:
            return list(q.get("talking_points") or [])
    raise LookupError(f"the sample's question {QUESTION!r} is not in data/questions.json")


def build(min_words: int, audio=AUDIO) -> dict:
    """Analyse the sample recording as the job worker analyses an audio answer (imports the models)."""
    from ml.analysis import analyse_recording

    from .modelinfo import stored_scores
    points = question_points()
    analysis = analyse_recording(audio, kind="audio", options={"min_words": min_words, "talking_points": points})
    scores = stored_scores(analysis.scores, (analysis.result.get("speech") or {}).get("text"))
    return {"question": QUESTION, "talking_points": points, "made_with": MADE_WITH,
            "result": analysis.result, "scores": [list(s) for s in scores]}


def write(report: dict, path=REPORT) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def load() -> dict | None:
    """The committed sample report, or None when it is missing or unreadable (the page then omits it)."""
    try:
        return _load(REPORT, REPORT.stat().st_mtime)
    except OSError:
        return None


@lru_cache(maxsize=2)
def _load(path, mtime) -> dict | None:
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(report, dict) or not isinstance(report.get("result"), dict):
        return None
    return report


def figures(report: dict) -> dict:
    """What the landing page shows from a report: {speech, voice, scores: {family: {label: value}}}."""
    scores: dict = {}
    for family, label, value in report.get("scores") or []:
        scores.setdefault(family, {})[label] = value
    result = report["result"]
    return {"speech": result.get("speech") or {}, "voice": result.get("voice") or {}, "scores": scores}


def landing_context() -> dict:
    """The landing page's ``sample`` (None without a usable report: the page then omits it)."""
    report = load()
    if report is None:
        return {"sample": None}
    try:
        return {"sample": _sample(report)}
    except (KeyError, TypeError, ValueError, AttributeError):
        log.warning("the sample report %s cannot be shown", REPORT, exc_info=True)
        return {"sample": None}


def _sample(report: dict) -> dict:
    """The question, the transcript items, the speech-coach figures, the voice's most frequent
    expressed emotions and the transcript's traits."""
    from .dashboard.transcript import speech_of, transcript_items
    from .labels import SPEECH_COACH, TRAIT_NAMES

    fig = figures(report)
    speech = speech_of(report["result"])
    coach = [{"label": k, "name": name, "unit": unit, "explain": explain,
              "value": float(fig["scores"]["speech"][k])}
             for k, (name, unit, explain) in SPEECH_COACH.items() if k in fig["scores"].get("speech", {})]
    dominant = (fig["voice"].get("dominant") or {}) if isinstance(fig["voice"], dict) else {}
    voice_top = sorted(((str(k), float(v)) for k, v in dominant.items()), key=lambda kv: -kv[1])[:3]
    # every trait of the transcript's estimate, as an answer page reads them (those the model cannot estimate at this
    # length say so: text.html's reading), not only the stored scores (modelinfo.stored_scores keeps those it can)
    estimate = fig["speech"].get("big5") or {}
    traits = [{"code": c, "name": n, "score": round(100.0 * float(estimate[c]), 2)}
              for c, n in TRAIT_NAMES.items() if c in estimate]
    return {
        "question": report.get("question", ""), "made_with": report.get("made_with", ""),
        "speech": speech or None, "transcript": transcript_items(speech) if speech else [],
        "coach": coach, "voice_top": voice_top, "voiced_windows": fig["voice"].get("voiced_windows"),
        "traits": traits,
        "duration": (fig["voice"].get("metrics") or {}).get("duration_s"),
    }
