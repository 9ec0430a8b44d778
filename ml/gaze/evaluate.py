"""Measure detection, landmarks and head pose on photos.

    python -m ml.evaluate gaze DIR [--limit N]
    python -m ml.gaze.evaluate --export-fer-publictest DIR [--limit 500]   # FER2013 crops as PNGs
    python -m ml.gaze.evaluate --export-fer-publictest DIR --select data/gaze/camera_facing_publictest.json
                                          # only the PublicTest faces judged by eye to face the camera

Every image under DIR (recursively) is read in grey, scaled so its shorter side is 240-480 px
(small crops such as FER2013's 48x48 are upscaled), padded by 15% (edge replication, so tight
crops keep a face-sized margin), and searched with dlib's HOG detector; the largest face gets
68 landmarks and a head pose (``ml.gaze.pose``). The last stdout line is one JSON object: ``n``,
``detected_share``, ``facing_share`` (of the detected faces, ``ml.gaze.signals`` tolerance),
``mean_abs_yaw``, ``mean_abs_pitch``, ``mean_abs_roll``, ``median_yaw``, ``median_pitch``,
``seconds``.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

IMAGE_EXTS = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm"}
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def prepare(gray: np.ndarray) -> np.ndarray:
    import cv2

    h, w = gray.shape
    s = min(h, w)
    scale = 240.0 / s if s < 240 else (480.0 / s if s > 480 else 1.0)
    if scale != 1.0:
        gray = cv2.resize(gray, (max(1, int(round(w * scale))), max(1, int(round(h * scale)))),
                          interpolation=cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA)
    pad = int(round(0.15 * max(gray.shape)))
    return cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_REPLICATE)


def measure(gray: np.ndarray):
    """(yaw, pitch, roll) of the largest face of a photo, or None when no face is found."""
    from ml.face.detect import hog_boxes
    from ml.gaze.landmarks import shape
    from ml.gaze.pose import head_pose

    work = prepare(gray)
    boxes = hog_boxes(work)
    if not boxes:
        return None
    return head_pose(shape(work, boxes[0]), work.shape)


def evaluate(paths) -> dict:
    import cv2

    from ml.gaze.signals import is_facing

    t0 = time.perf_counter()
    poses, n = [], 0
    for p in paths:
        gray = cv2.imread(str(p), cv2.IMREAD_GRAYSCALE)
        if gray is None:
            continue
        n += 1
        pose = measure(gray)
        if pose is not None:
            poses.append(pose)
    arr = np.array(poses, dtype=float).reshape(-1, 3)
    facing = [is_facing(y, p) for y, p, _ in arr]
    r = lambda v: round(float(v), 4)  # noqa: E731
    return {
        "n": n, "detected": len(poses), "detected_share": r(len(poses) / n) if n else 0.0,
        "facing_share": r(np.mean(facing)) if facing else None,
        "mean_abs_yaw": r(np.abs(arr[:, 0]).mean()) if len(arr) else None,
        "mean_abs_pitch": r(np.abs(arr[:, 1]).mean()) if len(arr) else None,
        "mean_abs_roll": r(np.abs(arr[:, 2]).mean()) if len(arr) else None,
        "median_yaw": r(np.median(arr[:, 0])) if len(arr) else None,
        "median_pitch": r(np.median(arr[:, 1])) if len(arr) else None,
        "seconds": round(time.perf_counter() - t0, 2),
    }


def export_fer(out: Path, limit: int | None, select: Path | None = None) -> int:
    """Write FER2013 PublicTest crops as PNGs: the first ``limit`` (500 by default), or the rows
    of PublicTest listed in ``select`` (a JSON file with ``publictest_rows``)."""
    import cv2

    d = np.load(SHARED / "fer2013" / "fer2013_dev.npz")
    idx = np.flatnonzero(d["usage"] == "PublicTest")
    if select is not None:
        idx = idx[json.loads(Path(select).read_text())["publictest_rows"]]
    idx = idx[:limit] if limit else (idx if select is not None else idx[:500])
    pixels = d["pixels"]
    out.mkdir(parents=True, exist_ok=True)
    for i in idx:
        cv2.imwrite(str(out / f"publictest_{i:05d}.png"), pixels[i])
    return len(idx)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", nargs="?", type=Path)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--export-fer-publictest", type=Path, default=None, metavar="DIR")
    ap.add_argument("--select", type=Path, default=None, metavar="JSON",
                    help="with --export-fer-publictest: only these PublicTest rows (publictest_rows)")
    args = ap.parse_args(argv)
    if args.export_fer_publictest:
        n = export_fer(args.export_fer_publictest, args.limit, args.select)
        print(json.dumps({"exported": n, "dir": str(args.export_fer_publictest)}))
        return 0
    if args.dir is None or not args.dir.is_dir():
        ap.error("DIR must be a folder of images")
    paths = sorted(p for p in args.dir.rglob("*") if p.suffix.lower() in IMAGE_EXTS and p.is_file())
    if args.limit:
        paths = paths[:args.limit]
    print(json.dumps(evaluate(paths)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
