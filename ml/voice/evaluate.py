"""Evaluate the voice model on a folder of labelled recordings.

    python -m ml.evaluate voice DIR [--model-dir data/models/voice]

DIR holds one sub-folder per class, named after ``ml.voice.CLASS_NAMES``
(neutral, calm, happy, sad, angry, fearful, disgust, surprised); folders with
other names are skipped (and listed). Files may be in any common audio format
and sample rate. The last stdout line is a JSON object in the ``ml.metrics`` schema
(``n``, ``accuracy`` = argmax over all 8 classes, ``macro_f1`` over the classes present,
``per_class``, ``confusion_matrix``, ``baseline``, ...) plus ``accuracy_present`` (argmax
restricted to the classes present in DIR), ``skipped_dirs`` and ``n_failed``.

The model card's speaker-independent number (actor-grouped 5-fold CV on RAVDESS)
is reproduced by ``python -m ml.voice.train --cv``.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from ml.voice import CLASS_NAMES, MODEL_DIR

AUDIO_EXT = {".wav", ".flac", ".ogg", ".oga", ".opus", ".webm", ".mp3", ".m4a", ".mp4", ".aac", ".mka", ".aiff", ".aif"}


def collect(root: Path):
    items, skipped = [], []
    for sub in sorted(p for p in root.iterdir() if p.is_dir()):
        if sub.name.lower() not in CLASS_NAMES:
            skipped.append(sub.name)
            continue
        label = CLASS_NAMES.index(sub.name.lower())
        for f in sorted(sub.rglob("*")):
            if f.is_file() and f.suffix.lower() in AUDIO_EXT:
                items.append((f, label))
    return items, skipped


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ml.evaluate voice", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir", type=Path)
    ap.add_argument("--model-dir", type=Path, default=None)
    args = ap.parse_args(argv)
    if not args.dir.is_dir():
        print(f"not a directory: {args.dir}", file=sys.stderr)
        return 2
    items, skipped = collect(args.dir)
    for s in skipped:
        print(f"skipping folder {s!r}: not a class name", file=sys.stderr)
    if not items:
        print(json.dumps({"n": 0, "accuracy": None, "accuracy_present": None, "macro_f1": None,
                          "per_class": {}, "skipped_dirs": skipped, "error": "no audio files found"}))
        return 1

    from ml.voice.audio import AudioDecodeError, load_audio
    from ml.voice.predict import predict

    probs, labels, failed = [], [], []
    for path, label in items:
        try:
            wave = load_audio(path)
        except AudioDecodeError as exc:
            print(f"cannot decode {path}: {exc}", file=sys.stderr)
            failed.append(str(path))
            continue
        probs.append(predict([wave], 16000, model_dir=args.model_dir).values[0])
        labels.append(label)
    if not labels:
        print(json.dumps({"n": 0, "accuracy": None, "accuracy_present": None, "macro_f1": None,
                          "per_class": {}, "skipped_dirs": skipped, "failed": failed}))
        return 1
    print(json.dumps(report(np.array(labels), np.array(probs), args, skipped, failed)))
    return 0


def model_name(cfg: dict) -> str:
    """The voice model in words, from its config.json."""
    arch = cfg.get("model_cfg", {}).get("arch", "?")
    return f"Whisper tiny.en encoder (frozen, CTranslate2 int8) + Keras {arch} head"


def report(labels: np.ndarray, probs: np.ndarray, args, skipped=(), failed=()) -> dict:
    """The ``ml.metrics`` record of one run; the baseline uses the model's training class
    counts (config.json ``train_class_counts``) when recorded, else the evaluated set."""
    from ml.metrics import argmax_among, classification_report, metrics_record
    model_dir = args.model_dir or MODEL_DIR
    try:
        cfg = json.loads((model_dir / "config.json").read_text())
    except (OSError, ValueError):
        cfg = {}
    train_counts = cfg.get("train_class_counts")
    present = sorted(set(labels.tolist()))
    rep = classification_report(labels, probs.argmax(1), CLASS_NAMES, train_counts)
    return metrics_record(
        rep, model=model_name(cfg), kind="voice", dataset=str(args.dir),
        measured_on=f"{rep['n']:,} labelled recordings in {args.dir.name}",
        command=f"python -m ml.evaluate voice {args.dir}",
        accuracy_present=round(float((argmax_among(probs, present) == labels).mean()), 4),
        classes_present=[CLASS_NAMES[i] for i in present],
        skipped_dirs=list(skipped), n_failed=len(failed))


if __name__ == "__main__":
    sys.exit(main())
