"""Train the facial-expression CNN on FER2013 Training (resumable).

    python -m ml.face.train --epochs 40 --out runs/face/run1            # new run
    python -m ml.face.train --epochs 60 --out runs/face/run1 --resume   # continue it
    python -m ml.face.train --out runs/face/run1 --export-only           # best -> data/models/face
    python -m ml.face.train --max-samples 64 --epochs 1 --out /tmp/x     # smoke test

Every epoch writes OUT/last.keras (model + optimizer state), OUT/state.json
(epochs done, best validation accuracy, arguments) and, when validation accuracy
improves, OUT/best.weights.h5.  OUT/log.csv has one row per epoch.
The validation part is a seeded stratified slice of Training; PublicTest is never
used here (it is the report split, see ``python -m ml.face.evaluate --fer-publictest``).
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

from ml.face import cpu_has_bf16


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m ml.face.train", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=40, help="total epochs of the run (schedule length)")
    p.add_argument("--out", required=True, help="run directory (checkpoints, logs)")
    p.add_argument("--resume", action="store_true", help="continue from OUT/last.keras")
    p.add_argument("--max-samples", type=int, default=0, help="smoke mode: use only K training rows")
    p.add_argument("--variant", default=None, help="architecture variant (ml.face.model.VARIANTS)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--weight-decay", type=float, default=0.02, help="AdamW decoupled weight decay")
    p.add_argument("--warmup", type=int, default=2, help="linear warm-up epochs")
    p.add_argument("--val-fraction", type=float, default=0.07)
    p.add_argument("--ferplus-weight", type=float, default=0.25,
                   help="weight of FER+ vote distribution in the soft target (<0.5 keeps FER2013 argmax)")
    p.add_argument("--label-smoothing", type=float, default=0.05)
    p.add_argument("--aug-scale", type=float, default=1.0,
                   help="augmentation strength (1 = default; may be changed on --resume, e.g. 0.5 to fine-tune)")
    p.add_argument("--seed", type=int, default=1234, help="seed of the validation split (and of the run)")
    p.add_argument("--init-seed", type=int, default=None,
                   help="seed of weights and shuffling when it should differ from --seed "
                        "(e.g. another network validated on the same split)")
    p.add_argument("--precision", choices=("auto", "float32", "mixed_bfloat16"), default="auto")
    p.add_argument("--time-limit", type=float, default=0.0,
                   help="minutes; stop after the epoch that would overrun (0 = none)")
    p.add_argument("--stop-at", type=int, default=0,
                   help="stop once this many epochs are done (the schedule stays --epochs long; "
                        "continue with --resume, e.g. with a lower --aug-scale)")
    p.add_argument("--export", action="store_true", help="export best weights to data/models/face at the end")
    p.add_argument("--export-only", action="store_true", help="only export OUT's best weights")
    p.add_argument("--export-as", default=None,
                   help="file name under data/models/face for the export (default: the shipped file named "
                        "in data/models/face/model.json, which is then replaced)")
    p.add_argument("--data", default=None, help="path to fer2013_dev.npz (default: ml.SHARED_DATA)")
    return p.parse_args(argv)


def lr_at(epoch: int, args_like: dict) -> float:
    """Warm-up then cosine decay to 1% of the peak, by epoch index (0-based)."""
    base, total, warm = args_like["lr"], max(1, args_like["epochs"]), args_like["warmup"]
    if epoch < warm:
        return base * (epoch + 1) / (warm + 1)
    t = (epoch - warm) / max(1, total - warm)
    return base * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * min(1.0, t))))


def _run_seed(args) -> int:
    return args.seed if args.init_seed is None else args.init_seed


def prepare_data(args):
    from ml.face import features as F
    data = F.load_fer(args.data)
    is_train = data["usage"] == "Training"
    idx_all = np.flatnonzero(is_train)
    tr_rel, va_rel = F.stratified_split(data["emotion"][idx_all], args.val_fraction, args.seed)
    tr, va = idx_all[tr_rel], idx_all[va_rel]
    bad = F.doubtful_mask(data)
    n_drop = int(bad[tr].sum())
    tr = tr[~bad[tr]]
    if args.max_samples:
        rng = np.random.default_rng(args.seed)
        tr = np.sort(rng.choice(tr, min(args.max_samples, len(tr)), replace=False))
        va = np.sort(rng.choice(va, min(max(16, args.max_samples // 4), len(va)), replace=False))
    x_tr = data["pixels"][tr][..., None]
    y_tr = F.make_targets(data["emotion"][tr], data["ferplus_votes"][tr], args.ferplus_weight,
                          args.label_smoothing)
    x_va = data["pixels"][va][..., None]
    y_va = F.make_targets(data["emotion"][va], None, 0.0)
    info = {"n_train": int(len(tr)), "n_val": int(len(va)), "n_dropped_doubtful": n_drop}
    return x_tr, y_tr, x_va, y_va, info


def export_best(out_dir: Path, dest: Path | str | None = None, variant: str | None = None) -> Path:
    """Rebuild the network in float32, load OUT/best.weights.h5, save a compact .keras and its
    ONNX graph (``ml.face.export``)."""
    from ml.face import model_dir, model_path, training_info_path
    from ml.face.model import build_model_in, DEFAULT_VARIANT
    state = json.loads((out_dir / "state.json").read_text())
    variant = variant or state["args"].get("variant") or DEFAULT_VARIANT
    model = build_model_in("float32", variant)
    model.load_weights(out_dir / "best.weights.h5")
    dest = Path(dest) if dest else model_path()
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.stem + ".tmp.keras")
    model.save(tmp)
    os.replace(tmp, dest)
    from ml.face.export import export  # the graph the job worker runs (onnxruntime), beside the network
    export(dest)
    info = {"variant": variant, "params": int(model.count_params()),
            "best_val_accuracy": state["best_val"], "best_epoch": state["best_epoch"],
            "epochs_done": state["epoch"], "run_dir": str(out_dir),
            "train_args": state.get("args", {}), "data": state.get("data", {}),
            "schedule_changes": state.get("schedule_changes", [])}
    info_path = (training_info_path(dest.name) if dest.parent.resolve() == model_dir().resolve()
                 else dest.with_name(dest.stem + ".training_info.json"))
    info_path.write_text(json.dumps(info, indent=2) + "\n")
    print(f"exported {dest} ({dest.stat().st_size/1e6:.2f} MB) from {out_dir} "
          f"best epoch {state['best_epoch']} val {state['best_val']:.4f}")
    return dest


def _export_dest(args):
    if not args.export_as:
        return None
    from ml.face import model_dir
    return model_dir() / Path(args.export_as).name


def main(argv=None) -> int:
    args = parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.export_only:
        export_best(out, dest=_export_dest(args), variant=args.variant)
        return 0

    from ml.face.model import dtype_policy

    state_path = out / "state.json"
    last_path = out / "last.keras"
    precision = args.precision
    if precision == "auto" and args.resume and state_path.exists():
        precision = json.loads(state_path.read_text())["args"].get("precision", "auto")
    if precision == "auto":
        precision = "mixed_bfloat16" if cpu_has_bf16() else "float32"
    with dtype_policy(precision):
        return _train(args, out, precision)


def _train(args, out: Path, precision: str) -> int:
    import tensorflow as tf
    import keras
    from ml.face.model import build_model, augment_batch, DEFAULT_VARIANT

    state_path = out / "state.json"
    last_path = out / "last.keras"

    if args.resume and last_path.exists():
        state = json.loads(state_path.read_text())
        # the schedule length may be extended on resume; everything else comes from the run
        saved = state["args"]
        for k in ("variant", "batch_size", "lr", "weight_decay", "warmup", "val_fraction",
                  "ferplus_weight", "label_smoothing", "seed", "max_samples"):
            setattr(args, k, saved[k])
        args.init_seed = saved.get("init_seed")
        model = keras.models.load_model(last_path)
        start_epoch = state["epoch"]
        if saved["epochs"] != args.epochs:
            state.setdefault("schedule_changes", []).append(
                {"at_epoch": start_epoch, "from": saved["epochs"], "to": args.epochs})
        if saved.get("aug_scale", 1.0) != args.aug_scale:
            state.setdefault("schedule_changes", []).append(
                {"at_epoch": start_epoch, "aug_scale_from": saved.get("aug_scale", 1.0),
                 "aug_scale_to": args.aug_scale})
        print(f"resuming {out} at epoch {start_epoch} (best val {state['best_val']:.4f} "
              f"@ {state['best_epoch']}), schedule {args.epochs} epochs", flush=True)
    else:
        if args.resume:
            print(f"no checkpoint in {out}; starting a new run", flush=True)
        args.variant = args.variant or DEFAULT_VARIANT
        state = {"epoch": 0, "best_val": -1.0, "best_epoch": -1}
        keras.utils.set_random_seed(_run_seed(args))
        model = build_model(args.variant)
        opt = keras.optimizers.AdamW(learning_rate=args.lr, weight_decay=args.weight_decay)
        opt.exclude_from_weight_decay(var_names=["bn", "bias"])
        model.compile(optimizer=opt, loss=keras.losses.CategoricalCrossentropy(),
                      metrics=[keras.metrics.CategoricalAccuracy(name="accuracy")])
        start_epoch = 0
    state["args"] = {k: v for k, v in vars(args).items() if k not in ("resume", "export_only", "stop_at")}
    state["args"]["precision"] = precision

    x_tr, y_tr, x_va, y_va, info = prepare_data(args)
    state["data"] = info
    print(f"variant={args.variant} params={model.count_params()} precision={precision} {info}", flush=True)
    if start_epoch >= args.epochs:
        print("nothing to do: run already has", start_epoch, "epochs")
        return 0

    tf.random.set_seed(_run_seed(args) + start_epoch)
    ds_tr = (tf.data.Dataset.from_tensor_slices((x_tr, y_tr))
             .shuffle(len(x_tr), seed=_run_seed(args) + start_epoch, reshuffle_each_iteration=True)
             .batch(args.batch_size, drop_remainder=len(x_tr) >= args.batch_size)
             .map(lambda x, y: augment_batch(tf.cast(x, tf.float32), y, strength=args.aug_scale),
                  num_parallel_calls=1, deterministic=True)
             .prefetch(2))
    ds_va = (tf.data.Dataset.from_tensor_slices((x_va, y_va)).batch(256)
             .map(lambda x, y: (tf.cast(x, tf.float32), y)).prefetch(1))

    log_path = out / "log.csv"
    fields = ["epoch", "lr", "loss", "accuracy", "val_loss", "val_accuracy", "seconds", "best"]
    sched = {"lr": args.lr, "epochs": args.epochs, "warmup": args.warmup}
    t_run = time.time()
    durations = []

    class Ckpt(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t0 = time.time()
            self.model.optimizer.learning_rate.assign(lr_at(epoch, sched))

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            dt = time.time() - self.t0
            durations.append(dt)
            val = float(logs.get("val_accuracy", 0.0))
            improved = val > state["best_val"]
            if improved:
                state["best_val"], state["best_epoch"] = val, epoch + 1
                self.model.save_weights(out / "best.tmp.weights.h5")
                os.replace(out / "best.tmp.weights.h5", out / "best.weights.h5")
            state["epoch"] = epoch + 1
            self.model.save(out / "last.tmp.keras")
            os.replace(out / "last.tmp.keras", last_path)
            state_path.write_text(json.dumps(state, indent=2) + "\n")
            new = not log_path.exists()
            with open(log_path, "a", newline="") as f:
                w = csv.DictWriter(f, fieldnames=fields)
                if new:
                    w.writeheader()
                w.writerow({"epoch": epoch + 1, "lr": f"{lr_at(epoch, sched):.6g}",
                            "loss": f"{logs.get('loss', float('nan')):.4f}",
                            "accuracy": f"{logs.get('accuracy', float('nan')):.4f}",
                            "val_loss": f"{logs.get('val_loss', float('nan')):.4f}",
                            "val_accuracy": f"{val:.4f}", "seconds": f"{dt:.1f}",
                            "best": int(improved)})
            print(f"epoch {epoch + 1}/{args.epochs} loss {logs.get('loss', 0):.4f} "
                  f"acc {logs.get('accuracy', 0):.4f} val_acc {val:.4f} "
                  f"{'*' if improved else ' '} {dt:.0f}s", flush=True)
            if args.time_limit:
                elapsed = time.time() - t_run
                if elapsed + np.mean(durations[-3:]) > args.time_limit * 60:
                    print(f"time limit {args.time_limit} min reached; stopping (resume with --resume)",
                          flush=True)
                    self.model.stop_training = True

    end_epoch = min(args.epochs, args.stop_at) if args.stop_at > start_epoch else args.epochs
    model.fit(ds_tr, validation_data=ds_va, epochs=end_epoch, initial_epoch=start_epoch,
              callbacks=[Ckpt()], verbose=0)
    print(f"done: epochs {state['epoch']} best val {state['best_val']:.4f} @ {state['best_epoch']}",
          flush=True)
    if args.export:
        export_best(out, dest=_export_dest(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
