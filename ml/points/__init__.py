"""Talking points: which key phrases of a question an answer covers, and where.

    from ml.points import match
    match("I took action at once.", ["action you took", "result"])
    # [{"point": "action you took", "covered": True, "spans": [[2, 6], [7, 13]]},
    #  {"point": "result", "covered": False, "spans": []}]

How a point is matched
----------------------
* Text and point are split into words (letters and digits, with inner apostrophes such as
  "don't" or "team's"; hyphens and other punctuation separate words); a percent sign is the word
  "percent" ("grew by 20%" covers "percent", and a point "%" is covered by either). Case is ignored. A
  contraction counts as the words it stands for, so "I wasn't good at it" covers "not good at"
  and "I'm proud" covers "I am proud" (and the other way round): "n't", "'m", "'re", "'ve",
  "'ll", "cannot", "let's", and "'s" after "it", "that", "there", "what", "he", "she" and a few
  more (elsewhere "'s" is a possessive); "'d" (had or would) stays one word.
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
* A **set phrase** is matched as written instead: a point with at most one content word and
  at least one stop word, none of them "you"/"your", once articles ("a", "an", "the") are left
  off its ends ("working on", "good at", "in the end", "this role",
  "I led", "now I", "since then"), is covered only by its words in a row (stems compared, so
  "I am working on it" covers "working on"), within one clause ("good. At work" does not cover "good at")
  and not as part of a hyphenated word ("in the end-to-end tests" does not cover "in the end"). As a bag, such a point came down to its one
  content word, and "at work", "a good day", "end users", "which led to" or "since 2019"
  covered it. A point phrased as a description of what the answer should say ("what you
  learned", "your role", "why you are proud") keeps the bag rule: its "you" words are the
  interviewer's, not the candidate's. ``python -m ml.evaluate points`` scores both rules on
  hand-labelled answers (``data/text/points_samples.json``).
* A **negated** word covers nothing: one of the two words before it, in the same clause, is *not*
  (also from "n't" and "cannot"), *never*, *no*, *nobody*, *nothing*, *none*, *neither*, *nor* or
  *without* (``NEGATORS``). "I never fixed it" does not cover "fixed", "we didn't finish on time" does
  not cover "finished", "it was not my fault" does not cover "my fault". A negation further away, or
  meant otherwise ("not only did I lead"), is not understood: the matcher reads words, not meaning.
  A line break or a bullet ends the clause (list items are separate), and a point that holds a
  negation itself ("never used", "not good at") is matched as before.
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

Measured (``python -m ml.evaluate points [file]``, the shipped rule): on ``data/text/points_samples.json`` (117
decisions, written with the points' words in mind) precision 0.952, recall 0.870, accuracy 0.897; on
``data/text/points_natural.json`` (140 decisions, natural answers, labelled before the seeded points were widened on
2026-12-07) precision 0.513, recall 0.244, accuracy 0.421 (0.400, 0.146, 0.371 with the points before). On answers as
candidates give them most points are still missed, and a tick is no likelier than not to be a point made: the
matcher finds words, not what an answer means. So the web app shows a question's points as a list to check, never
as a share, a count or a mark per point ("found", "not found"): ``covered`` is stored, not shown, and only the words
of the ``spans`` are highlighted in the answer or transcript (a fact about words), beside these numbers from
``data/text/points_metrics.json`` saying why nothing is ticked (``python -m ml.evaluate points
data/text/points_natural.json --write data/text/points_metrics.json``; README, "Talking points").
"""
from __future__ import annotations

import re

import snowballstemmer

__all__ = ["match", "alternatives", "content_words", "set_phrase", "STOP_WORDS", "WINDOW", "WORD"]

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

#: the interviewer's words in a point that describes what an answer should say ("what you learned")
SECOND_PERSON = frozenset({"you", "your", "yours", "yourself"})
#: left off either end of a point before deciding whether it is a set phrase
ARTICLES = frozenset({"a", "an", "the"})

from ml.text.normalize import WORD, unligature  # noqa: E402  (a word as pages count it)


def _stemmer():
    """The English Snowball stemmer, built once per process through ml.registry (it keeps its own
    cache of stemmed words)."""
    from ml import registry

    return registry.get(("points", "snowball-english"), lambda: snowballstemmer.stemmer("english"))


def _normal(word: str) -> str:
    return unligature(word.lower().replace("’", "'"))  # "ﬁxed" (a PDF's ligature) is "fixed"


def _stem(word: str) -> str:
    return _stemmer().stemWord(word)


