"""Facial-expression recognition (FER2013-style 48x48 grayscale crops).

Importing this package is light: no TensorFlow, no OpenCV.  The heavy modules
are ``model``, ``train``, ``predict`` (TensorFlow) and ``detect`` (OpenCV).
"""
CLASS_NAMES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
NUM_CLASSES = len(CLASS_NAMES)
IMG_SIZE = 48
MODEL_FILENAME = "face_cnn.keras"


def model_dir():
    from ml import MODELS_DIR
    return MODELS_DIR / "face"


def model_path():
    return model_dir() / MODEL_FILENAME
