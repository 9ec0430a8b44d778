"""Write data/models/face/MODEL_CARD.md from metrics.json, training_info.json,
throughput*.json and the run's log.csv, so the card's numbers match the files.

    python -m ml.face.evaluate --fer-publictest --write-metrics
    python -m bench.face_throughput --write
    python -m ml.face.card
"""
from __future__ import annotations

import csv
import json
import statistics
import sys
from pathlib import Path

from ml.face import CLASS_NAMES, model_dir, model_path


def _load(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def render(notes=()) -> str:
    d = model_dir()
    m = _load(d / "metrics.json")
    info = _load(d / "training_info.json")
    thr = _load(d / "throughput.json")
    thr_notta = _load(d / "throughput_no_tta.json")
    run_dir = Path(info.get("run_dir", ""))
    if not run_dir.is_absolute():
        run_dir = d.parents[2] / run_dir
    rows = []
    if (run_dir / "log.csv").exists():
        with open(run_dir / "log.csv") as f:
            rows = list(csv.DictReader(f))
    state = _load(run_dir / "state.json")
    if info.get("train_args"):  # snapshot taken at export time (the run may have moved on)
        state = {"args": info["train_args"], "data": info.get("data", {})}
    if info.get("epochs_done"):
        rows = [r for r in rows if int(r["epoch"]) <= int(info["epochs_done"])]
    epoch_s = statistics.median(float(r["seconds"]) for r in rows) if rows else None
    size_mb = model_path().stat().st_size / 1e6 if model_path().exists() else None
    args = state.get("args", {})
    total_epochs = args.get("epochs", "?")

    cm = m.get("confusion_matrix", [])
    cm_lines = ["| true \\ predicted | " + " | ".join(CLASS_NAMES) + " |",
                "|---|" + "---:|" * len(CLASS_NAMES)]
    for name, row in zip(CLASS_NAMES, cm):
        cm_lines.append(f"| **{name}** | " + " | ".join(str(v) for v in row) + " |")
    pc = m.get("per_class_detail", {})
    pc_lines = ["| class | support | accuracy (recall) | precision | F1 |", "|---|---:|---:|---:|---:|"]
    for name in CLASS_NAMES:
        if name in pc:
            r = pc[name]
            pc_lines.append(f"| {name} | {r['support']} | {r['accuracy']:.3f} | {r['precision']:.3f} | {r['f1']:.3f} |")
    curve = ""
    if rows:
        pick = [r for r in rows if int(r["epoch"]) % 5 == 0 or r is rows[-1]]
        curve = "\n".join(["| epoch | lr | train acc (augmented) | val acc |", "|---:|---:|---:|---:|"] +
                          [f"| {r['epoch']} | {float(r['lr']):.2e} | {r['accuracy']} | {r['val_accuracy']} |"
                           for r in pick])

    def fmt(v, spec=".4f"):
        return format(v, spec) if isinstance(v, (int, float)) else "n/a"

    thr_line = "n/a"
    if thr:
        thr_line = (f"{thr['crops_per_s']:.0f} crops/s with test-time flip (batch {thr['batch']}, "
                    f"{thr['cpus']} shared CPU cores, 1-min load average {thr['load_avg_1min']} while measuring)")
        if thr_notta:
            thr_line += f"; {thr_notta['crops_per_s']:.0f} crops/s without the flip"
    return f"""# Model card: facial-expression CNN (`{model_path().name}`)

Date: 2026-11-21. Part of the interview simulator; used by `ml.face.predict` to label
48x48 grayscale face crops with one of seven expressions and to draw Grad-CAM heat maps.

## Data
- **FER2013** (Goodfellow et al. 2013, "Challenges in Representation Learning: A report on
  three machine learning contests", ICML 2013 workshop; Kaggle ICML-2013 challenge data).
  Research and non-commercial use only. 48x48 grayscale crops collected by web image search.
  Trained on the `Training` split only (28,709 rows) minus a seeded stratified validation part
  ({fmt(args.get('val_fraction'), '.0%')}, {state.get('data', {}).get('n_val', '?')} rows, used to pick the checkpoint) and minus
  {state.get('data', {}).get('n_dropped_doubtful', '?')} doubtful rows (`quality` marked ambiguous or
  jpeg_fill_order_unknown, or FER+ majority "not a face"): {state.get('data', {}).get('n_train', '?')} training rows.
  Reported on `PublicTest` (3,589 rows), never used for training or selection.
  The PrivateTest split is withheld and was not used.
- **FER+ votes** (Barsoum et al. 2016, "Training deep networks for facial expression recognition
  with crowd-sourced label distribution", MIT licence): used as soft-label regularisation. The target is
  {1 - args.get('ferplus_weight', 0.25):.2f} x one-hot(FER2013 label) + {args.get('ferplus_weight', 0.25):.2f} x FER+ vote distribution (mapped to our
  class order; contempt/unknown/not-a-face votes dropped), then label smoothing {args.get('label_smoothing', '?')}.
  The FER2013 label always keeps the arg-max, so the model is still trained for FER2013 labels.

Classes, in output order: {", ".join(CLASS_NAMES)}.

## Architecture
VGG-style CNN `{info.get('variant', '?')}` (`ml/face/model.py`): input 48x48x1 raw pixels (scaled inside
the model), conv blocks 32 (1 conv) / 64 (2) / 128 (2) / 256 (1) channels, each conv 3x3 + batch norm +
ReLU, max-pool between blocks, spatial dropout, global average pooling, dense 256 + BN + dropout 0.4,
softmax over 7 classes. **{fmt(info.get('params'), ',d')} parameters**, file size {fmt(size_mb, '.1f')} MB (float32).

Training: AdamW (lr {args.get('lr', '?')}, weight decay {args.get('weight_decay', '?')}), {args.get('warmup', '?')} warm-up epochs then cosine decay
over {total_epochs} epochs, batch {args.get('batch_size', '?')}, bfloat16 mixed precision on CPU (AVX512-BF16); augmentation:
horizontal flip, rotation +-15 deg, zoom 0.85-1.15, shift +-10 %, brightness/contrast jitter, random
erasing. Prediction averages the crop and its mirror image (test-time flip).

Commands (resumable; checkpoints with optimizer state stay in `runs/`, not in git; `--epochs` is
the length of the cosine schedule and may be extended on `--resume`):

    python -m ml.face.train --epochs 36 --out runs/face/run1 --time-limit 88 --export
    python -m ml.face.train --epochs 50 --out runs/face/run1 --resume --aug-scale 0.5 --time-limit 88 --export
    python -m ml.face.train --epochs 62 --out runs/face/run1 --resume --aug-scale 0.5 --time-limit 88 --export
    python -m ml.face.evaluate --fer-publictest --write-metrics      # -> metrics.json
    python -m bench.face_throughput --write && python -m ml.face.card   # -> this card

Epochs done: {info.get('epochs_done', '?')} of {total_epochs} (best validation epoch {info.get('best_epoch', '?')},
validation accuracy {fmt(info.get('best_val_accuracy'))}); median epoch time on this machine
{fmt(epoch_s, '.0f')} s (2 CPU cores shared with other training jobs).
{"".join(chr(10) + "Note: " + n + chr(10) for n in notes)}
## Results on FER2013 PublicTest (n = {m.get('n', '?')})
Reproduce: `{m.get('command', 'python -m ml.face.evaluate --fer-publictest')}`

- **Accuracy: {fmt(m.get('accuracy'))}**  (bar for this project: 0.68; mini-Xception reference ~0.66)
- Macro F1: {fmt(m.get('macro_f1'))}

{chr(10).join(pc_lines)}

Confusion matrix (rows: true class, columns: predicted):

{chr(10).join(cm_lines)}

Training curve (validation = held-out part of Training):

{curve}

## Throughput
`python -m bench.face_throughput`: {thr_line}. Model loading takes a few seconds once per process.

## Intended use and limitations
- The model labels the **expressed / perceived facial expression** in a frontal face crop, as
  judged by FER2013's annotators. It does **not** measure a person's inner emotion, honesty,
  personality or suitability for a job, and must not be used to make decisions about candidates;
  in the simulator it is feedback for the user themselves.
- FER2013 labels are noisy (human accuracy is about 65 +- 5 %); FER+ annotators disagree with the
  FER2013 label on about a third of the images. Disgust has very few training examples (436) and
  fear is often confused with sad and surprise, so per-class numbers vary a lot.
- Dataset biases: web-scraped images, many posed or exaggerated expressions, skewed towards
  adults and lighter skin tones, Western-centric expression labels; accuracy for under-represented
  groups, children, non-frontal poses, occlusions (masks, glasses), low light or webcam compression
  is unknown and likely lower.
- Faces are found by OpenCV's Haar cascade (frontal faces only; misses profile/tilted faces).
- Licence: FER2013 is for research and non-commercial use; so are these weights.
"""


def main(argv=None) -> int:
    import argparse
    p = argparse.ArgumentParser(prog="python -m ml.face.card")
    p.add_argument("--note", action="append", default=[], help="extra sentence for the training section")
    args = p.parse_args(argv)
    text = render(args.note)
    path = model_dir() / "MODEL_CARD.md"
    path.write_text(text)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
