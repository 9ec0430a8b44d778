"""Choose the shipped face model: one network or the average of several.

    python -m ml.face.ensemble face_cnn.keras face_cnn_s.keras          # compare on validation
    python -m ml.face.ensemble face_cnn.keras face_cnn_s.keras --write  # ... and ship the ensemble
    python -m ml.face.ensemble face_cnn.keras --write                   # back to a single model

Members are files under data/models/face (exported with ``python -m ml.face.train
... --export-as NAME``).  Every member and their average are scored on the
*validation* slice of FER2013 Training that all members held out (the same seeded
split, read from their training_info); PublicTest is not looked at, so it stays an
unbiased report split (``python -m ml.face.evaluate --fer-publictest``).
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


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m ml.face.ensemble", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("members", nargs="+", help="member file names under data/models/face")
    p.add_argument("--no-tta", action="store_true", help="without the test-time flip")
    p.add_argument("--write", action="store_true", help=f"write data/models/face/{ENSEMBLE_FILENAME}")
    args = p.parse_args(argv)
    if args.members[0] != MODEL_FILENAME:
        p.error(f"the first member must be {MODEL_FILENAME} (its presence marks the model as installed)")
    for name in args.members:
        if not (model_dir() / name).exists():
            p.error(f"not found: {model_dir() / name}")

    from ml.face.predict import predict
    x, y, split = validation_slice(args.members)
    tta = not args.no_tta
    t0 = time.time()
    probs = {name: predict(x, tta_flip=tta, model_file=model_dir() / name) for name in args.members}
    acc = {name: round(float((pr.argmax(1) == y).mean()), 4) for name, pr in probs.items()}
    mean = np.mean(list(probs.values()), axis=0)
    res = {"members": args.members, "tta_flip": tta, "precision": inference_precision(), "n_val": int(len(y)), "split": split,
           "val_accuracy_members": acc,
           "val_accuracy_ensemble": round(float((mean.argmax(1) == y).mean()), 4),
           "seconds": round(time.time() - t0, 1)}
    if args.write:
        path = model_dir() / ENSEMBLE_FILENAME
        if len(args.members) == 1 and path.exists():
            path.unlink()
        elif len(args.members) > 1:
            path.write_text(json.dumps({**res, "command": "python -m ml.face.ensemble " + " ".join(
                args.members) + (" --no-tta" if args.no_tta else "") + " --write"}, indent=2) + "\n")
        res["written"] = str(path) if len(args.members) > 1 else None
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
