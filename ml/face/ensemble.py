"""Choose the shipped face model: one network or the average of several.

    python -m ml.face.ensemble face_cnn_b.keras face_cnn_c.keras          # compare on validation
    python -m ml.face.ensemble face_cnn_b.keras face_cnn_c.keras --write  # ... and ship the ensemble
    python -m ml.face.ensemble face_cnn.keras --write                     # back to the single model

Members are files under data/models/face (exported with ``python -m ml.face.train
... --export-as NAME``).  Every member and their average are scored on the
*validation* slice of FER2013 Training that all members held out (the same seeded
split, read from their training_info) by accuracy and by negative log-likelihood
(NLL, a proper score that separates candidates whose accuracies differ by a few of
the ~2,000 images); PublicTest is not looked at, so it stays an unbiased report
split (``python -m ml.face.evaluate --fer-publictest``).  ``face_cnn.keras`` (the
single model used without ensemble.json) must be present, but need not be a member.
``--write`` records the members in data/models/face/ensemble.json, which
``ml.face.predict`` reads.  The last stdout line is one JSON object.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from ml.face import (ENSEMBLE_FILENAME, MODEL_FILENAME, inference_precision, model_dir, training_info,
                     training_info_path)


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
    p.add_argument("--no-tta", action="store_true", help="without the test-time flip")
    p.add_argument("--write", action="store_true", help=f"write data/models/face/{ENSEMBLE_FILENAME}")
    args = p.parse_args(argv)
    if not (model_dir() / MODEL_FILENAME).exists():
        p.error(f"{model_dir() / MODEL_FILENAME} is missing (the single model, used without {ENSEMBLE_FILENAME})")
    if len(set(args.members)) != len(args.members):
        p.error("a member is listed twice")
    for name in args.members:
        if not (model_dir() / name).exists():
            p.error(f"not found: {model_dir() / name}")

    from ml.face.predict import predict
    x, y, split = validation_slice(args.members)
    tta = not args.no_tta
    t0 = time.time()
    probs = {name: predict(x, tta_flip=tta, model_file=model_dir() / name) for name in args.members}
    acc = {name: round(float((pr.argmax(1) == y).mean()), 4) for name, pr in probs.items()}
    nll = {name: _nll(pr, y) for name, pr in probs.items()}
    mean = np.mean(list(probs.values()), axis=0)
    res = {"members": args.members, "tta_flip": tta, "precision": inference_precision(), "n_val": int(len(y)), "split": split,
           "val_accuracy_members": acc,
           "val_accuracy_ensemble": round(float((mean.argmax(1) == y).mean()), 4),
           "val_nll_members": nll, "val_nll_ensemble": _nll(mean, y),
           "seconds": round(time.time() - t0, 1)}
    if args.write:
        path = model_dir() / ENSEMBLE_FILENAME
        single = args.members == [MODEL_FILENAME] and not args.no_tta
        if single and path.exists():
            path.unlink()
        elif not single:
            path.write_text(json.dumps({**res, "command": "python -m ml.face.ensemble " + " ".join(
                args.members) + (" --no-tta" if args.no_tta else "") + " --write"}, indent=2) + "\n")
        res["written"] = None if single else str(path)
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
