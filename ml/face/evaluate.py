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
The last stdout line is one JSON object.
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


def compute_metrics(y_true: np.ndarray, probs: np.ndarray, valid: np.ndarray | None = None) -> dict:
    """Metrics dict; rows with ``valid == False`` (no face found) count as wrong."""
    y_true = np.asarray(y_true, dtype=int)
    n = len(y_true)
    valid = np.ones(n, bool) if valid is None else np.asarray(valid, bool)
    pred = np.full(n, -1)
    if valid.any():
        pred[valid] = probs[valid].argmax(1)
    present = sorted(set(y_true.tolist()))
    pred_present = np.full(n, -1)
    if valid.any():
        masked = np.full_like(probs[valid], -np.inf)
        masked[:, present] = probs[valid][:, present]
        pred_present[valid] = masked.argmax(1)
    cm = np.zeros((NUM_CLASSES, NUM_CLASSES), int)
    for t, p in zip(y_true, pred):
        if p >= 0:
            cm[t, p] += 1
    per_class, f1s = {}, []
    for k, name in enumerate(CLASS_NAMES):
        support = int((y_true == k).sum())
        tp = int(((pred == k) & (y_true == k)).sum())
        n_pred = int((pred == k).sum())
        prec = tp / n_pred if n_pred else 0.0
        rec = tp / support if support else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        if support:
            f1s.append(f1)
            per_class[name] = {"support": support, "accuracy": round(rec, 4), "precision": round(prec, 4),
                               "recall": round(rec, 4), "f1": round(f1, 4)}
    return {
        "n": int(n),
        "accuracy": round(float((pred == y_true).mean()) if n else 0.0, 4),
        "accuracy_present": round(float((pred_present == y_true).mean()) if n else 0.0, 4),
        "macro_f1": round(float(np.mean(f1s)) if f1s else 0.0, 4),
        "per_class": per_class,
        "faces_missed": int((~valid).sum()),
        "classes_present": [CLASS_NAMES[k] for k in present],
        "confusion_matrix": cm.tolist(),
    }


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
    p.add_argument("--model", help="path to one .keras model (default: the shipped model or ensemble)")
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
    from ml.face import inference_precision, shipped_model
    tta = "none" if args.no_tta else (args.tta or shipped_model(args.model)[1])
    probs = (predict(x, tta=tta, model_file=args.model)
             if len(x) else np.zeros((0, NUM_CLASSES), np.float32))
    metrics = compute_metrics(y, probs, found)
    metrics.update(extra)
    metrics.update({"data": source, "detect_faces": bool(args.detect_faces), "tta": tta,
                    "precision": inference_precision(),
                    "seconds": round(time.time() - t0, 2)})
    if args.fer_publictest and args.write_metrics:
        write_metrics_json(metrics, args)
    print(json.dumps(metrics))
    return 0


def write_metrics_json(metrics: dict, args) -> Path:
    from ml.face import model_dir, shipped_model, training_info
    members = [p.name for p in shipped_model(args.model)[0]]
    infos = []
    for name in members:
        info = training_info(name)
        infos.append({"file": name, "architecture": info.get("variant"), "params": info.get("params"),
                      "epochs": info.get("epochs_done"), "best_epoch": info.get("best_epoch"),
                      "val_accuracy": info.get("best_val_accuracy")})
    cmd = "python -m ml.face.evaluate --fer-publictest" + (
        " --no-tta" if args.no_tta else f" --tta {args.tta}" if args.tta else "") + (
        f" --model {args.model}" if args.model else "")
    out = {
        "model": " + ".join(members),
        "architecture": " + ".join(str(i["architecture"]) for i in infos),
        "params": sum(i["params"] or 0 for i in infos) or None,
        "members": infos,
        "eval_split": "FER2013 PublicTest",
        "n": metrics["n"],
        "accuracy": metrics["accuracy"],
        "macro_f1": metrics["macro_f1"],
        "per_class": {k: v["accuracy"] for k, v in metrics["per_class"].items()},
        "per_class_detail": metrics["per_class"],
        "confusion_matrix": metrics["confusion_matrix"],
        "class_names": list(CLASS_NAMES),
        "tta": metrics["tta"],
        "precision": metrics["precision"],
        "command": cmd,
        "epochs": infos[0]["epochs"],
        "best_epoch": infos[0]["best_epoch"],
        "val_accuracy": infos[0]["val_accuracy"],
        "date": "2026-11-22",
    }
    path = model_dir() / "metrics.json"
    path.write_text(json.dumps(out, indent=2) + "\n")
    return path


if __name__ == "__main__":
    sys.exit(main())
