"""Measure the text model's load time and memory in a fresh process.

    python -m ml.text.resources [--write]

Checks the SHA-256 of the encoder's files (:func:`ml.text.embed.verify`), then starts a new
Python process that imports ``ml.text.predict``, loads the model (logistic regressions +
the MPNet encoder) and predicts one 600-word text; reports the seconds of each step and the
process's resident memory (RSS, MB) before and after. ``--write`` stores the figures under
``resources`` in data/models/text/train_log.json (the card shows them).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys

from ml import ROOT
from ml.text import MODEL_DIR

_CHILD = r"""
import json, resource, time
def rss():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) / 1024
t0 = time.time(); r0 = rss()
from ml.text import predict as P, embed as E
t1 = time.time(); r1 = rss()
P.load(); E.get()
t2 = time.time(); r2 = rss()
P.predict(['I like to talk to people and I plan my week carefully. ' * 55])
t3 = time.time(); r3 = rss()
print(json.dumps({"import_s": round(t1 - t0, 2), "load_s": round(t2 - t1, 2), "first_predict_s": round(t3 - t2, 2),
                  "rss_mb_after_import": round(r1), "rss_mb_after_load": round(r2), "rss_mb_after_predict": round(r3),
                  "rss_mb_added_by_model": round(r3 - r1),
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))
"""


def measure() -> dict:
    out = subprocess.run([sys.executable, "-c", _CHILD], cwd=ROOT, capture_output=True, text=True, check=True,
                         timeout=600).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m ml.text.resources", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--write", action="store_true")
    args = p.parse_args(argv)
    from ml.text.embed import verify
    r = measure()
    r["encoder_sha256"] = verify()
    print(json.dumps(r))
    if args.write:
        path = MODEL_DIR / "train_log.json"
        log = json.loads(path.read_text(encoding="utf-8"))
        log["resources"] = r
        path.write_text(json.dumps(log, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
