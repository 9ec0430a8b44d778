"""The models' measured accuracy, read from their metrics.json (no TensorFlow import).

``model_metrics(kind)`` is the one way templates read it: a :class:`ModelMetrics` built from
the ``ml.metrics`` schema (see ml/metrics.py), the same shape for every model, or ``None``
when the model has no metrics.json. Templates show ``measured_on`` (plain words, never file
names), ``accuracy``, ``baseline`` and ``per_class``.
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


def normalise(kind: str, m: dict) -> ModelMetrics | None:
    """A metrics.json dict -> :class:`ModelMetrics` (None without ``accuracy``)."""
    if not isinstance(m, dict) or not isinstance(m.get("accuracy"), (int, float)):
        return None
    per = {}
    for label, v in (m.get("per_class") or {}).items():
        if not isinstance(v, dict):
            continue
        if m.get("task") == "multi-label":
            per[label] = ClassFigure(label, v.get("accuracy"), v.get("n"), (v.get("baseline") or {}).get("accuracy"))
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
