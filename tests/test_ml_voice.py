"""Tests of the vocal-emotion model (ml/voice) and its audio utilities."""
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from ml import MODELS_DIR, ROOT, SHARED_DATA
from ml.voice import CLASS_NAMES
from ml.voice.audio import AudioDecodeError, load_audio

RAVDESS = SHARED_DATA / "ravdess"
MODEL = MODELS_DIR / "voice"
needs_data = pytest.mark.skipif(not (RAVDESS / "manifest.csv").is_file(),
                                reason=f"RAVDESS data not found at {RAVDESS}")
needs_model = pytest.mark.skipif(not (MODEL / "voice_head.weights.h5").is_file(),
                                 reason=f"trained voice model not found in {MODEL}")
SR = 16000


def tone(freq=220.0, seconds=1.0, sr=SR, amp=0.3):
    t = np.arange(int(sr * seconds)) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def peak_hz(wave, sr=SR):
    spec = np.abs(np.fft.rfft(wave * np.hanning(wave.size)))
    return np.fft.rfftfreq(wave.size, 1 / sr)[spec.argmax()]


def encode_pyav(path, wave, sr, fmt, codec, rate, layout="stereo"):
    """Write ``wave`` (mono float) with PyAV as ``fmt``/``codec`` at ``rate`` Hz."""
    import av

    data = np.stack([wave, wave]) if layout == "stereo" else wave[None]
    with av.open(str(path), "w", format=fmt) as out:
        st = out.add_stream(codec, rate=rate, layout=layout)
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(data, dtype=np.float32), format="fltp",
                                           layout=layout)
        frame.sample_rate = sr
        resampler = av.AudioResampler(format=st.codec_context.format.name, layout=layout, rate=rate)
        for f in resampler.resample(frame) + resampler.resample(None):
            for pkt in st.encode(f):
                out.mux(pkt)
        for pkt in st.encode(None):
            out.mux(pkt)


def ravdess_clip(i=0):
    import csv

    with open(RAVDESS / "manifest.csv") as fh:
        rows = list(csv.DictReader(fh))
    return RAVDESS / rows[i]["path"], rows[i]["emotion"]


# --------------------------------------------------------------------------- import hygiene
def test_package_is_light():
    code = ("import sys, ml.voice, ml.voice.audio, ml.voice.metrics, ml.voice.evaluate;"
            "bad = [m for m in ('tensorflow', 'keras', 'ctranslate2', 'faster_whisper') if m in sys.modules];"
            "assert not bad, bad; print(ml.voice.CLASS_NAMES)")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert CLASS_NAMES == ("neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised")


# --------------------------------------------------------------------------- decoding
@pytest.mark.parametrize("kind", ["wav", "flac", "ogg", "webm", "m4a"])
def test_decode_formats(tmp_path, kind):
    src_sr = 48000 if kind in ("ogg", "webm") else 44100
    wave = tone(440.0, 1.5, src_sr)
    path = tmp_path / f"a.{kind}"
    if kind == "wav":
        sf.write(path, np.stack([wave, wave], 1), src_sr, subtype="PCM_16")
    elif kind == "flac":
        sf.write(path, wave, src_sr)
    elif kind == "ogg":
        encode_pyav(path, wave, src_sr, "ogg", "libopus", 48000)
    elif kind == "webm":
        encode_pyav(path, wave, src_sr, "webm", "libopus", 48000)
    else:
        encode_pyav(path, wave, src_sr, "mp4", "aac", 44100)
    out = load_audio(path)
    assert out.dtype == np.float32 and out.ndim == 1
    assert abs(out.size / SR - 1.5) < 0.1, out.size / SR       # resampled to 16 kHz
    assert abs(peak_hz(out) - 440) < 5
    # bytes input gives the same result
    assert np.allclose(load_audio(path.read_bytes()), out, atol=1e-4)


def test_decode_errors(tmp_path):
    with pytest.raises(AudioDecodeError, match="empty"):
        load_audio(b"")
    empty = tmp_path / "empty.webm"
    empty.write_bytes(b"")
    with pytest.raises(AudioDecodeError, match="empty"):
        load_audio(empty)
    garbage = tmp_path / "garbage.wav"
    garbage.write_bytes(np.random.default_rng(0).bytes(4000))
    with pytest.raises(AudioDecodeError):
        load_audio(garbage)
    with pytest.raises(AudioDecodeError):
        load_audio(b"this is not audio at all" * 50)
    with pytest.raises(AudioDecodeError, match="not found"):
        load_audio(tmp_path / "missing.wav")


