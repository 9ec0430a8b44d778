"""How right the Big Five model is on short texts: cross-validated accuracy by answer length.

    python -m ml.text.lengths [--words 25,50,100,150,250] [--write] [--max-essays K]

The model is trained and measured on whole essays (median about 620 words), but the app
scores interview answers of 25-200 words. Through the card's 2 x 5 folds
(:func:`ml.text.cv.folds`) the shipped recipe (:func:`ml.text.candidates.mpnet_embeddings`,
standardised, one logistic regression per trait with ``C_MPNET``) is fitted on the whole
training essays of each fold, and each test essay is scored on its first N normalised words
(:func:`cut`; the whole essay when it is shorter). Per length it reports, per trait, the mean
accuracy over folds with its 95% interval (:func:`ml.text.cv.ci95`, Nadeau-Bengio) and the
majority baseline, and marks a trait ``reliable`` at that length when its whole interval lies
above the baseline. It also reports, for comparison only, the same recipe fitted on training
essays cut to N words ("trained on cuts").

``--write`` adds the figures as ``by_length`` to ``data/models/text/metrics.json``; the web app
reads them (``webapp.modelinfo``): an answer of W words takes the figures of the largest
measured length <= W, and a trait is shown from its ``shown_from`` length on (:func:`shown_from`).
Embeddings are cached in runs/text/ (the whole essays take about 22 minutes on 2 cores, the
five cuts about 20 more).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from ml.text import ESSAYS_CSV, MODEL_DIR, TRAITS

WORDS = (25, 50, 100, 150, 250)


def cut(norm_text: str, n: int) -> str:
    """The first ``n`` words of an already normalised text (all of it when it is shorter)."""
    return " ".join(norm_text.split()[:n])


def shown_from(lengths: list[dict], trait: str) -> int | None:
    """The fewest words from which the web app shows ``trait``: the shortest measured cut from which it is
    reliable at that cut and at every longer one, so a longer answer never loses a trait that a shorter one
    shows (None: not even at the longest cut)."""
    start = None
    for b in sorted(lengths, key=lambda b: -b["words"]):
        if not b["per_trait"][trait]["reliable"]:
            break
        start = b["words"]
    return start


def _fit(x, y, C):
    from sklearn.preprocessing import StandardScaler
    from ml.text.candidates import fit_lr
    sc = StandardScaler().fit(x)
    return sc, fit_lr(sc.transform(x), y, C)


def _proba(fitted, x):
    from ml.text.candidates import lr_proba
    sc, models = fitted
    return lr_proba(models, sc.transform(x))


def measure(texts, labels, words=WORDS, folds: int = 5, repeats: int = 2, embed=None, C: float | None = None,
            mixed: bool = False, log=print) -> dict:
    """The ``by_length`` record (see the module docstring). ``embed(texts) -> [n, 768]`` defaults
    to the cached :func:`ml.text.candidates.mpnet_embeddings`, ``C`` to the shipped ``C_MPNET``.
    ``mixed``: also the same recipe fitted on every training essay whole and cut to each length (six
    rows per essay, same labels), reported as ``trained_on_all_lengths`` for the whole essays and each cut."""
    from ml.text import candidates
    from ml.text.cv import folds as make_folds, summarise
    from ml.text.normalize import normalize
    embed = embed or candidates.mpnet_embeddings
    c = candidates.C_MPNET if C is None else C
    y = (np.asarray(labels) >= 0.5)
    yi = y.astype(int)
    norm = [normalize(t) for t in texts]
    lengths = np.array([len(t.split()) for t in norm])
    t0 = time.time()
    full = embed(norm)
    log(f"whole essays embedded ({time.time() - t0:.0f} s)", flush=True)
    cuts = {}
    for n in words:
        t1 = time.time()
        cuts[n] = embed([cut(t, n) for t in norm])
        log(f"first {n} words embedded ({time.time() - t1:.0f} s)", flush=True)
    fl = make_folds(labels, folds, repeats)
    n_test = int(np.mean([len(te) for _, te in fl]))
    n_train = len(y) - n_test
    acc = {n: [] for n in words}
    acc_cut = {n: [] for n in words}
    acc_full, bases = [], []
    acc_mix = {n: [] for n in ("whole",) + tuple(words)}
    for tr, te in fl:
        fitted = _fit(full[tr], yi[tr], c)
        bases.append((y[te] == (y[tr].mean(0) > 0.5)).mean(0))
        acc_full.append(((_proba(fitted, full[te]) >= 0.5) == y[te]).mean(0))
        for n in words:
            acc[n].append(((_proba(fitted, cuts[n][te]) >= 0.5) == y[te]).mean(0))
            own = _fit(cuts[n][tr], yi[tr], c)
            acc_cut[n].append(((_proba(own, cuts[n][te]) >= 0.5) == y[te]).mean(0))
        if mixed:
            mix = _fit(np.concatenate([full[tr]] + [cuts[n][tr] for n in words]),
                       np.tile(yi[tr], (1 + len(words), 1)), c)
            acc_mix["whole"].append(((_proba(mix, full[te]) >= 0.5) == y[te]).mean(0))
            for n in words:
                acc_mix[n].append(((_proba(mix, cuts[n][te]) >= 0.5) == y[te]).mean(0))
    bases = np.array(bases)

    def record(a):
        s = summarise(np.array(a), bases, n_train, n_test)
        for t in TRAITS:
            p = s["per_trait"][t]
            p["reliable"] = bool(p["ci95"][0] > p["baseline"])
        return s

    out = {"rule": "an answer of W words takes the figures of the largest length <= W; a trait is shown only "
                   "when its whole 95% interval lies above its majority baseline there and at every longer length "
                   "(shown_from)",
           "measured_on": f"{len(y):,} student essays cut to their first N words, each scored by a model trained "
                          f"on the whole essays of the other folds ({repeats} x {folds}-fold cross-validation)",
           "command": "python -m ml.text.lengths --write", "folds": len(fl), "n": int(len(y)),
           "whole_essays": {"median_words": int(np.median(lengths)), **record(acc_full)},
           "lengths": []}
    if mixed:
        out["whole_essays"]["trained_on_all_lengths"] = record(acc_mix["whole"])
    for n in words:
        r = record(acc[n])
        r["words"] = int(n)
        r["shorter_essays"] = int((lengths < n).sum())
        r["trained_on_cuts"] = {k: v for k, v in record(acc_cut[n]).items() if k != "fold_accuracy"}
        if mixed:
            r["trained_on_all_lengths"] = record(acc_mix[n])
        out["lengths"].append(r)
    out["shown_from"] = {t: shown_from(out["lengths"], t) for t in TRAITS}
    out["seconds"] = round(time.time() - t0, 1)
    return out


def table(rec: dict) -> str:
    rows = ["| words | " + " | ".join(TRAITS) + " | mean [95% CI] | reliable | trained on cuts: mean |",
            "|" + " --- |" * (len(TRAITS) + 4)]

    def cells(r):
        return [f"{r['per_trait'][t]['accuracy']:.3f} [{r['per_trait'][t]['ci95'][0]:.3f}, "
                f"{r['per_trait'][t]['ci95'][1]:.3f}]" for t in TRAITS]
    for r in rec["lengths"]:
        rel = ", ".join(t for t in TRAITS if r["per_trait"][t]["reliable"]) or "none"
        rows.append(f"| {r['words']} | " + " | ".join(cells(r)) + f" | {r['accuracy']:.3f} [{r['ci95'][0]:.3f}, "
                    f"{r['ci95'][1]:.3f}] | {rel} | {r['trained_on_cuts']['accuracy']:.3f} |")
    w = rec["whole_essays"]
    rows.append(f"| whole essays (median {w['median_words']}) | " + " | ".join(cells(w))
                + f" | {w['accuracy']:.3f} [{w['ci95'][0]:.3f}, {w['ci95'][1]:.3f}] | | |")
    rows.append("| majority baseline | " + " | ".join(f"{w['per_trait'][t]['baseline']:.3f}" for t in TRAITS)
                + f" | {w['baseline']:.3f} | | |")
    return "\n".join(rows)


def mixed_table(rec: dict) -> str:
    """The shipped recipe against the one fitted on all lengths (``--mixed``), mean accuracy per length."""
    rows = ["| test essays | fitted on whole essays (shipped) | fitted on whole essays and their cuts |",
            "| --- | --- | --- |"]
    w = rec["whole_essays"]
    for name, r in [("whole", w)] + [(f"first {b['words']} words", b) for b in rec["lengths"]]:
        m = r["trained_on_all_lengths"]
        rows.append(f"| {name} | {r['accuracy']:.4f} | {m['accuracy']:.4f} [{m['ci95'][0]:.3f}, {m['ci95'][1]:.3f}] |")
    cut_means = [(b["accuracy"], b["trained_on_all_lengths"]["accuracy"]) for b in rec["lengths"]]
    rows.append(f"| mean over the cuts | {np.mean([a for a, _ in cut_means]):.4f} | {np.mean([b for _, b in cut_means]):.4f} |")
    return "\n".join(rows)


def write(rec: dict, model_dir: Path = MODEL_DIR) -> Path:
    path = Path(model_dir) / "metrics.json"
    m = json.loads(path.read_text(encoding="utf-8"))
    m["by_length"] = rec
    path.write_text(json.dumps(m, indent=1) + "\n", encoding="utf-8")
    return path


def main(argv=None) -> int:
    from ml.text.features import read_labelled_csv
    p = argparse.ArgumentParser(prog="python -m ml.text.lengths", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--words", default=",".join(map(str, WORDS)))
    p.add_argument("--data", type=Path, default=ESSAYS_CSV)
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--max-essays", type=int, default=None, help="only the first K essays: smoke runs")
    p.add_argument("--write", action="store_true", help="add the figures to data/models/text/metrics.json")
    p.add_argument("--mixed", action="store_true",
                   help="also fit the recipe on every training essay whole and cut to each length, and compare")
    args = p.parse_args(argv)
    ids, texts, labels = read_labelled_csv(args.data)
    if args.max_essays:
        texts, labels = texts[:args.max_essays], labels[:args.max_essays]
    words = tuple(sorted({int(w) for w in args.words.split(",") if w.strip()}))
    rec = measure(texts, labels, words, args.folds, args.repeats, mixed=args.mixed)
    print(table(rec))
    if args.mixed:
        print(mixed_table(rec))
    if args.write:
        print(f"wrote {write(rec)}")
    print(json.dumps(rec))
    return 0


if __name__ == "__main__":
    sys.exit(main())
