"""Tests of the facial-expression model (ml.face): detector, predictor, CAM, evaluate CLI, training."""
import json
import os

import numpy as np
import pytest

from ml import SHARED_DATA
from ml.face import CLASS_NAMES, model_path

cv2 = pytest.importorskip("cv2")

FER_NPZ = SHARED_DATA / "fer2013" / "fer2013_dev.npz"
needs_data = pytest.mark.skipif(not FER_NPZ.exists(), reason=f"shared FER2013 data missing: {FER_NPZ}")
needs_model = pytest.mark.skipif(not model_path().exists(), reason=f"face weights missing: {model_path()}")


def test_class_names_and_light_import():
    import subprocess, sys
    assert CLASS_NAMES == ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
    code = "import sys, ml.face; assert 'tensorflow' not in sys.modules and 'cv2' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(model_path().parents[3]))


@pytest.fixture(scope="module")
def fer_crops():
    if not FER_NPZ.exists():
        pytest.skip(f"shared FER2013 data missing: {FER_NPZ}")
    with np.load(FER_NPZ) as d:
        m = d["usage"] == "PublicTest"
        return d["pixels"][m][:40], d["emotion"][m][:40].astype(int)


def test_detector_finds_face_in_upscaled_fer_crop_and_none_in_blank(fer_crops):
    from ml.face.detect import detect_faces, crop_face
    x, _ = fer_crops
    found = 0
    for crop in x[:10]:
        big = cv2.cvtColor(cv2.resize(crop, (192, 192), interpolation=cv2.INTER_CUBIC), cv2.COLOR_GRAY2BGR)
        boxes, n = detect_faces(big)
        assert n == len(boxes)
        if n:
            found += 1
            areas = [b[2] * b[3] for b in boxes]
            assert areas == sorted(areas, reverse=True)
            c = crop_face(cv2.cvtColor(big, cv2.COLOR_BGR2GRAY), boxes[0])
            assert c.shape == (48, 48) and c.dtype == np.uint8
    assert found >= 5  # the cascade finds most tight FER crops once upscaled
    for blank in (np.zeros((200, 200), np.uint8), np.full((240, 320, 3), 127, np.uint8)):
        assert detect_faces(blank) == ([], 0)


def test_crop_face_shape_at_border():
    from ml.face.detect import crop_face
    img = np.random.default_rng(0).integers(0, 255, (100, 80), dtype=np.uint8)
    for box in [(0, 0, 30, 30), (60, 80, 40, 40), (10, 10, 60, 20)]:
        c = crop_face(img, box, margin=0.2)
        assert c.shape == (48, 48) and c.dtype == np.uint8


@needs_model
def test_predict_shapes_and_probabilities(fer_crops):
    from ml.face.predict import predict, predict_labelled
    x, _ = fer_crops
    p = predict(x)
    assert p.shape == (len(x), 7) and p.dtype == np.float32
    assert np.allclose(p.sum(1), 1, atol=1e-4) and (p >= 0).all()
    assert predict(list(x[:3]), tta="none").shape == (3, 7)
    assert predict(np.zeros((0, 48, 48), np.uint8)).shape == (0, 7)
    lab = predict_labelled(x[:2])
    assert len(lab) == 2 and list(lab[0]) == list(CLASS_NAMES)
    assert abs(sum(lab[0].values()) - 1) < 1e-4
    with pytest.raises(ValueError):
        predict(np.zeros((2, 32, 32), np.uint8))


@needs_model
def test_committed_model_beats_chance(fer_crops):
    from ml.face.predict import predict
    x, y = fer_crops
    assert (predict(x).argmax(1) == y).mean() > 0.4


@needs_model
def test_class_activation_map(fer_crops):
    from ml.face.predict import class_activation_map
    cam = class_activation_map(fer_crops[0][0])
    assert cam.shape == (48, 48) and cam.dtype == np.float32
    assert cam.min() >= 0 and cam.max() <= 1 and np.isfinite(cam).all()
    assert class_activation_map(fer_crops[0][1], class_index=3).shape == (48, 48)


def _run_eval(argv, capsys):
    from ml.evaluate import main
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


@needs_model
def test_evaluate_cli_on_class_dir(tmp_path, fer_crops, capsys):
    x, y = fer_crops
    for name in ("happy", "sad", "not_a_class"):
        (tmp_path / name).mkdir()
    for i in range(4):  # sizes/formats vary: upscaled colour JPEG and plain PNG
        cv2.imwrite(str(tmp_path / "happy" / f"{i}.png"), x[i])
        big = cv2.cvtColor(cv2.resize(x[i + 4], (96, 96)), cv2.COLOR_GRAY2BGR)
        cv2.imwrite(str(tmp_path / "sad" / f"{i}.jpg"), big)
    cv2.imwrite(str(tmp_path / "not_a_class" / "x.png"), x[9])
    res = _run_eval(["face", str(tmp_path)], capsys)
    for key in ("n", "accuracy", "accuracy_present", "macro_f1", "per_class", "faces_missed"):
        assert key in res
    assert res["n"] == 8 and res["faces_missed"] == 0
    assert set(res["per_class"]) == {"happy", "sad"}
    assert "not_a_class" in res["skipped_folders"]
    assert res["accuracy_present"] >= res["accuracy"]

    # with --detect-faces a blank image has no face: wrong and counted as missed
    cv2.imwrite(str(tmp_path / "sad" / "blank.png"), np.full((120, 120), 128, np.uint8))
    res = _run_eval(["face", str(tmp_path), "--detect-faces"], capsys)
    assert res["n"] == 9 and res["faces_missed"] >= 1


