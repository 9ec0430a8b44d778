"""RAVDESS manifest, actor-grouped folds and the encoder-feature cache (no TF)."""
from __future__ import annotations

import csv
import sys
import time
from pathlib import Path

import numpy as np

from ml import ROOT
from ml.voice import CLASS_NAMES, RAVDESS_DIR

CACHE_DIR = ROOT / "runs" / "voice" / "cache"  # default; ``python -m ml.voice.train --cache-dir`` changes it
N_FOLDS = 5


def load_manifest(root: Path = RAVDESS_DIR) -> list[dict]:
    with open(Path(root) / "manifest.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        r["actor"] = int(r["actor"])
        r["label"] = CLASS_NAMES.index(r["emotion"])
        r["abspath"] = str(Path(root) / r["path"])
    return rows


def actor_fold(actor: int, n_folds: int = N_FOLDS) -> int:
    """Fold of an actor: actors k+1, k+6, k+11, k+16 form fold k (2 male + 2 female)."""
    return (int(actor) - 1) % n_folds


def cache_path(variant: str = "clean", cache_dir: Path | str | None = None) -> Path:
    return Path(cache_dir or CACHE_DIR) / f"enc_{variant}.npz"


def augment_wave(wave: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Audio-level augmentation: speed/pitch perturbation, gain and background noise."""
    import librosa

    w = wave
    rate = rng.uniform(0.9, 1.1)
    w = librosa.effects.time_stretch(w, rate=rate) if rng.random() < 0.5 else w
    if rng.random() < 0.5:
        w = librosa.effects.pitch_shift(w, sr=16000, n_steps=rng.uniform(-2, 2))
    w = w * 10 ** (rng.uniform(-6, 6) / 20)
    snr_db = rng.uniform(10, 30)
    p = np.mean(w ** 2) + 1e-10
    w = w + rng.normal(0, np.sqrt(p / 10 ** (snr_db / 10)), w.shape)
    return np.clip(w, -1, 1).astype(np.float32)


def build_cache(variant: str = "clean", limit: int | None = None, seed: int = 0,
                cache_dir: Path | str | None = None) -> Path:
    """Encode every manifest clip once; store frames (float16) + labels/actors in an npz."""
    from ml.voice import features as F
    from ml.voice.audio import load_audio

    rows = load_manifest()
    if limit:
        rows = rows[:limit]
    rng = np.random.default_rng(seed)
    feats, t0 = [], time.time()
    for i, r in enumerate(rows):
        w = load_audio(r["abspath"])
        if variant != "clean":
            w = augment_wave(w, rng)
        feats.append(F.encode(w).astype(np.float16))
        if i % 50 == 0:
            print(f"[{variant}] {i}/{len(rows)} {time.time() - t0:.0f}s", file=sys.stderr, flush=True)
    out = cache_path(variant, cache_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    lengths = np.array([f.shape[0] for f in feats])
    np.savez(out, frames=np.concatenate(feats), lengths=lengths,
             labels=np.array([r["label"] for r in rows]), actors=np.array([r["actor"] for r in rows]),
             genders=np.array([r["gender"] for r in rows]), paths=np.array([r["path"] for r in rows]))
    return out


def load_cache(variant: str = "clean", cache_dir: Path | str | None = None) -> dict:
    z = np.load(cache_path(variant, cache_dir))
    offs = np.concatenate([[0], np.cumsum(z["lengths"])])
    frames = z["frames"]
    clips = [frames[offs[i]:offs[i + 1]] for i in range(len(z["lengths"]))]
    return {"clips": clips, "labels": z["labels"], "actors": z["actors"],
            "genders": z["genders"], "paths": z["paths"]}


if __name__ == "__main__":
    v = sys.argv[1] if len(sys.argv) > 1 else "clean"
    print(build_cache(v))
