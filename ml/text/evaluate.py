"""Score the text model on a labelled CSV.

    python -m ml.evaluate text PATH.csv [--model-dir DIR] [--dev-split test|val|train]
                                        [--metrics-out FILE]

PATH.csv needs columns TEXT and cEXT, cNEU, cAGR, cCON, cOPN (y/n); other
columns are ignored. ``--dev-split test`` keeps only that part of the fixed
essays_dev split (:func:`ml.text.features.dev_split`), so
``python -m ml.evaluate text ../shared/data/essays/essays_dev.csv --dev-split test``
equals evaluating the file ``python -m ml.text.split --write`` produces.
The last line of stdout is one JSON object in the ``ml.metrics`` multi-label schema: per
trait under ``per_class`` (accuracy, macro-F1, low/high figures, majority baseline), their
means as ``accuracy`` / ``macro_f1`` / ``baseline``. With ``--dev-split`` the baseline is the
majority class of the split's ``train`` part (what the model was trained on), otherwise of
the evaluated file. ``--metrics-out data/models/text/metrics.json`` writes the model's record.
"""
from __future__ import annotations

import argparse
import json
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


def training_record(model_dir: Path) -> dict:
    """What train_log.json says about how the model was trained ({} if absent)."""
    try:
        log = json.loads((model_dir / "train_log.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: log[k] for k in ("command", "n_train", "n_val", "val_mean_accuracy", "params", "ensemble",
                                "best_epochs", "vocab_size") if k in log}


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
    report = score(probs, labels, train_labels)
    n = report["n"]
    if args.dev_split == "test":
        measured_on = (f"{n:,} student essays held out from training and model selection "
                       "(a fixed 20% of the essays data set)")
    elif args.dev_split:
        measured_on = f"{n:,} student essays of the {args.dev_split} part of the essays data set"
    else:
        measured_on = f"{n:,} labelled texts in {args.csv.name}"
    command = f"python -m ml.evaluate text {args.csv}" + (f" --dev-split {args.dev_split}" if args.dev_split else "")
    result = metrics_record(report, model="text_cnn_lstm", kind="text",
                            dataset=args.csv.name + (f", {args.dev_split} part of the fixed split" if args.dev_split else ""),
                            measured_on=measured_on, command=command, threshold=0.5,
                            training=training_record(args.model_dir))
    if args.metrics_out:
        write_metrics(args.metrics_out, result)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
