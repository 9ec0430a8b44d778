"""ml.metrics on small examples computed by hand."""
import json

import numpy as np
import pytest

from ml import metrics as M

ABC = ("a", "b", "c")


def test_single_label_by_hand():
    # true a a a b b c, predicted a a b b c (none): 3 of 6 right
    r = M.classification_report([0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 2, -1], ABC)
    assert r["task"] == "single-label" and r["n"] == 6
    assert r["accuracy"] == 0.5
    assert r["confusion_matrix"] == [[2, 1, 0], [0, 1, 1], [0, 0, 0]]
    assert r["n_unpredicted"] == 1
    # a: precision 2/2, recall 2/3, F1 0.8; b: 1/2, 1/2, 0.5; c: predicted once wrongly, never right
    assert r["per_class"]["a"] == {"support": 3, "precision": 1.0, "recall": 0.6667, "f1": 0.8}
    assert r["per_class"]["b"] == {"support": 2, "precision": 0.5, "recall": 0.5, "f1": 0.5}
    assert r["per_class"]["c"] == {"support": 1, "precision": 0.0, "recall": 0.0, "f1": 0.0}
    assert r["macro_f1"] == 0.4333  # (0.8 + 0.5 + 0) / 3
    # no training counts: the majority class of the evaluated set (a, 3 of 6)
    assert r["baseline"] == {"rule": M.BASELINE_RULE, "source": "evaluated set", "class": "a", "accuracy": 0.5}


def test_absent_classes_are_not_listed_nor_averaged():
    r = M.classification_report([0, 0, 1, 1], [0, 1, 1, 3], ("a", "b", "c", "d"))
    assert set(r["per_class"]) == {"a", "b"}
    # a: P 1, R 0.5, F1 2/3; b: P 0.5, R 0.5, F1 0.5; d predicted once but absent: not averaged
    assert r["macro_f1"] == round((2 / 3 + 0.5) / 2, 4)
    assert r["accuracy"] == 0.5 and np.array(r["confusion_matrix"])[1, 3] == 1


def test_baseline_from_training_counts_and_ties():
    # training counts b = c = 5 > a = 1: the tie goes to b, listed first; b is 2 of the 6 evaluated
    b = M.majority_baseline([0, 0, 0, 1, 1, 2], ABC, train_counts=[1, 5, 5])
    assert b == {"rule": M.BASELINE_RULE, "source": "training data", "class": "b", "accuracy": 0.3333}
    assert M.majority_baseline([2, 1, 2, 1], ABC)["class"] == "b"  # tie in the evaluated set too
    with pytest.raises(ValueError):
        M.majority_baseline([0], ABC, train_counts=[1, 2])


def test_report_from_confusion_matches_labels():
    y = np.array([0, 1, 2, 2, 1, 0, 0, 2])
    p = np.array([0, 2, 2, 1, 1, 0, 1, 2])
    r = M.classification_report(y, p, ABC)
    assert M.report_from_confusion(r["confusion_matrix"], ABC) == r


def test_multilabel_by_hand():
    truth = [[1, 0], [1, 1], [0, 0], [1, 0]]
    pred = [[1, 0], [0, 1], [0, 1], [1, 1]]
    r = M.multilabel_report(truth, pred, ("X", "Y"))
    x, y = r["per_class"]["X"], r["per_class"]["Y"]
    # X: 3 of 4 right; low: P 1/2 R 1 F1 2/3; high: P 1 R 2/3 F1 0.8
    assert x["accuracy"] == 0.75 and x["per_class"]["high"] == {"support": 3, "precision": 1.0,
                                                                 "recall": 0.6667, "f1": 0.8}
    assert x["macro_f1"] == round((2 / 3 + 0.8) / 2, 4)
    # Y: 2 of 4 right; low: P 1 R 1/3 F1 0.5; high: P 1/3 R 1 F1 0.5
    assert y["accuracy"] == 0.5 and y["macro_f1"] == 0.5
    assert x["baseline"]["class"] == "high" and y["baseline"]["class"] == "low"
    assert x["baseline"]["accuracy"] == y["baseline"]["accuracy"] == 0.75
    assert r["task"] == "multi-label" and r["n"] == 4 and r["class_names"] == ["X", "Y"]
    assert r["accuracy"] == 0.625 and r["macro_f1"] == round(((2 / 3 + 0.8) / 2 + 0.5) / 2, 4)
    assert r["baseline"]["accuracy"] == 0.75 and r["baseline"]["source"] == "evaluated set"
    # training data: X mostly low (1 of 4 high), Y mostly high: each baseline is right once
    t = M.multilabel_report(truth, pred, ("X", "Y"), train_positive=[1, 3], n_train=4)
    assert t["baseline"] == {"rule": M.BASELINE_RULE + ", per trait", "source": "training data", "accuracy": 0.25}
    assert t["accuracy"] == r["accuracy"]
    with pytest.raises(ValueError):
        M.multilabel_report(truth, pred, ("X", "Y"), train_positive=[1, 3])


