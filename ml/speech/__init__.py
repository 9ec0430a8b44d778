"""Speech coach: an English transcript with word timings (Whisper tiny.en through CTranslate2)
and the delivery measures read from it (pace, fillers, hedges, pauses, repeated and top words).

    from ml.speech.transcribe import transcribe      # DecodedMedia -> Transcript (words, segments, quality)
    from ml.speech.metrics import speech_metrics     # word timeline -> wpm, pauses, fillers, hedges, ...

The Whisper encoder runs once per 30 s chunk of a recording: ``ml.speech.encoder.encoder_output``
memoises its output on the decoded media, and both the voice channel (emotion head) and the
transcription read it. Importing this package imports neither CTranslate2 nor TensorFlow.
"""
from ml import MODELS_DIR

MODEL_DIR = MODELS_DIR / "speech"

__all__ = ["MODEL_DIR"]
