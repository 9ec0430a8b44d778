"""Does aligning face crops by the eye line help the expression model? A measured check.

    python -m ml.face.align_check [--n 1000] [--angles 0 10 -10 20 -20] [--seed 0]

Takes ``n`` random FER2013 PublicTest faces, puts each in a 640x480 frame at 240 px, turned by each
angle (in-plane roll, as a tilted head), then finds the face as a recording is read
(``ml.gaze.track.FaceTracker``: dlib HOG and the 68 landmarks) and scores two crops of it:

* plain: the HOG box moved to FER framing (``hog_to_fer``) and cropped, as the face channel does;
* aligned: the same square, turned so that the eye centres are level (landmarks 36-41 and 42-47).

Prints one JSON line per angle (faces found, accuracy of each crop) and a last line with the
means. FER2013's own faces are not eye-levelled, so the network learned on crops as they come.
"""
from __future__ import annotations

import argparse
import json
import sys

import numpy as np


def frame_with_face(face: np.ndarray, angle: float) -> np.ndarray:
    import cv2

    img = np.full((480, 640), 120, np.uint8)
    img[120:360, 200:440] = cv2.resize(face, (240, 240), interpolation=cv2.INTER_CUBIC)
    if angle:
        rot = cv2.getRotationMatrix2D((320, 240), angle, 1.0)
        img = cv2.warpAffine(img, rot, (640, 480), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return img


def eye_roll(points: np.ndarray) -> float:
    """The eye line's angle in degrees (image coordinates: positive when the image-right eye is lower)."""
    from ml.gaze.landmarks import LEFT_EYE, RIGHT_EYE

    right, left = points[RIGHT_EYE].mean(0), points[LEFT_EYE].mean(0)
    return float(np.degrees(np.arctan2(left[1] - right[1], left[0] - right[0])))


def aligned_crop(gray: np.ndarray, fer_box, roll: float, size: int = 48) -> np.ndarray:
    """The FER-framed square ``fer_box`` (x, y, side, side) turned by ``roll`` degrees about its centre."""
    import cv2

    x, y, s, _ = fer_box
    cx, cy, side = x + s / 2.0, y + s / 2.0, max(1, int(round(s)))
    rot = cv2.getRotationMatrix2D((cx, cy), roll, 1.0)
    rot[0, 2] += side / 2.0 - cx
    rot[1, 2] += side / 2.0 - cy
    patch = cv2.warpAffine(gray, rot, (side, side), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return cv2.resize(patch, (size, size), interpolation=cv2.INTER_AREA)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ml.face.align_check", description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--angles", type=float, nargs="+", default=[0, 10, -10, 20, -20])
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    from ml import SHARED_DATA
    from ml.face.detect import crop_face, hog_to_fer
    from ml.face.predict import predict
    from ml.gaze.track import FaceTracker

    data = np.load(SHARED_DATA / "fer2013" / "fer2013_dev.npz")
    test = data["usage"] == "PublicTest"
    faces, labels = data["pixels"][test], data["emotion"][test]
    pick = np.random.default_rng(args.seed).choice(len(faces), min(args.n, len(faces)), replace=False)
    rows = []
    for angle in args.angles:
        plain, aligned, truth, rolls = [], [], [], []
        for i in pick:
            gray = frame_with_face(faces[i], angle)
            step = FaceTracker().step(gray)
            if step.box is None:
                continue
            fer_box = hog_to_fer(step.box)
            roll = eye_roll(step.landmarks)
            plain.append(crop_face(gray, fer_box))
            aligned.append(aligned_crop(gray, fer_box, roll))
            truth.append(labels[i])
            rolls.append(roll)
        truth = np.array(truth)
        acc = {}
        for name, crops in (("plain", plain), ("aligned", aligned)):
            acc[name] = float(np.mean(np.asarray(predict(np.stack(crops))).argmax(1) == truth)) if crops else None
        row = {"angle": angle, "n": len(pick), "found": len(truth), "median_roll_estimate": round(float(np.median(rolls)), 1)
               if rolls else None, "plain_accuracy": None if acc["plain"] is None else round(acc["plain"], 4),
               "aligned_accuracy": None if acc["aligned"] is None else round(acc["aligned"], 4)}
        rows.append(row)
        print(json.dumps(row), flush=True)
    print(json.dumps({"angles": args.angles, "n": len(pick), "seed": args.seed,
                      **{f"{k}_mean": round(float(np.mean(vals)), 4) if vals else None
                         for k, vals in (("plain", [r["plain_accuracy"] for r in rows if r["plain_accuracy"] is not None]),
                                         ("aligned", [r["aligned_accuracy"] for r in rows if r["aligned_accuracy"] is not None]))}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
