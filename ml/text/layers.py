"""Which MPNet layer to read: the measurement behind ``ml.text.embed.LAYER``.

    python -m ml.text.layers [--windows 128] [--layers 4-8] [--combine 6-8,5-8] [--nested] [--write]

Each development essay (normalised) is cut into windows of W word pieces; every window runs
once through all-mpnet-base-v2 up to the last layer of ``--layers`` (:class:`ml.text.embed.MPNet`)
and each hidden state of ``--layers`` (0 = the embeddings' output, 1-12 = after each
transformer layer) is mean-pooled and L2-normalised; an essay's vector per layer is the mean of
its windows (cached in runs/text/mpnet_layers<a>-<b>_w<W>_<hash of the texts>.npz; all windows
are read, not only the first ``MAX_CHUNKS``: no development essay has more). On 2 CPU cores
the 1,973 essays (about 13,000 windows of 128) take about 4 minutes per layer. Then, through the same 2 x 5 folds as
``python -m ml.text.cv``, a standardised logistic regression per trait on each layer's
vectors, for each C of ``CS``: mean accuracy, and mean accuracy of its probabilities averaged
with the ``tfidf`` candidate's (from runs/text/cv/tfidf_folds.npz, if present).

Choosing the best of these settings on the same folds flatters it; ``--nested`` measures
the choice itself: inside each outer fold, the setting is picked by 4-fold cross-validation
on the outer training part alone (among the layers of ``--nested-layers``), then scored on
the outer test part.

``--combine a-b,...`` also scores the mean of the vectors of layers a..b (a common way to pool
layers), printed before the table; on 2026-12-03 (2 x 5 folds, C = 0.0005 / 0.001 / 0.003) the mean
of layers 6-8 scored 0.5997 / 0.5978 / 0.5936 and of 5-8 0.5991 / 0.5971 / 0.5949, against 0.5995
for layer 7 alone: no gain worth a larger encoder, so the shipped model reads layer 7 only.

``--windows 128,256`` compares window lengths. On 2026-12-03, under a rule written before the run
(adopt 256 only if its best setting beat 0.5995 on these folds, then again on new folds, and the
nested estimate gained 0.002), windows of 256 word pieces scored lower at every layer and C: best
0.5912 (layer 6, C = 0.001) against 0.5995 for 128 (layers 4-8: 0.5881 / 0.5883 / 0.5912 / 0.5909 /
0.5883 at their best C; 38 minutes for the vectors on 2 cores). The rule failed at its first step;
the shipped windows stay at 128.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Sequence

import numpy as np

from ml.text import ESSAYS_CSV, MODEL_DIR
from ml.text.cv import RUN_DIR, folds

CS = (0.0005, 0.001, 0.003)


def layer_vectors(texts, window: int, layers: Sequence[int], cache: Path | None = None) -> np.ndarray:
    """float32 [n, len(layers), 768]: per essay and hidden state of ``layers``, the mean of its
    windows' normalised mean-pooled vectors (the network is run up to the highest of ``layers``)."""
    import hashlib
    from ml.text import embed as E
    from ml.text.normalize import normalize
    layers = sorted(layers)
    norm = [normalize(t) for t in texts]
    key = hashlib.sha1("\x00".join(norm).encode()).hexdigest()[:12]
    cache = cache or RUN_DIR / f"mpnet_layers{layers[0]}-{layers[-1]}_w{window}_{key}.npz"
    if cache.exists():
        with np.load(cache) as z:
            return z["vecs"]
    vecs = E.MPNet(layers[-1]).embed(norm, read=layers, chunk=window, max_chunks=None)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, vecs=vecs)
    return vecs


def layer_range(text: str) -> list[int]:
    """"4-8" -> [4, 5, 6, 7, 8]; "7" -> [7]."""
    lo, _, hi = text.partition("-")
    return list(range(int(lo), int(hi or lo) + 1))


def lr_probs(x, y, tr, te, C):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler
    sc = StandardScaler().fit(x[tr])
    a, b = sc.transform(x[tr]), sc.transform(x[te])
    return np.stack([LogisticRegression(C=C, max_iter=3000).fit(a, y[tr, j]).predict_proba(b)[:, 1]
                     for j in range(y.shape[1])], 1)


