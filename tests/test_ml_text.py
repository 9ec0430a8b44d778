"""Tests of the Big Five text model (ml/text)."""
import csv
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ml
from ml.text import ESSAYS_CSV, LABEL_COLUMNS, MODEL_DIR, TRAIT_NAMES, TRAITS
from ml.text.features import (DOC_FEATURE_NAMES, OOV_ID, PAD_ID, Preprocessor, Vocabulary,
                              bow_features, dev_split, doc_features, pad_sequences,
                              read_labelled_csv, tokenize)

HAVE_DATA = ESSAYS_CSV.exists()
needs_data = pytest.mark.skipif(not HAVE_DATA, reason=f"essays data not found at {ESSAYS_CSV}")


def write_csv(path, rows, header=("id", "TEXT") + LABEL_COLUMNS + ("extra",)):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


# ---------------------------------------------------------------- constants
def test_prediction_imports_no_tensorflow():
    code = ("import sys; from ml.text.predict import predict; p = predict(['I like people.', 'I worry.']); "
            "assert p.values.shape == (2, 5); "
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TensorFlow imported'")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ml.ROOT, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]


def test_package_constants_without_tensorflow():
    code = ("import sys, ml.text, ml.text.features; "
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules; "
            "print(ml.text.TRAITS)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ml.ROOT, check=True).stdout
    assert "EXT" in out
    assert TRAITS == ("EXT", "NEU", "AGR", "CON", "OPN")
    assert TRAIT_NAMES["OPN"] == "Openness" and TRAIT_NAMES["NEU"] == "Neuroticism"
    assert LABEL_COLUMNS == ("cEXT", "cNEU", "cAGR", "cCON", "cOPN")


# ---------------------------------------------------------------- tokenisation
def test_tokenize_lowercases_and_splits_punctuation():
    assert tokenize("I don't KNOW... 42 cats!") == [
        "i", "don't", "know", ".", ".", ".", "42", "cats", "!"]


def test_tokenize_normalises_curly_apostrophes_and_drops_symbols():
    assert tokenize("It\u2019s   ok \u2014 #yolo @home") == ["it's", "ok", "yolo", "home"]
    assert tokenize("") == [] and tokenize(None) == []


# ---------------------------------------------------------------- vocabulary
def test_vocabulary_orders_by_frequency_and_applies_min_count():
    vocab = Vocabulary.build([["b", "a", "b", "c"], ["a", "b", "rare"]], min_count=2)
    assert vocab.itos[:2] == ["<pad>", "<oov>"]
    assert vocab.itos[2:] == ["b", "a"]  # b (3) before a (2); c and rare dropped
    assert "rare" not in vocab and len(vocab) == 4


def test_vocabulary_maps_unknown_tokens_to_oov_and_roundtrips():
    vocab = Vocabulary.build([["x", "y", "x", "y", "x"]], min_count=1)
    assert vocab.encode(["x", "never-seen", "y"]) == [2, OOV_ID, 3]
    again = Vocabulary.from_json(json.loads(json.dumps(vocab.to_json())))
    assert again.itos == vocab.itos
    assert again.decode([2, 3, OOV_ID, PAD_ID]) == ["x", "y", "<oov>", "<pad>"]


def test_vocabulary_max_size_is_respected():
    vocab = Vocabulary.build([list("abcdefgh") * 2], max_size=5, min_count=1)
    assert len(vocab) == 5


# ---------------------------------------------------------------- padding
def test_pad_sequences_pads_right_and_truncates_tail():
    out = pad_sequences([[5, 6], [1, 2, 3, 4, 5], []], maxlen=4)
    assert out.dtype == np.int32 and out.shape == (3, 4)
    assert out.tolist() == [[5, 6, 0, 0], [1, 2, 3, 4], [0, 0, 0, 0]]


# ---------------------------------------------------------------- document features
def test_doc_features_shape_and_pronoun_signal():
    a = doc_features("I think I am happy. I love my friends!")
    b = doc_features("They said the report is finished. The data are clear.")
    assert a.shape == b.shape == (len(DOC_FEATURE_NAMES),)
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(doc_features("")))
    i = DOC_FEATURE_NAMES.index("class_i")
    they = DOC_FEATURE_NAMES.index("class_they")
    excl = DOC_FEATURE_NAMES.index("exclaim_ratio")
    assert a[i] > b[i] and b[they] > a[they] and a[excl] > b[excl] == 0


def test_bow_features_counts_frequent_ids_only():
    vec = bow_features([2, 2, 3, OOV_ID, 99], size=3)
    assert vec.shape == (3,)
    # relative frequencies 2/5, 1/5, 0 -> sqrt * 10; ids >= size + 2 and OOV ignored
    assert np.allclose(vec, np.sqrt([0.4, 0.2, 0.0]) * 10)
    assert not bow_features([], size=3).any()


def test_preprocessor_save_load_gives_identical_inputs(tmp_path):
    texts = ["I like cats and I like dogs.", "The weather is bad today, I am sad!",
             "We went to class and then to the party."]
    pre = Preprocessor.fit(texts, min_count=1, maxlen=12, bow_size=5)
    pre.save(tmp_path / "pre.json")
    again = Preprocessor.load(tmp_path / "pre.json")
    x1, x2 = pre.transform(texts + ["zzz unknown"]), again.transform(texts + ["zzz unknown"])
    assert x1["tokens"].shape == (4, 12) and x1["bow"].shape == (4, 5)
    for k in ("tokens", "doc", "bow"):
        assert np.allclose(x1[k], x2[k], atol=1e-4)
    assert x1["tokens"][3, 0] == OOV_ID and x1["tokens"][3, 2] == PAD_ID
    assert np.abs(x1["doc"][:3].mean(0)).max() < 1e-3  # standardised on the fitted texts


# ---------------------------------------------------------------- data + split
def test_read_labelled_csv_ignores_extra_columns_and_rejects_bad_labels(tmp_path):
    p = write_csv(tmp_path / "ok.csv", [("a", "hello", "y", "n", "y", "n", "y", "junk")])
    ids, texts, y = read_labelled_csv(p)
    assert ids == ["a"] and texts == ["hello"] and y.tolist() == [[1, 0, 1, 0, 1]]
    bad = write_csv(tmp_path / "bad.csv", [("a", "hello", "maybe", "n", "y", "n", "y", "")])
    with pytest.raises(ValueError, match="cEXT"):
        read_labelled_csv(bad)
    missing = write_csv(tmp_path / "missing.csv", [("a", "hi")], header=("id", "TEXT"))
    with pytest.raises(ValueError, match="missing column"):
        read_labelled_csv(missing)


def test_dev_split_is_disjoint_complete_and_independent_of_row_order():
    ids = [f"essay_{i:04d}" for i in range(1000)]
    s = dev_split(ids)
    assert len(s["test"]) == 200 and len(s["val"]) == 120 and len(s["train"]) == 680
    allidx = np.concatenate([s["train"], s["val"], s["test"]])
    assert sorted(allidx.tolist()) == list(range(1000))
    shuffled = list(reversed(ids))
    s2 = dev_split(shuffled)
    assert {shuffled[i] for i in s2["test"]} == {ids[i] for i in s["test"]}


# ---------------------------------------------------------------- committed model
def test_committed_model_files_are_present_and_small():
    for name in ("linear.npz", "metrics.json", "MODEL_CARD.md", "train_log.json"):
        assert (MODEL_DIR / name).exists(), name
    assert not (MODEL_DIR / "model.keras").exists()  # the CNN-LSTM is no longer shipped
    size = sum(p.stat().st_size for p in MODEL_DIR.iterdir())
    assert size < 8 * 1024 * 1024
    m = json.loads((MODEL_DIR / "metrics.json").read_text())
    assert m["schema"] == 1 and m["task"] == "multi-label" and set(m["per_class"]) == set(TRAITS)
    assert m["n"] > 0 and 0.5 < m["accuracy"] <= 1
    assert math.isclose(m["accuracy"], np.mean([v["accuracy"] for v in m["per_class"].values()]), abs_tol=1e-3)
    assert m["baseline"]["source"] == "training data"
    for t, v in m["per_class"].items():
        lo, hi = v["ci95"]
        assert lo <= v["accuracy"] <= hi
        # reliable exactly when the whole interval lies above the majority baseline
        assert v["reliable"] is (lo > v["baseline"]["accuracy"]), t
        assert 0 < v["transcript_like"]["accuracy"] <= 1
    assert m["cv"]["folds"] * m["cv"]["repeats"] == len(m["cv"]["fold_accuracy"])
    assert math.isclose(m["transcript_like"]["drop"], m["accuracy"] - m["transcript_like"]["accuracy"], abs_tol=1e-3)


def test_predict_shape_range_and_cache():
    from ml.text import predict as P
    r = P.predict(["I love going to parties and meeting new people. Everyone is so fun!"]).row_dict(0)
    assert list(r) == list(TRAITS)
    assert all(isinstance(v, float) and 0.0 <= v <= 1.0 for v in r.values())
    texts = ["", "short", "I worry about my exams all the time. " * 50]
    many = P.predict(texts)
    assert many.classes == TRAITS and many.multi_label and len(many) == 3
    assert many.values.shape == (3, 5) and ((many.values >= 0) & (many.values <= 1)).all()
    assert all(set(d) == set(TRAITS) for d in many.as_dicts())
    # batched rows are the single-text answers, as stored (rounded to STORED_DIGITS = 4 decimals)
    assert all(P.predict([t]).row_dict(0, P.STORED_DIGITS) == {k: round(v, 4) for k, v in many.row_dict(i).items()}
               for i, t in enumerate(texts))
    assert len(P.predict([])) == 0 and P.predict([]).values.shape == (0, 5)
    assert P.load() is P.load()  # loaded once, cached
    # deterministic: the same text gives the same numbers
    assert P.predict(["same text here"]).as_dicts() == P.predict(["same text here"]).as_dicts()
    # a bare string is refused (an architecture review: its old form returned a rounded dict unlike every other
    # model), not read as a list of one text per letter
    with pytest.raises(TypeError, match="list of texts"):
        P.predict("same text here")
    # what a written answer's result stores, as before: 4 decimals, and its scores x100 of those
    from ml.analysis import analyse_text
    stored = analyse_text(texts[2], min_words=50)
    assert stored.result["big5"] == {k: round(v, 4) for k, v in many.row_dict(2).items()}
    assert [s for s in stored.scores if s[0] == "big5"] == [("big5", k, round(100.0 * v, 2))
                                                            for k, v in stored.result["big5"].items()]


def test_evaluate_cli_prints_json_last_line(tmp_path, capsys):
    from ml.evaluate import main
    rows = [(f"e{i}", t, *lab, "x") for i, (t, lab) in enumerate([
        ("I am so excited about the party tonight with my friends!", "yynyy"),
        ("I should study. I am worried about the test and I am tired.", "nynyn"),
        ("The lecture on philosophy was interesting, I wonder about art.", "nnyny"),
        ("Whatever. I hate waiting for my roommate.", "nynnn")])]
    p = write_csv(tmp_path / "small.csv", rows)
    assert main(["text", str(p)]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    res = json.loads(last)
    assert res["n"] == 4 and res["task"] == "multi-label" and res["model"] and res["dataset"] == "small.csv"
    assert set(res["per_class"]) == set(TRAITS)
    acc = [res["per_class"][t]["accuracy"] for t in TRAITS]
    assert all(0 <= v <= 1 for v in acc)
    assert math.isclose(res["accuracy"], np.mean(acc), abs_tol=1e-3)
    # no training labels given: the baseline is the evaluated file's majority (3 of 4 for EXT and NEU)
    assert res["baseline"]["source"] == "evaluated set"
    assert res["per_class"]["EXT"]["baseline"]["accuracy"] == 0.75 == res["per_class"]["NEU"]["baseline"]["accuracy"]
    # per-trait 95% intervals (Wilson, 4 texts: wide) and the mean's interval
    for t in TRAITS:
        lo, hi = res["per_class"][t]["ci95"]
        assert 0 <= lo <= res["per_class"][t]["accuracy"] <= hi <= 1 and hi - lo > 0.4
        base = res["per_class"][t]["baseline"]["accuracy"]
        assert res["per_class"][t]["reliable"] is (lo > base)
        if base >= 0.75:  # 4 texts: even 4 of 4 right (Wilson lower bound 0.51) cannot beat a 3-of-4 baseline
            assert res["per_class"][t]["reliable"] is False
    assert res["ci95"][0] <= res["accuracy"] <= res["ci95"][1]


def test_score_counts_threshold_half():
    from ml.text.evaluate import score
    probs = np.array([[0.9, 0.1, 0.5, 0.2, 0.8], [0.2, 0.7, 0.4, 0.6, 0.3]])
    labels = np.array([[1, 0, 1, 0, 0], [0, 0, 0, 1, 0]], dtype=float)
    r = score(probs, labels)
    assert {t: v["accuracy"] for t, v in r["per_class"].items()} == {"EXT": 1.0, "NEU": 0.5, "AGR": 1.0,
                                                                     "CON": 1.0, "OPN": 0.5}
    assert r["accuracy"] == 0.8 and r["per_class"]["OPN"]["baseline"]["accuracy"] == 1.0
    # with training labels the baseline follows them: OPN mostly high in training, never high here
    t = score(probs, labels, train_labels=np.array([[1, 1, 1, 1, 1]] * 3 + [[0, 0, 0, 0, 0]], dtype=float))
    assert t["per_class"]["OPN"]["baseline"] == {"rule": "always predict the most common class",
                                                 "source": "training data", "class": "high", "accuracy": 0.0}


# ---------------------------------------------------------------- training smoke test
@needs_data
def test_train_smoke_run_writes_a_loadable_model(tmp_path):
    from ml.text import train
    from ml.text.predict import predict
    out = tmp_path / "m"
    assert train.main(["--max-essays", "60", "--folds", "3", "--repeats", "1", "--out", str(out),
                       "--cache", str(tmp_path / "cv"), "--quiet"]) == 0
    log = json.loads((out / "train_log.json").read_text())
    assert log["n_train"] == 60 and log["components"] == ["mpnet"]
    m = json.loads((out / "metrics.json").read_text())
    assert m["n"] == 60 and len(m["cv"]["fold_accuracy"]) == 3 and set(m["per_class"]) == set(TRAITS)
    preds = predict(["hello there", "I am worried"], model_dir=out)
    assert len(preds) == 2 and ((preds.values > 0) & (preds.values < 1)).all()


def test_mpnet_matches_the_reference_implementation():
    """The NumPy encoder gives the hidden states of Hugging Face transformers' MPNetModel
    (tests/fixtures/mpnet_reference.npz: 3 texts, every hidden state mean-pooled, made with
    transformers 4 + torch in a separate environment) after the embeddings and every layer."""
    from ml.text import embed as E
    z = np.load(Path(__file__).parent / "fixtures" / "mpnet_reference.npz")
    whole = E.MPNet(E.N_LAYERS)
    ids = [whole.chunks(str(t))[0] for t in z["texts"]]
    assert ids == [list(r[:int(m.sum())]) for r, m in zip(z["ids"], z["mask"])]  # the same word pieces
    ref = z["pooled"] / np.linalg.norm(z["pooled"], axis=-1, keepdims=True)
    got = whole.pooled(ids, range(E.N_LAYERS + 1))
    assert got.shape == ref.shape == (13, 3, E.DIM)
    assert np.abs(got - ref).max() < 1e-4  # float16 word-piece table (WORD_DTYPE): measured 3e-5
    # the shipped encoder keeps only the layers it runs, and gives the same vector at its layer
    m = E.get()
    assert m.layers == E.LAYER and len(m.layer_w) == E.LAYER
    assert np.abs(m.pooled(ids, [E.LAYER])[0] - ref[E.LAYER]).max() < 1e-4
    # padding does not change a text's vector (the three windows differ in length)
    alone = m.pooled([ids[0]], [E.LAYER])[0, 0]
    assert np.abs(alone - got[E.LAYER, 0]).max() < 1e-5
    with pytest.raises(ValueError, match="layers must be"):
        E.MPNet(13)


def test_mpnet_files_are_the_ones_the_model_was_fitted_with(monkeypatch):
    """The installed pieces hold upstream's all-mpnet-base-v2 weights (SHA-256), and a load refuses
    an archive whose members differ from the pinned ones."""
    from ml.text import embed as E
    assert E.verify() == E.SHA256
    monkeypatch.setitem(E.EXPECTED, "model.safetensors", (437971872, 0x12345678))
    with pytest.raises(ValueError, match="not the file the text model was fitted with"):
        E.archive()


def test_read_safetensors_reads_front_to_back_and_only_what_is_wanted():
    import io
    import struct
    from ml.text.embed import read_safetensors
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.arange(4, dtype=np.float16)
    header = json.dumps({"b": {"dtype": "F16", "shape": [4], "data_offsets": [24, 32]},
                         "a": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
                         "__metadata__": {"format": "pt"}}).encode()
    blob = struct.pack("<Q", len(header)) + header + a.tobytes() + b.tobytes()
    got = read_safetensors(io.BytesIO(blob), lambda k: True, lambda k, x: x.T if k == "a" else x)
    assert np.array_equal(got["a"], a.T) and got["b"].dtype == np.float32 and np.array_equal(got["b"], b)
    only_b = read_safetensors(io.BytesIO(blob), lambda k: k == "b")
    assert list(only_b) == ["b"]
    with pytest.raises(ValueError, match="ends inside"):
        read_safetensors(io.BytesIO(blob[:-2]), lambda k: True)
    bad = blob.replace(b'"F16"', b'"F64"')
    with pytest.raises(ValueError, match="unsupported dtype"):
        read_safetensors(io.BytesIO(bad), lambda k: True)


def test_mpnet_text_vector_is_the_mean_of_its_128_token_windows():
    from ml.text import embed as E
    m = E.get()
    long_text = " ".join(["interview"] * 300 + ["answer"] * 200)  # one word piece each: 500 -> 4 windows
    assert [len(c) for c in m.chunks(long_text)] == [128, 128, 128, 500 - 3 * 126 + 2]
    wins = m.windows([long_text, "", "short answer"])
    assert [w.shape for w in wins] == [(4, E.DIM), (1, E.DIM), (1, E.DIM)]
    assert np.allclose(np.linalg.norm(wins[0], axis=1), 1, atol=1e-5)
    assert np.allclose(m.embed([long_text])[0], wins[0].mean(0), atol=1e-6)
    assert len(m.chunks(" ".join(["word"] * 10_000))) == E.MAX_CHUNKS


def test_layer_table_vectors_are_the_product_embeddings_at_the_shipped_layer(tmp_path):
    """python -m ml.text.layers scores the same vectors the product computes (one pass, several layers)."""
    from ml.text import embed as E
    from ml.text.layers import layer_vectors
    from ml.text.normalize import normalize
    texts = ["I like to plan my week. " * 60, "Um, parties are fun!", ""]
    vecs = layer_vectors(texts, E.CHUNK, [E.LAYER - 1, E.LAYER], cache=tmp_path / "v.npz")
    assert vecs.shape == (3, 2, E.DIM) and (tmp_path / "v.npz").exists()
    product = E.embed([normalize(t) for t in texts])
    assert np.abs(vecs[:, 1] - product).max() < 1e-5
    assert np.abs(vecs[:, 0] - product).max() > 1e-2  # the layer below is another vector
    assert np.array_equal(layer_vectors(texts, E.CHUNK, [E.LAYER - 1, E.LAYER], cache=tmp_path / "v.npz"), vecs)


def test_window_level_head_is_the_essay_head_when_every_essay_is_one_window():
    """ml.text.heads.window_lr (measured against the shipped head, not shipped): with one window per
    essay it is the essay-level regression; with several, an essay's log-odds is its windows' mean."""
    from ml.text.heads import _lr, _scaled, window_lr

    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 8))
    y = (x[:, :2] + 0.3 * rng.normal(size=(60, 2)) > 0).astype(int)
    tr, te = np.arange(40), np.arange(40, 60)
    a, b = _scaled(x, tr, te)
    one = window_lr((x, np.ones(60, int)), y, tr, te, (False, 0.1))
    assert np.allclose(one, _lr(a, y[tr], b, 0.1), atol=1e-6)
    assert ((one > 0) == y[te]).mean() >= 0.75
    # two windows per essay: the second a copy of the first, so each test essay's mean is its one value
    twice = window_lr((np.repeat(x, 2, axis=0), np.full(60, 2)), y, tr, te, (True, 0.1))
    assert twice.shape == (20, 2) and np.allclose(twice, one, atol=1e-3)
