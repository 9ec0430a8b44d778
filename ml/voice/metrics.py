"""Speaking metrics of a recorded answer (TF-free; numpy + librosa).

``speaking_metrics(waveform, sample_rate)`` returns a flat dict (all floats/ints):

==========================  =====  ==========================================================
key                         unit   meaning
==========================  =====  ==========================================================
duration_s                  s      length of the recording
voiced_s                    s      time with speech energy (frames above the silence threshold)
silence_s                   s      duration_s - voiced_s
voiced_ratio                0..1   voiced_s / duration_s
pause_count                 count  silent gaps >= ``min_pause`` s *between* speech (leading and
                                   trailing silence are not pauses)
pause_mean_s                s      mean pause length (0 when there are no pauses)
pause_longest_s             s      longest pause (0 when there are no pauses)
pauses_per_min              1/min  pause_count per minute of the speaking span (the first to the last
                                   stretch of speech); None when the span is shorter than
                                   ``MIN_SPAN_S``, like the speech coach's rates
pitch_mean_hz               Hz     mean F0 over voiced frames (pYIN); null if no pitch found
pitch_sd_semitones          st     standard deviation of F0 in semitones (monotony indicator)
pitch_range_semitones       st     5th-95th percentile F0 range in semitones
loudness_mean_db            dBFS   mean RMS level of speech frames
loudness_sd_db              dB     standard deviation of the RMS level of speech frames
==========================  =====  ==========================================================

Silence threshold: a 32 ms frame is speech when its RMS level is above both
``SILENCE_DBFS`` (-60 dBFS) and 35 dB below the loudest frame.
"""
from __future__ import annotations

import numpy as np

from ml.series import runs as _runs
from ml.speech.metrics import MIN_SPAN_S  # a rate per minute needs a span of at least this (one rule for both)

SR = 16000
FRAME = 512            # 32 ms
HOP = 256              # 16 ms
SILENCE_DBFS = -60.0
REL_DB = 35.0
MIN_PAUSE_S = 0.3
MIN_SPEECH_S = 0.1     # speech bursts shorter than this are treated as noise when finding pauses
PITCH_SR = 8000        # pYIN runs at 8 kHz (F0 < 500 Hz) to keep it fast
FMIN, FMAX = 60.0, 500.0


def frame_db(wave: np.ndarray, frame: int = FRAME, hop: int = HOP) -> np.ndarray:
    """RMS level per frame in dBFS (centered frames, librosa convention)."""
    import librosa

    if wave.size == 0:
        return np.zeros(0, dtype=np.float32)
    rms = librosa.feature.rms(y=wave, frame_length=frame, hop_length=hop, center=True)[0]
    return 20 * np.log10(np.maximum(rms, 1e-10))


def active_mask(db: np.ndarray) -> np.ndarray:
    """Speech-energy mask over frames (absolute floor and relative-to-peak threshold)."""
    if db.size == 0:
        return np.zeros(0, dtype=bool)
    thr = max(SILENCE_DBFS, float(db.max()) - REL_DB)
    return db > thr


def speech_frames(db: np.ndarray) -> np.ndarray:
    """The speech-energy mask without bursts shorter than ``MIN_SPEECH_S`` (clicks)."""
    act = active_mask(db)
    speech = act.copy()
    for a, b in _runs(act):
        if (b - a) * HOP / SR < MIN_SPEECH_S:
            speech[a:b] = False
    return speech


def silences(wave: np.ndarray, min_pause: float = MIN_PAUSE_S, db: np.ndarray | None = None):
    """(pauses, span) of a 16 kHz waveform: the silent gaps of at least ``min_pause`` s *between*
    stretches of speech (``speech_frames``) as [(start s, duration s)], and the speaking span
    (first speech start, last speech end) in seconds, or None without speech. The speech coach
    reads its long pauses from the same gaps, so "pauses" and "long pauses" never disagree about
    what is silent."""
    fs = HOP / SR
    runs = _runs(speech_frames(frame_db(wave) if db is None else db))
    pauses = [(float(b0 * fs), float((a1 - b0) * fs)) for (_, b0), (a1, _) in zip(runs[:-1], runs[1:])
              if (a1 - b0) * fs >= min_pause]
    span = (float(runs[0][0] * fs), float(min(runs[-1][1] * fs, wave.size / SR))) if runs else None
    return pauses, span


def speaking_metrics(waveform, sample_rate: int = SR, min_pause: float = MIN_PAUSE_S,
                     pitch: bool = True) -> dict:
    from ml.voice.audio import to_mono_16k

    wave = to_mono_16k(waveform, sample_rate)
    dur = wave.size / SR
    db = frame_db(wave)
    act = active_mask(db)
    fs = HOP / SR
    voiced_s = float(min(act.sum() * fs, dur))
    gaps, span = silences(wave, min_pause, db=db)
    pauses = [d for _, d in gaps]
    span_min = (span[1] - span[0]) / 60 if span and span[1] - span[0] >= MIN_SPAN_S else None

    out = {
        "duration_s": round(dur, 3),
        "voiced_s": round(voiced_s, 3),
        "silence_s": round(dur - voiced_s, 3),
        "voiced_ratio": round(voiced_s / dur, 4) if dur > 0 else 0.0,
        "pause_count": len(pauses),
        "pause_mean_s": round(float(np.mean(pauses)), 3) if pauses else 0.0,
        "pause_longest_s": round(float(np.max(pauses)), 3) if pauses else 0.0,
        "pauses_per_min": round(len(pauses) / span_min, 3) if span_min else None,
        "pitch_mean_hz": None,
        "pitch_sd_semitones": None,
        "pitch_range_semitones": None,
        "loudness_mean_db": round(float(db[act].mean()), 2) if act.any() else None,
        "loudness_sd_db": round(float(db[act].std()), 2) if act.any() else None,
    }
    if pitch and act.any():
        speech = speech_frames(db)
        f0 = _pitch(wave, speech if speech.any() else act)
        if f0.size >= 3:
            st = 12 * np.log2(f0 / np.median(f0))
            out["pitch_mean_hz"] = round(float(f0.mean()), 2)
            out["pitch_sd_semitones"] = round(float(st.std()), 3)
            lo, hi = np.percentile(st, [5, 95])
            out["pitch_range_semitones"] = round(float(hi - lo), 3)
    return out


def _pitch(wave: np.ndarray, speech: np.ndarray) -> np.ndarray:
    """Voiced F0 values (Hz) from pYIN, run only on speech segments at 8 kHz."""
    import librosa
    import soxr

    y = soxr.resample(wave, SR, PITCH_SR).astype(np.float32)
    scale = PITCH_SR / SR
    pad = int(0.05 * PITCH_SR)
    f0s = []
    for a, b in _runs(speech):
        s = max(0, int(a * HOP * scale) - pad)
        e = min(y.size, int(b * HOP * scale) + pad)
        seg = y[s:e]
        if seg.size < 512:
            continue
        f0, vflag, _ = librosa.pyin(seg, fmin=FMIN, fmax=FMAX, sr=PITCH_SR, frame_length=512,
                                    hop_length=256, center=True, n_thresholds=50,
                                    max_transition_rate=35.92, resolution=0.2)
        f0 = f0[vflag & np.isfinite(f0)]
        f0s.append(f0)
    return np.concatenate(f0s) if f0s else np.zeros(0)
