"""The key figures of an analysed answer, read from its stored result (no query), and what each means.

A figure has a *direction* when one way is better for a practising candidate:
``up`` (more is better: face found, facing the camera), ``down`` (fewer fillers,
fewer long pauses, fewer hedges), ``band`` (a value inside a sourced range; none is used today), ``min`` (at least a
minimum number of words). Big Five traits have no direction: they are described, never judged better or worse; pace
has none either (no sourced ideal range), yet it is a measure with a unit, not a trait.

A figure's *kind* says which table it belongs in: ``measure`` (a measured figure with a unit: the key
figures) or ``trait`` (a Big Five trait, 0-100: the model's probability x100 that the trait is high). The
templates receive figures as dicts without the kind; they tell traits by the ``big5_`` key prefix, which
only the trait figures have (``TRAIT_KEYS``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ml.speech.metrics import MIN_RATE_WORDS, MIN_SPAN_S

from ..answers import words_shown
from ..labels import TRAIT_NAMES, head_few_frames, old_head_pose
from ..modelinfo import big5_shown, text_words
from ..stats import modality_group


@dataclass(frozen=True)
class Figure:
    key: str
    name: str
    unit: str = ""
    direction: Optional[str] = None  # up | down | band | min | None (no better or worse)
    fmt: str = "%.0f"
    # the stored aggregate (family, label) its averages come from, if any
    aggregate: Optional[tuple[str, str]] = None
    # the smallest difference worth mentioning, in the figure's unit: the standardising scale never
    # goes below it (a tiny spread must not turn a trivial difference into a large gap)
    floor: float = 1.0
    target: Optional[float] = None  # up: a goal to reach; min: the minimum
    band: Optional[tuple[float, float]] = None
    advice: str = ""
    # what its best is called where one is marked: "fewest found" for fillers, whose count is a lower bound (the
    # transcriber leaves many out), so their 0.0 is not a "best" (a review)
    best_label: str = "best"

    @property
    def kind(self) -> str:
        """``trait`` for the Big Five figures (the ``big5`` aggregate family), else ``measure``."""
        return "trait" if self.aggregate and self.aggregate[0] == "big5" else "measure"


# the answer page's hint when a candidate hedges more than others (dashboard.routes.COACH_ADVICE), as a suggestion
HEDGE_ADVICE = ("Where you are sure, say it directly (\"I did\", \"it worked\") instead of \"I think\" or "
                "\"maybe\".")

FIGURES: dict[str, Figure] = {f.key: f for f in (
    # No "talking points found" figure: the talking-point check finds words, not meaning, and on natural answers
    # a tick was no likelier than not to be a point made (data/text/points_metrics.json: 20 of 39 ticks), while 3
    # of 4 points made went unticked; a share of points ticked, with a goal of 100%, would be a score no one can
    # trust or act on. The points stay a self-check list on the answer pages and in the report (README, "Talking
    # points").
    # counted as the length rule counts (filler sounds left out), as the word counter and the Big Five go by: the
    # minimum is judged on it (a review of the numbers: 51 words with two "um" passed here and were 49 there)
    Figure("words", "Words without fillers", "", "min", floor=10.0,
           advice="Give a fuller answer: a short answer leaves out the example and the result."),
    # Pace has no direction here: we found no reliable source for an ideal interview pace (only
    # public-speaking rules of thumb that disagree), so it is shown beside others' averages, not judged.
    Figure("wpm", "Pace", "words/min", None, aggregate=("speech", "wpm"), floor=15.0),
    Figure("fillers_per_min", "Filler words", "per min", "down", aggregate=("speech", "fillers_per_min"),
           fmt="%.1f", floor=1.0, best_label="fewest found",
           advice="Replace fillers (um, uh, er) with a short silent pause while you think."),
    Figure("long_pauses_per_min", "Long pauses", "per min", "down", aggregate=("speech", "long_pauses_per_min"),
           fmt="%.1f", floor=0.5,
           advice="Prepare a two- or three-step outline during the preparation time so you are not searching "
                  "for the next point."),
    # Hedges ("I think", "maybe", "sort of" ...): a spoken answer's per minute of its speaking span, a written one's
    # per 100 of its words (typed text has no duration); each beside the averages of its own kind of answer only
    # (the aggregates are kept per modality group), never one beside the other.
    Figure("hedges_per_min", "Hedges", "per min", "down", aggregate=("speech", "hedges_per_min"), fmt="%.1f",
           floor=1.0, advice=HEDGE_ADVICE),
    Figure("hedges_per_100_words", "Hedges", "per 100 words", "down",
           aggregate=("writing", "hedges_per_100_words"), fmt="%.1f", floor=0.5, advice=HEDGE_ADVICE),
    # Facing the camera is the head's orientation (the gaze channel: turned within 20 degrees of the
    # camera), as a share of the frames where a face was found, as on the answer page; no fixed goal.
    Figure("facing_share", "Facing the camera", "% of frames with a face", "up", aggregate=("gaze", "facing_share"),
           floor=10.0,
           advice="Keep your head turned towards the camera while you answer; glance at notes only briefly."),
    # Face found: the share of the sampled frames in which the face model found a face at all.
    Figure("face_share", "Face found in frame", "% of frames", "up", aggregate=("face_meta", "face_share"),
           floor=10.0, target=90.0,
           advice="Keep your face in the frame and in good light."),
    *(Figure(f"big5_{code}", name, "0-100", None, aggregate=("big5", code)) for code, name in TRAIT_NAMES.items()),
)}
TRAIT_KEYS = [k for k, f in FIGURES.items() if f.kind == "trait"]


def _number(value) -> Optional[float]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def points_of(result: dict) -> list[dict]:
    """The talking points checklist of a result (typed text, or a recording's transcript)."""
    points = result.get("points")
    if not points and isinstance(result.get("speech"), dict):
        points = result["speech"].get("points")
    return [p for p in (points or []) if isinstance(p, dict) and p.get("covered") is not None]


def checked_points(answer) -> list[dict]:
    """The talking points checklist of an answer when its words could be checked at all, else []: a recording's
    points are checked in its transcript, not when the transcript is flagged (unclear, not English, too little
    speech), as its words, pace and fillers are not used either; nor a written answer that does not read as English
    (its checklist matched English points against another language: "responsable" ticked "your responsibility", a
    review of written answers). The mock report lists these; no figure is made of them (``FIGURES``)."""
    result = answer.result or {}
    speech = result.get("speech") if isinstance(result.get("speech"), dict) else {}
    written = modality_group(answer.modality) == "text"
    usable = (written and not result.get("not_english")) or (not written and speech and not speech.get("flags"))
    return points_of(result) if usable else []


def key_figures(answer) -> dict[str, float]:
    """{figure key: value} of one analysed answer, only what its result has. (No minimum of words here: the figures
    are the same at any minimum; it judges them where they are compared, ``is_better`` and ``coach.gap_of``.)"""
    result = answer.result or {}
    out: dict[str, float] = {}
    speech = result.get("speech") if isinstance(result.get("speech"), dict) else {}
    usable_speech = speech and not speech.get("flags")
    written = modality_group(answer.modality) == "text"
    # the words as the tables and the export count them (answers.words_shown: this was a second copy of that rule,
    # an architecture review), with none for a PDF not read; a recording's only from an unflagged transcript: one
    # flagged "no speech" is listed there as 0 words (it has none), but that 0 is no measured length to chart or to
    # judge against the minimum ("give a fuller answer" to a silent or broken microphone)
    if (written or usable_speech) and (n := _number(words_shown(answer))) is not None:
        out["words"] = n
    # measured from MIN_RATE_WORDS words, and only in English (ml.speech.metrics.written_hedges)
    if written and not result.get("not_english") and (v := _number(result.get("hedges_per_100_words"))) is not None:
        out["hedges_per_100_words"] = v
    span = _number(speech.get("speaking_span_s")) if usable_speech else None
    if usable_speech and (span is None or span >= MIN_SPAN_S):  # older results hold rates of shorter spans
        for key in ("wpm", "fillers_per_min", "long_pauses_per_min", "hedges_per_min"):
            if (v := _number(speech.get(key))) is not None:
                out[key] = v
    gaze = result.get("gaze") if isinstance(result.get("gaze"), dict) and not old_head_pose(result) else {}
    # from fewer frames than ml.channels.face.MIN_FACE_FRAMES: the answer page compares no head figure (gaze-too-few),
    # so neither do the report and the progress page (a review: they showed it beside others' averages and as "best")
    if not head_few_frames(result) and (v := _number(gaze.get("facing_share"))) is not None:
        out["facing_share"] = 100.0 * v
    face = result.get("face") if isinstance(result.get("face"), dict) else {}
    if (v := _number(face.get("face_share"))) is not None:
        out["face_share"] = 100.0 * v
    big5, words_of = big5_estimate(answer)
    if big5:
        shown = big5_shown(words_of)  # the traits the model estimates better than a guess at this length
        for code in TRAIT_NAMES:
            if (v := _number(big5.get(code))) is not None and code in shown:
                out[f"big5_{code}"] = 100.0 * v
    return out


#: the judged rates, counted per minute of the answer's speaking span
PER_MINUTE = ("fillers_per_min", "long_pauses_per_min", "hedges_per_min")
#: the judged rates of a written answer, counted per 100 of its words (it has no duration)
PER_100_WORDS = ("hedges_per_100_words",)
RATES = PER_MINUTE + PER_100_WORDS


def one_event_per_min(span_s) -> Optional[float]:
    """One event (word, filler, pause) in a speaking span of ``span_s`` seconds, per minute: in a 12-second
    answer 5 per minute. None without a span. (ml.speech.metrics measures no rate over a span under MIN_SPAN_S;
    the floor here only keeps older results' figures finite.)"""
    return None if _number(span_s) is None else 60.0 / max(float(span_s), MIN_SPAN_S)


def one_event_per_100_words(words) -> Optional[float]:
    """One event (a hedge) in a written answer of ``words`` words, per 100 words: in a 40-word answer 2.5. None
    without words. (ml.speech.metrics measures no rate over fewer than MIN_RATE_WORDS words.)"""
    return None if not _number(words) else 100.0 / max(float(words), MIN_RATE_WORDS)


def resolution(answer, key: str) -> Optional[float]:
    """The smallest step of a rate in this answer: per minute, :func:`one_event_per_min` of its speaking span; per
    100 words (a written answer), :func:`one_event_per_100_words` of its length; None for other figures or without
    a span or text."""
    if key in PER_100_WORDS:
        written = modality_group(answer.modality) == "text" and answer.text
        return one_event_per_100_words(text_words(answer.text)) if written else None
    speech = (answer.result or {}).get("speech")
    return one_event_per_min(speech.get("speaking_span_s")) if key in PER_MINUTE and isinstance(speech, dict) else None


def big5_estimate(answer) -> tuple[Optional[dict], Optional[str]]:
    """(the Big Five probabilities an answer's figures draw on, the text they were read from): a written
    answer's, else a transcript's that is neither flagged nor short; (None, None) for a short answer or
    without an estimate. Which traits are shown depends on that text's length (``big5_shown``)."""
    result = answer.result or {}
    if result.get("short"):
        return None, None
    if isinstance(result.get("big5"), dict):
        return result["big5"], answer.text
    speech = result.get("speech") if isinstance(result.get("speech"), dict) else {}
    if speech and not speech.get("flags") and not speech.get("short") and isinstance(speech.get("big5"), dict):
        return speech["big5"], speech.get("text")
    return None, None


def is_better(key: str, new: float, old: float, min_words: Optional[float] = None) -> Optional[bool]:
    """Whether `new` is better than `old` for a figure with a direction (None: no direction, or equal).
    A "min" figure (words) is better only on the way up to its minimum (`min_words`): above it, how
    much a candidate says is theirs to choose, not a score."""
    fig = FIGURES[key]
    if fig.direction is None or new == old:
        return None
    if fig.direction == "min":
        return None if min_words is not None and min(new, old) >= min_words else new > old
    if fig.direction == "up":
        return new > old
    if fig.direction == "down":
        return new < old
    lo, hi = fig.band
    dist = lambda v: max(lo - v, 0.0, v - hi)  # noqa: E731
    return None if dist(new) == dist(old) else dist(new) < dist(old)


def best_of(key: str, values: list[float]) -> Optional[float]:
    """The best of several values of a figure with a direction (None without a direction)."""
    fig = FIGURES[key]
    if not values or fig.direction in (None, "min"):   # a longer answer is not a better one
        return None
    if fig.direction == "up":
        return max(values)
    if fig.direction == "down":
        return min(values)
    lo, hi = fig.band
    return min(values, key=lambda v: (max(lo - v, 0.0, v - hi), abs(v - (lo + hi) / 2)))


def best_at(key: str, values: list[float]) -> Optional[int]:
    """The index of the best of ``values`` (a figure's attempts, in order) as shown (rounded as printed), the latest
    attempt of several equal ones; None without a direction."""
    fig = FIGURES[key]
    shown = [as_shown(v, fig.fmt) for v in values]
    top = best_of(key, shown)
    return None if top is None else max(i for i, v in enumerate(shown) if v == top)


#: how far two stored rates can be apart from rounding alone: ml.speech.metrics stores them to 2 decimals
RATE_ROUNDING = 0.01


def within_one_event(key: str, a: float, b: float, resolutions) -> bool:
    """Is the difference between two values of a rate (fillers, long pauses, hedges) one event's noise: no more than
    one event in either answer (``resolutions``: each answer's one event per minute or per 100 words,
    :func:`resolution`; None where unknown)? Then neither is better, worse or a "best": one event more or less in one
    of them would cover it. 0 hedges in 177 words and 1 in 156 (0.0 and 0.6 per 100 words: a review read "+0.6
    (worse)" and "best 0.0" there), 2 and 3 fillers in a minute, 1 filler in 15.7 s and in 16.5 s, 1 filler in 16 s
    and none. 2 fillers in 60 s and 2 in 20 s (2 and 6 per min) differ by more than one event in either, as do 3
    fillers in 20 s and 1 in 60 s. The one rule of the answer pages' change table,
    the progress page's best marks and the coach's suggestions (coach.gap_of: there with one answer's step, against
    an average)."""
    return key in RATES and within_steps(a, b, resolutions)


#: the smallest gap the mock report's suggestions mention, in the figure's scale (coach.gap_of, rule 4): a difference
#: under MIN_GAP x its ``floor`` is never one
MIN_GAP = 0.5


def too_small(key: str, a: float, b: float) -> bool:
    """Is the difference between two values of a figure under what the mock report would ever mention (MIN_GAP x its
    floor: 5 points of a share such as facing the camera)? Then the change table calls it neither better nor worse and
    the progress page marks both alike, as the report passes it over (a review: "Facing the camera 71 -> 68: -3
    (worse)" from 94 and 186 frames with a face, and 71 "best" beside 68, 67 and 66). Compared as shown (71.4 and 66.5
    read 71 and 66: -5). Only for figures with a better direction up or down: the words' minimum is a threshold, and
    crossing it by a word or two is a change (the report always mentions an answer under it)."""
    fig = FIGURES[key]
    if fig.direction not in ("up", "down"):
        return False
    return abs(as_shown(a, fig.fmt) - as_shown(b, fig.fmt)) < MIN_GAP * fig.floor


def within_steps(a: float, b: float, resolutions) -> bool:
    """The comparison behind :func:`within_one_event`, for any figure counted in events: is ``a`` no further from
    ``b`` than the largest of ``resolutions`` (one event's step; None where unknown), allowing for the stored
    rates' rounding? False without a step. The speech coach's "close to others' average" hint
    (dashboard.routes.coach_hint) uses it for its words per minute too, so one rule decides "one event" everywhere:
    at exactly one event apart the hint, the change table, the best marks and the suggestions all read noise."""
    steps = [float(r) for r in resolutions if r]
    return bool(steps) and abs(a - b) <= max(steps) + RATE_ROUNDING


def best_marks(key: str, values: list[float], resolutions=None) -> list[int]:
    """The indices of ``values`` (a figure's attempts, in order) that are its best, as shown: every attempt equal to the
    best once rounded as printed, or (a rate) within one event of it (``within_one_event``), or closer to it than the
    mock report would mention (``too_small``); [] when there is no better or worse (no
    direction, or every attempt is a best)."""
    fig = FIGURES[key]
    shown = [as_shown(v, fig.fmt) for v in values]
    top = best_of(key, shown)
    if top is None:
        return []
    resolutions = resolutions or [None] * len(values)
    at = shown.index(top)
    marks = [i for i, v in enumerate(shown)
             if v == top or within_one_event(key, values[i], values[at], (resolutions[i], resolutions[at]))
             or too_small(key, values[i], values[at])]
    return [] if len(marks) == len(values) else marks


def changes(current, previous, min_words: int = 50) -> list[dict]:
    """The key figures of `current` beside those of `previous` (both analysed answers):
    [{key, name, unit, fmt, value, previous, delta, better}] for figures both have. A rate that moved by no more
    than one event (``within_one_event``), or any figure by less than the mock report would mention (``too_small``), is
    neither better nor worse."""
    now, before = key_figures(current), key_figures(previous)
    rows = []
    for key, fig in FIGURES.items():
        if fig.kind == "trait":  # a model little better than a guess (its measured accuracy: data/models/text/
            continue             # metrics.json) cannot tell a change in the person from one of wording (the
            #                      written-answer review read "-21" on two tellings of one story)
        if key in now and key in before:
            # the change of the figures as shown (42.3 -> 43.5 reads 42 -> 44: +2, not +1)
            value, prev = as_shown(now[key], fig.fmt), as_shown(before[key], fig.fmt)
            noise = (within_one_event(key, now[key], before[key], (resolution(current, key), resolution(previous, key)))
                     or too_small(key, now[key], before[key]))
            rows.append({"key": key, "name": fig.name, "unit": fig.unit, "fmt": fig.fmt, "value": value,
                         "previous": prev, "delta": round(value - prev, 6) + 0.0,
                         "better": None if value == prev or noise else is_better(key, value, prev, min_words)})
    return rows


def as_shown(value: float, fmt: str) -> float:
    """``value`` rounded as ``fmt`` ("%.0f", "%.1f") prints it."""
    return float(fmt % value)
