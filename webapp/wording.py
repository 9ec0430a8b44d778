"""Small wording helpers for templates (registered as Jinja filters in create_app)."""
from __future__ import annotations


def plural(word: str, n, plural_form: str | None = None) -> str:
    """`word` as it goes with the number n: 'candidate' | plural(1) -> 'candidate',
    'candidate' | plural(2) -> 'candidates', 'stretch' | plural(2, 'stretches') -> 'stretches'."""
    try:
        one = float(n) == 1
    except (TypeError, ValueError):
        one = False
    return word if one else (plural_form or word + "s")


def point_parts(point: str) -> tuple[str, list[str]]:
    """A talking point as it is shown: its first wording and the other wordings that also count
    ("result / outcome / impact" -> ("result", ["outcome", "impact"]); see ml.points.alternatives)."""
    parts = [p.strip() for p in str(point or "").split("/") if p.strip()]
    return (parts[0], parts[1:]) if parts else ("", [])


def point_label(point: str) -> str:
    """A talking point in one line of text: "result (or outcome, impact)"."""
    main, others = point_parts(point)
    return f"{main} (or {', '.join(others)})" if others else main
