"""Big Five text model: text normalisation, confidence intervals, robustness to
transcript-like text, and the dashboard's display rule for unreliable traits."""
import json
import re

import numpy as np
import pytest

from ml.text import ESSAYS_CSV, MODEL_DIR, TRAIT_NAMES, TRAITS
from ml.text.normalize import normalize, transcript_like

needs_data = pytest.mark.skipif(not ESSAYS_CSV.exists(), reason=f"essays data not found at {ESSAYS_CSV}")


# ---------------------------------------------------------------- normalisation
def test_normalize_drops_case_punctuation_fillers_and_keeps_contractions():
    assert normalize("Well, I don\u2019t KNOW... Um, 42 cats! Hmmm?") == "well i don't know 00 cats"
    assert normalize("'Quoted' words -- and rock'n'roll; summer umbrella") == "quoted words and rock'n'roll summer umbrella"
    assert normalize("") == "" and normalize(None) == ""


def test_transcript_like_strips_punctuation_and_inserts_fillers_reproducibly():
    text = "Hello, World! I am fine; thanks."
    assert transcript_like(text) == "hello world i am fine thanks"
    a, b = transcript_like(text, fillers=0.5, seed=3), transcript_like(text, fillers=0.5, seed=3)
    assert a == b and ("um" in a.split() or "uh" in a.split())
    assert normalize(a) == normalize(text)  # fillers and punctuation are what normalisation removes


# ---------------------------------------------------------------- confidence intervals
def test_ci95_t_interval_and_corrected_variance():
    from ml.text.cv import ci95
    vals = [0.5, 0.6, 0.7]  # mean 0.6, sd 0.1, t(0.975, 2) = 4.3027
    m, lo, hi = ci95(vals)
    assert m == pytest.approx(0.6) and hi - m == pytest.approx(4.302653 * 0.1 / np.sqrt(3), rel=1e-5)
    assert m - lo == pytest.approx(hi - m)
    # Nadeau-Bengio: variance x (1/J + n_test/n_train) instead of 1/J -> wider
    _, lo2, hi2 = ci95(vals, n_train=80, n_test=20)
    assert hi2 - 0.6 == pytest.approx(4.302653 * 0.1 * np.sqrt(1 / 3 + 0.25), rel=1e-5)
    assert ci95([0.55]) == (0.55, 0.55, 0.55)


def test_wilson_interval_of_a_proportion():
    from ml.text.evaluate import wilson_ci95
    assert wilson_ci95(50, 100) == [0.4038, 0.5962]
    assert wilson_ci95(0, 10)[0] == 0.0 and 0.27 < wilson_ci95(0, 10)[1] < 0.31
    assert wilson_ci95(0, 0) == [0.0, 1.0]


def test_summarise_marks_per_trait_figures():
    from ml.text.cv import summarise
    acc = np.array([[0.6, 0.5, 0.55, 0.58, 0.62], [0.62, 0.52, 0.53, 0.6, 0.6]])
    base = np.full_like(acc, 0.52)
    s = summarise(acc, base, 80, 20)
    assert s["per_trait"]["EXT"]["accuracy"] == 0.61 and s["per_trait"]["EXT"]["baseline"] == 0.52
    assert s["accuracy"] == pytest.approx(acc.mean(), abs=1e-4)
    lo, hi = s["per_trait"]["NEU"]["ci95"]
    assert lo < 0.51 < hi


def test_repeated_folds_are_stratified_and_cover_every_essay_once_per_repeat():
    from ml.text.cv import folds
    rng = np.random.default_rng(0)
    y = (rng.random((400, 5)) < 0.5).astype(float)
    fl = folds(y, k=5, repeats=2)
    assert len(fl) == 10
    for r in range(2):
        tests = np.concatenate([te for _, te in fl[5 * r:5 * r + 5]])
        assert sorted(tests.tolist()) == list(range(400))
    for tr, te in fl:
        assert not set(tr) & set(te)
        assert np.abs(y[te].mean(0) - y.mean(0)).max() < 0.08  # every trait's ratio kept
    assert not np.array_equal(fl[0][1], fl[5][1])  # the second repeat shuffles differently


