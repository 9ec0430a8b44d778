"""The models' measured accuracy, read from their metrics.json (no TensorFlow import).

``model_metrics(kind)`` is the one way templates read it: a :class:`ModelMetrics` built from
the ``ml.metrics`` schema (see ml/metrics.py), the same shape for every model, or ``None``
when the model has no metrics.json. Templates show ``measured_on`` (plain words, never file
names), ``accuracy``, ``baseline`` and ``per_class``.

Multi-label (text): each trait's :class:`ClassFigure` also carries its 95% confidence interval
(``ci_low``, ``ci_high``) and ``reliable``: True only when metrics.json marks the trait
``reliable`` (its whole interval lies above the majority baseline). A trait without that mark
is not reliable, so pages show its score only when ``reliable`` is True.

The text model is measured on whole essays and, through ``by_length`` (``python -m ml.text.lengths``),
on essays cut to their first N words. :meth:`ModelMetrics.for_words` gives the figures that hold for
an answer of a given length: those of the longest measured cut not longer than the answer (none
below the shortest), so a trait is shown only where it is reliable at that length.

The talking-point check (``ml.points``) is a word matcher, not a model, but it is measured the same way: its
figures on natural answers come from ``data/text/points_metrics.json`` (``python -m ml.evaluate points
data/text/points_natural.json --write data/text/points_metrics.json``), read by :func:`points_metrics`.

The smile reading (``ml.gaze.signals.SMILE_RATIO``) is a threshold, not a model, measured likewise on FER2013
PublicTest faces: ``data/gaze/smile_metrics.json`` (``python -m ml.gaze.evaluate --smile --write
data/gaze/smile_metrics.json``), read by :func:`smile_metrics`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from functools import lru_cache

from .config import ROOT

MODELS_DIR = ROOT / "data" / "models"
POINTS_METRICS = ROOT / "data" / "text" / "points_metrics.json"
SMILE_METRICS = ROOT / "data" / "gaze" / "smile_metrics.json"


@dataclass(frozen=True)
class ClassFigure:
    """One class (single-label) or trait (multi-label): ``accuracy`` is the share of its
    examples labelled correctly (class recall; for a trait, its high/low accuracy)."""
    label: str
    accuracy: float
    support: int | None = None
    baseline: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    reliable: bool = False


#: a probability within this distance of 0.5 reads "about average"
AVERAGE_BAND = 0.1


def lean_words(probability: float | None) -> str:
    """A trait probability (0..1) in plain words, with the 0-100 score the pages show beside it:
    "about average on the model's scale, neither high nor low (54 of 100)", "leans high (67 of 100)", "leans low (31 of
    100)" (not "31%", which read as "31% neurotic": a review of the numbers). The
    words follow the percentage as shown (60% reads "about average" whether it is 0.600 or 0.604); "on the model's
    scale" and "neither high nor low" say that the average meant is the model's middle (as likely high as low), not
    other candidates' averages shown beside it (a review read 47% "about average" next to others' 71 as a
    contradiction)."""
    if probability is None:
        return "no estimate"
    shown = round(100 * probability)
    if abs(shown - 50) <= round(100 * AVERAGE_BAND):
        return f"about average on the model's scale, neither high nor low ({shown} of 100)"
    return f"leans {'high' if shown > 50 else 'low'} ({shown} of 100)"


def _pct(x: float | None) -> str:
    return f"{100 * x:.0f}%" if isinstance(x, (int, float)) else "?"


@dataclass(frozen=True)
class LengthBand:
    """The text model's figures on essays cut to their first ``words`` words."""
    words: int
    accuracy: float
    baseline: float | None
    per_class: dict


