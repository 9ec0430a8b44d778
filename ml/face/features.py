"""Data loading and pre-processing for the face model (NumPy only at import)."""
from __future__ import annotations

import numpy as np

from ml import SHARED_DATA
from ml.face import CLASS_NAMES, IMG_SIZE, NUM_CLASSES

FER_NPZ = SHARED_DATA / "fer2013" / "fer2013_dev.npz"

# FER+ vote columns: neutral, happiness, surprise, sadness, anger, disgust, fear,
# contempt, unknown, not-a-face.  Column of FER+ for each of our CLASS_NAMES:
_FERPLUS_COL = {"angry": 4, "disgust": 5, "fear": 6, "happy": 1, "sad": 3,
                "surprise": 2, "neutral": 0}
FERPLUS_TO_OURS = np.array([_FERPLUS_COL[c] for c in CLASS_NAMES])
FERPLUS_NOT_A_FACE = 9

DOUBTFUL_QUALITY = ("ambiguous", "jpeg_fill_order_unknown")


def load_fer(path=None):
    """Return a dict of arrays from the FER2013 dev npz."""
    path = FER_NPZ if path is None else path
    with np.load(path) as d:
        return {k: d[k] for k in ("pixels", "emotion", "usage", "quality", "ferplus_votes")}


def not_a_face_mask(data) -> np.ndarray:
    """Rows that FER+ voters, by majority, call 'not a face'."""
    votes = data["ferplus_votes"].astype(np.float32)
    total = votes.sum(1)
    return (total > 0) & (votes[:, FERPLUS_NOT_A_FACE] > 0.5 * total)


def doubtful_mask(data) -> np.ndarray:
    """Rows that should not be trained on: doubtful recovery or FER+ 'not a face'."""
    q = data["quality"]
    bad = np.zeros(len(q), dtype=bool)
    for tag in DOUBTFUL_QUALITY:
        bad |= np.char.find(q.astype(str), tag) >= 0
    return bad | not_a_face_mask(data)


def ferplus_soft(votes: np.ndarray) -> np.ndarray:
    """FER+ votes -> distribution over our 7 classes (contempt/unknown/NF dropped).

    Rows with no emotion votes get a uniform distribution."""
    v = votes[:, FERPLUS_TO_OURS].astype(np.float32)
    s = v.sum(1, keepdims=True)
    out = np.full_like(v, 1.0 / NUM_CLASSES)
    ok = s[:, 0] > 0
    out[ok] = v[ok] / s[ok]
    return out


def make_targets(emotion: np.ndarray, votes: np.ndarray | None, ferplus_weight: float,
                 smoothing: float = 0.0) -> np.ndarray:
    """Soft targets: (1-w) * one-hot(FER2013) + w * FER+ distribution, then smoothing.

    With w < 0.5 the arg-max is always the FER2013 label."""
    y = np.eye(NUM_CLASSES, dtype=np.float32)[emotion.astype(int)]
    if votes is not None and ferplus_weight > 0:
        y = (1 - ferplus_weight) * y + ferplus_weight * ferplus_soft(votes)
    if smoothing > 0:
        y = (1 - smoothing) * y + smoothing / NUM_CLASSES
    return y.astype(np.float32)


def stratified_split(labels: np.ndarray, val_fraction: float, seed: int):
    """Seeded stratified split of indices into (train_idx, val_idx)."""
    rng = np.random.default_rng(seed)
    tr, va = [], []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        rng.shuffle(idx)
        n_val = int(round(len(idx) * val_fraction))
        va.append(idx[:n_val])
        tr.append(idx[n_val:])
    return np.sort(np.concatenate(tr)), np.sort(np.concatenate(va))


def to_model_input(crops) -> np.ndarray:
    """uint8/float crops [N,48,48] (or list, or [N,48,48,1]) -> float32 [N,48,48,1] in 0..255."""
    if isinstance(crops, (list, tuple)):
        crops = np.stack([np.asarray(c) for c in crops]) if len(crops) else np.zeros((0, IMG_SIZE, IMG_SIZE))
    x = np.asarray(crops)
    if x.ndim == 2:
        x = x[None]
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim != 3 or x.shape[1:] != (IMG_SIZE, IMG_SIZE):
        raise ValueError(f"expected face crops of shape [N,{IMG_SIZE},{IMG_SIZE}], got {x.shape}")
    return x.astype(np.float32)[..., None]


def tta_view(x: np.ndarray, zoom: float = 1.0, mirror: bool = False) -> np.ndarray:
    """One test-time view of model inputs ``[N,48,48,1]``: the central ``round(48 / zoom)``
    pixels resized back to 48x48 (bilinear) when ``zoom`` > 1, then mirrored if asked."""
    if zoom != 1.0:
        import cv2
        h = int(round(IMG_SIZE / zoom))
        o = (IMG_SIZE - h) // 2
        centre = np.ascontiguousarray(x[:, o:o + h, o:o + h, 0].transpose(1, 2, 0))  # [h, h, N]
        parts = [cv2.resize(centre[:, :, i:i + 512], (IMG_SIZE, IMG_SIZE), interpolation=cv2.INTER_LINEAR)
                 for i in range(0, centre.shape[2], 512)]  # OpenCV takes at most 512 channels
        x = np.concatenate([q.reshape(IMG_SIZE, IMG_SIZE, -1) for q in parts], axis=2).transpose(2, 0, 1)[..., None]
    if mirror:
        x = x[:, :, ::-1, :]
    return np.ascontiguousarray(x, dtype=np.float32)


def tta_views(x: np.ndarray, mode: str) -> np.ndarray:
    """All views of ``mode`` (``ml.face.TTA_MODES``) stacked: ``[V*N,48,48,1]``, view-major."""
    from ml.face import TTA_MODES
    return np.concatenate([tta_view(x, z, m) for z, m in TTA_MODES[mode]])


def image_to_crop(img) -> np.ndarray:
    """Any BGR/gray image -> 48x48 uint8 gray crop (whole image resized)."""
    import cv2
    if img.ndim == 3:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2GRAY if img.shape[2] == 4 else cv2.COLOR_BGR2GRAY)
    if img.dtype != np.uint8:
        img = cv2.normalize(img, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    interp = cv2.INTER_AREA if min(img.shape[:2]) > IMG_SIZE else cv2.INTER_LINEAR
    return cv2.resize(img, (IMG_SIZE, IMG_SIZE), interpolation=interp)