# ---------------------------------------------------------------- robustness
@needs_data
def test_transcript_like_essays_lose_at_most_two_points_of_cv_accuracy():
    """The word model through 3 folds of 300 essays: scored on the essays as written and on the
    same essays lower-cased, without punctuation and with fillers, the mean accuracy may not
    fall by more than 2 points. (The full 2 x 5-fold figure is in metrics.json / the card.)"""
    from ml.text import candidates as C
    from ml.text.cv import folds
    from ml.text.features import read_labelled_csv
    _, texts, labels = read_labelled_csv(ESSAYS_CSV)
    texts, labels = texts[:300], labels[:300]
    y = labels >= 0.5
    fp = C.make("tfidf", texts, labels)
    orig, trans = [], []
    for f, (tr, te) in enumerate(folds(labels, k=3, repeats=1)):
        p, pt = fp(tr, te, f)
        orig.append(((p >= 0.5) == y[te]).mean())
        trans.append(((pt >= 0.5) == y[te]).mean())
    assert np.mean(orig) - np.mean(trans) <= 0.02, (np.mean(orig), np.mean(trans))


@needs_data
def test_shipped_model_gives_transcripts_the_same_estimates():
    from ml.text.features import read_labelled_csv
    from ml.text.predict import predict
    _, texts, _ = read_labelled_csv(ESSAYS_CSV)
    sample = [t[:1500] for t in texts[:12]]
    spoken = [transcript_like(t, fillers=0.08, seed=i) for i, t in enumerate(sample)]
    a, b = predict(sample).values, predict(spoken).values
    assert np.abs(a - b).max() < 1e-5
    assert np.abs(a - 0.5).max() > 0.01  # real estimates, not a constant


def test_recorded_robustness_figures_meet_the_bar():
    m = json.loads((MODEL_DIR / "metrics.json").read_text())
    assert m["transcript_like"]["drop"] <= 0.02


# ---------------------------------------------------------------- display rule
def test_lean_words_whole_percentages():
    from webapp.modelinfo import lean_words
    avg = "about average on the model's scale, neither high nor low"
    assert lean_words(0.5) == f"{avg} (50 of 100)" and lean_words(0.595) == f"{avg} (60 of 100)"
    assert lean_words(0.404) == f"{avg} (40 of 100)"
    # the words follow the percentage shown: 60% is "about average" at 0.600 and at 0.604 alike
    assert lean_words(0.600) == lean_words(0.604) == f"{avg} (60 of 100)" and lean_words(0.396) == f"{avg} (40 of 100)"
    assert lean_words(0.606) == "leans high (61 of 100)" and lean_words(0.394) == "leans low (39 of 100)"
    assert lean_words(0.6712) == "leans high (67 of 100)" and lean_words(0.31) == "leans low (31 of 100)"


def _metrics(reliable: set):
    from webapp.modelinfo import normalise
    per = {}
    for t in TRAITS:
        ok = t in reliable
        per[t] = {"n": 1973, "accuracy": 0.6 if ok else 0.53, "ci95": [0.58, 0.62] if ok else [0.5, 0.56],
                  "baseline": {"accuracy": 0.52}, "reliable": ok}
    return normalise("text", {"task": "multi-label", "n": 1973, "accuracy": 0.56, "measured_on": "1,973 essays",
                              "baseline": {"accuracy": 0.52, "source": "training data"}, "per_class": per})


