"""Train the Big Five text model on essays_dev.csv.

    python -m ml.text.train [--epochs N] [--out DIR] [--seed S] [--max-essays K]

Trains on the ``train`` part of the fixed split (:func:`ml.text.features.dev_split`),
selects the epoch on the ``val`` part and never reads the 20% ``test`` part, which
``python -m ml.text.split --write FILE`` writes out for ``python -m ml.evaluate text FILE``.
Writes ``model.keras``, ``preprocess.json`` and ``train_log.json`` into ``--out``
(default: data/models/text).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

import numpy as np

from ml.text import ESSAYS_CSV, MODEL_DIR, TRAITS
from ml.text.features import DOC_FEATURE_NAMES, Preprocessor, dev_split, read_labelled_csv

MODEL_FILE = "model.keras"
PREPROCESS_FILE = "preprocess.json"


def set_seed(seed: int) -> None:
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    import keras
    keras.utils.set_random_seed(seed)


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m ml.text.train", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=40, help="maximum epochs (default 40)")
    p.add_argument("--out", type=Path, default=MODEL_DIR, help="output directory")
    p.add_argument("--seed", type=int, default=1, help="random seed for weights/shuffling")
    p.add_argument("--ensemble", type=int, default=1,
                   help="train K networks (seeds S..S+K-1) and save their average as one model")
    p.add_argument("--max-essays", type=int, default=None,
                   help="use only the first K training (and K//4 validation) essays: smoke runs")
    p.add_argument("--data", type=Path, default=ESSAYS_CSV, help="essays CSV (default: shared essays_dev.csv)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--patience", type=int, default=8, help="early-stopping patience in epochs")
    p.add_argument("--maxlen", type=int, default=800, help="tokens kept per essay")
    p.add_argument("--max-vocab", type=int, default=20000)
    p.add_argument("--bow-size", type=int, default=3000)
    p.add_argument("--config", type=str, default="{}", help="JSON overrides of model.DEFAULT_CONFIG")
    p.add_argument("--threads", type=int, default=2, help="TensorFlow CPU threads")
    p.add_argument("--quiet", action="store_true")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    t0 = time.time()
    from ml.runtime import quiet_tensorflow_logs
    quiet_tensorflow_logs()
    import tensorflow as tf
    try:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    except RuntimeError:  # TensorFlow already initialised in this process (tests, notebooks)
        pass
    set_seed(args.seed)
    import keras
    from ml.text.model import DEFAULT_CONFIG, build_model, combine

    ids, texts, labels = read_labelled_csv(args.data)
    split = dev_split(ids)
    tr, va = split["train"], split["val"]
    if args.max_essays:
        tr, va = tr[: args.max_essays], va[: max(args.max_essays // 4, 2)]
    pre = Preprocessor.fit([texts[i] for i in tr], max_vocab=args.max_vocab,
                           maxlen=args.maxlen, bow_size=args.bow_size)
    x_tr = pre.transform([texts[i] for i in tr])
    x_va = pre.transform([texts[i] for i in va])
    y_tr, y_va = labels[tr], labels[va]
    config = dict(DEFAULT_CONFIG, **json.loads(args.config))
    log = print if not args.quiet else (lambda *a, **k: None)
    members, histories = [], []
    for k in range(max(args.ensemble, 1)):
        set_seed(args.seed + k)
        model = build_model(len(pre.vocab), pre.maxlen, len(DOC_FEATURE_NAMES), pre.bow_size, config)
        log(f"member {k + 1}/{args.ensemble} seed {args.seed + k}: train {len(tr)} essays, "
            f"val {len(va)}, vocab {len(pre.vocab)}, params {model.count_params()}", flush=True)
        stop = keras.callbacks.EarlyStopping(monitor="val_acc", mode="max",
                                             patience=args.patience, restore_best_weights=True)
        hist = model.fit(x_tr, y_tr, validation_data=(x_va, y_va), epochs=args.epochs,
                         batch_size=args.batch_size, shuffle=True, callbacks=[stop],
                         verbose=0 if args.quiet else 2)
        histories.append([round(float(v), 4) for v in hist.history.get("val_acc", [])])
        members.append(model)
        if len(members) > 1:
            p_va = np.mean([m.predict(x_va, verbose=0) for m in members], 0)
            log(f"ensemble of {len(members)}: val mean accuracy "
                f"{((p_va >= 0.5) == (y_va >= 0.5)).mean():.4f}", flush=True)

    model = combine(members, pre.maxlen, len(DOC_FEATURE_NAMES), pre.bow_size)
    p_va = model.predict(x_va, verbose=0)
    val_acc = ((p_va >= 0.5) == (y_va >= 0.5)).mean(0)
    args.out.mkdir(parents=True, exist_ok=True)
    model.save(args.out / MODEL_FILE)
    pre.save(args.out / PREPROCESS_FILE)
    info = {
        "command": "python -m ml.text.train " + " ".join(sys.argv[1:] if argv is None else argv),
        "seed": args.seed,
        "n_train": int(len(tr)), "n_val": int(len(va)),
        "ensemble": len(members),
        "best_epochs": [int(np.argmax(h)) + 1 if h else 0 for h in histories],
        "val_acc_history": histories,
        "val_per_trait": {t: round(float(a), 4) for t, a in zip(TRAITS, val_acc)},
        "val_mean_accuracy": round(float(val_acc.mean()), 4),
        "config": config, "maxlen": pre.maxlen, "bow_size": pre.bow_size,
        "vocab_size": len(pre.vocab), "params": int(model.count_params()),
        "train_seconds": round(time.time() - t0, 1),
    }
    (args.out / "train_log.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    log(json.dumps({k: info[k] for k in ("val_per_trait", "val_mean_accuracy", "best_epochs",
                                          "train_seconds")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
