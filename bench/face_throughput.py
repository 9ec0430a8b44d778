"""Face-model inference throughput: crops/s in batches on this machine.

    python -m bench.face_throughput [--batch 64] [--n 2048] [--no-tta | --tta MODE] [--model F]

Measures the shipped model (data/models/face/model.json, test-time augmentation as shipped) unless
--model is given.  Last stdout line: one JSON object.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

from ml.face import TTA_MODES  # light: no TensorFlow


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.face_throughput")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--n", type=int, default=2048, help="crops per timed pass")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--tta", choices=sorted(TTA_MODES), default=None,
                   help="test-time augmentation mode (ml.face.TTA_MODES; default as shipped)")
    p.add_argument("--no-tta", action="store_true", help="same as --tta none (one view per crop)")
    p.add_argument("--model", default=None)
    p.add_argument("--write", action="store_true", help="also save the result to data/models/face/throughput.json")
    args = p.parse_args(argv)

    import numpy as np
    from bench import cpu_name
    from ml.face import shipped, training_info
    from ml.face.predict import graph_precision
    from ml.face.predict import load_model, predict

    rng = np.random.default_rng(0)
    crops = rng.integers(0, 256, (args.n, 48, 48), dtype=np.uint8)
    try:
        from ml.face.features import load_fer
        d = load_fer()
        crops = d["pixels"][d["usage"] == "PublicTest"][: args.n]
    except Exception:  # data not available: random crops cost the same
        pass
    load_model(args.model)
    tta = "none" if args.no_tta else (args.tta or shipped()["tta"])
    run = dict(tta=tta, batch_size=args.batch, model_file=args.model)
    predict(crops[: args.batch], **run)  # warm-up
    rates, cpu_rates = [], []
    for _ in range(args.repeats):
        t, c = time.perf_counter(), time.process_time()
        predict(crops, **run)
        rates.append(len(crops) / (time.perf_counter() - t))
        cpu_rates.append(len(crops) / max(1e-9, time.process_time() - c))
    res = {"bench": "face_throughput", "crops_per_s": round(float(np.median(rates)), 1),
           "crops_per_s_best": round(float(max(rates)), 1), "batch": args.batch, "n": int(len(crops)),
           "tta": tta, "passes_per_crop": len(TTA_MODES[tta]),
           # crops per CPU-second of this process: comparable across machine load; on an
           # otherwise idle machine wall-clock crops/s is roughly this times the cores used
           "crops_per_cpu_s": round(float(np.median(cpu_rates)), 1), "params": training_info(args.model).get("params"),
           "members": 1, "precision": graph_precision(args.model), "runtime": "onnxruntime", "cpus": os.cpu_count(),
           "load_avg_1min": round(os.getloadavg()[0], 2), "machine": platform.machine(), "cpu": cpu_name()}
    if args.write:
        from ml.face import model_dir
        (model_dir() / ("throughput_no_tta.json" if tta == "none" else "throughput.json")).write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
