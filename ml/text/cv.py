"""Repeated, stratified k-fold cross-validation over the whole essays development set.

    python -m ml.text.cv [--candidates tfidf_raw,tfidf,mpnet,...] [--folds 5] [--repeats 2]

Every candidate is scored through the same folds (:func:`folds`: ``repeats`` x ``k`` folds,
stratified on the joint five-trait label so that every trait's high/low ratio is kept in
every fold), fitted on the training part of each fold only (vectorisers, scalers, the
stacker's inner folds included). Per trait it reports the mean accuracy over folds with a
95% confidence interval (:func:`ci95`), the majority baseline of each fold's training part,
and the same figures for the essays made transcript-like (lower case, no punctuation,
fillers inserted) and scored by the model trained on the original essays. Results go to
``runs/text/cv/<candidate>.json`` (cached: a candidate already there is not run again
unless ``--force``, or unless it was made with another sentence encoder or other encoder
settings: ``candidates.encoder_tag``) and a table is printed.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

from ml import ROOT
from ml.text import ESSAYS_CSV, TRAITS

RUN_DIR = ROOT / "runs" / "text"
CV_SEED = 20261202
FIRST_REPEAT_FOLDS = 5


# ------------------------------------------------------------------ folds and statistics
def folds(labels: np.ndarray, k: int = 5, repeats: int = 2, seed: int = CV_SEED) -> list[tuple[np.ndarray, np.ndarray]]:
    """``repeats`` x ``k`` (train, test) index pairs, stratified on the joint 5-trait label."""
    from sklearn.model_selection import StratifiedKFold
    y = (np.asarray(labels) >= 0.5).astype(int)
    code = (y * (1 << np.arange(y.shape[1]))).sum(1)
    out = []
    for r in range(repeats):
        skf = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed + r)
        out.extend((tr, te) for tr, te in skf.split(np.zeros(len(code)), code))
    return out


def ci95(values, n_train: int | None = None, n_test: int | None = None) -> tuple[float, float, float]:
    """(mean, low, high): a 95% t-interval of the mean of per-fold scores.

    With ``n_train``/``n_test`` the variance is the corrected repeated-CV variance of
    Nadeau & Bengio (2003), sd^2 * (1/J + n_test/n_train), which accounts for the folds
    sharing training data (the plain sd^2/J is too narrow); without them, sd^2/J."""
    from scipy import stats
    v = np.asarray(values, dtype=float)
    j = len(v)
    mean = float(v.mean())
    if j < 2:
        return mean, mean, mean
    var = v.var(ddof=1) * ((1.0 / j + n_test / n_train) if n_train and n_test else 1.0 / j)
    half = float(stats.t.ppf(0.975, j - 1) * math.sqrt(var))
    return mean, mean - half, mean + half


def summarise(fold_acc: np.ndarray, fold_base: np.ndarray, n_train: int, n_test: int) -> dict:
    """Per-trait and mean accuracy with CIs from [folds, traits] accuracies and baselines."""
    per = {}
    for j, t in enumerate(TRAITS):
        m, lo, hi = ci95(fold_acc[:, j], n_train, n_test)
        per[t] = {"accuracy": round(m, 4), "ci95": [round(lo, 4), round(hi, 4)],
                  "baseline": round(float(fold_base[:, j].mean()), 4)}
    m, lo, hi = ci95(fold_acc.mean(1), n_train, n_test)
    return {"accuracy": round(m, 4), "ci95": [round(lo, 4), round(hi, 4)],
            "baseline": round(float(fold_base.mean()), 4), "per_trait": per,
            "fold_accuracy": [round(float(a), 4) for a in fold_acc.mean(1)]}


def ece(probs: np.ndarray, labels: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error of P(high), averaged over traits (10 equal-width bins)."""
    p, y = np.asarray(probs, float), np.asarray(labels, float)
    out = []
    for j in range(p.shape[1]):
        idx = np.minimum((p[:, j] * bins).astype(int), bins - 1)
        e = 0.0
        for b in range(bins):
            sel = idx == b
            if sel.any():
                e += sel.mean() * abs(p[sel, j].mean() - y[sel, j].mean())
        out.append(e)
    return float(np.mean(out))


