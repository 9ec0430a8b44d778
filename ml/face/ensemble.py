"""Choose the shipped face model: one network or the average of several, and its
test-time augmentation (TTA).

    python -m ml.face.ensemble face_cnn_b.keras face_cnn_d.keras          # compare on validation
    python -m ml.face.ensemble face_cnn_d.keras --tta flip-zoom --write   # ship it
    python -m ml.face.ensemble face_cnn.keras --write                     # back to the single model

Members are files under data/models/face (exported with ``python -m ml.face.train
... --export-as NAME``).  Every member and their average are scored on the
*validation* slice of FER2013 Training that all members held out (the same seeded
split, read from their training_info) by accuracy and by negative log-likelihood
(NLL, a proper score that separates candidates whose accuracies differ by a few of
the ~2,000 images); PublicTest is not looked at, so it stays an unbiased report
split (``python -m ml.face.evaluate --fer-publictest``).  ``face_cnn.keras`` (the
single model used without ensemble.json) must be present, but need not be a member.
Every TTA mode of ``ml.face.TTA_MODES`` is scored too (``by_tta``, with the forward
passes each crop costs); ``--tta`` picks the one reported first and written.
``--write`` records the members and the mode in data/models/face/ensemble.json, which
``ml.face.predict`` reads.  The last stdout line is one JSON object.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from ml.face import (DEFAULT_TTA, ENSEMBLE_FILENAME, MODEL_FILENAME, TTA_MODES, inference_precision, model_dir,
                     training_info, training_info_path)


def validation_slice(members: list[str]):
    """(crops, labels, split) of the validation rows every member held out."""
    from ml.face import features as F
    splits = set()
    for name in members:
        info = training_info(name)
        if not info:
            raise SystemExit(f"no training record for {name} ({training_info_path(name)}); "
                             "export it with ml.face.train")
        args = info.get("train_args", {})
        splits.add((float(args.get("val_fraction", 0.07)), int(args.get("seed", 1234))))
    if len(splits) != 1:
        raise SystemExit(f"members were validated on different splits {sorted(splits)}; "
                         "their validation scores are not comparable")
    val_fraction, seed = splits.pop()
    data = F.load_fer()
    idx_all = np.flatnonzero(data["usage"] == "Training")
    _, va_rel = F.stratified_split(data["emotion"][idx_all], val_fraction, seed)
    va = idx_all[va_rel]
    return data["pixels"][va], data["emotion"][va].astype(int), {"val_fraction": val_fraction, "seed": seed}


def _nll(probs: np.ndarray, y: np.ndarray) -> float:
    """Mean negative log-likelihood of the true class (lower is better)."""
    return round(float(-np.log(np.clip(probs[np.arange(len(y)), y], 1e-7, 1.0)).mean()), 4)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m ml.face.ensemble", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("members", nargs="+", help="member file names under data/models/face")
    p.add_argument("--tta", choices=sorted(TTA_MODES), default=DEFAULT_TTA,
                   help=f"test-time augmentation to report first and to write (default {DEFAULT_TTA})")
    p.add_argument("--no-tta", action="store_true", help="same as --tta none")
    p.add_argument("--write", action="store_true", help=f"write data/models/face/{ENSEMBLE_FILENAME}")
    args = p.parse_args(argv)
    if args.no_tta:
        args.tta = "none"
    if not (model_dir() / MODEL_FILENAME).exists():
        p.error(f"{model_dir() / MODEL_FILENAME} is missing (the single model, used without {ENSEMBLE_FILENAME})")
    if len(set(args.members)) != len(args.members):
        p.error("a member is listed twice")
    for name in args.members:
        if not (model_dir() / name).exists():
            p.error(f"not found: {model_dir() / name}")

    from ml.face.features import to_model_input, tta_view
    from ml.face.predict import predict
    x, y, split = validation_slice(args.members)
    x = to_model_input(x)
    t0 = time.time()
    views = sorted({v for mode in TTA_MODES.values() for v in mode})
    # each member's probabilities for each distinct view, computed once
    view_probs = {(name, v): predict(tta_view(x, *v), tta="none", model_file=model_dir() / name).astype(np.float64)
                  for name in args.members for v in views}

    def probs_of(names, mode):
        return np.mean([view_probs[(n, v)] for n in names for v in TTA_MODES[mode]], axis=0)

    def acc_of(pr):
        return round(float((pr.argmax(1) == y).mean()), 4)

    by_tta = {}
    for mode in TTA_MODES:
        mean = probs_of(args.members, mode)
        by_tta[mode] = {"passes_per_crop": len(args.members) * len(TTA_MODES[mode]),
                        "val_accuracy_ensemble": acc_of(mean), "val_nll_ensemble": _nll(mean, y),
                        "val_nll_members": {n: _nll(probs_of([n], mode), y) for n in args.members}}
    chosen = by_tta[args.tta]
    res = {"members": args.members, "tta": args.tta, "passes_per_crop": chosen["passes_per_crop"],
           "precision": inference_precision(), "n_val": int(len(y)), "split": split,
           "val_accuracy_members": {n: acc_of(probs_of([n], args.tta)) for n in args.members},
           "val_accuracy_ensemble": chosen["val_accuracy_ensemble"],
           "val_nll_members": chosen["val_nll_members"], "val_nll_ensemble": chosen["val_nll_ensemble"],
           "by_tta": by_tta, "seconds": round(time.time() - t0, 1)}
    if args.write:
        path = model_dir() / ENSEMBLE_FILENAME
        single = args.members == [MODEL_FILENAME] and args.tta == DEFAULT_TTA
        if single and path.exists():
            path.unlink()
        elif not single:
            path.write_text(json.dumps({**res, "command": "python -m ml.face.ensemble " + " ".join(
                args.members) + f" --tta {args.tta} --write"}, indent=2) + "\n")
        res["written"] = None if single else str(path)
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
