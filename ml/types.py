"""The one prediction type shared by every model in ``ml``.

    p = face_predict(crops)          # Probabilities, one row per input
    len(p), p.classes                # n, the k class names
    p.values                         # float32 [n, k] (read-only)
    p.row_dict(0)                    # {"angry": 0.1, ...}
    p.as_dicts()                     # one dict per row
    p.argmax_labels()                # ["happy", ...]
    p.mean()                         # {"angry": mean over rows, ...}
    np.asarray(p)                    # the [n, k] array

Face and voice rows are single-label distributions (each row sums to 1). Text rows
are multi-label: each value is P(trait is high) on its own and a row does not sum to 1
(``multi_label=True``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True, eq=False)
class Probabilities:
    classes: tuple[str, ...]
    values: np.ndarray  # float32 [n, k], columns in ``classes`` order
    multi_label: bool = field(default=False)

    def __post_init__(self):
        classes = tuple(str(c) for c in self.classes)
        values = np.array(self.values, dtype=np.float32, copy=True)
        if values.ndim == 1 and values.size == 0:
            values = values.reshape(0, len(classes))
        if values.ndim != 2 or values.shape[1] != len(classes):
            raise ValueError(f"values must be [n, {len(classes)}], got shape {values.shape}")
        values.setflags(write=False)
        object.__setattr__(self, "classes", classes)
        object.__setattr__(self, "values", values)

    def __len__(self) -> int:
        return int(self.values.shape[0])

    def __array__(self, dtype=None, copy=None):
        """``np.asarray(p)``: the [n, k] values (so arrays of the old API keep working)."""
        return self.values if dtype is None else self.values.astype(dtype)

    def row_dict(self, i: int, digits: int | None = None) -> dict[str, float]:
        """``{class: probability}`` of row ``i``, rounded to ``digits`` decimals if given (as results store them)."""
        return {c: float(v) if digits is None else round(float(v), digits)
                for c, v in zip(self.classes, self.values[i])}

    def as_dicts(self) -> list[dict[str, float]]:
        """One ``{class: probability}`` dict per row."""
        return [self.row_dict(i) for i in range(len(self))]

    def argmax(self) -> np.ndarray:
        """Index of the most probable class of each row (int [n])."""
        return self.values.argmax(axis=1) if len(self) else np.zeros(0, int)

    def argmax_labels(self) -> list[str]:
        """Name of the most probable class of each row."""
        return [self.classes[k] for k in self.argmax()]

    def mean(self) -> dict[str, float]:
        """``{class: mean probability over the rows}``; ValueError without rows."""
        if not len(self):
            raise ValueError("no rows to average")
        return {c: float(v) for c, v in zip(self.classes, self.values.astype(np.float64).mean(axis=0))}

    def take(self, rows) -> "Probabilities":
        """The rows ``rows`` (indices, a slice or a boolean mask) as new Probabilities."""
        return Probabilities(self.classes, self.values[rows], self.multi_label)
