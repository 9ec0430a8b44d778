"""Face detection with dlib's HOG detector (OpenCV's Haar cascade for faces too small for it),
and FER-style cropping.

dlib's HOG + linear SVM frontal detector (``dlib.get_frontal_face_detector``, from the ``dlib-bin``
wheel) replaced the Haar cascade as the first choice: on 300 upscaled FER2013 PublicTest faces in a
640x480 frame scaled to the face channel's 240 px, it found exactly one face in 238 against 168
for the cascade, and ran faster. Its window is 80x80 px, so smaller faces go to the Haar cascade
(24 px window), as does any image in which HOG finds nothing, even after searching again in the
equalised picture (``EQUALISE_RETRY``). HOG boxes are tighter than
the Haar ones (eyebrows to chin); they are moved and scaled (``HOG_TO_FER``) to the FER2013 framing the
expression model was trained on, so ``crop_face`` gives the same crops as before.
"""
from __future__ import annotations

import threading

import cv2
import numpy as np

from ml import registry
from ml.face import IMG_SIZE

CASCADE_FILE = "haarcascade_frontalface_default.xml"
MIN_DETECT_SIDE = 160
# Extra border around the Haar box, as a fraction of its size on every side.  The
# frontal-face cascade's box already matches FER2013 framing: re-detecting upscaled
# PublicTest crops inside a larger canvas, margin 0 gave the smallest mean pixel
# difference to the original crop (27.7 vs 30.8 at 0.05, 36.3 at 0.1).
DEFAULT_MARGIN = 0.0
HOG_MIN_SIDE = 80  # dlib's HOG window
# (centre x shift, centre y shift, side) of the FER2013 crop relative to dlib's HOG box, in units of
# the box width: medians over 477 upscaled FER2013 Training faces (240 px in a 640x480 frame) in
# which HOG found one face (spread 0.09, 0.07, 0.19): the FER crop is 11% larger and a little higher
HOG_TO_FER = (0.014, -0.087, 1.111)


def hog_detector():
    """(dlib's HOG frontal face detector, its lock), loaded once per process (``ml.registry``).
    dlib's detector is not documented as thread-safe, so calls hold the lock."""
    import dlib

    return registry.get(("face", "dlib-hog"), lambda: (dlib.get_frontal_face_detector(), threading.Lock()))


#: When HOG finds nothing, search once more after contrast-limited adaptive histogram equalisation
#: (CLAHE): a face lit hard from one side (a window beside the desk) has weak gradients on its dark half.
#: Measured before adoption (rule written first): 2 more faces found of 356 real and FER2013 faces that
#: look into the camera (Yale and Caltech photos 236 -> 237 of 239, FER2013 camera-facing 111 -> 112 of
#: 117), none more among the 150 FER2013 Training images that FER+ voters called "not a face" (16 before
#: and after), facing shares unchanged; it costs a second search only on frames without a face.
EQUALISE_RETRY = True


#: Search the mirrored image when neither search finds a face: dlib's 5 HOG filters are not mirror
#: images of each other, so a face half in shadow may match only in the mirror. Measured under a rule
#: written first (runs/gaze/RULE_MIRROR.txt; ``python -m ml.evaluate gaze DIR --mirror-retry``) and not
#: adopted: it found 238 instead of 237 of 239 real photos and 114 instead of 112 of 117 FER2013
#: camera-facing faces, but 18 instead of 16 of the 150 FER2013 images FER+ voters call "not a face"
#: (+1.3 points, the rule allowed 1; both new ones, looked at afterwards, show a badly cropped face).
MIRROR_RETRY = False


#: When neither HOG search finds a face, try OpenCV's frontal Haar cascade (faces of HOG's 80 px window
#: or larger), its box turned into a HOG-like one (``fer_to_hog``). Measured under a rule written first
#: (runs/gaze/RULE_HAAR.txt; ``python -m ml.evaluate gaze DIR --haar-retry``): see the README.
HAAR_RETRY = False


def _equalised(gray: np.ndarray) -> np.ndarray:
    """The image after contrast-limited adaptive histogram equalisation (OpenCV's defaults)."""
    return cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(np.ascontiguousarray(gray, dtype=np.uint8))


def blank(gray: np.ndarray) -> bool:
    """True for a picture of one grey level (a camera that is off or covered sends black frames, which VP8 keeps at
    exactly 0): no detector here can find a face in it (HOG sees no gradient, CLAHE and mirroring leave it one level,
    and every Haar feature is 0), so the searches skip it. Each search cost about 80 ms a frame, most of the time an
    empty video took to fail (an early-check review, 2026-12-07)."""
    return gray.size > 0 and int(gray.max()) == int(gray.min())