# ------------------------------------------------------------------ running a candidate
def run(name: str, fit_predict, texts, labels, fold_list, log=print, out_dir: Path | None = None) -> dict:
    """Score ``fit_predict(train_idx, test_idx, fold) -> probs [len(test), 5]`` or
    ``(probs, probs_transcript)``: the second from the same fitted model on the test essays
    made transcript-like. Saves every fold's probabilities (runs/text/cv/NAME_folds.npz)."""
    y = (np.asarray(labels) >= 0.5)
    accs, bases, accs_tr = [], [], []
    oof_all, saved = [], {}
    t0 = time.time()
    for f, (tr, te) in enumerate(fold_list):
        res = fit_predict(tr, te, f)
        p, p_tr = res if isinstance(res, tuple) else (res, None)
        saved[f"orig_{f}"] = p
        if p_tr is not None:
            saved[f"transcript_{f}"] = p_tr
        accs.append(((p >= 0.5) == y[te]).mean(0))
        major = y[tr].mean(0) > 0.5  # ties (exactly half) go to "low", the class listed first
        bases.append((y[te] == major).mean(0))
        if p_tr is not None:
            accs_tr.append(((p_tr >= 0.5) == y[te]).mean(0))
        oof_all.append((te, p))
        log(f"{name} fold {f + 1}/{len(fold_list)}: mean acc {accs[-1].mean():.4f}"
            + (f", transcript-like {accs_tr[-1].mean():.4f}" if p_tr is not None else "")
            + f" ({time.time() - t0:.0f} s)", flush=True)
    n_test = int(np.mean([len(te) for _, te in fold_list]))
    n_train = len(y) - n_test
    out = {"candidate": name, "folds": len(fold_list), "n": int(len(y)), "n_train": n_train, "n_test": n_test,
           "seconds": round(time.time() - t0, 1), "orig": summarise(np.array(accs), np.array(bases), n_train, n_test)}
    if accs_tr:
        out["transcript"] = summarise(np.array(accs_tr), np.array(bases), n_train, n_test)
        out["transcript_drop"] = round(out["orig"]["accuracy"] - out["transcript"]["accuracy"], 4)
    out_dir = Path(out_dir or RUN_DIR / "cv")
    np.savez(out_dir / f"{name}_folds.npz", **saved)
    # out-of-fold probabilities of the first repeat (each essay once): calibration
    k = FIRST_REPEAT_FOLDS if len(fold_list) >= FIRST_REPEAT_FOLDS else len(fold_list)
    probs = np.full(y.shape, np.nan)
    for te, p in oof_all[:k]:
        probs[te] = p
    if not np.isnan(probs).any():
        out["ece_repeat1"] = round(ece(probs, y), 4)
        np.save(out_dir / f"{name}_oof.npy", probs)
    return out


def table(results: list[dict]) -> str:
    head = "| candidate | " + " | ".join(TRAITS) + " | mean [95% CI] | transcript-like mean (drop) | ECE |"
    rows = [head, "|" + " --- |" * (len(TRAITS) + 4)]
    for r in results:
        o = r["orig"]
        cells = [f"{o['per_trait'][t]['accuracy']:.3f} [{o['per_trait'][t]['ci95'][0]:.3f}, {o['per_trait'][t]['ci95'][1]:.3f}]"
                 for t in TRAITS]
        tr = r.get("transcript")
        rows.append(f"| {r['candidate']} | " + " | ".join(cells)
                    + f" | {o['accuracy']:.3f} [{o['ci95'][0]:.3f}, {o['ci95'][1]:.3f}]"
                    + (f" | {tr['accuracy']:.3f} ({r['transcript_drop']:+.3f})" if tr else " | n/a")
                    + f" | {r.get('ece_repeat1', float('nan')):.3f} |")
    base = results[0]["orig"] if results else None
    if base:
        rows.append("| majority baseline | " + " | ".join(f"{base['per_trait'][t]['baseline']:.3f}" for t in TRAITS)
                    + f" | {base['baseline']:.3f} | | |")
    return "\n".join(rows)


def cnn_one_fold(texts, labels, fold_list, out_dir: Path) -> dict:
    """Time and score the CNN-LSTM (``candidates.cnn_fit_predict``) on the first fold only:
    training it for every fold is too slow for the machine (see the card)."""
    from ml.text import candidates as C
    from ml.text.normalize import normalize
    y = np.asarray(labels) >= 0.5
    tr, te = fold_list[0]
    xs = [normalize(t) for t in texts]
    t0 = time.time()
    (p,) = C.cnn_fit_predict([xs[i] for i in tr], np.asarray(labels)[tr], [[xs[i] for i in te]], seed=1)
    acc = ((p >= 0.5) == y[te]).mean(0)
    np.save(Path(out_dir) / "cnn_fold0.npy", p)
    r = {"fold": 0, "seconds": round(time.time() - t0), "per_trait": acc.round(4).tolist(),
         "mean": round(float(acc.mean()), 4)}
    (Path(out_dir) / "cnn_fold0.json").write_text(json.dumps(r))
    return r


def main(argv=None) -> int:
    from ml.text import candidates as C
    from ml.text.features import read_labelled_csv
    p = argparse.ArgumentParser(prog="python -m ml.text.cv", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--candidates", default=",".join(C.NAMES))
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--data", type=Path, default=ESSAYS_CSV)
    p.add_argument("--force", action="store_true")
    p.add_argument("--cnn-one-fold", action="store_true", help="time and score the CNN-LSTM on fold 1 only")
    args = p.parse_args(argv)
    (RUN_DIR / "cv").mkdir(parents=True, exist_ok=True)
    ids, texts, labels = read_labelled_csv(args.data)
    fl = folds(labels, args.folds, args.repeats)
    if args.cnn_one_fold:
        print(json.dumps(cnn_one_fold(texts, labels, fl, RUN_DIR / "cv")))
        return 0
    results = []
    for name in [c for c in args.candidates.split(",") if c]:
        path = RUN_DIR / "cv" / f"{name}.json"
        if path.exists() and not args.force and json.loads(path.read_text()).get("encoder") == C.encoder_tag(name):
            results.append(json.loads(path.read_text()))
            continue
        fp = C.make(name, texts, labels)
        r = run(name, fp, texts, labels, fl)
        r["encoder"] = C.encoder_tag(name)
        path.write_text(json.dumps(r, indent=1))
        results.append(r)
        print(table([r]), flush=True)
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
