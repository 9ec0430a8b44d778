"""Machine-learning models of the interview simulator.

Each sub-package (``ml.text``, ``ml.face``, ``ml.voice``) has the same shape:
``features`` (pre-processing), ``model`` (the Keras network), ``train`` (a CLI),
``predict`` (one ``predict`` call returning labelled probabilities) and
``evaluate`` (used by ``python -m ml.evaluate KIND ...``).

Importing ``ml`` or any ``ml.<kind>`` package never imports TensorFlow; only the
``model``/``predict``/``train`` modules do, so web processes stay light.
"""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = ROOT / "data" / "models"
SHARED_DATA = ROOT.parent / "shared" / "data"