def hog_boxes(gray: np.ndarray, upsample: int = 0, equalise: bool | None = None,
              mirror: bool | None = None, haar: bool | None = None) -> list[tuple[int, int, int, int]]:
    """dlib HOG boxes (x, y, w, h), largest first, unclipped (a box may reach past the image).
    `equalise` (default EQUALISE_RETRY): when nothing is found, search once more after CLAHE;
    `mirror` (default MIRROR_RETRY): when still nothing is found, search the mirrored image;
    `haar` (default HAAR_RETRY): when still nothing is found, the Haar cascade's boxes made HOG-like."""
    if blank(gray):
        return []
    det, lock = hog_detector()
    gray = np.ascontiguousarray(gray)
    with lock:
        rects = det(gray, upsample)
        if not len(rects) and (EQUALISE_RETRY if equalise is None else equalise):
            rects = det(_equalised(gray), upsample)
        flipped = not len(rects) and (MIRROR_RETRY if mirror is None else mirror)
        if flipped:
            rects = det(np.ascontiguousarray(gray[:, ::-1]), upsample)
    w = gray.shape[1]
    boxes = [((w - 1 - r.right()) if flipped else r.left(), r.top(), r.right() - r.left() + 1, r.bottom() - r.top() + 1)
             for r in rects]
    if not boxes and (HAAR_RETRY if haar is None else haar):
        boxes = [tuple(int(round(v)) for v in fer_to_hog(b)) for b in haar_raw(gray, HOG_MIN_SIDE * (2 ** upsample))]
    boxes.sort(key=lambda b: b[2] * b[3], reverse=True)
    return boxes


def hog_to_fer(box) -> tuple[float, float, float, float]:
    """A HOG box moved and scaled to FER2013 framing (square, x, y, side, side)."""
    x, y, w, h = box
    dx, dy, k = HOG_TO_FER
    cx, cy = x + w / 2.0 + dx * w, y + h / 2.0 + dy * w
    side = k * w
    return (cx - side / 2.0, cy - side / 2.0, side, side)


def fer_to_hog(box) -> tuple[float, float, float, float]:
    """The inverse of ``hog_to_fer``: a box in FER2013 framing (as the Haar cascade's) -> a HOG-like box."""
    x, y, side, _ = box
    dx, dy, k = HOG_TO_FER
    w = side / k
    cx, cy = x + side / 2.0 - dx * w, y + side / 2.0 - dy * w
    return (cx - w / 2.0, cy - w / 2.0, w, w)


def haar_raw(gray: np.ndarray, min_side: int, scale_factor: float = 1.1, min_neighbors: int = 5) -> list:
    """The Haar cascade's boxes (x, y, w, h) in ``gray`` after histogram equalisation, faces of at
    least ``min_side`` px (FER2013 framing)."""
    found = _cascade().detectMultiScale(cv2.equalizeHist(np.ascontiguousarray(gray, dtype=np.uint8)),
                                        scaleFactor=scale_factor, minNeighbors=min_neighbors,
                                        minSize=(min_side, min_side))
    return list(found) if len(found) else []


def _cascade() -> cv2.CascadeClassifier:
    """OpenCV's frontal-face cascade, loaded once per process (``ml.registry``)."""
    path = cv2.data.haarcascades + CASCADE_FILE

    def load():
        clf = cv2.CascadeClassifier(path)
        if clf.empty():
            raise RuntimeError(f"could not load Haar cascade {path}")
        return clf
    return registry.get(("face", "haar-cascade", path), load)


def to_gray(image: np.ndarray) -> np.ndarray:
    """BGR, BGRA or gray image -> uint8 gray."""
    img = np.asarray(image)
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[..., 0]
    if img.ndim == 3:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2GRAY if img.shape[2] == 4 else cv2.COLOR_BGR2GRAY)
    if img.dtype != np.uint8:
        img = np.clip(img, 0, 255).astype(np.uint8)
    return img



def _search_image(gray: np.ndarray, min_size_frac: float, pad_frac: float):
    """The image both detectors search: small images (e.g. 48x48 crops) upscaled to MIN_DETECT_SIDE
    (the cascade's smallest window is 24 px, HOG's 80 px), then padded by replicating the border so
    faces touching the edge are still found. Returns (image, upscale, pad, smallest face side)."""
    h, w = gray.shape[:2]
    up = max(1.0, MIN_DETECT_SIDE / min(h, w))
    src = cv2.resize(gray, (int(round(w * up)), int(round(h * up))), interpolation=cv2.INTER_CUBIC) \
        if up > 1 else gray
    pad = int(round(pad_frac * max(src.shape[:2])))
    work = cv2.copyMakeBorder(src, pad, pad, pad, pad, cv2.BORDER_REPLICATE) if pad else src
    return work, up, pad, max(20, int(min_size_frac * min(src.shape[:2])))

