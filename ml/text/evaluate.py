"""Score the text model on a labelled CSV.

    python -m ml.evaluate text PATH.csv [--model-dir DIR] [--dev-split test|val|train]
                                        [--metrics-out FILE]

PATH.csv needs columns TEXT and cEXT, cNEU, cAGR, cCON, cOPN (y/n); other
columns are ignored. ``--dev-split test`` keeps only that part of the fixed
essays_dev split (:func:`ml.text.features.dev_split`), so
``python -m ml.evaluate text ../shared/data/essays/essays_dev.csv --dev-split test``
equals evaluating the file ``python -m ml.text.split --write`` produces.
The last line of stdout is one JSON object: n, per_trait, mean_accuracy,
majority_baseline, mean_majority_baseline.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from ml.text import MODEL_DIR, TRAITS
from ml.text.features import dev_split, read_labelled_csv


def score(probs: np.ndarray, labels: np.ndarray) -> dict:
    """Accuracy (threshold 0.5) per trait and the majority-class baseline of ``labels``."""
    n = int(len(labels))
    pred = probs >= 0.5
    truth = labels >= 0.5
    acc = (pred == truth).mean(0) if n else np.zeros(len(TRAITS))
    pos = truth.mean(0) if n else np.zeros(len(TRAITS))
    major = np.maximum(pos, 1 - pos)
    return {
        "n": n,
        "per_trait": {t: round(float(a), 4) for t, a in zip(TRAITS, acc)},
        "mean_accuracy": round(float(np.mean(acc)), 4),
        "majority_baseline": {t: round(float(m), 4) for t, m in zip(TRAITS, major)},
        "mean_majority_baseline": round(float(np.mean(major)), 4),
    }


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
    if args.dev_split:
        keep = dev_split(ids)[args.dev_split]
        texts, labels = [texts[i] for i in keep], labels[keep]
    from ml.text.predict import predict_proba
    probs = predict_proba(texts, args.model_dir)
    result = {"model": "text_cnn_lstm", "data": str(args.csv)}
    if args.dev_split:
        result["dev_split"] = args.dev_split
    result.update(score(probs, labels))
    line = json.dumps(result)
    if args.metrics_out:
        args.metrics_out.parent.mkdir(parents=True, exist_ok=True)
        args.metrics_out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
