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
