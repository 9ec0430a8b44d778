"""Analyses per modality. Imported by workers only: this is where the models load.

Each analysis returns (scores, result): scores as (family, label, value 0-100) tuples that
feed the stored averages, and a JSON-able result for the dashboard. Recordings are analysed
by channel (faces, voice) on one time axis, so channels can be added independently.
"""
from __future__ import annotations

from flask import current_app

from .. import media
from ..models import Answer
from ..textstats import word_count
from . import AnalysisError

# Vocal emotion classes mapped onto the facial ones, to compare the two channels.
VOICE_TO_FACE = {"neutral": "neutral", "calm": "neutral", "happy": "happy", "sad": "sad", "angry": "angry",
                 "fearful": "fear", "disgust": "disgust", "surprised": "surprise"}
SPEECH_LABELS = ("voiced_ratio", "pauses_per_min", "pitch_sd_semitones", "loudness_sd_db")


def analyse(answer: Answer, report):
    if answer.modality in ("text", "pdf"):  # a PDF's text is extracted first (in a limited child)
        return analyse_text(answer, report)
    if answer.modality == "video":
        return analyse_video(answer, report)
    if answer.modality == "audio":
        return analyse_audio(answer, report)
    raise AnalysisError(f"No analysis is available for {answer.modality} answers.")


def analyse_text(answer: Answer, report):
    """Big Five from a typed or PDF answer. A PDF's text is extracted here the first time, in a
    limited child process, and returned as (scores, result, fields): run_job stores ``fields``
    ("text", "word_count") on the answer together with the result."""
    text = answer.text or ""
    fields, pdf = {}, (answer.result or {}).get("pdf")
    if answer.modality == "pdf" and not text.strip():
        report(10, "Reading the PDF")
        extracted = _pdf_text(answer)
        text = extracted["text"]
        fields = {"text": text, "word_count": word_count(text)}
        pdf = {k: extracted.get(k) for k in ("pages_read", "pages_total", "truncated")}
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
    if pdf:
        result["pdf"] = pdf
    return (scores, result, fields) if fields else (scores, result)


PDF_LIMIT_MESSAGE = ("This PDF could not be read within the limits (it needs too much memory or time). "
                     "Export it again, or paste the text instead.")


def _pdf_text(answer: Answer) -> dict:
    """The stored PDF's text, extracted in a child process with memory and time limits."""
    from ..sandbox import LimitExceeded, TaskError, run_limited

    cfg = current_app.config
    try:
        path = media.absolute(answer.media_path or "")
    except media.MediaError:
        path = None
    if path is None or not path.is_file():
        raise AnalysisError("The PDF file is missing on the server; upload the answer again.")
    try:
        return run_limited("pdf_text", {"path": str(path), "max_chars": cfg["MAX_TEXT_CHARS"]},
                           memory_mb=cfg["PDF_MEMORY_MB"], seconds=cfg["PDF_SECONDS"])
    except LimitExceeded as exc:
        raise AnalysisError(PDF_LIMIT_MESSAGE) from exc
    except TaskError as exc:
        raise AnalysisError(str(exc)) from exc


def _media_file(answer: Answer):
    try:
        path = media.absolute(answer.media_path or "")
    except media.MediaError:
        path = None
    if path is None or not path.is_file():
        raise AnalysisError("The recording file is missing on the server; record the answer again.")
    return path


def analyse_video(answer: Answer, report):
    from ml.face import CLASS_NAMES
    from ml.video import MediaLimitError, face_channel, heatmap_png

    path = _media_file(answer)
    result = dict(answer.result or {})
    duration = (result.get("media") or {}).get("duration") or 0
    cfg = current_app.config
    report(10, "Finding your face in the recording")
    try:
        face = face_channel(path, fps=cfg["VIDEO_SAMPLE_FPS"], duration=duration,
                            progress=lambda f: report(10 + int(50 * f), "Reading facial expressions"),
                            max_seconds=cfg["MAX_VIDEO_SECONDS"] + 1,
                            max_pixels=cfg["MAX_VIDEO_WIDTH"] * cfg["MAX_VIDEO_HEIGHT"])
    except MediaLimitError as exc:
        raise AnalysisError("The video holds more than the limits allow (too many frames or too large a "
                            "picture), so it was not analysed. Record it again with the recorder on this site.") from exc
    except Exception as exc:
        if "ml." in type(exc).__module__:
            raise
        raise AnalysisError(f"The video could not be decoded for analysis ({type(exc).__name__}).") from exc
    summary = face.summary(CLASS_NAMES)
    if summary["steps"] == 0:
        raise AnalysisError("No video frames could be read from the recording.")
    result["face"] = {"classes": list(CLASS_NAMES), "t": face.times, "faces": face.faces,
                      "probs": face.probs, **summary}
    scores = [("face", c, v) for c, v in summary["dominant"].items()] if summary["face_share"] > 0 else []
    scores.append(("face_meta", "face_share", 100.0 * summary["face_share"]))
    if face.strongest_crop is not None:
        report(65, "Computing the heatmap of the strongest expression")
        heat_rel = media.derived(answer.media_path, ".cam.png")
        media.absolute(heat_rel).write_bytes(heatmap_png(face.strongest_crop))
        result["face"]["heatmap"] = True
    if (result.get("media") or {}).get("has_audio"):
        report(75, "Listening to the voice")
        voice_scores, voice = _voice_channel(path, allow_silence=True, max_seconds=cfg["MAX_VIDEO_SECONDS"])
        result["voice"] = voice
        scores += voice_scores
        result["agreement"] = agreement(result["face"], voice)
    return scores, result