@dataclass(frozen=True)
class ModelMetrics:
    kind: str
    task: str
    n: int
    measured_on: str
    accuracy: float
    macro_f1: float | None
    baseline: float | None
    baseline_source: str
    per_class: dict = field(default_factory=dict)
    date: str | None = None
    #: measured lengths, shortest first (text model; empty: measured on whole texts only)
    by_length: tuple = ()
    #: {trait: fewest words from which it is shown (None: at no measured length)}, from ``by_length``
    shown_from: dict = field(default_factory=dict)
    #: set by :meth:`for_words`: the answer's length and the cut whose figures apply (0: shorter than any)
    answer_words: int | None = None
    band_words: int | None = None

    def for_words(self, words: int | None) -> "ModelMetrics":
        """The figures for an answer of ``words`` words (``ml.text.normalize.word_count``): those of
        the longest measured cut of at most ``words`` words, or, below the shortest cut, no trait
        figures at all (nothing is reliable). Unchanged without ``by_length`` or ``words``."""
        if not self.by_length or words is None:
            return self
        fits = [b for b in self.by_length if b.words <= words]
        if not fits:
            return replace(self, per_class={}, answer_words=int(words), band_words=0)
        b = fits[-1]
        return replace(self, per_class=b.per_class, accuracy=b.accuracy, baseline=b.baseline,
                       answer_words=int(words), band_words=b.words)

    def reliable_from(self, label: str) -> int | None:
        """The fewest words from which ``label`` is shown (``by_length``'s ``shown_from``: reliable there
        and at every longer cut; None: at no length; without ``by_length``: 0 if reliable on whole texts,
        else None)."""
        if not self.by_length:
            return 0 if self.reliable(label) else None
        return self.shown_from.get(label)

    def others_from(self, label: str, min_words: int) -> int | None:
        """The fewest words of another candidate's answer (or transcript) whose ``label`` score counts in the averages
        of others: the length the trait is shown from (:meth:`reliable_from`; the worker stores no score of a trait
        not shown at an answer's length), never below ``min_words`` (MIN_WORDS_FOR_ESTIMATE: shorter answers are kept
        out of the averages). None when no length applies: the trait is shown at no length measured, or the model is
        measured on whole texts only (:meth:`reliable_from` 0), where the pages state no length rule. The one place of
        this rule for the answer pages' and the mock report's Big Five tables (dashboard/_compare.html count_from,
        others_cell)."""
        start = self.reliable_from(label)
        return max(start, min_words) if start else None

    @property
    def nothing_shown(self) -> bool:
        """For an answer's length (after :meth:`for_words`): no trait is reliable, so none is shown."""
        return self.band_words is not None and not any(f.reliable for f in self.per_class.values())

    @property
    def shortest_words(self) -> int | None:
        return self.by_length[0].words if self.by_length else None

    @property
    def first_shown_from(self) -> int | None:
        """The fewest words from which any trait is shown (None: none at any length measured)."""
        starts = [w for w in self.shown_from.values() if w is not None] if self.by_length else []
        return min(starts) if starts else None

    def length_phrase(self) -> str:
        """" on the first N words of essays (an answer of this length)" once :meth:`for_words` chose a cut;
        an answer longer than the cut says its own length instead (the cut is the longest one not above it)."""
        if self.band_words:
            which = ("an answer of this length" if self.answer_words == self.band_words
                     else f"this answer has {self.answer_words}, fillers such as “um” not counted")
            return f" on the first {self.band_words} words of essays ({which})"
        return ""

    def reliable(self, label: str) -> bool:
        """True only when metrics.json marks ``label`` reliable (CI above the baseline)."""
        fig = self.per_class.get(label)
        return bool(fig and fig.reliable)

    def reading(self, label: str, name: str, score: float | None) -> str:
        """What a page says about one trait score (``score`` in 0..100, the probability x 100):
        the lean in words when the trait is reliable, otherwise that the model cannot estimate
        it reliably, with its measured accuracy, its 95% interval (in words) and the always-guess baseline."""
        fig = self.per_class.get(label)
        if self.band_words == 0:
            start = self.reliable_from(label)
            return (f"this model cannot estimate {name} from fewer than {self.shortest_words} words "
                    f"(this answer has {self.answer_words}; {name} is shown from {start} words)" if start else
                    f"this model cannot estimate {name} from fewer than {self.shortest_words} words "
                    f"(this answer has {self.answer_words})")
        if fig is None:
            return f"this model cannot estimate {name} reliably (not measured)"
        # per trait, the cut the figures come from; the answer's own length is said once, in the note under the table
        # (it was repeated in every row: a phone review found each "cannot estimate" row too long to read)
        where = f" on the first {self.band_words} words of essays" if self.band_words else ""
        if not fig.reliable:
            ci = self.likely_range(label)
            base = f"always guessing the more common answer is right {_pct(fig.baseline)}"
            if where:
                start = self.reliable_from(label)
                when = f"shown from {start} words" if start else "not shown at any length measured"
                above = fig.ci_low is not None and fig.baseline is not None and fig.ci_low > fig.baseline
                why = ("; at a longer length it did no better than a guess (a trait is shown only from a length at "
                       "which every longer one does better)" if above else
                       ": that range reaches a guess" if ci else "")
                return (f"this model cannot estimate {name} reliably from an answer this short ({when}): its call was "
                        f"right {_pct(fig.accuracy)} of the time{where}{ci}, where {base}{why}")
            return (f"this model cannot estimate {name} reliably: its high/low call was right {_pct(fig.accuracy)} "
                    f"of the time{ci}, and {base}")
        words = lean_words(None if score is None else score / 100.0)
        return f"{words}; the model's high/low call is right {_pct(fig.accuracy)} of the time{where}{self.beside(label)}"

    def likely_range(self, label: str) -> str:
        """", likely 56% to 62% on other texts like them": the trait's 95% interval in words ("" without one), so that
        the margin over a guess shows (a review)."""
        fig = self.per_class.get(label)
        return (f", likely {_pct(fig.ci_low)} to {_pct(fig.ci_high)} on other texts like them"  # 95% CI
                if fig and fig.ci_low is not None and fig.ci_high is not None else "")

    def beside(self, label: str) -> str:
        """What follows a shown trait's accuracy wherever a page gives it (the answer pages' rows, the mock report, the
        progress page): its likely range and what always guessing gets, ", likely 56% to 62% on other texts like them
        (always guessing the more common answer: 52%)"."""
        fig = self.per_class.get(label)
        guess = (f" (always guessing the more common answer: {_pct(fig.baseline)})"
                 if fig and fig.baseline is not None else "")
        return self.likely_range(label) + guess


