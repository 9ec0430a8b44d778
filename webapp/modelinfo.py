"""The models' measured accuracy, read from their metrics.json (no TensorFlow import)."""
import json
from functools import lru_cache

from .config import ROOT

MODELS_DIR = ROOT / "data" / "models"


@lru_cache(maxsize=None)
def model_metrics(kind: str) -> dict:
    path = MODELS_DIR / kind / "metrics.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
