"""Classification metrics shared by every model (pure numpy), and the metrics.json schema.

Single-label (face, voice): :func:`classification_report`; multi-label, one yes/no call
per trait (text): :func:`multilabel_report`.  ``python -m ml.evaluate KIND ...`` prints one
of these reports as its last stdout line, and ``data/models/<kind>/metrics.json`` holds one.

Definitions
-----------
* ``accuracy``: share of all evaluated examples whose predicted class is the true class.
  A prediction of ``-1`` means "no prediction" (e.g. no face found): it counts as wrong and
  is left out of the confusion matrix (``n_unpredicted`` counts them).
* ``per_class[name]``: ``support`` (true examples of the class), ``precision``, ``recall``
  (share of the class's examples predicted as it), ``f1``.  Only classes present in the
  evaluated labels are listed.
* ``macro_f1``: unweighted mean of ``f1`` over the classes listed in ``per_class``.
* ``confusion_matrix``: rows = true class, columns = predicted class, in ``class_names`` order.
* ``baseline``: the majority-class baseline, the accuracy of always predicting one class:
  the most common class of the **training** data when its class counts are given
  (``"source": "training data"``), otherwise the most common class of the **evaluated**
  set itself (``"source": "evaluated set"``, an optimistic baseline).  Ties go to the
  class listed first.
* multi-label: each trait is a two-class problem (``low``, ``high``; a probability
  >= 0.5 is ``high``) with the figures above under ``per_class[trait]``; the top-level
  ``accuracy``, ``macro_f1`` and ``baseline.accuracy`` are the means over traits.
All figures are rounded to 4 decimals.

metrics.json schema (``"schema": 1``)
------------------------------------
==================  ==========================================================================
key                 meaning
==================  ==========================================================================
schema              1
model               the evaluated model (file or name)
kind                ``text`` | ``face`` | ``voice``
task                ``single-label`` | ``multi-label``
dataset             short technical name of the evaluation data (for cards and logs)
measured_on         plain words for people: what it was measured on, how many, and why
                    those examples are unseen (shown in the web app)
n                   number of evaluated examples
accuracy            as above (multi-label: mean over traits)
macro_f1            as above (multi-label: mean over traits)
class_names         output classes, in order (multi-label: the traits)
per_class           single-label: {class: {support, precision, recall, f1}};
                    multi-label: {trait: a single-label report over (low, high)}
confusion_matrix    single-label only
baseline            {rule, source, class, accuracy} (multi-label: {rule, source, accuracy})
date                YYYY-MM-DD, the day the numbers were written (never typed in by hand)
command             the command that reproduces the numbers
...                 model-specific extras (e.g. face ``tta``, voice ``per_gender``, ``fold_accuracy``)
==================  ==========================================================================
"""
from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path
from typing import Sequence

import numpy as np

SCHEMA_VERSION = 1
BASELINE_RULE = "always predict the most common class"
SOURCE_TRAINING = "training data"
SOURCE_EVALUATED = "evaluated set"
BINARY_CLASSES = ("low", "high")
DIGITS = 4


def _r(x: float) -> float:
    return round(float(x), DIGITS)


def confusion_matrix(y_true, y_pred, n_classes: int) -> np.ndarray:
    """Counts [true, predicted]; predictions < 0 (no prediction) are left out."""
    y_true = np.asarray(y_true, dtype=int)
    y_pred = np.asarray(y_pred, dtype=int)
    cm = np.zeros((n_classes, n_classes), dtype=int)
    ok = y_pred >= 0
    np.add.at(cm, (y_true[ok], y_pred[ok]), 1)
    return cm