#: contractions read as the words they stand for ("wasn't" -> "was not", "I'm" -> "I am"); "'s" only after these
#: words (elsewhere it is a possessive: "the team's"); "'d" (had or would) is left as written
_SUFFIXES = {"'m": "am", "'re": "are", "'ve": "have", "'ll": "will"}
_IS_AFTER = frozenset({"it", "that", "there", "here", "what", "he", "she", "who", "where", "how", "this"})
_NOT_STEMS = {"ca": "can", "wo": "will", "sha": "shall"}  # can't, won't, shan't


def _expand(word: str) -> list[str]:
    """The words a (normalised) contraction stands for; [word] for any other word."""
    if word == "cannot":
        return ["can", "not"]
    if word == "let's":
        return ["let", "us"]
    if word.endswith("n't") and len(word) > 3:
        head = word[:-3]
        return [_NOT_STEMS.get(head, head), "not"]
    for suffix, full in _SUFFIXES.items():
        if word.endswith(suffix) and len(word) > len(suffix):
            return [word[:-len(suffix)], full]
    if word.endswith("'s") and word[:-2] in _IS_AFTER:
        return [word[:-2], "is"]
    return [word]


#: a word (:data:`WORD`) or a percent sign, which counts as the word "percent" ("grew by 20%" says "percent" as
#: "grew by 20 percent" does; the pages' word counts still pass it over)
_TOKEN = re.compile(rf"{WORD.pattern}|[%\uff05]")


def _words(text: str) -> list[tuple[int, int, str]]:
    """(start, end, normalised word) for every word of ``text``, offsets into ``text`` itself; a contraction
    gives each word it stands for, with the contraction's offsets ("I'm" -> "i" and "am"), and "%" gives
    "percent"."""
    return [(m.start(), m.end(), w) for m in _TOKEN.finditer(text)
            for w in (["percent"] if m.group() in ("%", "\uff05") else _expand(_normal(m.group())))]


def alternatives(point: str) -> list[str]:
    """The alternatives of a point ("result / outcome" -> ["result", "outcome"]), blanks dropped."""
    return [a.strip() for a in point.split("/") if a.strip()]


def content_words(point: str) -> list[str]:
    """The stems a point looks for, in order of appearance, without repeats (see the module doc)."""
    words = [w for _, _, w in _words(point)]
    content = [w for w in words if w not in STOP_WORDS] or words
    return list(dict.fromkeys(_stem(w) for w in content))


def set_phrase(point: str) -> list[str] | None:
    """The stems of every word of ``point`` in order when it is a set phrase, matched only as
    written (at most one content word, at least one stop word, no second-person word: see the
    module doc); None when it is matched as a bag of content words."""
    words = [w for _, _, w in _words(point)]
    core = words
    while core and core[0] in ARTICLES:  # "the result" is a bag of one word, as before: "our result" covers it
        core = core[1:]
    while core and core[-1] in ARTICLES:
        core = core[:-1]
    core = core or words
    content = [w for w in core if w not in STOP_WORDS]
    if len(core) < 2 or len(content) > 1 or any(w in SECOND_PERSON for w in core):
        return None
    return [_stem(w) for w in core]


#: what may not stand between the words of a set phrase ("good. At work"), nor join one of its ends to the next
#: word ("in the end-to-end tests"): sentence and clause punctuation, hyphens and dashes
_PHRASE_BREAK = re.compile(r"[.!?;:\-\u2010-\u2015]")


def _match_phrase(stems: list[str], tokens: list[tuple[int, int, str]], text: str,
                  negated: list[bool] | None = None) -> list[int]:
    """Indices of the words of every occurrence of the phrase ``stems`` in a row, within one clause and not part
    of a hyphenated word, and not negated (``_negated``: its first word) ([] when none)."""
    n = len(stems)
    chosen: list[int] = []
    for i in range(len(tokens) - n + 1):
        if not all(tokens[i + k][2] == stems[k] for k in range(n)) or (negated and negated[i]):
            continue
        start, end = tokens[i][0], tokens[i + n - 1][1]
        if (_PHRASE_BREAK.search(text, start, end) or text[end:end + 1] in ("-", "\u2010", "\u2011")
                or text[max(0, start - 1):start] in ("-", "\u2010", "\u2011")):
            continue
        chosen.extend(range(i, i + n))
    return chosen


