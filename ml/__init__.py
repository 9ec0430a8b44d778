"""Machine-learning models of the interview simulator.

Each sub-package (``ml.text``, ``ml.face``, ``ml.voice``) has the same shape:
``features`` (pre-processing), ``model`` (the Keras network), ``train`` (a CLI),
``predict`` (a batched ``predict`` returning :class:`ml.types.Probabilities`) and
``evaluate`` (used by ``python -m ml.evaluate KIND ...``).

Shared pieces: :mod:`ml.registry` loads every model once per process (thread-safe),
:mod:`ml.types` holds the prediction type, :mod:`ml.runtime` the run-time settings,
which the caller passes in with ``ml.configure(...)``: nothing in ``ml`` reads the
environment.

Importing ``ml`` or any ``ml.<kind>`` package never imports TensorFlow; only the
``model``/``predict``/``train`` modules do, so web processes stay light.
"""
from pathlib import Path

from ml.runtime import configure, settings

ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = ROOT / "data" / "models"
SHARED_DATA = ROOT.parent / "shared" / "data"

__all__ = ["ROOT", "MODELS_DIR", "SHARED_DATA", "configure", "settings"]