def majority_baseline(y_true, class_names: Sequence[str], train_counts=None) -> dict:
    """Accuracy on ``y_true`` of always predicting the most common class of the training
    data (``train_counts``: counts per class, in ``class_names`` order), or of ``y_true``
    itself when no training counts are given.  Ties go to the class listed first."""
    y_true = np.asarray(y_true, dtype=int)
    k = len(class_names)
    if train_counts is not None:
        counts, source = np.asarray(train_counts, dtype=float), SOURCE_TRAINING
        if counts.shape != (k,):
            raise ValueError(f"train_counts needs {k} entries, got {counts.shape}")
    else:
        counts, source = np.bincount(y_true, minlength=k).astype(float), SOURCE_EVALUATED
    major = int(np.argmax(counts))  # first of the tied maxima
    acc = float((y_true == major).mean()) if len(y_true) else 0.0
    return {"rule": BASELINE_RULE, "source": source, "class": class_names[major], "accuracy": _r(acc)}


def _scores(cm: np.ndarray, missed: np.ndarray):
    """Unrounded (support, precision, recall, f1, accuracy, macro_f1) of a confusion matrix."""
    support = cm.sum(1) + missed
    predicted = cm.sum(0)
    tp = np.diag(cm).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        prec = np.where(predicted > 0, tp / np.maximum(predicted, 1), 0.0)
        rec = np.where(support > 0, tp / np.maximum(support, 1), 0.0)
        f1 = np.where(prec + rec > 0, 2 * prec * rec / np.where(prec + rec > 0, prec + rec, 1), 0.0)
    n = support.sum()
    acc = tp.sum() / n if n else 0.0
    present = support > 0
    macro = float(f1[present].mean()) if present.any() else 0.0
    return support, prec, rec, f1, acc, macro


def two_class_scores(tp: int, fp: int, fn: int, tn: int | None = None, digits: int | None = DIGITS) -> dict:
    """``precision`` tp / (tp + fp), ``recall`` tp / (tp + fn) and, given ``tn``, ``accuracy`` (tp + tn) / all of
    one yes/no call from its counts, rounded to ``digits`` (None: unrounded). A share of nothing (no call of yes, no
    true yes, no example) is None, not the reports' 0.0 (``_scores``): a figure of nothing is not shown as 0. The
    one place of these formulas for the smile, blink, nod and talking-point evaluations (they were written out by
    hand in each, an architecture review)."""
    def share(part, whole):
        return None if not whole else part / whole if digits is None else round(part / whole, digits)
    out = {"precision": share(tp, tp + fp), "recall": share(tp, tp + fn)}
    if tn is not None:
        out["accuracy"] = share(tp + tn, tp + fp + fn + tn)
    return out


def report_from_confusion(cm, class_names: Sequence[str], n_unpredicted: int = 0,
                          unpredicted_per_class=None, train_counts=None) -> dict:
    """The single-label report from a confusion matrix.  ``unpredicted_per_class`` are true
    examples of each class that got no prediction (they lower recall and accuracy)."""
    cm = np.asarray(cm, dtype=int)
    k = len(class_names)
    if cm.shape != (k, k):
        raise ValueError(f"confusion matrix must be {k}x{k}, got {cm.shape}")
    missed = np.zeros(k, int) if unpredicted_per_class is None else np.asarray(unpredicted_per_class, int)
    support, prec, rec, f1, acc, macro = _scores(cm, missed)
    per_class = {name: {"support": int(support[i]), "precision": _r(prec[i]), "recall": _r(rec[i]),
                        "f1": _r(f1[i])}
                 for i, name in enumerate(class_names) if support[i]}
    y_true = np.repeat(np.arange(k), support)
    return {
        "task": "single-label",
        "n": int(support.sum()),
        "accuracy": _r(acc),
        "macro_f1": _r(macro),
        "class_names": list(class_names),
        "per_class": per_class,
        "confusion_matrix": cm.tolist(),
        "n_unpredicted": int(n_unpredicted or missed.sum()),
        "baseline": majority_baseline(y_true, class_names, train_counts),
    }


