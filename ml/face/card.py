"""Write data/models/face/MODEL_CARD.md from its template (``ml/cards/face.md.j2``) with
metrics.json, model.json (the shipped network and its test-time views), its
training_info_*.json and throughput*.json; the same as ``python -m ml.card face``.

    python -m ml.face.evaluate --fer-publictest --write-metrics
    python -m bench.face_throughput --write
    python -m ml.face.card [--note SENTENCE ...]
"""
from __future__ import annotations

import argparse
import sys


def render(notes=()) -> str:
    from ml import card
    return card.render("face", notes=notes)


def main(argv=None) -> int:
    from ml import card
    p = argparse.ArgumentParser(prog="python -m ml.face.card")
    p.add_argument("--note", action="append", default=[], help="extra sentence for the model section")
    args = p.parse_args(argv)
    print(f"wrote {card.write('face', notes=args.note)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