def test_compute_metrics_counts_missed_as_wrong():
    from ml.face.evaluate import compute_metrics
    probs = np.eye(7, dtype=np.float32)[[3, 3, 4, 0]]
    probs[3] = [0.5, 0, 0, 0.1, 0.4, 0, 0]
    m = compute_metrics(np.array([3, 3, 4, 4]), probs, np.array([True, False, True, True]))
    assert m["accuracy"] == 0.5 and m["faces_missed"] == 1
    assert m["accuracy_present"] == 0.75  # angry is not present: the last row falls back to sad
    assert np.array(m["confusion_matrix"]).sum() == 3


@needs_data
def test_smoke_train_one_epoch(tmp_path):
    from ml.face.train import main, export_best
    out = tmp_path / "run"
    assert main(["--max-samples", "64", "--epochs", "1", "--out", str(out), "--precision", "float32"]) == 0
    state = json.loads((out / "state.json").read_text())
    assert state["epoch"] == 1 and (out / "last.keras").exists() and (out / "best.weights.h5").exists()
    assert (out / "log.csv").read_text().count("\n") == 2
    dest = export_best(out, tmp_path / "m" / "face.keras")
    from ml.face.predict import predict
    assert predict(np.zeros((2, 48, 48), np.uint8), model_file=dest).shape == (2, 7)
    # resuming a finished run with a longer schedule trains one more epoch
    assert main(["--max-samples", "64", "--epochs", "2", "--out", str(out), "--resume"]) == 0
    assert json.loads((out / "state.json").read_text())["epoch"] == 2


@needs_data
def test_tta_views_zoom_and_mirror():
    """The zoomed view is the centre resized back (as cv2 does one image at a time) and the
    modes stack their views view-major; more than 512 crops (OpenCV's channel limit) work."""
    import cv2
    from ml.face import TTA_MODES, tta_mode
    from ml.face.features import tta_view, tta_views
    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, (600, 48, 48, 1)).astype(np.float32)
    z = tta_view(x, 1.1, mirror=True)
    want = cv2.resize(x[599, 2:46, 2:46, 0], (48, 48), interpolation=cv2.INTER_LINEAR)[:, ::-1]
    assert z.shape == (600, 48, 48, 1) and z.dtype == np.float32
    assert np.abs(z[599, :, :, 0] - want).max() < 1e-2
    assert np.array_equal(tta_view(x, 1.0, mirror=True), x[:, :, ::-1])
    assert np.array_equal(tta_view(x), x)
    v = tta_views(x[:5], "flip-zoom")
    assert v.shape == (20, 48, 48, 1) and np.array_equal(v[5:10], x[:5, :, ::-1])
    assert len(tta_views(x[:5], "none")) == 5 and all(m[0] == (1.0, False) for m in TTA_MODES.values())
    assert tta_mode(True) == "flip" and tta_mode(False) == "none"
    with pytest.raises(ValueError):
        tta_mode("sideways")


@needs_model
def test_predict_averages_the_views(fer_crops):
    from ml.face.features import to_model_input, tta_view
    from ml.face.predict import predict
    x, _ = fer_crops
    m = to_model_input(x)
    single = lambda a: predict(a, tta="none")  # noqa: E731
    assert np.allclose(predict(x, tta="zoom-mirror"), (single(m) + single(tta_view(m, 1.1, True))) / 2, atol=1e-4)
    assert np.allclose(predict(x, tta=True), predict(x, tta="flip"))