def main(argv=None) -> int:
    from ml.text.features import read_labelled_csv
    p = argparse.ArgumentParser(prog="python -m ml.text.layers", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--windows", default="128")
    p.add_argument("--layers", default="4-8", help="hidden states to compare (0-12; the network runs up to the last)")
    p.add_argument("--data", type=Path, default=ESSAYS_CSV)
    p.add_argument("--nested", action="store_true", help="also the nested estimate of choosing a setting")
    p.add_argument("--nested-layers", default="4-8", help="the layers the nested choice picks from")
    p.add_argument("--combine", default="",
                   help="also score the mean of several layers' vectors, e.g. 6-8,5-8 (printed only; not stored by --write)")
    p.add_argument("--write", action="store_true",
                   help="store the table under 'layers' in data/models/text/train_log.json (the card shows it)")
    args = p.parse_args(argv)
    _, texts, labels = read_labelled_csv(args.data)
    y = (np.asarray(labels) >= 0.5).astype(int)
    fl = folds(labels)
    tf_path = RUN_DIR / "cv" / "tfidf_folds.npz"
    tfidf = np.load(tf_path) if tf_path.exists() else None
    feats = {}
    for w in (int(v) for v in args.windows.split(",")):
        t0 = time.time()
        layers = layer_range(args.layers)
        if not layers or not 0 <= layers[0] <= layers[-1] <= 12:
            p.error(f"--layers must be a range within 0-12, not {args.layers!r}")
        e = layer_vectors(texts, w, layers)
        print(f"window {w}: vectors in {time.time() - t0:.0f} s", file=sys.stderr, flush=True)
        for k, li in enumerate(layers):
            feats[(w, li)] = e[:, k]
    combos = {}
    for spec in filter(None, args.combine.split(",")):
        span = layer_range(spec)
        for w in {k[0] for k in feats}:
            if not all((w, li) in feats for li in span):
                p.error(f"--combine {spec}: layers outside --layers {args.layers}")
            combos[(w, spec)] = np.mean([feats[(w, li)] for li in span], 0)
    for (w, spec), x in combos.items():
        for C in CS:
            acc = float(np.mean([((lr_probs(x, y, tr, te, C) >= 0.5) == y[te]).mean() for tr, te in fl]))
            print(json.dumps({"window": w, "mean_of_layers": spec, "C": C, "accuracy": round(acc, 4)}), flush=True)
    rows = []
    for (w, li), x in feats.items():
        for C in CS:
            ps = [lr_probs(x, y, tr, te, C) for tr, te in fl]
            acc = float(np.mean([((p >= 0.5) == y[te]).mean() for p, (_, te) in zip(ps, fl)]))
            row = {"window": w, "layer": li, "C": C, "accuracy": round(acc, 4)}
            if tfidf is not None:
                row["with_tfidf"] = round(float(np.mean([(((p + tfidf[f"orig_{f}"]) / 2 >= 0.5) == y[te]).mean()
                                                         for f, (p, (_, te)) in enumerate(zip(ps, fl))])), 4)
            rows.append(row)
            print(json.dumps(row), flush=True)
    if args.nested:
        from sklearn.model_selection import StratifiedKFold
        code = (y * (1 << np.arange(y.shape[1]))).sum(1)
        alone, both, picks = [], [], []
        choose = set(layer_range(args.nested_layers))
        for f, (tr, te) in enumerate(fl):
            inner = list(StratifiedKFold(4, shuffle=True, random_state=f).split(tr, code[tr]))
            best = max(((np.mean([((lr_probs(x, y, tr[a], tr[b], C) >= 0.5) == y[tr[b]]).mean() for a, b in inner]),
                         key, C) for key, x in feats.items() if key[1] in choose for C in CS), key=lambda r: r[0])
            p = lr_probs(feats[best[1]], y, tr, te, best[2])
            picks.append({"window": best[1][0], "layer": best[1][1], "C": best[2]})
            alone.append(((p >= 0.5) == y[te]).mean())
            if tfidf is not None:
                both.append((((p + tfidf[f"orig_{f}"]) / 2 >= 0.5) == y[te]).mean())
        nested = {"nested_accuracy": round(float(np.mean(alone)), 4),
                  "nested_with_tfidf": round(float(np.mean(both)), 4) if both else None, "picks": picks}
        print(json.dumps(nested))
    if args.write:
        path = MODEL_DIR / "train_log.json"
        log = json.loads(path.read_text(encoding="utf-8"))
        from ml.text.candidates import encoder_tag
        log["layers"] = {"command": "python -m ml.text.layers " + " ".join(sys.argv[1:] if argv is None else argv),
                         "encoder": encoder_tag("mpnet"), "rows": rows, **(nested if args.nested else {})}
        path.write_text(json.dumps(log, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
