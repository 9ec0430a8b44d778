"""Score the talking-point matcher on hand-labelled answers.

    python -m ml.evaluate points [data/text/points_samples.json] [--write PATH]

Every (answer, point) pair is one decision: the matcher's "covered" against the label (does a reader
find the point addressed?). Reports precision, recall and accuracy of the shipped rule, of the rule
before negation (a negated word, "I never fixed it", counted as well) and of the rule before set
phrases too (every alternative matched as a bag of content words), and lists each disagreement with
the labels. The last line of stdout is one JSON object; ``--write PATH`` also writes it to PATH.

The web app reads ``data/text/points_metrics.json`` (written by ``python -m ml.evaluate points
data/text/points_natural.json --write data/text/points_metrics.json``) through ``webapp.modelinfo.points_metrics``:
beside the list of a question's talking points, the answer pages and the mock report say why no point is marked
made or missed: how often the check finds a point made in natural answers, and how often its ticks are wrong (less
often right than a guess). A test recomputes it, so it cannot go stale.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from ml.metrics import two_class_scores
from ml.points import match

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT / "data" / "text" / "points_samples.json"
QUESTIONS = ROOT / "data" / "questions.json"


def score(answers: list[dict], set_phrases: bool, negation: bool = True) -> dict:
    counts = {"tp": 0, "fp": 0, "fn": 0, "tn": 0}
    wrong = []
    for a in answers:
        points = list(a["covered"])
        for res in match(a["text"], points, set_phrases=set_phrases, negation=negation):
            said, truth = res["covered"], a["covered"][res["point"]]
            counts[("t" if said == truth else "f") + ("p" if said else "n")] += 1
            if said != truth:
                wrong.append({"error": "covered, not addressed" if said else "addressed, not covered",
                              "point": res["point"], "answer": a["text"][:80]})
    return {**counts, "decisions": sum(counts.values()), **two_class_scores(**counts, digits=3),
            "disagreements": wrong}


RULES = (("before_set_phrases", False, False), ("before_negation", True, False), ("shipped", True, True))


def evaluate(path: Path) -> dict:
    """Every rule's counts on the labelled answers of ``path``, with its disagreements (``score``). Raises
    ValueError when the labels are not for the seeded questions' points as they are."""
    path = Path(path).resolve()
    answers = json.loads(path.read_text(encoding="utf-8"))["answers"]
    seeded = {q["text"]: q["talking_points"] for q in json.loads(QUESTIONS.read_text(encoding="utf-8"))}
    for a in answers:  # the labels are for the seeded questions' points as they are
        if list(a["covered"]) != seeded.get(a["question"]):
            raise ValueError(f"labels out of date for {a['question']!r}: the seeded points differ")
    # the data file relative to the repository, so that the written metrics do not depend on where it was run
    data = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)
    result = {"kind": "points", "data": data, "answers": len(answers)}
    for name, phrases, negation in RULES:
        result[name] = score(answers, phrases, negation)
    return result


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    write = None
    if "--write" in argv:
        i = argv.index("--write")
        if i + 1 >= len(argv):
            print("--write needs a path to write the metrics to", file=sys.stderr)
            return 2
        write = Path(argv[i + 1])
        del argv[i:i + 2]
    path = Path(argv[0]) if argv else DEFAULT
    try:
        result = evaluate(path)
    except ValueError as e:
        print(e, file=sys.stderr)
        return 1
    for name, _, _ in RULES:
        r = result[name]
        print(f"== {name}: {r['decisions']} decisions, precision {r['precision']}, recall {r['recall']}, "
              f"accuracy {r['accuracy']}")
        for w in r.pop("disagreements"):
            print(f"   {w['error']}: {w['point']!r} in {w['answer']!r}")
    print(json.dumps(result))
    if write is not None:
        write.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {write}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
