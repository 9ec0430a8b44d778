"""Head pose (yaw, pitch, roll in degrees) from dlib's 68 face landmarks with ``cv2.solvePnP``.

3-D model: the generic six-point face of Satya Mallick, "Head Pose Estimation using OpenCV and
Dlib" (LearnOpenCV, 2016) -- nose tip (0, 0, 0), chin (0, -330, -65), outer eye corners
(∓225, 170, -135), mouth corners (∓150, -150, -125), in arbitrary units with y up and z out of
the face -- matched to the 68-point (iBUG 300-W) indices 30, 8, 36, 45, 48, 54. Here it is
written in camera axes (x right, y down, z away from the camera), so a face looking straight
into the camera has the identity rotation. Camera: focal length = image width (a ~53° horizontal
field of view, typical of webcams), principal point at the centre, no lens distortion.

Sign conventions (seen on the recording, as it was filmed; browsers do not mirror the file):
  yaw   > 0  the face turns towards the image's right (the candidate's own left)
  pitch > 0  the face tilts up (chin up); < 0 looking down
  roll  > 0  the head tilts clockwise in the image (top of the head towards the image's right)
Decomposition: R = Ry(-yaw) · Rx(-pitch) · Rz(roll), each angle within ±90°.
"""
from __future__ import annotations

import math

import numpy as np

LANDMARK_INDICES = (30, 8, 36, 45, 48, 54)  # nose tip, chin, outer eye corners (image left, right), mouth corners
_MALLICK = np.array([
    (0.0, 0.0, 0.0),          # nose tip
    (0.0, -330.0, -65.0),     # chin
    (-225.0, 170.0, -135.0),  # outer corner of the eye on the image's left (the candidate's right eye)
    (225.0, 170.0, -135.0),   # outer corner of the eye on the image's right
    (-150.0, -150.0, -125.0),  # mouth corner, image left
    (150.0, -150.0, -125.0),  # mouth corner, image right
])
#: the model in camera axes (x right, y down, z away from the camera)
MODEL_POINTS = _MALLICK * np.array([1.0, -1.0, -1.0])


def camera_matrix(size) -> np.ndarray:
    """Pinhole camera of an image of ``size = (height, width)``: focal length = width."""
    h, w = size
    f = float(w)
    return np.array([[f, 0, w / 2.0], [0, f, h / 2.0], [0, 0, 1]], dtype=np.float64)


def rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """The rotation matrix of a pose in this module's conventions (degrees)."""
    a, b, c = (math.radians(v) for v in (-yaw, -pitch, roll))
    ry = np.array([[math.cos(a), 0, math.sin(a)], [0, 1, 0], [-math.sin(a), 0, math.cos(a)]])
    rx = np.array([[1, 0, 0], [0, math.cos(b), -math.sin(b)], [0, math.sin(b), math.cos(b)]])
    rz = np.array([[math.cos(c), -math.sin(c), 0], [math.sin(c), math.cos(c), 0], [0, 0, 1]])
    return ry @ rx @ rz


def angles(r: np.ndarray) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees of a rotation matrix (inverse of :func:`rotation`)."""
    a = math.atan2(r[0, 2], r[2, 2])
    b = -math.asin(max(-1.0, min(1.0, r[1, 2])))
    c = math.atan2(r[1, 0], r[1, 1])
    return -math.degrees(a), -math.degrees(b), math.degrees(c)


def project(yaw: float, pitch: float, roll: float, size=(480, 640), distance: float = 3000.0,
            offset=(0.0, 0.0)) -> np.ndarray:
    """The six model points seen by :func:`camera_matrix` with the face at ``distance`` model units
    in front of the camera (shifted by ``offset`` in x, y) and rotated by the given pose: [6, 2]."""
    import cv2

    rvec, _ = cv2.Rodrigues(rotation(yaw, pitch, roll))
    tvec = np.array([offset[0], offset[1], distance], dtype=np.float64)
    pts, _ = cv2.projectPoints(MODEL_POINTS, rvec, tvec, camera_matrix(size), np.zeros(4))
    return pts.reshape(-1, 2)


def head_pose(landmarks, size) -> tuple[float, float, float] | None:
    """(yaw, pitch, roll) in degrees from 68 landmarks ([68, 2] image coordinates) of an image of
    ``size = (height, width)``; also accepts the six model points alone ([6, 2]). None when
    solvePnP fails or the solution puts the face behind the camera."""
    import cv2

    pts = np.asarray(landmarks, dtype=np.float64)
    if pts.shape[0] == 68:
        pts = pts[list(LANDMARK_INDICES)]
    if pts.shape != (6, 2) or not np.isfinite(pts).all():
        return None
    cam = camera_matrix(size)
    # initial guess: facing the camera at the distance the eye spacing implies (the iterative
    # solver otherwise can land on the mirrored solution behind the image plane)
    eye = float(np.linalg.norm(pts[3] - pts[2]))
    if eye < 1.0:
        return None
    z = cam[0, 0] * 450.0 / eye
    nose = pts[0]
    t0 = np.array([(nose[0] - cam[0, 2]) * z / cam[0, 0], (nose[1] - cam[1, 2]) * z / cam[1, 1], z])
    ok, rvec, tvec = cv2.solvePnP(MODEL_POINTS, pts, cam, np.zeros(4), rvec=np.zeros((3, 1)),
                                  tvec=t0.reshape(3, 1), useExtrinsicGuess=True, flags=cv2.SOLVEPNP_ITERATIVE)
    if not ok or tvec[2, 0] <= 0:
        return None
    r, _ = cv2.Rodrigues(rvec)
    return angles(r)
