"""Evaluate a trained model on a labelled data set.

    python -m ml.evaluate text PATH.csv
    python -m ml.evaluate face DIR [--detect-faces]
    python -m ml.evaluate voice DIR
    python -m ml.evaluate speech DIR [--limit N] | DIR --timing [--actors 1-10] [--seed N]
    python -m ml.evaluate gaze DIR
    python -m ml.evaluate points [SAMPLES.json]

Each prints, as the last line of stdout, one JSON object with the metrics.
"""
import importlib
import sys

KINDS = ("text", "face", "voice", "speech", "gaze", "points")


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in KINDS:
        print(__doc__, file=sys.stderr)
        return 2
    module = importlib.import_module(f"ml.{argv[0]}.evaluate")
    return module.main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
