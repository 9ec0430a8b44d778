"""The speech channel: the English transcript with word timings (Whisper tiny.en on the encoder
output the voice channel also reads) and the delivery measures (pace, pauses, fillers, hedges,
repeated and top words), the Big Five of the wording and the talking points it covers.

Options (``ml.analysis.analyse_recording(..., options={...})``): ``min_words`` (below it the
Big Five estimate is marked ``short`` and not stored as scores; default ``DEFAULT_MIN_WORDS``) and
``talking_points`` (list of strings, matched by ``ml.points.match``).
"""
from __future__ import annotations

import logging
import math

from . import Channel, ChannelResult

DEFAULT_MIN_WORDS = 50
NO_SPEECH_MESSAGE = "No speech was heard, so there is no transcript (the recording is silent, music or noise)."
NOT_ENGLISH_MESSAGE = ("Transcripts are English only, and this one looks unreliable: the speech may not be "
                       "English or is unclear. So pace, fillers, long pauses and Big Five traits are left out, and "
                       "the highlighted words of the talking points may miss words you said or mark misheard ones.")
# only the repetition check tripped (the words decoded with confidence): a review's clear English, read as RAVDESS's
# two sentences said over and over, was told it "may not be English or is unclear". Speech in another language can
# come out the same way (German and time-reversed English decoded as one English sentence over and over on an AMD EPYC
# machine with AVX2 and CTranslate2 4.8.5; its int8 kernels differ by CPU and version): it says that transcripts are English only too.
REPETITIVE_MESSAGE = ("This transcript repeats the same words a great deal, which is how the speech recogniser's "
                      "mistakes usually look, so it may be unreliable even though the words were heard clearly. "
                      "Transcripts are English only, and speech in another language often comes out this way. So "
                      "pace, fillers, long pauses and Big Five traits are left out, and the highlighted words of the "
                      "talking points may miss words you said or mark misheard ones. If you spoke English and did "
                      "repeat yourself, vary your wording and record again.")
SCORE_LABELS = ("wpm", "articulation_wpm", "fillers_per_min", "hedges_per_min", "long_pauses_per_min")
SHORT_SPAN_MESSAGE = ("You spoke for {span:.1f} s from your first word to your last: too little to measure pace, "
                      "fillers, pauses and hedges per minute (they need at least {min:.0f} s), so they are not shown "
                      "or added to the averages.")


def match_points(text: str, points: list) -> list | None:
    """Talking points covered by the transcript (``ml.points.match``: ``[{"point", "covered", "spans":
    [[start_char, end_char], ...]}]``), None without points."""
    if not points:
        return None
    from ml.points import match
    return match(text, list(points))


def transcript_big5(text: str) -> dict | None:
    """P(high) per Big Five trait of the transcript (``ml.text.predict``); None if the text model
    cannot run (the transcript and delivery measures are kept: the estimate is secondary)."""
    from ml.text.predict import STORED_DIGITS, predict
    try:
        return predict([text]).row_dict(0, STORED_DIGITS)
    except Exception:  # noqa: BLE001 - a missing or broken text model must not fail the recording
        logging.getLogger(__name__).exception("Big Five of the transcript failed")
        return None


def spans_to_words(spans: list, words: list) -> list:
    """Character spans of the transcript (words joined by single spaces) -> word indices [[i, j], ...]."""
    starts, pos = [], 0
    for w in words:
        starts.append(pos)
        pos += len(w["w"]) + 1
    out = []
    for a, b in spans:
        idx = [i for i, s in enumerate(starts) if s < b and s + len(words[i]["w"]) > a]
        if idx:
            out.append([idx[0], idx[-1]])
    return out


