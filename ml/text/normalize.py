"""Text as the Big Five model reads it: the form a speech transcript has.

Typed essays and transcribed speech differ most in what a transcriber leaves out or adds:
capitals, punctuation and filler sounds. :func:`normalize` maps both to one form -
lower case, curly apostrophes straightened, digits to ``0`` (as the essays data set has them),
every character other than a letter, digit or in-word apostrophe to a space, filler sounds
("um", "uh", "erm", "hmm", ... , see ``FILLERS``) dropped, runs of spaces collapsed - so a
typed answer and the transcript of the same words give the same features.

:func:`transcript_like` makes essays look like transcripts (the robustness test and the
card's "punctuation-free" figures): lower case, no punctuation, optionally fillers inserted.
"""
from __future__ import annotations

import random
import re
import unicodedata

#: Typographic ligatures as the letters they join: PDFs made by browsers, Google Docs and LaTeX store "fi" and "fl" as
#: one character (U+FB01, ...), which every reader here would otherwise split a word at ("con" + "rmed").
LIGATURES = {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "st",
             "\ufb06": "st"}
_LIGATURES = str.maketrans(LIGATURES)
# curly and other apostrophes straightened, ligatures spelt out
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'", **LIGATURES})


def unligature(text: str) -> str:
    """``text`` with its typographic ligatures spelt out ("conﬁrmed" -> "confirmed"); nothing else changes."""
    return text.translate(_LIGATURES)
_FILLER = r"(?:u+m+|u+h+|u+h+m+|e+r+m+|e+r+|h+m+|m{2,})"  # a filler sound, and its lengthened spellings
_FILLER_RE = re.compile(rf"\b{_FILLER}\b")
_NON_WORD_RE = re.compile(r"[^a-z0-9' ]+")
_LOOSE_APOSTROPHE_RE = re.compile(r"(?<![a-z0-9])'|'(?![a-z0-9])")
_DIGIT_RE = re.compile(r"[0-9]")
_SPACES_RE = re.compile(r"\s+")

#: filler sounds dropped by :func:`normalize` (the regular expression also takes their
#: lengthened spellings: "ummm", "hmmmm", "uhhh").
FILLERS = ("um", "uh", "uhm", "erm", "er", "hm", "hmm", "mm")


def normalize(text: str | None) -> str:
    """Lower-cased words, digits as 0, no punctuation and no filler sounds, single spaces.

    >>> normalize("Well, I don't KNOW... Um, 42 cats!")
    "well i don't know 00 cats"
    """
    if not text:
        return ""
    t = str(text).lower().translate(_APOSTROPHES)
    t = _DIGIT_RE.sub("0", t)
    t = _NON_WORD_RE.sub(" ", t)
    t = _LOOSE_APOSTROPHE_RE.sub(" ", t)
    t = _FILLER_RE.sub(" ", t)
    return _SPACES_RE.sub(" ", t).strip()


def _mark_ranges() -> str:
    """A character class body of every Unicode combining mark (categories Mn, Mc, Me: the vowel signs and viramas of
    Indic scripts, Thai vowels, accents typed as marks of their own); they lie in planes 0, 1 and 14."""
    out, start, prev = [], None, None
    for cp in (*range(0x20000), *range(0xE0000, 0xE1000)):
        if unicodedata.category(chr(cp))[0] == "M":
            start = cp if start is None else start
            prev = cp
        elif start is not None:
            out.append(f"\\U{start:08x}-\\U{prev:08x}")
            start = None
    return "".join(out)


_WORD_CHAR = rf"(?:[^\W_]|[{_mark_ranges()}])"  # a letter or digit in any script, or a mark on one
#: A word as every page counts it, and the talking points (:mod:`ml.points`) and word lists read it: letters or
#: digits in any script with the marks written on them ("नेतृत्व" is one word, not four: a review of Hindi and Thai
#: answers found 16 words counted for 7), joined by in-word apostrophes ("don't", "team's", "o’clock"); a hyphen or
#: a slash separates words ("sign-in" is two) and a lone dash is none. static/js/wordcount.js counts the same way as
#: one types.
WORD = re.compile(rf"[^\W_]{_WORD_CHAR}*(?:['’][^\W_]{_WORD_CHAR}*)*")
_FILLER_WORD_RE = re.compile(_FILLER)


def is_filler(word: str) -> bool:
    """Whether a (lower-cased) word is a filler sound: "um", "uh", "hmm" and their lengthened spellings ("ummm")."""
    return bool(_FILLER_WORD_RE.fullmatch(word))


def words(text: str | None) -> list[str]:
    """The words of ``text`` (:data:`WORD`), lower-cased, with curly apostrophes straightened: "Haven’t" is
    "haven't", "résumé" one word, also when its accents come as separate marks (Unicode NFC first, as text from a
    PDF may have them), and "İstanbul" too (found first, then lower-cased: its "i̇" takes a mark of its own)."""
    text = unicodedata.normalize("NFC", str(text or "")).translate(_APOSTROPHES)
    return [w.lower() for w in WORD.findall(text)]


def word_count(text: str | None) -> int:
    """The length of an answer as the length rule counts it (the web app's ``modelinfo``): its :func:`words` less
    filler sounds. For text in unaccented letters this is the number of words of :func:`normalize`, the length
    :mod:`ml.text.lengths` cuts essays to (normalize, the model's input, splits a word at an accented letter)."""
    return sum(1 for w in words(text) if not is_filler(w))


_PUNCT_RE = re.compile(r"[^\w\s']+")


def transcript_like(text: str, fillers: float = 0.0, seed: int = 0) -> str:
    """``text`` lower-cased and stripped of punctuation (as a speech recogniser without
    punctuation would write it); with ``fillers`` > 0 about that share of the words are
    preceded by "um" or "uh" (seeded, so the result is reproducible)."""
    words = _PUNCT_RE.sub(" ", str(text or "").lower().translate(_APOSTROPHES)).split()
    if fillers > 0:
        rng = random.Random(seed)
        out = []
        for w in words:
            if rng.random() < fillers:
                out.append(rng.choice(("um", "uh")))
            out.append(w)
        words = out
    return " ".join(words)
