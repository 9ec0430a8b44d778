"""One Whisper encoder pass per recording, shared by the voice and speech channels.

    out = encoder_output(media)      # memoised in media.cache: encoded at most once per media object
    out.chunks                       # float32 [n_chunks, 1500, 384]: encoder output of each 30 s chunk
    out.frames                       # float32 [n_frames, 384]: the frames covering real audio (voice head)
    out.storage(i)                   # ctranslate2.StorageView [1, 1500, 384] of chunk i (Whisper.generate/align)
    speech_regions(media)            # Silero VAD speech spans [(start_s, end_s)], memoised too

The encoding is ``ml.voice.features.encode_chunks`` (the CTranslate2 Whisper object of
``ml.voice.features.load_encoder()``), so the emotion head gets exactly the frames it got before.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CHUNK_SECONDS = 30.0
_KEY = "whisper_encoder_output"
_VAD_KEY = "silero_vad_regions"


@dataclass(frozen=True)
class EncoderOutput:
    chunks: np.ndarray          # [n_chunks, 1500, 384] float32
    n_samples: int              # 16 kHz samples of real audio

    @property
    def frames(self) -> np.ndarray:
        from ml.voice.features import chunk_frames
        return chunk_frames(self.chunks, self.n_samples)

    def __len__(self) -> int:
        return int(self.chunks.shape[0])

    def storage(self, i: int):
        import ctranslate2
        return ctranslate2.StorageView.from_array(np.ascontiguousarray(self.chunks[i:i + 1]))

    def mel_frames(self, i: int) -> int:
        """Mel frames (10 ms) of real audio in chunk ``i`` (``num_frames`` of ``Whisper.align``)."""
        from ml.voice.features import CHUNK_FRAMES, HOP
        total = max(1, int(np.ceil(self.n_samples / HOP)))
        return int(max(1, min(CHUNK_FRAMES, total - i * CHUNK_FRAMES)))


def _audio(media) -> np.ndarray:
    if media.sample_rate != 16000:
        raise ValueError("the decoded media must hold 16 kHz sound")
    return np.asarray(media.audio, dtype=np.float32)


def encoder_output(media) -> EncoderOutput:
    """The Whisper encoder output of ``media.audio``, computed on first use and kept in ``media.cache``."""
    def encode():
        from ml.voice.features import encode_chunks
        wave = _audio(media)
        return EncoderOutput(encode_chunks(wave), int(wave.size))

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