@pytest.mark.all_databases
def test_dashboard_shows_only_reliable_traits(client, auth, app, monkeypatch, whole_essay_text_figures):
    from tests.helpers import LONG_ANSWER
    from webapp import modelinfo
    from tests.test_interview import post_answer
    from webapp.extensions import db
    from webapp.jobs import run_pending
    from webapp.models import Answer
    from webapp.modelinfo import lean_words
    auth.register()
    post_answer(client, LONG_ANSWER)
    with app.app_context():
        run_pending()
        scores = db.session.get(Answer, 1).score_map("big5")
    fake = _metrics({"EXT", "OPN"})
    monkeypatch.setattr(modelinfo, "model_metrics", lambda kind: fake if kind == "text" else None)
    page = client.get("/answers/1").get_data(as_text=True)
    for t in ("NEU", "AGR", "CON"):
        assert f"this model cannot estimate {TRAIT_NAMES[t]} reliably" in page
    assert "right 53% of the time, likely 50% to 56% on other texts like them, and always guessing" in page
    for t in ("EXT", "OPN"):
        assert f"cannot estimate {TRAIT_NAMES[t]}" not in page
        assert lean_words(scores[t] / 100) in page
    # unreliable scores are neither in the table nor in the chart data
    chart = json.loads(re.search(r'id="big5-data">(.*?)</script>', page, re.S).group(1))
    you = dict(zip(chart["labels"], chart["you"]))
    assert set(you) == {"Extraversion", "Openness"} and you["Extraversion"] == pytest.approx(scores["EXT"])
    row = re.search(r'data-trait="NEU".*?</tr>', page, re.S).group(0)
    assert f'{scores["NEU"]:.0f}' not in re.search(r'class="you num" data-label="You">(.*?)</td>', row, re.S).group(1)
    # no trait gets a percentile among others (a model little better than a guess cannot rank people), and the page
    # says so, with the model's measured accuracy (metrics.json, rounded as the model note rounds it), never a typed one
    assert 'class="pct-question"' not in page and "Your percentile among others" not in page
    assert 'id="no-trait-percentiles"' in page
    from webapp import modelinfo
    measured = json.loads((modelinfo.MODELS_DIR / "text" / "metrics.json").read_text())["accuracy"]
    no_pct = " ".join(re.search(r'id="no-trait-percentiles">(.*?)</p>', page, re.S).group(1).split())
    assert f"call is right only about {100 * measured:.0f} times in 100, too rough to rank you" in no_pct, no_pct
    # the readings carry the whole 0-100 score, not a percentage ("38%" read as "38% neurotic")
    readings = re.findall(r"(?:leans (?:high|low)|about average on the model&#39;s scale, neither high nor low) \(([^)]*)\)", page)
    assert len(readings) == 2 and all(re.fullmatch(r"\d+ of 100", r) for r in readings)


# ---------------------------------------------------------------- the shipped linear model
def test_linear_model_arrays_reproduce_the_sklearn_fit(tmp_path):
    """linear.npz holds everything: its own standardisation + LR gives scikit-learn's probabilities,
    and with the optional word component, its own TF-IDF + LR too."""
    from sklearn.preprocessing import StandardScaler
    from ml.text import candidates as C
    from ml.text.linear import LinearTextModel
    from ml.text.train import fit_final
    rng = np.random.default_rng(0)
    words = "i you we love hate party exam worry friends plan read art music tired happy sad".split()
    texts = [" ".join(rng.choice(words, size=40)) + ("!" if i % 2 else ".") for i in range(40)]
    labels = (rng.random((40, 5)) < 0.5).astype(np.float32)
    labels[:, 0] = [("party" in t.split()[:10]) for t in texts]
    y = (labels >= 0.5).astype(int)
    emb = rng.normal(size=(40, 768)).astype(np.float32)
    sc = StandardScaler().fit(emb)
    expected_emb = C.lr_proba(C.fit_lr(sc.transform(emb), y, C.C_MPNET), sc.transform(emb))
    # the shipped form: the embedding component alone
    arrays = fit_final(texts, labels, emb)
    assert list(arrays["components"]) == ["mpnet"] and "word_vocab" not in arrays
    arrays["platt_a"], arrays["platt_b"] = np.ones(5), np.zeros(5)
    LinearTextModel(arrays).save(tmp_path)
    model = LinearTextModel.load(tmp_path)
    p = model.predict_proba(texts, embed=lambda ts: emb[:len(ts)])
    assert p.shape == (40, 5) and np.allclose(p, expected_emb, atol=1e-5)
    # with the word component: a = 1, b = 0 gives the plain mean of the two parts
    arrays = fit_final(texts, labels, emb, components=("mpnet", "tfidf"))
    arrays["platt_a"], arrays["platt_b"] = np.ones(5), np.zeros(5)
    LinearTextModel(arrays).save(tmp_path)
    model = LinearTextModel.load(tmp_path)
    norm = [normalize(t) for t in texts]
    (x,), _ = C.tfidf_fit_transform(norm)
    expected_words = C.lr_proba(C.fit_lr(x, y, C.C_TFIDF), x)
    assert np.allclose(model.p_words(norm), expected_words, atol=1e-5)
    p = model.predict_proba(texts, embed=lambda ts: emb[:len(ts)])
    assert np.allclose(p, (expected_words + expected_emb) / 2, atol=1e-5)
    # an artefact naming an unknown component, or lacking the word arrays it names, is refused
    bad = dict(arrays, components=np.array(["mpnet", "bert"]))
    with pytest.raises(ValueError, match="not supported"):
        LinearTextModel(bad)
    with pytest.raises(ValueError, match="lack"):
        LinearTextModel({k: v for k, v in arrays.items() if k != "word_idf"})


