"""Head pose (yaw, pitch, roll in degrees) from dlib's 68 face landmarks with ``cv2.solvePnP``.

Two generic 3-D faces (``FaceModel``), each a set of the 68-point (iBUG 300-W) landmarks with their
positions on an average head, in camera axes (x right, y down, z away from the camera), so a face
looking straight into the camera has the identity rotation:

* ``MALLICK6``: the six-point face of Satya Mallick, "Head Pose Estimation using OpenCV and Dlib"
  (LearnOpenCV, 2016) -- nose tip (0, 0, 0), chin (0, -330, -65), outer eye corners (∓225, 170,
  -135), mouth corners (∓150, -150, -125) in its own axes (y up, z out of the face) -- matched to
  landmarks 30, 8, 36, 45, 48, 54. Two of its points (chin, mouth corners) move with the mouth.
* ``RIGID13``: the 13 landmarks that stay put when a face talks, smiles or blinks -- the nose
  (27-35) and the four eye corners (36, 39, 42, 45) -- at their places on the 68-point mean 3-D face
  that many head-pose examples ship (e.g. yinguobing/head-pose-estimation, MIT licence; the shape
  traces back to the OpenFace / CLM-framework 68-point model of Baltrušaitis et al., academic and
  non-commercial use, like dlib's 68-point predictor itself). ``FULL68`` is that whole face, for
  comparison (``python -m ml.gaze.evaluate --pose-model``).

``DEFAULT_MODEL`` is what the product uses: ``RIGID13`` since 2026-12-04. Under a rule written before
the run (README, "Head pose: which 3-D face"), both faces were scored on 25 photos of known head pose
(AFLW2000-3D, poses from a fitted 3-D face): the six-point face read yaw 1.41 times too large (its nose
stands out 0.30 of the eye width against the mean face's 0.47) and called 10 of 16 faces within 45° of
the camera correctly facing or turned; ``RIGID13`` read yaw at a slope of 1.00 and called 15 of 16
(mean absolute yaw error 3.3° against 10.3°). Its points do not move when the mouth does, so on talking
faces its frame-to-frame jitter is about a third of the six-point face's.

Camera: focal length = image width (a ~53° horizontal field of view, typical of webcams), principal
point at the centre, no lens distortion.

Sign conventions (seen on the recording, as it was filmed; browsers do not mirror the file):
  yaw   > 0  the face turns towards the image's right (the candidate's own left)
  pitch > 0  the face tilts up (chin up); < 0 looking down
  roll  > 0  the head tilts clockwise in the image (top of the head towards the image's right)
Decomposition: R = Ry(-yaw) · Rx(-pitch) · Rz(roll), each angle within ±90°.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np


class FaceModel(NamedTuple):
    name: str
    indices: tuple[int, ...]      # which of the 68 landmarks, in the order of `points`
    points: np.ndarray            # [len(indices), 3] in camera axes (x right, y down, z away from the camera)
    eyes: tuple[int, int]         # rows of `points` of the outer eye corners (image left, image right)
    nose: int                     # row of `points` of the nose tip


_MALLICK = np.array([
    (0.0, 0.0, 0.0),          # nose tip
    (0.0, -330.0, -65.0),     # chin
    (-225.0, 170.0, -135.0),  # outer corner of the eye on the image's left (the candidate's right eye)
    (225.0, 170.0, -135.0),   # outer corner of the eye on the image's right
    (-150.0, -150.0, -125.0),  # mouth corner, image left
    (150.0, -150.0, -125.0),  # mouth corner, image right
]) * np.array([1.0, -1.0, -1.0])  # into camera axes
MALLICK6 = FaceModel("mallick6", (30, 8, 36, 45, 48, 54), _MALLICK, (2, 3), 0)

#: the 68-point mean 3-D face (see the module docstring), landmark i in row i, camera axes
MEAN68 = np.array([
    (-73.393523, -29.801432, 47.667532),
    (-72.775014, -10.949766, 45.909403),
    (-70.533638, 7.929818, 44.842580),
    (-66.850058, 26.074280, 43.141114),
    (-59.790187, 42.564390, 38.635298),
    (-48.368973, 56.481080, 30.750622),
    (-34.121101, 67.246992, 18.456453),
    (-17.875411, 75.056892, 3.609035),
    (0.098749, 77.061286, -0.881698),
    (17.477031, 74.758448, 5.181201),
    (32.648966, 66.929021, 19.176563),
    (46.372358, 56.311389, 30.770570),
    (57.343480, 42.419126, 37.628629),
    (64.388482, 25.455880, 40.886309),
    (68.212038, 6.990805, 42.281449),
    (70.486405, -11.666193, 44.142567),
    (71.375822, -30.365191, 47.140426),
    (-61.119406, -49.361602, 14.254422),
    (-51.287588, -58.769795, 7.268147),
    (-37.804800, -61.996155, 0.442051),
    (-24.022754, -61.033399, -6.606501),
    (-11.635713, -56.686759, -11.967398),
    (12.056636, -57.391033, -12.051204),
    (25.106256, -61.902186, -7.315098),
    (38.338588, -62.777713, -1.022953),
    (51.191007, -59.302347, 5.349435),
    (60.053851, -50.190255, 11.615746),
    (0.653940, -42.193790, -13.380835),
    (0.804809, -30.993721, -21.150853),
    (0.992204, -19.944596, -29.284036),
    (1.226783, -8.414541, -36.948060),
    (-14.772472, 2.598255, -20.132003),
    (-7.180239, 4.751589, -23.536684),
    (0.555920, 6.562900, -25.944448),
    (8.272499, 4.661005, -23.695741),
    (15.214351, 2.643046, -20.858157),
    (-46.047290, -37.471411, 7.037989),
    (-37.674688, -42.730510, 3.021217),
    (-27.883856, -42.711517, 1.353629),
    (-19.648268, -36.754742, -0.111088),
    (-28.272965, -35.134493, -0.147273),
    (-38.082418, -34.919043, 1.476612),
    (19.265868, -37.032306, -0.665746),
    (27.894191, -43.342445, 0.247660),
    (37.437529, -43.110822, 1.696435),
    (45.170805, -38.086515, 4.894163),
    (38.196454, -35.532024, 0.282961),
    (28.764989, -35.484289, -1.172675),
    (-28.916267, 28.612716, -2.240310),
    (-17.533194, 22.172187, -15.934335),
    (-6.684590, 19.029051, -22.611355),
    (0.381001, 20.721118, -23.748437),
    (8.375443, 19.035460, -22.721995),
    (18.876618, 22.394109, -15.610679),
    (28.794412, 28.079924, -3.217393),
    (19.057574, 36.298248, -14.987997),
    (8.956375, 39.634575, -22.554245),
    (0.381549, 40.395647, -23.591626),
    (-7.428895, 39.836405, -22.406106),
    (-18.160634, 36.677899, -15.121907),
    (-24.377490, 28.677771, -4.785684),
    (-6.897633, 25.475976, -20.893742),
    (0.340663, 26.014269, -22.220479),
    (8.444722, 25.326198, -21.025520),
    (24.474473, 28.323008, -5.712776),
    (8.449166, 30.596216, -20.671489),
    (0.205322, 31.408738, -21.903670),
    (-7.198266, 30.844876, -20.328022)
])
FULL68 = FaceModel("full68", tuple(range(68)), MEAN68, (36, 45), 30)
_RIGID = (27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 39, 42, 45)
RIGID13 = FaceModel("rigid13", _RIGID, MEAN68[list(_RIGID)], (_RIGID.index(36), _RIGID.index(45)), _RIGID.index(30))

MODELS = {m.name: m for m in (MALLICK6, RIGID13, FULL68)}
DEFAULT_MODEL = RIGID13


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


def project(yaw: float, pitch: float, roll: float, size=(480, 640), distance: float | None = None,
            offset=(0.0, 0.0), model: FaceModel | None = None) -> np.ndarray:
    """The points of `model` (default DEFAULT_MODEL) seen by :func:`camera_matrix` with the face at
    `distance` model units in front of the camera (by default 6.7 eye spacings: a face about 1/5 of a
    640-px-wide image), shifted by ``offset`` in x, y and rotated by the given pose: [n, 2]."""
    import cv2

    model = model or DEFAULT_MODEL
    if distance is None:
        distance = 6.7 * _eye_spacing(model)
    rvec, _ = cv2.Rodrigues(rotation(yaw, pitch, roll))
    tvec = np.array([offset[0], offset[1], distance], dtype=np.float64)
    pts, _ = cv2.projectPoints(model.points, rvec, tvec, camera_matrix(size), np.zeros(4))
    return pts.reshape(-1, 2)


def _eye_spacing(model: FaceModel) -> float:
    return float(np.linalg.norm(model.points[model.eyes[1]] - model.points[model.eyes[0]]))


def head_pose(landmarks, size, model: FaceModel | None = None) -> tuple[float, float, float] | None:
    """(yaw, pitch, roll) in degrees from 68 landmarks ([68, 2] image coordinates) of an image of
    ``size = (height, width)``, with the 3-D face `model` (default DEFAULT_MODEL); also accepts the
    model's own points alone ([len(model.indices), 2]). None when solvePnP fails or the solution puts
    the face behind the camera."""
    import cv2

    solved = solve(landmarks, size, model)
    return None if solved is None else angles(cv2.Rodrigues(solved[0])[0])


def solve(landmarks, size, model: FaceModel | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """(rvec, tvec) of ``cv2.solvePnP`` placing the 3-D face ``model`` (default DEFAULT_MODEL) on 68
    landmarks (or the model's own points) of an image of ``size``; None as :func:`head_pose` says."""
    import cv2

    model = model or DEFAULT_MODEL
    pts = np.asarray(landmarks, dtype=np.float64)
    if pts.shape[0] == 68 and len(model.indices) != 68:
        pts = pts[list(model.indices)]
    if pts.shape != (len(model.indices), 2) or not np.isfinite(pts).all():
        return None
    cam = camera_matrix(size)
    # initial guess: facing the camera at the distance the eye spacing implies (the iterative
    # solver otherwise can land on the mirrored solution behind the image plane)
    eye = float(np.linalg.norm(pts[model.eyes[1]] - pts[model.eyes[0]]))
    if eye < 1.0:
        return None
    z = cam[0, 0] * _eye_spacing(model) / eye
    nose = pts[model.nose]
    t0 = np.array([(nose[0] - cam[0, 2]) * z / cam[0, 0], (nose[1] - cam[1, 2]) * z / cam[1, 1], z])
    ok, rvec, tvec = cv2.solvePnP(model.points, pts, cam, np.zeros(4), rvec=np.zeros((3, 1)),
                                  tvec=t0.reshape(3, 1), useExtrinsicGuess=True, flags=cv2.SOLVEPNP_ITERATIVE)
    if not ok or tvec[2, 0] <= 0:
        return None
    return rvec, tvec
