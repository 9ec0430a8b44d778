"""Does a written answer read as English? The text model was fitted on English essays only: its Big Five of a
German or French answer would be a number about nothing, shown and added to other candidates' averages.

Two shares of the answer's words (``ml.text.normalize.words``; an English contraction counts as its first part,
"i'm" as "i"):
* ``vocabulary``: whole entries of the text encoder's English word-piece vocabulary (all-mpnet-base-v2's
  ``tokenizer.json``, 30,527 entries, read from the installed packages; nothing is downloaded). An English answer's
  words are nearly all in it; in other languages most are not. Names and technical terms are not either, so an
  English answer full of them can fall low ("Kubernetes", "Łódź"), and English product names lift an answer in
  another language ("GitHub Actions").
* ``function_words``: English function words (``ml.points.STOP_WORDS``: "the", "and", "my", "with", ...), which
  English prose keeps whatever its names and terms, and another language hardly has ("in", "a" and "no" are words
  elsewhere too).

An answer does not read as English prose when both are low: ``vocabulary`` under MIN_VOCABULARY **and**
``function_words`` under MIN_FUNCTION_WORDS. Under MIN_WORDS words nothing is decided (no trait is shown at that
length anyway).

Measured, not assumed (``python -m ml.text.english ESSAYS_CSV``): both shares of every development essay, whole and
cut to its first 25 and 50 words, and of the paragraphs of ``data/text/language_samples.json`` (one interview answer
in ten other languages; five answers in other languages full of English tool and product names; six English answers
full of names, technical terms, contractions or a quotation), with how many of each group the rule calls "not
English". The thresholds were set between the groups after looking at them. English prose keeps at least 0.22 of
function words in every English sample (at least 0.24 in whole essays), against at most 0.12 in another language;
the few essay openings below 0.2 (keyword lists: "dude california awesome fun friends road trip ...") have at least
0.76 of vocabulary, against at most 0.68 in another language with English terms. One English sample is called "not
English": a bare list of skills and product names (vocabulary 0.44, function words 0.04), which is no prose for the
model to read either; pages word the result as "does not read as English prose".
"""
from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from pathlib import Path

from ml import registry
from ml.points import STOP_WORDS
from ml.text.normalize import words

#: a text with at least this share of its words in the English vocabulary reads as English
MIN_VOCABULARY = 0.75
#: ... and so does one with at least this share of English function words
MIN_FUNCTION_WORDS = 0.2
#: fewer words: not decided
MIN_WORDS = 10

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "text" / "language_samples.json"


def vocabulary() -> frozenset[str]:
    """The encoder's word-piece vocabulary (whole-word entries and "##" pieces), read once per process."""
    def load():
        from tokenizers import Tokenizer

        from ml.text.embed import MEMBER, archive
        with archive() as z:
            tok = Tokenizer.from_str(z.read(MEMBER + "tokenizer.json").decode("utf-8"))
        return frozenset(tok.get_vocab())
    return registry.get(("text", "mpnet-vocabulary"), load)


#: English contractions: "i'm" is read as "i", "don't" as "don" (the vocabulary has no word with an apostrophe);
#: an elision of another language ("j'ai", "l'équipe") stays one word, in no English list
_CONTRACTION = re.compile(r"^([^']+)'(?:s|t|re|ve|ll|d|m)$")


def _base(word: str) -> str:
    m = _CONTRACTION.match(word)
    return m.group(1) if m else word


def reading(text: str | None) -> dict | None:
    """``{"vocabulary": share, "function_words": share}`` of ``text``'s words (rounded to 3 places); None under
    MIN_WORDS words."""
    ws = [_base(w) for w in words(text)]
    if len(ws) < MIN_WORDS:
        return None
    vocab = vocabulary()
    return {"vocabulary": round(sum(w in vocab for w in ws) / len(ws), 3),
            "function_words": round(sum(w in STOP_WORDS for w in ws) / len(ws), 3)}


def reads_as_english(r: dict | None) -> bool:
    """Whether a :func:`reading` reads as English (an undecided one does)."""
    return r is None or r["vocabulary"] >= MIN_VOCABULARY or r["function_words"] >= MIN_FUNCTION_WORDS


def _summary(readings: list[dict | None]) -> dict:
    decided = [r for r in readings if r is not None]
    out = {"n": len(readings), "undecided": len(readings) - len(decided),
           "not_english": sum(not reads_as_english(r) for r in decided)}
    for key in ("vocabulary", "function_words"):
        values = sorted(r[key] for r in decided)
        if values:
            out[key] = {"min": values[0], "median": values[len(values) // 2], "max": values[-1]}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ml.text.english", description=__doc__.split("\n\n")[0])
    ap.add_argument("essays", type=Path, help="the essays CSV (a column named like 'text')")
    args = ap.parse_args(argv)
    if not args.essays.is_file():
        ap.error(f"{args.essays} is not a file")
    with open(args.essays, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    column = next(k for k in rows[0] if "text" in k.lower())
    out = {"min_vocabulary": MIN_VOCABULARY, "min_function_words": MIN_FUNCTION_WORDS, "min_words": MIN_WORDS}
    for cut in (25, 50, None):
        texts = [" ".join(words(r[column])[:cut]) if cut else r[column] for r in rows]
        out[f"essays_first_{cut}_words" if cut else "essays_whole"] = _summary([reading(t) for t in texts])
    for group, texts in json.loads(SAMPLES.read_text(encoding="utf-8")).items():
        readings = {name: reading(text) for name, text in texts.items()}
        out[group] = {**_summary(list(readings.values())), "each": readings}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