def test_linear_model_refuses_weights_fitted_on_other_embedding_settings(tmp_path, monkeypatch):
    """linear.npz records how its embeddings were made; a model fitted on other windows or another
    layer would give silently wrong scores, so loading it fails with a clear message."""
    from ml.text import embed as E
    from ml.text.linear import LinearTextModel
    from ml.text.train import fit_final
    rng = np.random.default_rng(1)
    texts = [" ".join(rng.choice(["plan", "party", "worry", "art"], size=20)) for _ in range(20)]
    labels = (rng.random((20, 5)) < 0.5).astype(np.float32)
    labels[0], labels[1] = 1, 0  # both classes in every trait
    arrays = fit_final(texts, labels, rng.normal(size=(20, 768)).astype(np.float32))
    arrays["platt_a"], arrays["platt_b"] = np.ones(5), np.zeros(5)
    assert tuple(arrays["embed_settings"]) == E.settings() == (E.CHUNK, E.MAX_CHUNKS, E.LAYER)
    LinearTextModel(arrays).save(tmp_path)
    LinearTextModel.load(tmp_path)  # same settings: loads
    monkeypatch.setattr(E, "LAYER", E.LAYER - 1)
    with pytest.raises(ValueError, match="retrain"):
        LinearTextModel.load(tmp_path)


def test_the_live_word_counter_leaves_out_the_fillers_the_length_rule_leaves_out():
    """static/js/wordcount.js counts as ml.text.normalize.word_count does: the same filler pattern."""
    import re
    from pathlib import Path
    from ml.text.normalize import _FILLER
    js = (Path(__file__).resolve().parent.parent / "static" / "js" / "wordcount.js").read_text()
    assert re.search(r"var FILLER = /\^(.*)\$/;", js).group(1) == _FILLER


def test_the_big_five_caveats_say_so_when_the_accuracy_is_unmeasured(app):
    """Without the text model's metrics the caveats give no figure at all (never a typed one): they say its
    accuracy has not been measured."""
    from flask import render_template_string
    app.jinja_env.globals["model_metrics"] = lambda kind: None
    with app.test_request_context():
        html = " ".join(render_template_string(
            '{% from "practice/_traits_caveat.html" import traits_not_compared %}{{ traits_not_compared }}.'
            '{% from "dashboard/_compare.html" import no_trait_percentiles %}{{ no_trait_percentiles() }}').split())
    assert "a model whose accuracy has not been measured cannot tell a change in you" in html, html
    assert "call is of unmeasured accuracy, so it cannot be trusted to rank you against others" in html, html
    assert "times in" not in html
