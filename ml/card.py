"""Write data/models/<kind>/MODEL_CARD.md from its Markdown template and the model's files.

    python -m ml.card face|voice|text [--check]

The text of each card is in ``ml/cards/<kind>.md.j2`` (Jinja2); the numbers come from
``metrics.json`` (the :mod:`ml.metrics` schema, written by the evaluate commands) and the
files that record how the model was trained, read here into one context per kind.
``--check`` renders without writing and exits 1 when the card on disk differs.
"""
from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
from pathlib import Path

import jinja2

from ml import MODELS_DIR, ROOT

TEMPLATES = Path(__file__).resolve().parent / "cards"
KINDS = ("face", "voice", "text")


def _load(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _fmt(value, spec=".4f"):
    """``format(value, spec)``, or ``n/a`` when the value is missing."""
    return format(value, spec) if isinstance(value, (int, float)) and not isinstance(value, bool) else "n/a"


def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                             autoescape=False)
    env.filters["f"] = _fmt
    env.filters["thousands"] = lambda v: _fmt(v, ",d") if isinstance(v, int) else _fmt(v, ",")
    return env


# ----------------------------------------------------------------------------- contexts
def _face_member(name: str, d: Path) -> dict:
    info = _load(d / ("training_info.json" if name == "face_cnn.keras"
                      else f"training_info_{name.removesuffix('.keras')}.json"))
    args = info.get("train_args", {})
    run_dir = Path(info.get("run_dir", ""))
    run_dir = run_dir if run_dir.is_absolute() else ROOT / run_dir
    rows, epoch_s = [], info.get("median_epoch_seconds")
    if info.get("run_dir") and (run_dir / "log.csv").exists():
        with open(run_dir / "log.csv") as f:
            rows = [r for r in csv.DictReader(f)
                    if not info.get("epochs_done") or int(r["epoch"]) <= int(info["epochs_done"])]
        epoch_s = statistics.median(float(r["seconds"]) for r in rows) if rows else epoch_s
        rows = [{"epoch": int(r["epoch"]), "lr": float(r["lr"]), "accuracy": r["accuracy"],
                 "val_accuracy": r["val_accuracy"]} for r in rows]
        rows = [r for r in rows if r["epoch"] % 5 == 0 or r is rows[-1]]
    else:  # the run directory is not kept: the curve recorded with the member, if any
        rows = info.get("curve", [])
    blocks = []
    try:
        from ml.face.model import VARIANTS  # TensorFlow; without it the block list is left out
        widths, depths = VARIANTS[info.get("variant")]
        blocks = [{"width": w, "convs": c} for w, c in zip(widths, depths)]
    except Exception:
        pass
    path = d / name
    return {"name": name, "info": info, "args": args, "data": info.get("data", {}), "curve": rows,
            "epoch_s": epoch_s, "blocks": blocks, "size_mb": path.stat().st_size / 1e6 if path.exists() else None}


def face_context(d: Path, notes=()) -> dict:
    from ml.face import CLASS_NAMES
    m = _load(d / "metrics.json")
    shipped = _load(d / "model.json")  # {"file", "tta", "chosen_on"}: the shipped network
    name = shipped.get("file") or (m.get("members") or [{}])[0].get("file", "?")
    shipped.setdefault("file", name)
    throughput = []
    for fname in ("throughput.json", "throughput_no_tta.json"):
        t = _load(d / fname)
        if t:
            if "tta" not in t:  # files written before the test-time modes
                t["tta"] = "flip" if t.get("tta_flip") else "none"
            throughput.append(t)
    return {"m": m, "shipped": shipped, "members": [_face_member(name, d)], "notes": list(notes),
            "tta": m.get("tta", shipped.get("tta", "none")), "precision": m.get("precision", "float32"),
            "throughput": throughput, "class_names": list(CLASS_NAMES)}


def voice_context(d: Path, notes=()) -> dict:
    from ml.voice import CLASS_NAMES
    cfg = _load(d / "config.json")
    cfg.pop("norm_mean", None), cfg.pop("norm_std", None)
    return {"m": _load(d / "metrics.json"), "cfg": cfg, "class_names": list(CLASS_NAMES),
            "weights_mb": sum(p.stat().st_size for p in d.glob("*.weights.h5")) / 1e6}


def text_context(d: Path, notes=()) -> dict:
    from ml.text import TRAIT_NAMES, TRAITS
    pre = _load(d / "preprocess.json")
    model = d / "model.keras"
    m = _load(d / "metrics.json")
    return {"m": m, "log": _load(d / "train_log.json"), "traits": list(TRAITS),
            "trait_names": TRAIT_NAMES, "vocab_size": len(pre.get("vocab", [])) or None,
            "model_mb": model.stat().st_size / 1e6 if model.exists() else None,
            "shown_from": (m.get("by_length") or {}).get("shown_from") or {t: None for t in TRAITS}}


CONTEXTS = {"face": face_context, "voice": voice_context, "text": text_context}


def render(kind: str, model_dir: Path | None = None, notes=()) -> str:
    """The card's Markdown; ``notes`` are extra sentences (face: the model section)."""
    d = model_dir or MODELS_DIR / kind
    context = CONTEXTS[kind](d, notes)
    if not context["m"]:
        raise FileNotFoundError(f"{d / 'metrics.json'} is missing: run the evaluate command first")
    return environment().get_template(f"{kind}.md.j2").render(**context)


def write(kind: str, model_dir: Path | None = None, notes=()) -> Path:
    path = (model_dir or MODELS_DIR / kind) / "MODEL_CARD.md"
    path.write_text(render(kind, model_dir, notes), encoding="utf-8")
    return path


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m ml.card", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("kind", choices=KINDS)
    p.add_argument("--check", action="store_true", help="exit 1 if the card on disk is out of date")
    args = p.parse_args(argv)
    if args.check:
        path = MODELS_DIR / args.kind / "MODEL_CARD.md"
        same = path.exists() and path.read_text(encoding="utf-8") == render(args.kind)
        print(f"{path}: {'up to date' if same else 'out of date'}")
        return 0 if same else 1
    print(f"wrote {write(args.kind)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