# --------------------------------------------------------------------------- speaking metrics
def test_metrics_tone_and_silence():
    from ml.voice.metrics import speaking_metrics

    gap = lambda s: np.zeros(int(SR * s), np.float32)  # noqa: E731
    sig = np.concatenate([gap(0.5), tone(220, 1.0), gap(0.6), tone(220, 1.0), gap(0.15),
                          tone(220, 1.0), gap(1.0), tone(220, 0.5), gap(0.5)])
    m = speaking_metrics(sig, SR)
    assert m["duration_s"] == pytest.approx(sig.size / SR, abs=0.01)
    assert m["pause_count"] == 2                      # 0.6 s and 1.0 s; 0.15 s is not a pause
    assert m["pause_longest_s"] == pytest.approx(1.0, abs=0.08)
    assert m["pause_mean_s"] == pytest.approx(0.8, abs=0.08)
    assert m["voiced_s"] == pytest.approx(3.5, abs=0.15)
    assert m["voiced_s"] + m["silence_s"] == pytest.approx(m["duration_s"], abs=0.01)
    assert m["pitch_mean_hz"] == pytest.approx(220, rel=0.03)
    assert m["pitch_sd_semitones"] < 0.5
    assert m["loudness_mean_db"] == pytest.approx(20 * np.log10(0.3 / np.sqrt(2)), abs=1.5)
    # pauses per minute of the speaking span (0.5 s of leading and trailing silence left out)
    assert m["pauses_per_min"] == pytest.approx(2 / ((sig.size / SR - 1.0) / 60), rel=0.03)
    # resampled input gives the same pitch
    m2 = speaking_metrics(tone(150, 2.0, 44100), 44100)
    assert m2["pitch_mean_hz"] == pytest.approx(150, rel=0.03) and m2["pause_count"] == 0
    assert m2["pauses_per_min"] is None  # 2 s of speech: too short a span for a rate (MIN_SPAN_S)
    # pure silence: no speech, no pitch, no crash
    m3 = speaking_metrics(gap(2.0), SR)
    assert m3["voiced_s"] == 0 and m3["pitch_mean_hz"] is None and m3["pause_count"] == 0


# --------------------------------------------------------------------------- model
@needs_model
def test_the_numpy_head_computes_the_keras_head(tmp_path):
    """What the worker runs (ml.voice.head, NumPy) gives the Keras head's probabilities, for odd
    and even lengths, and the shipped voice_head.npz holds exactly the Keras weights: a stale
    export fails here."""
    import json
    from ml.voice.head import WEIGHTS_FILE, NumpyHead, keras_weights
    from ml.voice.model import build_model
    cfg = json.loads((MODEL / "config.json").read_text())
    model = build_model(cfg["model_cfg"], cfg["norm_mean"], cfg["norm_std"])
    model.load_weights(MODEL / "voice_head.weights.h5")
    with np.load(MODEL / WEIGHTS_FILE) as z:
        shipped = {k: z[k] for k in z.files}
    for k, v in keras_weights(model).items():
        assert np.array_equal(shipped[k], v), k
    head = NumpyHead.load(MODEL)
    rng = np.random.default_rng(1)
    mean, std = np.asarray(cfg["norm_mean"], np.float32), np.asarray(cfg["norm_std"], np.float32)
    for t in (1, 50, 101):
        x = (mean + std * rng.normal(size=(3, t, len(mean)))).astype(np.float32)
        ref = model(x, training=False).numpy()
        got = head(x)
        assert np.abs(got - ref).max() < 1e-5 and np.allclose(got.sum(1), 1, atol=1e-6)


@needs_data
@needs_model
def test_predict_real_clip():
    from ml.voice.predict import predict

    path, _ = ravdess_clip(0)
    wave = load_audio(path)
    p = predict([wave], SR)
    assert p.classes == CLASS_NAMES and len(p) == 1 and not p.multi_label
    assert p.values.sum() == pytest.approx(1.0, abs=1e-4)
    assert ((p.values >= 0) & (p.values <= 1)).all()
    # a batch of clips of different lengths: one row each, as if predicted alone
    other = load_audio(ravdess_clip(3)[0])
    both = predict([wave, other], SR)
    assert len(both) == 2 and np.allclose(both.values[0], p.values[0], atol=1e-5)
    assert np.allclose(both.values[1], predict(other, SR).values[0], atol=1e-5)  # one ndarray = one clip
    # other sample rate / stereo input goes through the same path
    wave44 = np.stack([load_audio(path, sr=44100)] * 2)
    p44 = predict([wave44], 44100)
    assert p44.values.sum() == pytest.approx(1.0, abs=1e-4)
    with pytest.raises(ValueError):
        predict([np.zeros(0, np.float32)], SR)


