"""Vocal emotion recognition (RAVDESS, 8 classes) and speaking metrics.

Importing this package never imports TensorFlow or CTranslate2: ``audio`` and
``metrics`` are TF-free (the web app uses them for upload validation); only
``features`` (Whisper encoder via CTranslate2), ``model``, ``train`` and
``predict`` pull in the heavy libraries, lazily.
"""
from ml import MODELS_DIR, SHARED_DATA

CLASS_NAMES = ("neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised")
SAMPLE_RATE = 16000
MODEL_DIR = MODELS_DIR / "voice"
RAVDESS_DIR = SHARED_DATA / "ravdess"

__all__ = ["CLASS_NAMES", "SAMPLE_RATE", "MODEL_DIR", "RAVDESS_DIR"]
