"""Write a part of the fixed essays_dev split as a CSV.

    python -m ml.text.split --write runs/text/dev_test.csv            # the held-out 20%
    python -m ml.text.split --write FILE --part val [--csv SRC]

The former CNN-LSTM trained on ``train``, selected epochs on ``val`` and never saw ``test``.
The shipped model (``python -m ml.text.train``) is trained on all of essays_dev and measured
by repeated cross-validation instead, so ``python -m ml.evaluate text runs/text/dev_test.csv``
scores it on essays it has seen; use the split only for models trained without that part.
"""
from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from ml.text import ESSAYS_CSV
from ml.text.features import dev_split, read_labelled_csv


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m ml.text.split", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--write", type=Path, required=True, help="output CSV")
    p.add_argument("--part", choices=("train", "val", "test"), default="test")
    p.add_argument("--csv", type=Path, default=ESSAYS_CSV, help="source CSV (default essays_dev.csv)")
    args = p.parse_args(argv)
    ids, _, _ = read_labelled_csv(args.csv)
    keep = set(int(i) for i in dev_split(ids)[args.part])
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    with open(args.csv, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = [r for i, r in enumerate(reader) if i in keep]
    args.write.parent.mkdir(parents=True, exist_ok=True)
    with open(args.write, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    print(f"wrote {len(rows)} {args.part} rows to {args.write}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