@needs_data
@needs_model
def test_windows_mark_silence():
    from ml.voice.predict import aggregate, predict_windows

    path, _ = ravdess_clip(5)
    clip = load_audio(path)
    wave = np.concatenate([clip, np.zeros(5 * SR, np.float32)])
    dur = wave.size / SR
    wins = predict_windows(wave, SR, window=2.0, hop=1.0)
    assert wins[0]["start"] == 0 and wins[-1]["end"] == pytest.approx(dur, abs=0.01)
    assert all(w["end"] - w["start"] <= 2.0 + 1e-6 for w in wins)
    speech = [w for w in wins if w["end"] <= clip.size / SR and not w["silent"]]
    assert speech, "no window inside the spoken clip was classified"
    for w in speech:
        assert sum(w["probs"].values()) == pytest.approx(1.0, abs=1e-4)
    tail = [w for w in wins if w["start"] >= clip.size / SR + 0.1]
    assert tail and all(w["silent"] and w["probs"] is None for w in tail)
    assert set(aggregate(wins)) == set(CLASS_NAMES)


@needs_data
@needs_model
def test_evaluate_cli(tmp_path, capsys):
    from ml.voice import evaluate

    import csv

    with open(RAVDESS / "manifest.csv") as fh:
        rows = list(csv.DictReader(fh))
    picks = {"angry": 0, "sad": 0, "bored": 0}
    for r in rows:
        if r["emotion"] in ("angry", "sad") and picks[r["emotion"]] < 2:
            picks[r["emotion"]] += 1
            d = tmp_path / r["emotion"]
            d.mkdir(exist_ok=True)
            wave = load_audio(RAVDESS / r["path"])
            if picks[r["emotion"]] == 1:
                sf.write(d / f"{picks[r['emotion']]}.wav", wave, SR)
            else:                       # other format and rate
                encode_pyav(d / "2.ogg", wave, SR, "ogg", "libopus", 48000, layout="mono")
    (tmp_path / "bored").mkdir()
    sf.write(tmp_path / "bored" / "x.wav", tone(), SR)
    (tmp_path / "angry" / "notes.txt").write_text("not audio")
    assert evaluate.main([str(tmp_path)]) == 0
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    for key in ("n", "accuracy", "accuracy_present", "macro_f1", "per_class"):
        assert key in res
    assert res["n"] == 4
    assert res["skipped_dirs"] == ["bored"]
    assert set(res["per_class"]) == {"angry", "sad"}
    assert 0 <= res["accuracy"] <= res["accuracy_present"] <= 1


def test_metrics_json_keys():
    path = MODEL / "metrics.json"
    if not path.is_file():
        pytest.skip("metrics.json not written yet")
    m = json.loads(path.read_text())
    from ml.metrics import REQUIRED_KEYS
    for key in (*REQUIRED_KEYS, "accuracy_mean", "accuracy_sd", "fold_accuracy", "per_gender", "compared"):
        assert key in m
    assert m["schema"] == 1 and m["task"] == "single-label" and m["n"] == sum(map(sum, m["confusion_matrix"]))
    assert m["accuracy"] >= 0.65 and m["baseline"]["accuracy"] < 0.2


@needs_data
def test_smoke_train(tmp_path):
    from ml.voice import train
    from ml.voice.predict import predict

    out = tmp_path / "model"
    assert train.main(["--smoke", "--smoke-clips", "8", "--out", str(out)]) == 0
    assert (out / "voice_head.weights.h5").is_file() and (out / "config.json").is_file()
    assert (out / "voice_head.npz").is_file()  # what predict runs
    p = predict([tone(200, 2.0)], SR, model_dir=out)
    assert p.values.sum() == pytest.approx(1.0, abs=1e-4)


def test_silences_are_the_gaps_between_speech_and_the_span():
    from ml.voice.metrics import silences

    gap = lambda s: np.zeros(int(SR * s), np.float32)  # noqa: E731
    sig = np.concatenate([gap(1.0), tone(220, 1.0), gap(1.5), tone(220, 1.0), gap(0.1), tone(220, 1.0), gap(2.0)])
    pauses, span = silences(sig)
    assert len(pauses) == 1
    assert pauses[0][0] == pytest.approx(2.0, abs=0.05) and pauses[0][1] == pytest.approx(1.5, abs=0.08)
    assert span[0] == pytest.approx(1.0, abs=0.05) and span[1] == pytest.approx(5.6, abs=0.05)
    assert silences(gap(2.0)) == ([], None)
