"""Score the text model on a labelled CSV.

    python -m ml.evaluate text PATH.csv [--model-dir DIR] [--dev-split test|val|train]
                                        [--metrics-out FILE]

PATH.csv needs columns TEXT and cEXT, cNEU, cAGR, cCON, cOPN (y/n); other
columns are ignored. ``--dev-split test`` keeps only that part of the fixed
essays_dev split (:func:`ml.text.features.dev_split`), so
``python -m ml.evaluate text ../shared/data/essays/essays_dev.csv --dev-split test``
equals evaluating the file ``python -m ml.text.split --write`` produces (the shipped model
is trained on all of essays_dev, so use this only with a model trained without that part;
its own unseen-data figures are cross-validated, see ``python -m ml.text.train``).
The last line of stdout is one JSON object in the ``ml.metrics`` multi-label schema: per
trait under ``per_class`` (accuracy, macro-F1, low/high figures, majority baseline), their
means as ``accuracy`` / ``macro_f1`` / ``baseline``. With ``--dev-split`` the baseline is the
majority class of the split's ``train`` part (what the model was trained on), otherwise of
the evaluated file. Each trait also gets ``ci95`` (the 95% Wilson interval of its accuracy
over the evaluated texts) and ``reliable`` (the interval lies above its baseline), and the mean
gets ``ci95`` (a t-interval of the per-text share of correct calls). The shipped model's
metrics.json is written by ``python -m ml.text.train`` (cross-validated figures);
``--metrics-out FILE`` writes this file's record.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

from ml.text import MODEL_DIR, TRAITS
from ml.text.features import dev_split, read_labelled_csv


def score(probs: np.ndarray, labels: np.ndarray, train_labels: np.ndarray | None = None) -> dict:
    """The ``ml.metrics`` multi-label report (a probability >= 0.5 is ``high``); the baseline is
    the majority class of ``train_labels`` per trait when given, else that of ``labels``."""
    from ml.metrics import multilabel_report
    pos = n_train = None
    if train_labels is not None:
        pos, n_train = (np.asarray(train_labels) >= 0.5).sum(0).tolist(), int(len(train_labels))
    return multilabel_report(np.asarray(labels) >= 0.5, np.asarray(probs) >= 0.5, TRAITS, pos, n_train)


def wilson_ci95(correct: int, n: int) -> list[float]:
    """The 95% Wilson score interval of a proportion ``correct / n`` ([0, 1] without data)."""
    if n <= 0:
        return [0.0, 1.0]
    z = 1.959963984540054
    p = correct / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return [round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4)]


def mean_ci95(per_text: np.ndarray) -> list[float]:
    """95% t-interval of the mean of per-text values (the share of a text's traits called right)."""
    v = np.asarray(per_text, float)
    if len(v) < 2:
        return [0.0, 1.0]
    from scipy import stats
    half = float(stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v)))
    return [round(max(0.0, v.mean() - half), 4), round(min(1.0, v.mean() + half), 4)]


def add_confidence(report: dict, probs: np.ndarray, labels: np.ndarray) -> dict:
    """Add ``ci95`` and ``reliable`` per trait and ``ci95`` of the mean to a :func:`score` report."""
    correct = (np.asarray(probs) >= 0.5) == (np.asarray(labels) >= 0.5)
    for j, t in enumerate(TRAITS):
        rep = report["per_class"][t]
        rep["ci95"] = wilson_ci95(int(correct[:, j].sum()), int(len(correct)))
        rep["reliable"] = bool(rep["ci95"][0] > rep["baseline"]["accuracy"])
    report["ci95"] = mean_ci95(correct.mean(1)) if len(correct) else [0.0, 1.0]
    return report


def training_record(model_dir: Path) -> dict:
    """What train_log.json says about how the model was trained ({} if absent)."""
    try:
        log = json.loads((model_dir / "train_log.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: log[k] for k in ("command", "n_train", "components", "cv_mean_accuracy", "cv_ci95") if k in log}


def model_name(model_dir: Path) -> str:
    try:
        return json.loads((model_dir / "train_log.json").read_text(encoding="utf-8"))["model"]
    except (OSError, ValueError, KeyError):
        return "text model in " + model_dir.name


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m ml.evaluate text", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("csv", type=Path)
    p.add_argument("--model-dir", type=Path, default=MODEL_DIR)
    p.add_argument("--dev-split", choices=("train", "val", "test"), default=None,
                   help="evaluate only this part of the fixed essays_dev split")
    p.add_argument("--metrics-out", type=Path, default=None, help="also write the JSON here")
    args = p.parse_args(argv)

    ids, texts, labels = read_labelled_csv(args.csv)
    train_labels = None
    if args.dev_split:
        split = dev_split(ids)
        keep = split[args.dev_split]
        train_labels = labels[split["train"]]
        texts, labels = [texts[i] for i in keep], labels[keep]
    from ml.text.predict import predict
    probs = predict(texts, args.model_dir).values
    from ml.metrics import metrics_record, write_metrics
    report = add_confidence(score(probs, labels, train_labels), probs, labels)
    n = report["n"]
    if args.dev_split:
        # the shipped model is trained on all of essays_dev: its parts are not unseen by it
        measured_on = (f"{n:,} student essays of the {args.dev_split} part of the essays data set "
                       "(seen in training unless the model was trained without them)")
    else:
        measured_on = f"{n:,} labelled texts in {args.csv.name}"
    command = f"python -m ml.evaluate text {args.csv}" + (f" --dev-split {args.dev_split}" if args.dev_split else "")
    result = metrics_record(report, model=model_name(args.model_dir), kind="text",
                            dataset=args.csv.name + (f", {args.dev_split} part of the fixed split" if args.dev_split else ""),
                            measured_on=measured_on, command=command, threshold=0.5,
                            training=training_record(args.model_dir))
    if args.metrics_out:
        write_metrics(args.metrics_out, result)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
