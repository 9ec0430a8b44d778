"""Benchmark the voice analysis of a 60 s answer.

    python -m bench.voice [--duration 60] [--repeats 3]

Builds a recording from real RAVDESS clips (random actors/emotions, fixed seed)
separated by 0.2-1.2 s gaps plus one 3 s silence, then times
``predict_windows`` (2 s windows, 1 s hop) + ``speaking_metrics`` with the
models already loaded (load time reported separately). Goal: ratio =
analysis_s / duration_s <= 0.1 on 2 CPU cores. Last stdout line is JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np


def build_recording(duration: float = 60.0, seed: int = 0):
    from ml.voice.audio import load_audio
    from ml.voice.data import load_manifest

    rng = np.random.default_rng(seed)
    rows = load_manifest()
    sr = 16000
    parts, labels, t = [], [], 0.0
    silence_at = duration * 0.5
    while t < duration:
        if silence_at is not None and t >= silence_at:
            parts.append(np.zeros(3 * sr, np.float32))
            t += 3.0
            silence_at = None
            continue
        r = rows[rng.integers(len(rows))]
        w = load_audio(r["abspath"])
        labels.append({"start": round(t, 2), "end": round(t + w.size / sr, 2), "emotion": r["emotion"]})
        gap = np.zeros(int(rng.uniform(0.2, 1.2) * sr), np.float32)
        parts += [w, gap]
        t += (w.size + gap.size) / sr
    wave = np.concatenate(parts)[: int(duration * sr)]
    wave = wave + rng.normal(0, 1e-4, wave.size).astype(np.float32)  # faint room noise
    return wave.astype(np.float32), labels


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)

    from ml.voice import features as F
    from ml.voice.metrics import speaking_metrics
    from ml.voice.predict import aggregate, load_model, predict_windows

    wave, labels = build_recording(args.duration)
    sr = 16000
    t0 = time.perf_counter()
    load_model()
    F.encode(wave[: 2 * sr])                       # load encoder
    predict_windows(wave[: 4 * sr], sr)            # warm up graph tracing
    speaking_metrics(wave[: 4 * sr], sr)
    load_s = time.perf_counter() - t0

    runs = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        wins = predict_windows(wave, sr, window=2.0, hop=1.0)
        t1 = time.perf_counter()
        met = speaking_metrics(wave, sr)
        t2 = time.perf_counter()
        runs.append((t2 - t0, t1 - t0, t2 - t1))
    best = min(runs)
    dur = wave.size / sr
    agg = aggregate(wins)
    res = {
        "analysis_s": round(best[0], 3),
        "analysis_s_median": round(float(np.median([r[0] for r in runs])), 3),
        "duration_s": round(dur, 2),
        "ratio": round(best[0] / dur, 4),
        "ratio_median": round(float(np.median([r[0] for r in runs])) / dur, 4),
        "predict_windows_s": round(best[1], 3),
        "metrics_s": round(best[2], 3),
        "load_and_warmup_s": round(load_s, 2),
        "windows": len(wins),
        "silent_windows": sum(w["silent"] for w in wins),
        "clips": len(labels),
        "top_emotion": max(agg, key=agg.get) if agg else None,
        "speaking_metrics": met,
        "cpu_count": os.cpu_count(),
        "goal_ratio": 0.1,
    }
    res["pass"] = res["ratio"] <= 0.1
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