def detect_faces(image: np.ndarray, min_size_frac: float = 0.08, scale_factor: float = 1.1,
                 min_neighbors: int = 5, pad_frac: float = 0.15):
    """Detect frontal faces: dlib HOG first, the Haar cascade when HOG finds none (faces smaller
    than its 80 px window, see the module docstring).

    Returns ``(boxes, count)``; boxes are ``(x, y, w, h)`` int tuples in image
    coordinates, in FER2013 framing, sorted largest first.  The image is padded by ``pad_frac``
    of its size before detection so that faces filling the whole frame (tight crops) are
    still found; boxes are clipped back to the image.  ``scale_factor`` and ``min_neighbors``
    are the cascade's.
    """
    gray = to_gray(image)
    h, w = gray.shape[:2]
    if h == 0 or w == 0 or blank(gray):  # before the padding, which adds a second level
        return [], 0
    work, up, pad, min_side = _search_image(gray, min_size_frac, pad_frac)
    boxes = []
    for box in hog_boxes(work):
        if box[2] < min_side:
            continue
        x, y, bw, bh = hog_to_fer(box)
        x0, y0 = max(0, int((x - pad) / up)), max(0, int((y - pad) / up))
        x1, y1 = min(w, int(round((x - pad + bw) / up))), min(h, int(round((y - pad + bh) / up)))
        if x1 - x0 >= 8 / up and y1 - y0 >= 8 / up:
            boxes.append((x0, y0, x1 - x0, y1 - y0))
    if boxes:
        boxes.sort(key=lambda b: b[2] * b[3], reverse=True)
        return boxes, len(boxes)
    return detect_faces_haar(gray, min_size_frac, scale_factor, min_neighbors, pad_frac)


def detect_faces_haar(image: np.ndarray, min_size_frac: float = 0.08, scale_factor: float = 1.1,
                      min_neighbors: int = 5, pad_frac: float = 0.15):
    """Detect frontal faces with the Haar cascade only (same contract as ``detect_faces``)."""
    gray = to_gray(image)
    h, w = gray.shape[:2]
    if h == 0 or w == 0:
        return [], 0
    work, up, pad, min_side = _search_image(gray, min_size_frac, pad_frac)
    boxes = []
    for (x, y, bw, bh) in haar_raw(work, min_side, scale_factor, min_neighbors):
        x0, y0 = max(0, int((x - pad) / up)), max(0, int((y - pad) / up))
        x1, y1 = min(w, int(round((x - pad + bw) / up))), min(h, int(round((y - pad + bh) / up)))
        if x1 - x0 >= 8 / up and y1 - y0 >= 8 / up:
            boxes.append((x0, y0, x1 - x0, y1 - y0))
    boxes.sort(key=lambda b: b[2] * b[3], reverse=True)
    return boxes, len(boxes)


def crop_face(gray: np.ndarray, box, margin: float = DEFAULT_MARGIN) -> np.ndarray:
    """Square crop around ``box`` widened by ``margin``, resized to 48x48 uint8.

    Parts of the crop outside the image are filled by edge replication."""
    gray = to_gray(gray)
    x, y, w, h = [int(v) for v in box]
    side = max(w, h) * (1 + 2 * margin)
    cx, cy = x + w / 2.0, y + h / 2.0
    x0, y0 = int(round(cx - side / 2)), int(round(cy - side / 2))
    s = max(1, int(round(side)))
    H, W = gray.shape[:2]
    pl, pt = max(0, -x0), max(0, -y0)
    pr, pb = max(0, x0 + s - W), max(0, y0 + s - H)
    if pl or pt or pr or pb:
        gray = cv2.copyMakeBorder(gray, pt, pb, pl, pr, cv2.BORDER_REPLICATE)
        x0, y0 = x0 + pl, y0 + pt
    patch = gray[y0:y0 + s, x0:x0 + s]
    interp = cv2.INTER_AREA if s > IMG_SIZE else cv2.INTER_LINEAR
    return cv2.resize(patch, (IMG_SIZE, IMG_SIZE), interpolation=interp)


def largest_face_crop(image: np.ndarray, margin: float = DEFAULT_MARGIN):
    """Crop of the largest detected face, or ``None`` when no face is found."""
    gray = to_gray(image)
    boxes, n = detect_faces(gray)
    if not n:
        return None
    return crop_face(gray, boxes[0], margin)
