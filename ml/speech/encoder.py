"""One Whisper encoder pass per recording, shared by the voice and speech channels.

    out = encoder_output(media)      # memoised in media.cache: encoded at most once per media object
    out.chunks                       # float32 [n_chunks, 1500, 384]: encoder output of each chunk (<= 30 s)
    out.start_s(i), out.mel_frames(i)  # where chunk i starts (s) and its length in 10 ms mel frames
    out.frames                       # float32 [n_frames, 384]: the frames covering real audio (voice head)
    out.storage(i)                   # ctranslate2.StorageView [1, 1500, 384] of chunk i (Whisper.generate/align)
    speech_regions(media)            # Silero VAD speech spans [(start_s, end_s)], memoised too

Recordings longer than 30 s are cut in pauses (``chunk_starts``): each cut is placed in the
longest silence Silero VAD finds in the last CUT_SEARCH_S seconds before the 30 s limit, so a
chunk ends after a complete phrase. Whisper is trained on 30 s windows that begin and end at
phrase boundaries; cut blindly every 30 s, a chunk that starts mid-sentence was decoded into a
repetition loop or nothing (word error rate 0.71 on a 95 s English answer, against 0.11 for
faster-whisper's own seeking decoder, which encodes each window again).

The encoding is ``ml.voice.features.encode_chunks`` (the CTranslate2 Whisper object of
``ml.voice.features.load_encoder()``), so the emotion head gets exactly the frames it got before.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CHUNK_SECONDS = 30.0
CUT_SEARCH_S = 12.0     # a cut is looked for in the last 12 s before a chunk's 30 s limit
MIN_CUT_GAP_S = 0.15    # ... in a silence between VAD speech spans at least this long
_KEY = "whisper_encoder_output"
_VAD_KEY = "silero_vad_regions"


@dataclass(frozen=True)
class EncoderOutput:
    chunks: np.ndarray          # [n_chunks, 1500, 384] float32
    n_samples: int              # 16 kHz samples of real audio
    starts: tuple | None = None  # first mel frame (10 ms) of each chunk; None: every 30 s

    @property
    def frames(self) -> np.ndarray:
        from ml.voice.features import chunk_frames
        return chunk_frames(self.chunks, self.n_samples, self._starts())

    def _starts(self) -> list[int]:
        from ml.voice.features import chunk_bounds, mel_length
        return [a for a, _ in chunk_bounds(mel_length(self.n_samples), None if self.starts is None else list(self.starts))]

    def start_s(self, i: int) -> float:
        return self._starts()[i] * 0.01

    def __len__(self) -> int:
        return int(self.chunks.shape[0])

    def storage(self, i: int):
        return storage_of(self.chunks[i:i + 1])

    def mel_frames(self, i: int) -> int:
        """Mel frames (10 ms) of real audio in chunk ``i`` (``num_frames`` of ``Whisper.align``)."""
        from ml.voice.features import mel_length
        starts = self._starts()
        end = starts[i + 1] if i + 1 < len(starts) else mel_length(self.n_samples)
        return int(max(1, end - starts[i]))


def storage_of(chunks: np.ndarray):
    """Encoder output [n, 1500, 384] as the ctranslate2.StorageView that Whisper.generate/align take."""
    import ctranslate2
    return ctranslate2.StorageView.from_array(np.ascontiguousarray(chunks))


def _audio(media) -> np.ndarray:
    if media.sample_rate != 16000:
        raise ValueError("the decoded media must hold 16 kHz sound")
    return np.asarray(media.audio, dtype=np.float32)


def encoder_output(media) -> EncoderOutput:
    """The Whisper encoder output of ``media.audio``, computed on first use and kept in ``media.cache``."""
    def encode():
        from ml.voice.features import encode_chunks
        wave = _audio(media)
        starts = chunk_starts(wave.size, speech_regions(media) if wave.size > CHUNK_SECONDS * 16000 else [])
        return EncoderOutput(encode_chunks(wave, starts=starts), int(wave.size), tuple(starts))

    return media.shared(_KEY, encode)  # one encoding per recording, even if two channels ask at once


def speech_regions(media, min_silence_s: float = 0.3, pad_s: float = 0.1, threshold: float = 0.5) -> list:
    """Speech spans [(start_s, end_s)] found by Silero VAD (the ONNX model bundled in the faster-whisper
    wheel, run offline), with short pads so that silent gaps between phrases stay measurable."""
    def find():
        wave = _audio(media)
        if not wave.size:
            return []
        from faster_whisper.vad import VadOptions, get_speech_timestamps
        opts = VadOptions(threshold=threshold, min_silence_duration_ms=int(min_silence_s * 1000),
                          speech_pad_ms=int(pad_s * 1000), min_speech_duration_ms=100)
        return [(s["start"] / 16000.0, s["end"] / 16000.0) for s in get_speech_timestamps(wave, opts)]

    return media.shared((_VAD_KEY, min_silence_s, pad_s, threshold), find)


def chunk_starts(n_samples: int, regions: list, chunk_s: float = CHUNK_SECONDS, search_s: float = CUT_SEARCH_S,
                 min_gap_s: float = MIN_CUT_GAP_S) -> list[int]:
    """First mel frame (10 ms, even) of each chunk of ``n_samples`` of 16 kHz audio: a chunk ends
    in the middle of the longest silence between the VAD speech ``regions`` that lies in the last
    ``search_s`` seconds before its ``chunk_s`` limit (the latest one of equal length), or at the
    limit when that stretch is all speech."""
    from ml.voice.features import mel_length

    n_mel = mel_length(n_samples)
    limit = int(chunk_s * 100)
    gaps = [(b, a2) for (_, b), (a2, _) in zip(regions, regions[1:]) if a2 - b >= min_gap_s]
    starts = [0]
    while n_mel - starts[-1] > limit:
        lo, hi = starts[-1] / 100.0 + chunk_s - search_s, starts[-1] / 100.0 + chunk_s
        inside = [(min(e, hi) - max(s, lo), (max(s, lo) + min(e, hi)) / 2) for s, e in gaps if s < hi and e > lo]
        inside = [(length, mid) for length, mid in inside if length >= min_gap_s]
        cut = int(round(max(inside)[1] * 100)) if inside else starts[-1] + limit
        cut -= cut % 2                                   # chunks start on the 20 ms encoder grid
        cut = min(max(cut, starts[-1] + 2), starts[-1] + limit)
        starts.append(cut)
    return starts
