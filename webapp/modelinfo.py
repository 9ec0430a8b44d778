"""The models' measured accuracy, read from their metrics.json (no TensorFlow import).

``model_metrics(kind)`` is the one way templates read it: a :class:`ModelMetrics` built from
the ``ml.metrics`` schema (see ml/metrics.py), the same shape for every model, or ``None``
when the model has no metrics.json. Templates show ``measured_on`` (plain words, never file
names), ``accuracy``, ``baseline`` and ``per_class``.

Multi-label (text): each trait's :class:`ClassFigure` also carries its 95% confidence interval
(``ci_low``, ``ci_high``) and ``reliable``: True only when metrics.json marks the trait
``reliable`` (its whole interval lies above the majority baseline). A trait without that mark
is not reliable, so pages show its score only when ``reliable`` is True.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache

from .config import ROOT

MODELS_DIR = ROOT / "data" / "models"


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
    """A trait probability (0..1) in plain words, the percentage in whole numbers:
    "about average (54%)", "leans high (67%)", "leans low (31%)"."""
    if probability is None:
        return "no estimate"
    pct = f"{100 * probability:.0f}%"
    if abs(probability - 0.5) <= AVERAGE_BAND + 1e-9:
        return f"about average ({pct})"
    return f"leans {'high' if probability > 0.5 else 'low'} ({pct})"


def _pct(x: float | None) -> str:
    return f"{100 * x:.0f}%" if isinstance(x, (int, float)) else "?"


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

    def reliable(self, label: str) -> bool:
        """True only when metrics.json marks ``label`` reliable (CI above the baseline)."""
        fig = self.per_class.get(label)
        return bool(fig and fig.reliable)

    def reading(self, label: str, name: str, score: float | None) -> str:
        """What a page says about one trait score (``score`` in 0..100, the probability x 100):
        the lean in words when the trait is reliable, otherwise that the model cannot estimate
        it reliably, with its measured accuracy, 95% interval and the always-guess baseline."""
        fig = self.per_class.get(label)
        if fig is None:
            return f"this model cannot estimate {name} reliably (not measured)"
        if not fig.reliable:
            ci = (f", 95% interval {_pct(fig.ci_low)}–{_pct(fig.ci_high)}"
                  if fig.ci_low is not None and fig.ci_high is not None else "")
            return (f"this model cannot estimate {name} reliably: its high/low call was right {_pct(fig.accuracy)} "
                    f"of the time{ci}, and always guessing the more common answer is right {_pct(fig.baseline)}")
        words = lean_words(None if score is None else score / 100.0)
        return f"{words}; the model's high/low call is right {_pct(fig.accuracy)} of the time"


def normalise(kind: str, m: dict) -> ModelMetrics | None:
    """A metrics.json dict -> :class:`ModelMetrics` (None without ``accuracy``)."""
    if not isinstance(m, dict) or not isinstance(m.get("accuracy"), (int, float)):
        return None
    per = {}
    for label, v in (m.get("per_class") or {}).items():
        if not isinstance(v, dict):
            continue
        if m.get("task") == "multi-label":
            ci = v.get("ci95") if isinstance(v.get("ci95"), (list, tuple)) and len(v.get("ci95")) == 2 else (None, None)
            per[label] = ClassFigure(label, v.get("accuracy"), v.get("n"), (v.get("baseline") or {}).get("accuracy"),
                                     ci_low=ci[0], ci_high=ci[1], reliable=v.get("reliable") is True)
        else:
            per[label] = ClassFigure(label, v.get("recall"), v.get("support"))
    base = m.get("baseline") or {}
    return ModelMetrics(kind=kind, task=m.get("task", "single-label"), n=int(m.get("n") or 0),
                        measured_on=m.get("measured_on") or f"{m.get('n', '?')} held-out examples",
                        accuracy=float(m["accuracy"]), macro_f1=m.get("macro_f1"),
                        baseline=base.get("accuracy"), baseline_source=base.get("source", ""),
                        per_class=per, date=m.get("date"))


@lru_cache(maxsize=None)
def model_metrics(kind: str) -> ModelMetrics | None:
    path = MODELS_DIR / kind / "metrics.json"
    try:
        return normalise(kind, json.loads(path.read_text()))
    except (OSError, ValueError):
        return None