def test_argmax_among_present_classes():
    probs = np.array([[0.5, 0.1, 0.4], [0.2, 0.7, 0.1]])
    assert M.argmax_among(probs, [2, 1]).tolist() == [2, 1]
    assert M.argmax_among(np.zeros((0, 3)), [0]).tolist() == []


def test_metrics_record_has_the_schema_and_todays_date(tmp_path):
    import datetime
    rep = M.classification_report([0, 1], [0, 0], ABC)
    rec = M.metrics_record(rep, model="m.keras", kind="face", dataset="D", measured_on="two pictures",
                           command="python -m x", tta="flip")
    assert rec["schema"] == 1 and rec["task"] == "single-label" and rec["tta"] == "flip"
    assert rec["date"] == datetime.date.today().isoformat()
    path = M.write_metrics(tmp_path / "m" / "metrics.json", rec)
    assert json.loads(path.read_text()) == rec
    del rec["measured_on"]
    with pytest.raises(ValueError):
        M.write_metrics(tmp_path / "bad.json", rec)


@pytest.mark.parametrize("kind", ["text", "face", "voice"])
def test_committed_metrics_follow_the_schema_and_the_web_app_reads_them(kind):
    from ml import MODELS_DIR
    from webapp.modelinfo import model_metrics, normalise
    m = json.loads((MODELS_DIR / kind / "metrics.json").read_text())
    assert m["schema"] == M.SCHEMA_VERSION and m["kind"] == kind
    assert all(k in m for k in M.REQUIRED_KEYS)
    assert len(m["date"]) == 10 and m["date"][4] == m["date"][7] == "-"
    info = model_metrics(kind)
    assert info.accuracy == m["accuracy"] and info.baseline == m["baseline"]["accuracy"] < info.accuracy
    assert info.n == m["n"] and f"{m['n']:,}" in info.measured_on
    assert not any(ext in info.measured_on for ext in (".csv", ".npz", ".json", "/"))  # plain words
    assert set(info.per_class) == set(m["per_class"]) and all(0 <= c.accuracy <= 1 for c in info.per_class.values())
    assert normalise(kind, {}) is None


def test_cards_render_from_their_templates():
    from ml import MODELS_DIR, card
    for kind, must in {"face": ("Kaggle ICML-2013", "0.6821"),
                       "voice": ("CC BY-NC-SA 4.0", "Livingstone & Russo (2018)"),
                       "text": ("Pennebaker, J. W., & King, L. A. (1999)", "0.572")}.items():
        text = card.render(kind)
        m = json.loads((MODELS_DIR / kind / "metrics.json").read_text())
        assert all(s in text for s in must) and f"Date: {m['date']}" in text
        assert "## Limitations" in text or "limitations" in text


def test_two_class_scores_are_the_evaluations_formulas():
    """An architecture review: precision, recall and accuracy of a yes/no call were written out by hand in the smile,
    blink, nod and talking-point evaluations (and the web app's smile figures); ``two_class_scores`` is their one
    copy and gives what they gave: the committed figures, and None (not 0) for a share of nothing."""
    import itertools
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    smile = json.loads((root / "data" / "gaze" / "smile_metrics.json").read_text())
    assert M.two_class_scores(smile["tp"], smile["fp"], smile["fn"], smile["tn"]) == {
        k: smile[k] for k in ("precision", "recall", "accuracy")}
    shipped = json.loads((root / "data" / "text" / "points_metrics.json").read_text())["shipped"]
    assert M.two_class_scores(shipped["tp"], shipped["fp"], shipped["fn"], shipped["tn"], digits=3) == {
        k: shipped[k] for k in ("precision", "recall", "accuracy")}

    def share(a, b, digits):  # the formulas as the evaluations wrote them
        return (round(a / b, digits) if digits is not None else a / b) if b else None
    for (tp, fp, fn, tn), digits in itertools.product(itertools.product(range(4), repeat=4), (4, 3, None)):
        assert M.two_class_scores(tp, fp, fn, tn, digits) == {
            "precision": share(tp, tp + fp, digits), "recall": share(tp, tp + fn, digits),
            "accuracy": share(tp + tn, tp + fp + fn + tn, digits)}
        assert M.two_class_scores(tp, fp, fn, digits=digits) == {
            "precision": share(tp, tp + fp, digits), "recall": share(tp, tp + fn, digits)}
    assert M.two_class_scores(0, 0, 0, 0) == {"precision": None, "recall": None, "accuracy": None}