def unclear_message(quality: dict, unclear: list | None = None) -> str:
    """What a transcript flagged ``not_english_or_unclear`` says: REPETITIVE_MESSAGE when only its compression ratio
    (repetition) tripped the check, else NOT_ENGLISH_MESSAGE. Which checks tripped: ``unclear``, as the transcriber
    decided them on the exact figures (``ml.speech.transcribe.unclear_checks``); without it (a result stored before
    2026-12-07), read again from the stored ``quality`` with the same thresholds, whose rounding can put a figure on
    its threshold (a compression ratio of 2.40004 read as 2.4) and so give the other message."""
    from ml.speech import transcribe as t
    if unclear:
        return REPETITIVE_MESSAGE if list(unclear) == ["compression_ratio"] else NOT_ENGLISH_MESSAGE
    q = quality or {}
    try:
        confident = (q["avg_logprob"] >= t.UNCLEAR_AVG_LOGPROB and q["word_p"] >= t.UNCLEAR_WORD_P
                     and q["compression_ratio"] > t.UNCLEAR_COMPRESSION)
    except (KeyError, TypeError):
        confident = False
    return REPETITIVE_MESSAGE if confident else NOT_ENGLISH_MESSAGE


class SpeechChannel(Channel):
    name = "speech"
    title = "words and pace"
    needs = "audio"
    weight = 0.5

    def __init__(self, min_words: int | None = None, talking_points: list | None = None):
        self.min_words = DEFAULT_MIN_WORDS if min_words is None else int(min_words)
        self.talking_points = [str(p) for p in (talking_points or []) if str(p).strip()]

    @classmethod
    def from_options(cls, options: dict) -> "SpeechChannel":
        return cls(min_words=options.get("min_words"), talking_points=options.get("talking_points"))

    def run(self, media, progress, primary: bool = False) -> ChannelResult:
        from ml.speech.metrics import MIN_SPAN_S, speech_metrics
        from ml.speech.transcribe import transcribe

        if media.audio_error or media.audio.size == 0:
            return ChannelResult.unavailable("The sound track could not be decoded." if media.audio_error
                                             else "The sound track is empty.", flags=["no_speech"])
        progress(0.05, "Finding speech")
        tr = transcribe(media, progress)
        if "no_speech" in tr.flags:
            return ChannelResult({"text": "", "words": [], "segments": [], "word_count": 0, "flags": ["no_speech"],
                                  "message": NO_SPEECH_MESSAGE, "duration": round(media.duration, 2)})
        progress(0.9, "Measuring pace, pauses and fillers")
        from ml.voice.metrics import silences
        gaps, _ = silences(media.audio)  # the voice channel's pause detector: one notion of silence
        m = speech_metrics(tr.words, silences=gaps)
        words = [dict(w.as_dict(), kind=k) for w, k in zip(tr.words, m.pop("kinds"))]
        text = " ".join(w["w"] for w in words)
        data = {"text": text, "words": words, "segments": tr.segments, **m,
                "duration": round(media.duration, 2), "quality": tr.quality, "flags": list(tr.flags),
                "min_words": self.min_words}
        if "not_english_or_unclear" in tr.flags:
            # the checks that tripped, decided on the exact figures (the stored quality is rounded), and the message
            # that follows them
            data["unclear"] = list(tr.unclear) if tr.unclear else None
            data["message"] = unclear_message(tr.quality, tr.unclear)
            data["repetitive"] = data["message"] == REPETITIVE_MESSAGE  # the mock interview's report says which
        elif m["wpm"] is None:  # the rates need MIN_SPAN_S of speech (ml.speech.metrics)
            # the span rounded down: 4.96 s read "5.0 s ... they need at least 5 s"
            data["message"] = SHORT_SPAN_MESSAGE.format(span=math.floor(10 * m["speaking_span_s"]) / 10, min=MIN_SPAN_S)
        scores = [] if tr.flags else [("speech", label, float(m[label])) for label in SCORE_LABELS
                                      if m[label] is not None]
        # by the length rule's count (filler sounds left out), as written answers and the traits shown go
        from ml.text.normalize import word_count
        short = word_count(text) < self.min_words
        data["short"] = short
        data["big5"] = None
        if not tr.flags:
            big5 = transcript_big5(text)
            data["big5"] = big5
            if big5 is None:
                data["big5_error"] = "The personality estimate of the wording is not available."
            elif not short:
                scores += [("big5", t, round(100.0 * p, 2)) for t, p in big5.items()]
        points = match_points(text, self.talking_points)
        if points is not None:
            for p in points:
                p["words"] = spans_to_words(p.get("spans") or [], words)
            data["points"] = points
        return ChannelResult(data, scores)