def analyse_audio(answer: Answer, report):
    path = _media_file(answer)
    result = dict(answer.result or {})
    report(10, "Decoding the recording")
    voice_scores, voice = _voice_channel(path, allow_silence=False, report=report,
                                         max_seconds=current_app.config["MAX_AUDIO_SECONDS"])
    result["voice"] = voice
    return voice_scores, result


def _voice_channel(path, allow_silence: bool, max_seconds: float, report=None):
    from ml.voice import CLASS_NAMES
    from ml.voice.audio import SAMPLE_RATE, AudioDecodeError, load_audio
    from ml.voice.metrics import speaking_metrics
    from ml.voice.predict import predict_windows

    try:
        # Decoding stops just past the limit whatever the timestamps say (they were checked at upload).
        wave = load_audio(path, max_seconds=max_seconds + 2)
        if wave.size >= int((max_seconds + 2) * SAMPLE_RATE):
            raise AnalysisError(f"The sound of the recording is longer than the {max_seconds:.0f} s limit, "
                                "so it was not analysed. Record it again with the recorder on this site.")
    except AudioDecodeError as exc:
        if allow_silence:
            return [], {"error": f"The sound track could not be decoded ({exc})."}
        raise AnalysisError(f"The sound of the recording could not be decoded ({exc}).") from exc
    if report:
        report(30, "Reading vocal emotion")
    windows = predict_windows(wave, 16000)
    if report:
        report(70, "Measuring pauses, pitch and loudness")
    metrics = speaking_metrics(wave, 16000)
    voiced = [w for w in windows if not w["silent"]]
    if not voiced:
        if allow_silence:
            return [], {"windows": windows, "metrics": metrics, "classes": list(CLASS_NAMES),
                        "dominant": None, "flags": ["silent"]}
        raise AnalysisError("No speech was heard in the recording (it is silent or far too quiet). "
                            "Check your microphone and record again.")
    counts = {c: 0 for c in CLASS_NAMES}
    for w in voiced:
        counts[max(w["probs"], key=w["probs"].get)] += 1
    dominant = {c: 100.0 * n / len(voiced) for c, n in counts.items()}
    voice = {"classes": list(CLASS_NAMES), "windows": windows, "metrics": metrics,
             "dominant": dominant, "voiced_windows": len(voiced), "flags": []}
    scores = [("voice", c, v) for c, v in dominant.items()]
    for label in SPEECH_LABELS:
        if metrics.get(label) is not None:
            value = 100.0 * metrics[label] if label == "voiced_ratio" else metrics[label]
            scores.append(("speech", label, float(value)))
    return scores, voice


def agreement(face: dict, voice: dict) -> dict | None:
    """Where the dominant facial and vocal expressions agree, second by second."""
    windows = [w for w in voice.get("windows", []) if not w["silent"]]
    if not windows or not face.get("t"):
        return None
    classes = face["classes"]
    both = same = 0
    for w in windows:
        steps = [p for t, p in zip(face["t"], face["probs"]) if p is not None and w["start"] <= t < w["end"]]
        if not steps:
            continue
        mean = [sum(p[k] for p in steps) / len(steps) for k in range(len(classes))]
        face_label = classes[max(range(len(classes)), key=mean.__getitem__)]
        voice_label = VOICE_TO_FACE.get(max(w["probs"], key=w["probs"].get))
        both += 1
        same += face_label == voice_label
    if not both:
        return None
    return {"windows": both, "agree_share": same / both}
