"""Big Five personality estimate from free text (essays, interview answers, transcripts).

Importing this package never imports TensorFlow: the web app reads the constants below.
The shipped model (:mod:`ml.text.linear`: all-mpnet-base-v2 sentence embeddings + logistic
regression, calibrated) runs without TensorFlow;
inference in :mod:`ml.text.predict`, training in :mod:`ml.text.train`, the candidate
comparison by repeated cross-validation in :mod:`ml.text.cv`. The former CNN-LSTM
(:mod:`ml.text.model`, :mod:`ml.text.features`) is one of the compared candidates.
"""
from ml import MODELS_DIR, SHARED_DATA

TRAITS = ("EXT", "NEU", "AGR", "CON", "OPN")
TRAIT_NAMES = {
    "EXT": "Extraversion",
    "NEU": "Neuroticism",
    "AGR": "Agreeableness",
    "CON": "Conscientiousness",
    "OPN": "Openness",
}
#: CSV label columns, in the order of ``TRAITS``.
LABEL_COLUMNS = tuple("c" + t for t in TRAITS)

MODEL_DIR = MODELS_DIR / "text"
ESSAYS_CSV = SHARED_DATA / "essays" / "essays_dev.csv"

__all__ = ["TRAITS", "TRAIT_NAMES", "LABEL_COLUMNS", "MODEL_DIR", "ESSAYS_CSV"]