@needs_model
def test_second_member_export_and_ensemble(tmp_path, monkeypatch, fer_crops, capsys):
    """train -> export as a second member -> choose on validation -> predict averages the members."""
    import shutil
    import ml
    from ml.face import model_dir, training_info_path, ensemble_config
    from ml.face.train import main as train
    from ml.face.ensemble import main as ensemble
    from ml.face.predict import predict, class_activation_map

    shipped = model_dir()
    models = tmp_path / "models"
    (models / "face").mkdir(parents=True)
    for f in ("face_cnn.keras", "training_info.json"):
        shutil.copy(shipped / f, models / "face" / f)
    monkeypatch.setattr(ml, "MODELS_DIR", models)
    assert ensemble_config() == {"members": ["face_cnn.keras"], "tta": "flip"}

    out = tmp_path / "run"
    assert train(["--max-samples", "64", "--epochs", "1", "--out", str(out), "--precision", "float32",
                  "--init-seed", "7", "--export", "--export-as", "face_cnn_b.keras"]) == 0
    assert (models / "face" / "face_cnn_b.keras").exists()
    info = json.loads(training_info_path("face_cnn_b.keras").read_text())
    assert info["train_args"]["init_seed"] == 7 and info["train_args"]["seed"] == 1234

    assert ensemble(["face_cnn.keras", "face_cnn_b.keras", "--write"]) == 0
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert res["n_val"] > 1000 and set(res["val_accuracy_members"]) == {"face_cnn.keras", "face_cnn_b.keras"}
    assert res["val_accuracy_members"]["face_cnn.keras"] > 0.5  # the shipped member is real
    assert res["val_nll_members"]["face_cnn.keras"] < 1.2 < np.log(7)  # and far better than chance
    assert res["val_nll_ensemble"] > 0
    assert ensemble_config() == {"members": ["face_cnn.keras", "face_cnn_b.keras"], "tta": "flip"}
    assert set(res["by_tta"]) == {"none", "flip", "zoom-mirror", "flip-zoom"}
    assert res["by_tta"]["flip"]["val_nll_ensemble"] == res["val_nll_ensemble"]
    assert res["by_tta"]["flip-zoom"]["passes_per_crop"] == 8

    x, _ = fer_crops
    a = predict(x, model_file=models / "face" / "face_cnn.keras")
    b = predict(x, model_file=models / "face" / "face_cnn_b.keras")
    assert np.allclose(predict(x), (a + b) / 2, atol=1e-4)
    cam = class_activation_map(x[0])
    assert cam.shape == (48, 48) and np.isfinite(cam).all() and cam.max() <= 1

    # a member validated on another split cannot be compared
    info["train_args"]["seed"] = 99
    training_info_path("face_cnn_b.keras").write_text(json.dumps(info))
    with pytest.raises(SystemExit):
        ensemble(["face_cnn.keras", "face_cnn_b.keras"])
    # members need not include face_cnn.keras (kept as the fallback single model)
    info["train_args"]["seed"] = 1234
    training_info_path("face_cnn_b.keras").write_text(json.dumps(info))
    assert ensemble(["face_cnn_b.keras", "--tta", "zoom-mirror", "--write"]) == 0
    assert ensemble_config() == {"members": ["face_cnn_b.keras"], "tta": "zoom-mirror"}
    assert np.allclose(predict(x), predict(x, tta="zoom-mirror", model_file=models / "face" / "face_cnn_b.keras"),
                       atol=1e-5)
    # an ensemble.json written before the TTA modes existed still reads
    (models / "face" / "ensemble.json").write_text(json.dumps({"members": ["face_cnn_b.keras"], "tta_flip": False}))
    assert ensemble_config() == {"members": ["face_cnn_b.keras"], "tta": "none"}
    with pytest.raises(SystemExit):
        ensemble(["face_cnn_b.keras", "face_cnn_b.keras"])
    # back to a single model
    assert ensemble(["face_cnn.keras", "--write"]) == 0
    assert ensemble_config()["members"] == ["face_cnn.keras"]


@needs_model
def test_bfloat16_inference_agrees_with_float32(fer_crops, monkeypatch):
    from ml.face import inference_precision
    from ml.face.predict import predict
    x, _ = fer_crops
    monkeypatch.setenv("FACE_PRECISION", "float32")
    assert inference_precision() == "float32"
    p32 = predict(x)
    monkeypatch.setenv("FACE_PRECISION", "bfloat16")
    assert inference_precision() == "bfloat16"
    p16 = predict(x)
    assert p16.dtype == np.float32 and np.allclose(p16.sum(1), 1, atol=1e-4)
    assert np.abs(p16 - p32).max() < 0.1
    assert (p16.argmax(1) == p32.argmax(1)).mean() >= 0.9


@needs_model
def test_inference_copy_folds_batchnorm_without_changing_the_function(fer_crops):
    """The forward pass predict uses (BatchNorm folded into the convs, no dropout) computes
    the same probabilities as the trained Keras model, and has no BatchNorm left."""
    import keras
    from ml.face.model import build_inference_model
    from ml.face.predict import load_model
    x, _ = fer_crops
    model, _ = load_model(model_path())
    fast = build_inference_model(model, "float32")
    assert not any(isinstance(l, keras.layers.BatchNormalization) for l in fast.layers)
    assert any(isinstance(l, keras.layers.BatchNormalization) for l in model.layers)
    xin = x[..., None].astype(np.float32)
    ref = model(xin, training=False).numpy()
    got = fast(xin, training=False).numpy()
    assert np.abs(got - ref).max() < 1e-4
    assert (got.argmax(1) == ref.argmax(1)).all()