def _ci(v: dict) -> tuple:
    ci = v.get("ci95")
    return tuple(ci) if isinstance(ci, (list, tuple)) and len(ci) == 2 else (None, None)


def _length_bands(rec, starts: dict) -> tuple:
    """``by_length`` of metrics.json (``ml.text.lengths``) -> :class:`LengthBand` s, shortest first.
    Its per-trait baselines are plain numbers; a trait counts as reliable at a cut only from its
    ``starts`` length on (``ml.text.lengths.shown_from``: reliable there and at every longer cut, so a
    longer answer never loses a trait that a shorter one shows)."""
    bands = []
    for b in (rec.get("lengths") or []) if isinstance(rec, dict) else []:
        if not isinstance(b, dict) or not isinstance(b.get("words"), int) or not isinstance(b.get("accuracy"), (int, float)):
            continue
        per = {}
        for label, v in (b.get("per_trait") or {}).items():
            if isinstance(v, dict):
                lo, hi = _ci(v)
                start = starts.get(label)
                per[label] = ClassFigure(label, v.get("accuracy"), baseline=v.get("baseline"), ci_low=lo, ci_high=hi,
                                         reliable=v.get("reliable") is True and start is not None
                                         and b["words"] >= start)
        bands.append(LengthBand(b["words"], float(b["accuracy"]), b.get("baseline"), per))
    return tuple(sorted(bands, key=lambda b: b.words))


def _shown_from(rec) -> dict:
    starts = rec.get("shown_from") if isinstance(rec, dict) else None
    return {k: v for k, v in starts.items() if v is None or isinstance(v, int)} if isinstance(starts, dict) else {}


