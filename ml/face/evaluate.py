"""Evaluate the face model.

    python -m ml.evaluate face DIR [--detect-faces] [--no-tta | --tta MODE]
    python -m ml.face.evaluate DIR [--detect-faces]
    python -m ml.face.evaluate --fer-publictest [--write-metrics] [--export-dir DIR]

DIR holds one sub-folder per class, named like ``ml.face.CLASS_NAMES`` (other
folders are skipped), with images of any size/format OpenCV reads.  Without
``--detect-faces`` each image is taken as a face crop (gray, resized to 48x48);
with it the largest Haar-cascade face is cropped first and images without a face
count as wrong (``faces_missed``).

``--fer-publictest`` evaluates on the PublicTest split of the shared FER2013 npz
(the number in data/models/face/MODEL_CARD.md); ``--write-metrics`` also writes
data/models/face/metrics.json, ``--export-dir`` writes that split as a class-folder DIR.
The last stdout line is one JSON object in the ``ml.metrics`` schema (plus ``accuracy_present``,
``faces_missed``, ``classes_present``, ``seconds``); the baseline is the FER2013 Training
majority class with ``--fer-publictest``, the evaluated set's otherwise.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from ml.face import CLASS_NAMES, NUM_CLASSES, TTA_MODES

IMAGE_EXTS = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm", ".pbm",
              ".jp2", ".sr", ".ras", ".gif"}


def compute_metrics(y_true: np.ndarray, probs: np.ndarray, valid: np.ndarray | None = None,
                    train_counts=None) -> dict:
    """The ``ml.metrics`` report; rows with ``valid == False`` (no face found) count as wrong.
    Also ``accuracy_present`` (arg-max over the classes present in ``y_true`` only)."""
    from ml.metrics import argmax_among, classification_report
    y_true = np.asarray(y_true, dtype=int)
    n = len(y_true)
    valid = np.ones(n, bool) if valid is None else np.asarray(valid, bool)
    pred = np.full(n, -1)
    pred_present = np.full(n, -1)
    present = sorted(set(y_true.tolist()))
    if valid.any():
        pred[valid] = probs[valid].argmax(1)
        pred_present[valid] = argmax_among(probs[valid], present)
    out = classification_report(y_true, pred, CLASS_NAMES, train_counts)
    out["accuracy_present"] = round(float((pred_present == y_true).mean()) if n else 0.0, 4)
    out["faces_missed"] = int((~valid).sum())
    out["classes_present"] = [CLASS_NAMES[k] for k in present]
    return out


def load_class_dir(root: Path, detect: bool):
    """Read DIR/<class>/<image> -> (crops uint8 [N,48,48], labels, found mask, skipped folders)."""
    import cv2
    from ml.face.features import image_to_crop
    crops, labels, found, skipped, unreadable = [], [], [], [], 0
    for sub in sorted(p for p in root.iterdir() if p.is_dir()):
        name = sub.name.lower()
        if name not in CLASS_NAMES:
            skipped.append(sub.name)
            continue
        k = CLASS_NAMES.index(name)
        for f in sorted(sub.rglob("*")):
            if not f.is_file() or f.suffix.lower() not in IMAGE_EXTS:
                continue
            img = cv2.imread(str(f), cv2.IMREAD_UNCHANGED)
            if img is None:
                unreadable += 1
                continue
            if img.dtype != np.uint8:
                img = cv2.normalize(img, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
            crop = None
            if detect:
                from ml.face.detect import largest_face_crop
                crop = largest_face_crop(img)
                ok = crop is not None
                crop = crop if ok else np.zeros((48, 48), np.uint8)
            else:
                crop, ok = image_to_crop(img), True
            crops.append(crop)
            labels.append(k)
            found.append(ok)
    x = np.stack(crops) if crops else np.zeros((0, 48, 48), np.uint8)
    return x, np.array(labels, int), np.array(found, bool), skipped, unreadable


def fer_publictest():
    from ml.face.features import load_fer
    d = load_fer()
    m = d["usage"] == "PublicTest"
    return d["pixels"][m], d["emotion"][m].astype(int)


def fer_training_counts() -> list[int]:
    """Faces per class in FER2013 Training (for the majority-class baseline)."""
    from ml.face.features import load_fer
    d = load_fer()
    return np.bincount(d["emotion"][d["usage"] == "Training"].astype(int), minlength=NUM_CLASSES).tolist()


def export_class_dir(x: np.ndarray, y: np.ndarray, dest: Path) -> Path:
    import cv2
    for k, name in enumerate(CLASS_NAMES):
        (dest / name).mkdir(parents=True, exist_ok=True)
    for i, (img, k) in enumerate(zip(x, y)):
        cv2.imwrite(str(dest / CLASS_NAMES[k] / f"{i:05d}.png"), img)
    return dest


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m ml.evaluate face", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dir", nargs="?", help="class-folder directory")
    p.add_argument("--detect-faces", action="store_true", help="detect and crop the largest face first")
    p.add_argument("--fer-publictest", action="store_true", help="evaluate on FER2013 PublicTest (npz)")
    p.add_argument("--export-dir", help="with --fer-publictest: also write the split as a class-folder DIR")
    p.add_argument("--write-metrics", action="store_true",
                   help="with --fer-publictest: write data/models/face/metrics.json")
    p.add_argument("--tta", choices=sorted(TTA_MODES), default=None,
                   help="test-time augmentation (default: as shipped, see ml.face.TTA_MODES)")
    p.add_argument("--no-tta", action="store_true", help="same as --tta none")
    p.add_argument("--model", help="path to a .keras model (default: the shipped one, data/models/face/model.json)")
    p.add_argument("--no-offsets", action="store_true",
                   help="without the shipped class offsets (model.json class_offsets, see ml.face.offsets)")
    args = p.parse_args(argv)
    if not args.dir and not args.fer_publictest:
        p.error("give DIR or --fer-publictest")

    from ml.face.predict import predict
    t0 = time.time()
    extra = {}
    if args.fer_publictest:
        x, y = fer_publictest()
        found = np.ones(len(y), bool)
        if args.export_dir:
            export_class_dir(x, y, Path(args.export_dir))
            print(f"wrote PublicTest as class folders to {args.export_dir}", file=sys.stderr)
        source = "FER2013 PublicTest"
    else:
        root = Path(args.dir)
        if not root.is_dir():
            print(f"not a directory: {root}", file=sys.stderr)
            return 2
        x, y, found, skipped, unreadable = load_class_dir(root, args.detect_faces)
        extra = {"skipped_folders": skipped, "unreadable": unreadable}
        source = str(root)
    from ml.face import model_path, shipped
    tta = "none" if args.no_tta else (args.tta or shipped()["tta"])
    from ml.face import CLASS_NAMES
    from ml.face.predict import adjust, graph_precision, resolve_offsets
    offsets = resolve_offsets(False if args.no_offsets else None, args.model)
    raw = predict(x, tta=tta, model_file=args.model, offsets=False).values
    probs = adjust(raw, offsets)
    from ml.metrics import metrics_record
    report = compute_metrics(y, probs, found, fer_training_counts() if args.fer_publictest else None)
    members = [Path(args.model).name if args.model else model_path().name]
    if args.fer_publictest:
        measured_on = (f"FER2013 PublicTest: {report['n']:,} faces that were not used in training "
                       "or to choose the model")
    else:
        measured_on = f"{report['n']:,} labelled images in {root.name}" + (
            " (faces detected first)" if args.detect_faces else "")
    metrics = metrics_record(report, model=" + ".join(members), kind="face", dataset=source,
                             measured_on=measured_on, command=_command(args), detect_faces=bool(args.detect_faces),
                             tta=tta, precision=graph_precision(args.model), runtime="onnxruntime",
                             class_offsets={c: float(v) for c, v in zip(CLASS_NAMES, offsets) if v}, **extra)
    if offsets.any():  # the same views without the offsets, for the card's comparison
        plain = compute_metrics(y, raw, found, fer_training_counts() if args.fer_publictest else None)
        metrics["without_offsets"] = {"accuracy": plain["accuracy"], "macro_f1": plain["macro_f1"],
                                      "recall": {c: r["recall"] for c, r in plain["per_class"].items()}}
    metrics["seconds"] = round(time.time() - t0, 2)
    if args.fer_publictest and args.write_metrics:
        write_metrics_json(metrics, args)
    print(json.dumps(metrics))
    return 0


def _command(args) -> str:
    if not args.fer_publictest:
        return "python -m ml.evaluate face DIR" + (" --detect-faces" if args.detect_faces else "")
    return "python -m ml.face.evaluate --fer-publictest" + (
        " --no-tta" if args.no_tta else f" --tta {args.tta}" if args.tta else "") + (
        f" --model {args.model}" if args.model else "") + (
        " --no-offsets" if args.no_offsets else "")


def write_metrics_json(metrics: dict, args) -> Path:
    """data/models/face/metrics.json in the ``ml.metrics`` schema, with the members' training record."""
    from ml.face import model_dir, model_path, training_info
    from ml.metrics import write_metrics
    infos = []
    for p in [Path(args.model) if args.model else model_path()]:  # one network
        info = training_info(p.name)
        infos.append({"file": p.name, "architecture": info.get("variant"), "params": info.get("params"),
                      "epochs": info.get("epochs_done"), "best_epoch": info.get("best_epoch"),
                      "val_accuracy": info.get("best_val_accuracy")})
    out = {k: v for k, v in metrics.items() if k not in ("seconds", "skipped_folders", "unreadable")}
    out.update({"members": infos, "params": sum(i["params"] or 0 for i in infos) or None})
    return write_metrics(model_dir() / "metrics.json", out)


if __name__ == "__main__":
    sys.exit(main())
