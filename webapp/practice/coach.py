"""The three things most worth practising next, chosen from measured gaps (a pure function).

The rule, for every measured figure with a direction (``figures.FIGURES``; Big Five traits and
emotions have none and are never chosen):

1. References: the average of other candidates' answers (the candidate's own are left out; this
   question's average unless it is held back for privacy (too few answers or other candidates: its
   mean is None, ``webapp.stats.held_back``), else the average of all questions, else none) for ``up``/``down``
   figures; the candidate's own best earlier attempt at the same question in the same modality;
   and a fixed goal where one exists (the face visible 90% of the time, at least the minimum number
   of words). Pace is not judged: no sourced ideal range.
2. Shortfall to a reference, in the figure's unit, in the worse direction only: ``up``/``min``
   ``reference - value``; ``down`` ``value - reference``; ``band`` the distance outside the band
   (for the own best: how much further outside the band than the best).
3. Standardised gap = the largest shortfall / scale, where scale is the spread (standard
   deviation) of the reference average's results, never below the figure's ``floor`` (the
   smallest difference worth mentioning, e.g. 10 points of the share of frames with a face found).
   A shortfall of no more than the answer's own ``resolution`` (one filler, long pause or hedge in the seconds its
   rate is per: in a 12-second answer one pause is 5 per minute; one hedge in a written answer's words: in 40
   words 2.5 per 100) is no gap: it is one event's noise (``figures.within_one_event``, the rule of the answer
   pages' change table and the progress page's best marks too).
4. Gaps below ``MIN_GAP`` are ignored, except an answer under the minimum number of words: the minimum is a hard
   threshold (below it no Big Five trait is estimated), so any shortfall to it is a gap of at least ``MIN_GAP``
   (47 words against 50 is a suggestion, not "nothing stands out" beside an answer that says it was too short).
   The largest gaps win (ties: earlier question first); each figure is chosen at most once until every figure with a
   gap has been chosen, then the remaining places go to the next largest gaps.
"""
from __future__ import annotations

from typing import Optional

from .figures import FIGURES, MIN_GAP, within_one_event  # noqa: F401 (MIN_GAP: the rule's 4, read from here too)


def gap_scale(fig, sd: Optional[float]) -> float:
    """The rule's scale (3): the reference average's spread ``sd``, never below the figure's ``floor``."""
    return max(fig.floor, sd or 0.0)


def stands_out(key: str, difference: float, sd: Optional[float]) -> bool:
    """Is a difference of ``difference`` (in the figure's unit, either way) from other candidates' average, whose
    results spread by ``sd``, large enough to be a gap (3, 4: at least MIN_GAP of its scale)? The answer pages'
    speech-coach hints read "about the same" below it (dashboard.routes.coach_hint), so that an answer page never
    calls "about the same" what the mock report lists as a thing to practise."""
    return abs(difference) >= MIN_GAP * gap_scale(FIGURES[key], sd)


def _shortfall(fig, value: float, reference: float, kind: str) -> float:
    if fig.direction in ("up", "min"):
        return reference - value
    if fig.direction == "down":
        return value - reference
    lo, hi = fig.band  # band
    dist = lambda v: max(lo - v, 0.0, v - hi)  # noqa: E731
    return dist(value) - (dist(reference) if kind == "best" else 0.0)


def _average(item: dict) -> Optional[dict]:
    for name in ("question_avg", "overall_avg"):
        avg = item.get(name)
        if avg and avg.get("mean") is not None:  # held back (webapp.stats.held_back): no mean
            return dict(avg, scope="question" if name == "question_avg" else "all")
    return None


def gap_of(item: dict, min_words: int = 50) -> Optional[dict]:
    """The standardised gap of one measured figure, with the reference that gives it, or None.

    `item`: {"key", "value", "question_avg": {"mean", "sd", "count"} | None, "overall_avg": same,
    "best": own best earlier value | None, "resolution": the smallest step of the value | None,
    "best_resolution": the smallest step of the best earlier value (in its own answer) | None}."""
    fig = FIGURES.get(item["key"])
    if fig is None or fig.direction is None or item.get("value") is None:
        return None
    value = float(item["value"])
    avg = _average(item) if fig.direction in ("up", "down") else None
    scale = gap_scale(fig, (avg or {}).get("sd"))
    refs = []
    if avg is not None:
        refs.append(("average", avg["mean"], avg["scope"]))
    if item.get("best") is not None:
        refs.append(("best", float(item["best"]), None))
    target = min_words if fig.direction == "min" else fig.target
    if fig.direction == "band":
        refs.append(("target", None, None))
    elif target is not None:
        refs.append(("target", float(target), None))
    best = None
    resolution = item.get("resolution")
    for kind, ref, scope in refs:
        shortfall = _shortfall(fig, value, ref if ref is not None else value, kind)
        steps = (resolution, item.get("best_resolution")) if kind == "best" else (resolution,)
        noise = ref is not None and within_one_event(fig.key, value, float(ref), steps)
        gap = 0.0 if noise else max(shortfall, 0.0) / scale
        if kind == "target" and fig.direction == "min" and shortfall > 0:
            gap = max(gap, MIN_GAP)  # under the minimum is always behind the goal (the module's rule, 4)
        if best is None or gap > best["gap"]:
            best = {"gap": gap, "reference": kind, "reference_value": ref, "scope": scope}
    if best is None or best["gap"] < MIN_GAP:
        return None
    return best


def things_to_practise(items: list[dict], n: int = 3, min_words: int = 50) -> list[dict]:
    """Up to `n` suggestions from measured figures (see the module's rule), largest gap first.

    Each item is a measured figure of one answer: {"key", "value", "question_no", ...averages and
    own best as ``gap_of`` reads them; any other keys are kept}. Returns the chosen items, each with
    "gap", "reference" (average | best | target), "reference_value", "scope" and the figure's
    "name" and "advice" added."""
    scored = []
    for item in items:
        if (g := gap_of(item, min_words)) is not None:
            fig = FIGURES[item["key"]]
            scored.append({**item, **g, "name": fig.name, "advice": fig.advice})
    scored.sort(key=lambda s: (-s["gap"], s.get("question_no", 0), s["key"]))
    chosen, seen = [], set()
    for s in scored:  # one per figure first
        if len(chosen) < n and s["key"] not in seen:
            chosen.append(s)
            seen.add(s["key"])
    for s in scored:  # then the next largest gaps
        if len(chosen) < n and not any(c is s for c in chosen):
            chosen.append(s)
    chosen.sort(key=lambda s: (-s["gap"], s.get("question_no", 0), s["key"]))
    return chosen