def normalise(kind: str, m: dict) -> ModelMetrics | None:
    """A metrics.json dict -> :class:`ModelMetrics` (None without ``accuracy``)."""
    if not isinstance(m, dict) or not isinstance(m.get("accuracy"), (int, float)):
        return None
    per = {}
    for label, v in (m.get("per_class") or {}).items():
        if not isinstance(v, dict):
            continue
        if m.get("task") == "multi-label":
            lo, hi = _ci(v)
            per[label] = ClassFigure(label, v.get("accuracy"), v.get("n"), (v.get("baseline") or {}).get("accuracy"),
                                     ci_low=lo, ci_high=hi, reliable=v.get("reliable") is True)
        else:
            per[label] = ClassFigure(label, v.get("recall"), v.get("support"))
    base = m.get("baseline") or {}
    lengths = m.get("by_length") if m.get("task") == "multi-label" else None
    starts = _shown_from(lengths)
    return ModelMetrics(kind=kind, task=m.get("task", "single-label"), n=int(m.get("n") or 0),
                        measured_on=m.get("measured_on") or f"{m.get('n', '?')} held-out examples",
                        accuracy=float(m["accuracy"]), macro_f1=m.get("macro_f1"),
                        baseline=base.get("accuracy"), baseline_source=base.get("source", ""),
                        per_class=per, date=m.get("date"),
                        by_length=_length_bands(lengths, starts), shown_from=starts)


def text_metrics(words: int | None = None) -> ModelMetrics | None:
    """The text model's figures, for an answer of ``words`` words when given (:meth:`ModelMetrics.for_words`)."""
    m = model_metrics("text")
    return m.for_words(words) if m else None


def big5_shown(text: str | None) -> set[str]:
    """The traits whose score is shown for an answer (or transcript) ``text``: those reliable at its
    length. None without the text model's metrics: nothing says any trait beats a guess, so, as on the
    pages ("not measured"), no score is shown or added to the averages."""
    from .labels import TRAIT_NAMES
    m = text_metrics(text_words(text))
    return set() if m is None else {t for t in TRAIT_NAMES if m.reliable(t)}


def stored_scores(scores, text: str | None) -> list:
    """The score rows of an analysis (ml's, a short answer's traits already left out) that are stored and added to
    the averages: a Big Five trait only where the model estimates it better than a guess at the length of ``text``
    (the answer, or the recording's transcript: big5_shown), since it is not shown either. The job (jobs.analyzers)
    and the landing page's sample report (webapp.sample) both store these (an architecture review: the sample kept two
    traits the job would have dropped)."""
    shown = big5_shown(text)
    return [s for s in scores if s[0] != "big5" or s[1] in shown]


def text_words(text: str | None) -> int:
    """An answer's length as the text model reads it (``ml.text.normalize.word_count``)."""
    from ml.text.normalize import word_count
    return word_count(text)


@lru_cache(maxsize=None)
def model_metrics(kind: str) -> ModelMetrics | None:
    path = MODELS_DIR / kind / "metrics.json"
    try:
        return normalise(kind, json.loads(path.read_text()))
    except (OSError, ValueError):
        return None


def _counts(values) -> bool:
    """Whether every value read from a committed evaluation file is a count (a whole number, not a boolean, not
    negative): the check of points_metrics and smile_metrics before they divide by any."""
    return all(isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in values)


@dataclass(frozen=True)
class PointsMetrics:
    """The talking-point check's shipped rule on hand-labelled natural answers (``ml.points.evaluate``): of the
    ``made`` (answer, point) pairs a reader found addressed it ticked ``found``; of its ``ticks`` ``unmade`` were
    words used without making the point."""
    answers: int
    decisions: int
    made: int
    found: int
    ticks: int
    unmade: int

    @property
    def tick_vs_guess(self) -> int:
        """-1, 0 or 1 as a tick's chance of being a point made (found / ticks) is below, equal to or above any
        point's chance of being made (made / decisions): what the pages may say of a tick next to a guess. Compared
        as whole-number products, so 20/39 against 82/140 is not left to rounding; no ticks at all tell nothing."""
        if not self.ticks:
            return 0
        tick, guess = self.found * self.decisions, self.made * self.ticks
        return (tick > guess) - (tick < guess)


