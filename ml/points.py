"""Talking points: which key phrases of a question an answer covers, and where.

    from ml.points import match
    match("I took action at once.", ["action you took", "result"])
    # [{"point": "action you took", "covered": True, "spans": [[2, 6], [7, 13]]},
    #  {"point": "result", "covered": False, "spans": []}]

How a point is matched
----------------------
* Text and point are split into words (letters and digits, with inner apostrophes such as
  "don't" or "team's"; hyphens and other punctuation separate words). Case is ignored.
* Every word is reduced to its Snowball English stem (``snowballstemmer``, pure Python, nothing
  downloaded), so "results", "resulted" and "result" are one word, and so are "learned",
  "learning" and "learn".
* The point's *content words* are its words minus the small stop-word list ``STOP_WORDS``
  ("you", "the", "what", ...): "action you took" looks for "action" and "took". A point made
  of stop words only (e.g. "why you") looks for all of its words instead, so it is neither
  always covered nor never; a point with no words at all is never covered.
* The point is covered when every one of its content stems occurs in the text within a
  window of ``WINDOW`` (12) consecutive words, in any order: "I took action" and "the
  actions I took" both cover "action you took".
* A point may list alternatives separated by "/": "result / outcome / impact" is covered when
  any one of them is (each matched as above), and marks the words of every alternative found.
  Abstract points ("situation", "result") are rarely said in those words; alternatives let a
  point accept the words an answer actually uses.
* ``spans`` are ``[start, end]`` character offsets into ``text`` (``text[start:end]`` is the
  word as written) of the words that cover the point: for every word that completes a
  window, the nearest earlier occurrence of each other content stem. A one-word point thus
  marks every occurrence of its word. Spans are sorted and never overlap; an uncovered point
  has none (a partial match is not shown).

What stemming does not do (by design of Snowball, which strips suffixes and knows no
dictionary): "leadership" stays "leadership" while "leading" and "leads" become "lead", so
the point "leadership" is *not* covered by "I was leading the team" (write the point as
"lead" to accept both "lead", "leads" and "leading"); irregular forms are different words
("took" vs "take", "led" vs "lead"); synonyms are not matched ("outcome" does not cover
"result"). Admins should phrase points with the words a good answer is likely to use.
"""
from __future__ import annotations

import re

import snowballstemmer

__all__ = ["match", "alternatives", "content_words", "STOP_WORDS", "WINDOW", "WORD"]

WINDOW = 12  # a point's words must all occur within this many consecutive words of the text

# Function words a point's phrasing may contain but which carry no topic of their own.
STOP_WORDS = frozenset("""
a about above after again all am an and any are as at be been before being below between both but by
can could did do does doing down during each few for from further had has have having he her here hers
him his how i if in into is it its itself just me more most my myself no nor not now of off on once only
or other our ours out over own same she should so some such than that the their theirs them then there
these they this those through to too under until up very was we were what when where which while who
whom why will with would you your yours yourself
""".split())

from ml.text.normalize import WORD  # noqa: E402  (a word as pages count it)


def _stemmer():
    """The English Snowball stemmer, built once per process through ml.registry (it keeps its own
    cache of stemmed words)."""
    from ml import registry

    return registry.get(("points", "snowball-english"), lambda: snowballstemmer.stemmer("english"))


def _normal(word: str) -> str:
    return word.lower().replace("’", "'")


def _stem(word: str) -> str:
    return _stemmer().stemWord(word)


def _words(text: str) -> list[tuple[int, int, str]]:
    """(start, end, normalised word) for every word of ``text``, offsets into ``text`` itself."""
    return [(m.start(), m.end(), _normal(m.group())) for m in WORD.finditer(text)]


def alternatives(point: str) -> list[str]:
    """The alternatives of a point ("result / outcome" -> ["result", "outcome"]), blanks dropped."""
    return [a.strip() for a in point.split("/") if a.strip()]


def content_words(point: str) -> list[str]:
    """The stems a point looks for, in order of appearance, without repeats (see the module doc)."""
    words = [w for _, _, w in _words(point)]
    content = [w for w in words if w not in STOP_WORDS] or words
    return list(dict.fromkeys(_stem(w) for w in content))


def _match_one(stems: list[str], tokens: list[tuple[int, int, str]]) -> list[list[int]]:
    """Indices of the covering words, as described in the module doc ([] when not covered)."""
    if not stems:
        return []
    wanted = set(stems)
    last: dict[str, int] = {}  # the latest position of each wanted stem so far
    chosen: set[int] = set()
    for i, (_, _, stem) in enumerate(tokens):
        if stem not in wanted:
            continue
        last[stem] = i
        if len(last) == len(wanted):
            first = min(last.values())  # the tightest window ending at word i
            if i - first < WINDOW:
                chosen.update(last.values())
    return sorted(chosen)


def match(text: str, points: list[str]) -> list[dict]:
    """For each talking point, in the given order: ``{"point", "covered", "spans"}``.

    ``spans`` are ``[start, end]`` character offsets into ``text`` (see the module doc)."""
    text = text or ""
    words = _words(text)
    tokens = [(start, end, _stem(w)) for start, end, w in words]
    out = []
    for point in points or []:
        chosen = sorted({i for alt in alternatives(point) for i in _match_one(content_words(alt), tokens)})
        out.append({"point": point, "covered": bool(chosen),
                    "spans": [[tokens[i][0], tokens[i][1]] for i in chosen]})
    return out
