"""Write data/models/voice/metrics.json (the ``ml.metrics`` schema) from a saved CV result,
then MODEL_CARD.md from its template (``ml/cards/voice.md.j2``, via ``ml.card``).

    python -m ml.voice.train --cv --save-cv runs/voice/cv_crnn.json
    python -m ml.voice.card runs/voice/cv_crnn.json [--compare runs/voice/cv_*.json]
    python -m ml.card voice          # the card alone, from the metrics.json already written
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from ml.voice import CLASS_NAMES, MODEL_DIR

CV_COMMAND = "python -m ml.voice.train --cv"
DATASET = "RAVDESS speech, actors 1-20, actor-grouped 5-fold cross-validation"


def measured_on(n: int, n_actors: int = 20) -> str:
    return (f"{n:,} acted speech recordings by {n_actors} actors, each scored by a model that never "
            "heard that speaker (cross-validation grouped by actor)")


def metrics_from_cv(cv: dict, compare: list[dict], model: str, train_command: str = "python -m ml.voice.train",
                    **extras) -> dict:
    """The metrics.json record of a CV result (``ml.voice.train.cross_validate``): every figure
    is recomputed by ``ml.metrics`` from the pooled confusion matrix; the baseline is the most
    common class of the clips the folds trained on (all folds have the pool's proportions)."""
    from ml.metrics import metrics_record, report_from_confusion
    cm = np.asarray(cv["confusion_matrix"])
    report = report_from_confusion(cm, CLASS_NAMES, train_counts=cm.sum(1))
    per_actor = cv.get("per_actor")
    if per_actor:
        extras.setdefault("per_actor_range", [min(per_actor.values()), max(per_actor.values())])
    return metrics_record(
        report, model=model, kind="voice", dataset=DATASET, measured_on=measured_on(report["n"]),
        command=CV_COMMAND, train_command=train_command,
        accuracy_mean=cv["accuracy_mean"], accuracy_sd=cv["accuracy_sd"], fold_accuracy=cv["fold_accuracy"],
        per_gender=cv.get("per_gender", {}), per_actor=per_actor,
        compared=[{k: c.get(k) for k in ("method", "accuracy_mean", "accuracy_sd", "macro_f1", "note")}
                  for c in compare],
        **extras)


def write(cv: dict, compare: list[dict], out_dir: Path = MODEL_DIR,
          train_command: str = "python -m ml.voice.train") -> dict:
    from ml import card
    from ml.metrics import write_metrics
    from ml.voice.evaluate import model_name
    from ml.voice.model import build_model
    cfg = json.loads((out_dir / "config.json").read_text())
    metrics = metrics_from_cv(cv, compare, model_name(cfg), train_command,
                              params=int(build_model(cfg["model_cfg"]).count_params()),
                              weights_bytes=sum(p.stat().st_size for p in out_dir.glob("*.weights.h5")))
    write_metrics(out_dir / "metrics.json", metrics)
    card.write("voice", out_dir)
    return metrics


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m ml.voice.card", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cv", type=Path)
    ap.add_argument("--compare", type=Path, nargs="*", default=[])
    ap.add_argument("--train-command", default="python -m ml.voice.train")
    args = ap.parse_args(argv)
    cv = json.loads(args.cv.read_text())
    comp = [json.loads(p.read_text()) for p in args.compare]
    m = write(cv, comp, train_command=args.train_command)
    print(json.dumps({k: m[k] for k in ("accuracy", "accuracy_mean", "accuracy_sd", "macro_f1")}))


if __name__ == "__main__":
    main()