@lru_cache(maxsize=None)
def points_metrics() -> PointsMetrics | None:
    """The committed evaluation of the talking-point check, or None when it is missing or not as
    ``ml.points.evaluate`` writes it (the pages then give no numbers)."""
    try:
        m = json.loads(POINTS_METRICS.read_text(encoding="utf-8"))
        r = m["shipped"]
        counts = [m["answers"], r["tp"], r["fp"], r["fn"], r["tn"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not _counts(counts) or not m["answers"]:
        return None
    _, tp, fp, fn, tn = counts
    return PointsMetrics(answers=m["answers"], decisions=tp + fp + fn + tn, made=tp + fn, found=tp,
                         ticks=tp + fp, unmade=fp)


#: denominators a share may be said with ("about 2 in 3"); the simplest of those nearest the share wins
PLAIN_DENOMINATORS = (2, 3, 4, 5, 10)


def about_fraction(share: float) -> str:
    """A share (0..1) as a plain fraction: "about 2 in 3", "about 7 in 10", the fraction nearest the share of
    those with a denominator in PLAIN_DENOMINATORS (on a tie the smaller denominator: 0.6 is "about 3 in 5").
    Shares whose nearest fraction is none or all of them (below about 0.05 or from 0.95) are whole percentages
    instead ("3%", "97%"), since "about 0 in 10" or "10 in 10" would say none or all."""
    _, q, p = min((abs(share - round(share * q) / q), q, round(share * q)) for q in PLAIN_DENOMINATORS)
    if p == 0 or p == q:
        return f"{100 * share:.0f}%"
    return f"about {p} in {q}"


@dataclass(frozen=True)
class SmileMetrics:
    """The smile reading on FER2013 PublicTest faces (``python -m ml.gaze.evaluate --smile``): of ``shown`` faces
    the product's detector found ``found``; of those, ``happy`` were labelled happy and it called ``tp`` of them
    smiling, and of the ``smiling`` faces it called so, ``tp`` were labelled happy."""
    shown: int
    found: int
    happy: int
    smiling: int
    tp: int
    threshold: float

    @property
    def recall(self) -> float:
        return self._scores()["recall"]

    @property
    def precision(self) -> float:
        return self._scores()["precision"]

    def _scores(self) -> dict:
        """The evaluation's own formulas (``ml.metrics.two_class_scores``, numpy only), unrounded for the words."""
        from ml.metrics import two_class_scores
        return two_class_scores(self.tp, self.smiling - self.tp, self.happy - self.tp, digits=None)

    @property
    def recall_words(self) -> str:
        """The share of happy faces it caught, in plain words ("about 7 in 10")."""
        return about_fraction(self.recall)

    @property
    def precision_words(self) -> str:
        """The share of faces it called smiling that were labelled happy, in plain words."""
        return about_fraction(self.precision)


@lru_cache(maxsize=None)
def smile_metrics() -> SmileMetrics | None:
    """The committed evaluation of the smile reading, or None when it is missing, not as ``ml.gaze.evaluate
    --smile`` writes it, or made with another threshold than the product's ``SMILE_RATIO`` (figures of another
    rule); the pages then give no numbers."""
    from ml.gaze.signals import SMILE_RATIO  # numpy only: no TensorFlow in the web process

    try:
        m = json.loads(SMILE_METRICS.read_text(encoding="utf-8"))
        counts = [m["n"], m["found"], m["tp"], m["fp"], m["fn"], m["tn"]]
        threshold = m["threshold"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not _counts(counts):
        return None
    n, found, tp, fp, fn, tn = counts
    if found != tp + fp + fn + tn or found > n or not tp + fn or not tp + fp \
            or not isinstance(threshold, (int, float)) or threshold != SMILE_RATIO:
        return None
    return SmileMetrics(shown=n, found=found, happy=tp + fn, smiling=tp + fp, tp=tp, threshold=float(threshold))