def classification_report(y_true, y_pred, class_names: Sequence[str], train_counts=None) -> dict:
    """Single-label report for integer labels ``y_true`` and predictions ``y_pred``
    (``-1`` = no prediction, counted as wrong)."""
    y_true = np.asarray(y_true, dtype=int)
    y_pred = np.asarray(y_pred, dtype=int)
    if y_true.shape != y_pred.shape:
        raise ValueError("y_true and y_pred differ in length")
    k = len(class_names)
    cm = confusion_matrix(y_true, y_pred, k)
    missed = np.bincount(y_true[y_pred < 0], minlength=k)
    return report_from_confusion(cm, class_names, int((y_pred < 0).sum()), missed, train_counts)


def argmax_among(probs, classes: Sequence[int]) -> np.ndarray:
    """Arg-max of each row of ``probs`` restricted to the column indices ``classes``."""
    probs = np.asarray(probs)
    cols = np.asarray(sorted(classes), dtype=int)
    if probs.shape[0] == 0:
        return np.zeros(0, int)
    return cols[probs[:, cols].argmax(1)]


def multilabel_report(y_true, y_pred, traits: Sequence[str], train_positive=None,
                      n_train: int | None = None) -> dict:
    """One two-class report (``low``/``high``) per trait plus the means over traits.

    ``y_true``, ``y_pred``: [n, traits] arrays of 0/1 (or booleans); ``train_positive``:
    number of ``high`` training labels per trait, out of ``n_train`` (both or neither)."""
    y_true = np.asarray(y_true).astype(bool).astype(int)
    y_pred = np.asarray(y_pred).astype(bool).astype(int)
    if y_true.shape != y_pred.shape or y_true.ndim != 2 or y_true.shape[1] != len(traits):
        raise ValueError("y_true and y_pred must both be [n, len(traits)]")
    if (train_positive is None) != (n_train is None):
        raise ValueError("give both train_positive and n_train, or neither")
    per, raw = {}, []
    for j, t in enumerate(traits):
        counts = None if train_positive is None else [n_train - int(train_positive[j]), int(train_positive[j])]
        rep = classification_report(y_true[:, j], y_pred[:, j], BINARY_CLASSES, counts)
        for key in ("task", "class_names", "n_unpredicted"):
            rep.pop(key)
        per[t] = rep
        cm = np.asarray(rep["confusion_matrix"])
        _, _, _, _, acc, macro = _scores(cm, np.zeros(2, int))
        base = float((y_true[:, j] == BINARY_CLASSES.index(rep["baseline"]["class"])).mean()) if len(y_true) else 0.0
        raw.append((acc, macro, base))
    mean = np.mean(raw, 0) if raw else np.zeros(3)
    source = SOURCE_EVALUATED if train_positive is None else SOURCE_TRAINING
    return {
        "task": "multi-label",
        "n": int(y_true.shape[0]),
        "accuracy": _r(mean[0]),
        "macro_f1": _r(mean[1]),
        "class_names": list(traits),
        "per_class": per,
        "baseline": {"rule": BASELINE_RULE + ", per trait", "source": source, "accuracy": _r(mean[2])},
    }


def metrics_record(report: dict, *, model: str, kind: str, dataset: str, measured_on: str,
                   command: str, date: str | None = None, **extras) -> dict:
    """A report in the metrics.json schema (``date`` defaults to today)."""
    head = {"schema": SCHEMA_VERSION, "model": model, "kind": kind, "task": report["task"],
            "dataset": dataset, "measured_on": measured_on}
    body = {k: v for k, v in report.items() if k != "task"}
    tail = {"date": date or _dt.date.today().isoformat(), "command": command}
    return {**head, **body, **tail, **extras}


def write_metrics(path: Path, record: dict) -> Path:
    """Write a :func:`metrics_record` to ``path`` after checking its required keys."""
    missing = [k for k in REQUIRED_KEYS if k not in record]
    if missing:
        raise ValueError(f"metrics record lacks {missing}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return path


REQUIRED_KEYS = ("schema", "model", "kind", "task", "dataset", "measured_on", "n", "accuracy",
                 "macro_f1", "class_names", "per_class", "baseline", "date", "command")
