"""Helpers on sampled series shared by the channels and their evaluations."""
from __future__ import annotations

import numpy as np


def runs(mask) -> list[tuple[int, int]]:
    """(start, end) index runs where ``mask`` is true, end exclusive."""
    mask = np.asarray(mask, dtype=bool)
    if mask.size == 0:
        return []
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist()))
