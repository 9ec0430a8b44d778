"""Decode audio of any common container/codec to 16 kHz mono float32 (TF-free).

Uses PyAV (FFmpeg), so WAV, FLAC, MP3, OGG/Vorbis, OGG/Opus, WebM/Opus and
MP4/M4A (AAC) all work, whatever the sample rate or channel count.

    >>> from ml.voice.audio import load_audio, AudioDecodeError
    >>> wave = load_audio("answer.webm")          # np.float32, mono, 16 kHz
"""
from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Union

import numpy as np

SAMPLE_RATE = 16000

Source = Union[str, os.PathLike, bytes, bytearray, memoryview, io.IOBase]


class AudioDecodeError(ValueError):
    """Raised when the input cannot be decoded as audio (or holds no audio)."""


def _open(source: Source):
    import av

    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if not data:
            raise AudioDecodeError("empty audio data (0 bytes)")
        return av.open(io.BytesIO(data), mode="r"), "<bytes>"
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise AudioDecodeError(f"audio file not found: {path}")
        if path.stat().st_size == 0:
            raise AudioDecodeError(f"empty audio file (0 bytes): {path}")
        return av.open(str(path), mode="r"), str(path)
    if hasattr(source, "read"):
        return av.open(source, mode="r"), "<stream>"
    raise TypeError(f"unsupported audio source type: {type(source).__name__}")


def load_audio(source: Source, sr: int = SAMPLE_RATE, max_seconds: float | None = None) -> np.ndarray:
    """Decode ``source`` (path, bytes or binary file object) to mono float32 at ``sr`` Hz.

    Samples are in [-1, 1]. ``max_seconds`` stops decoding after that much audio
    (useful to bound work on untrusted uploads). Raises :class:`AudioDecodeError`
    with a readable message if the data is empty, not audio, or has no audio stream.
    """
    import av

    try:
        container, name = _open(source)
    except AudioDecodeError:
        raise
    except (av.FFmpegError, OSError, ValueError) as exc:  # garbage header, unknown format...
        raise AudioDecodeError(f"cannot decode audio ({exc.__class__.__name__}: {exc})") from exc

    chunks = []
    limit = None if max_seconds is None else int(max_seconds * sr)
    got = 0
    try:
        with container:
            if not container.streams.audio:
                raise AudioDecodeError(f"no audio stream in {name}")
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="flt", layout="mono", rate=sr)
            def _take(frames):
                nonlocal got
                for out in frames:
                    if out is None:
                        continue
                    arr = out.to_ndarray().reshape(-1)
                    chunks.append(arr)
                    got += arr.size
            for frame in container.decode(stream):
                frame.pts = None  # let the resampler ignore timestamp gaps
                _take(resampler.resample(frame))
                if limit is not None and got >= limit:
                    break
            _take(resampler.resample(None))  # flush
    except AudioDecodeError:
        raise
    except (av.FFmpegError, OSError, ValueError, RuntimeError) as exc:
        raise AudioDecodeError(f"cannot decode audio in {name} ({exc.__class__.__name__}: {exc})") from exc

    if not chunks:
        raise AudioDecodeError(f"no audio samples decoded from {name}")
    wave = np.concatenate(chunks).astype(np.float32, copy=False)
    if limit is not None:
        wave = wave[:limit]
    if wave.size == 0:
        raise AudioDecodeError(f"no audio samples decoded from {name}")
    np.nan_to_num(wave, copy=False)
    return np.clip(wave, -1.0, 1.0)


def to_mono_16k(waveform, sample_rate: int) -> np.ndarray:
    """Convert an in-memory waveform (any rate, mono or [n, ch]/[ch, n]) to 16 kHz mono float32."""
    wave = np.asarray(waveform, dtype=np.float32)
    if wave.ndim == 2:  # average channels; channel axis is the smaller one
        wave = wave.mean(axis=0 if wave.shape[0] < wave.shape[1] else 1)
    elif wave.ndim != 1:
        raise ValueError(f"waveform must be 1-D or 2-D, got shape {wave.shape}")
    if int(sample_rate) != SAMPLE_RATE and wave.size:
        import soxr

        wave = soxr.resample(wave, int(sample_rate), SAMPLE_RATE).astype(np.float32)
    return np.ascontiguousarray(wave)