#: a word right after one of these (within two words, in one clause) is negated: "I never fixed it" does not cover
#: "fixed", nor "we didn't finish on time" (did not finish) "finished"
NEGATORS = frozenset({"not", "never", "no", "nobody", "nothing", "none", "neither", "nor", "without"})
_CLAUSE_BREAK = re.compile(r"[.!?;:,\n\-\u2010-\u2015•·▪◦]")  # a line break and a bullet end a list item


def _negated(words: list[tuple[int, int, str]], text: str) -> list[bool]:
    """For each word of ``_words(text)``: whether one of the two words before it, in the same clause, is a negator.
    The words of a contraction share a span: "didn't" gives "did" and "not", and "not" negates what follows."""
    out = []
    for i, (start, _, _) in enumerate(words):
        hit = False
        for j in range(i - 1, max(-1, i - 3), -1):
            if words[j][0] == start:  # the same written word ("didn't" -> "did", "not"): not before it
                continue
            if _CLAUSE_BREAK.search(text, words[j][1], start):
                break
            if words[j][2] in NEGATORS:
                hit = True
                break
        out.append(hit)
    return out


def _match_one(stems: list[str], tokens: list[tuple[int, int, str]], negated: list[bool] | None = None) -> list[int]:
    """Indices of the covering words, as described in the module doc ([] when not covered); a negated word
    (``_negated``) covers nothing."""
    if not stems:
        return []
    wanted = set(stems)
    last: dict[str, int] = {}  # the latest position of each wanted stem so far
    chosen: set[int] = set()
    for i, (_, _, stem) in enumerate(tokens):
        if stem not in wanted or (negated and negated[i]):
            continue
        last[stem] = i
        if len(last) == len(wanted):
            first = min(last.values())  # the tightest window ending at word i
            if i - first < WINDOW:
                chosen.update(last.values())
    return sorted(chosen)


def _match_alternative(alt: str, tokens: list[tuple[int, int, str]], text: str, set_phrases: bool = True,
                       negated: list[bool] | None = None) -> list[int]:
    phrase = set_phrase(alt) if set_phrases else None
    if negated and any(w in NEGATORS for _, _, w in _words(alt)):  # the point says the negation itself ("never
        negated = None                                             # used"): "I had never used Go" covers it
    return (_match_one(content_words(alt), tokens, negated) if phrase is None
            else _match_phrase(phrase, tokens, text, negated))


#: a web or e-mail address: its pieces count as words on the pages, but none of them says a talking point ("example"
#: inside https://example.com or jane@example.org ticked the point "example": a review of written answers)
#: (the e-mail part starts only where a run of its characters starts: tried at every position of a long run, it
#: took 6.5 s on 50,000 letters; a review of this change)
_ADDRESS = re.compile(r"(?:https?://|www\.)[^\s<>\"]+|(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)


def _in_addresses(text: str, starts: list[int]) -> list[bool]:
    """For each of ``starts`` (ascending offsets into ``text``), whether it lies inside a web or e-mail address."""
    import bisect
    spans = [m.span() for m in _ADDRESS.finditer(text)]
    begins = [a for a, _ in spans]
    out = []
    for start in starts:
        k = bisect.bisect_right(begins, start) - 1
        out.append(k >= 0 and start < spans[k][1])
    return out


def match(text: str, points: list[str], set_phrases: bool = True, negation: bool = True) -> list[dict]:
    """For each talking point, in the given order: ``{"point", "covered", "spans"}``.

    ``spans`` are ``[start, end]`` character offsets into ``text`` (see the module doc).
    ``set_phrases=False`` matches set phrases as bags too, as before 2026-12-05, and ``negation=False`` counts
    negated words too, as before (both for the evaluation)."""
    from ml.text.normalize import is_filler
    text = text or ""
    # filler sounds say no point and stand in none: "I, uh, organised the team" is "I organised" (a review of written
    # answers: the set phrase missed it, and a transcript of spoken answers keeps every "uh")
    words = [w for w in _words(text) if not is_filler(w[2])]
    inside = _in_addresses(text, [start for start, _, _ in words])
    tokens = [(start, end, "" if hidden else _stem(w)) for (start, end, w), hidden in zip(words, inside)]
    negated = _negated(words, text) if negation else None
    out = []
    for point in points or []:
        chosen = sorted({i for alt in alternatives(point)
                         for i in _match_alternative(alt, tokens, text, set_phrases, negated)})
        out.append({"point": point, "covered": bool(chosen),  # the words of a contraction share its span
                    "spans": [list(span) for span in dict.fromkeys((tokens[i][0], tokens[i][1]) for i in chosen)]})
    return out
