"""Delivery measures from a word timeline (pure Python; no model).

    m = speech_metrics([{"w": "So", "start": 0.5, "end": 0.7}, ...])
    m["wpm"], m["articulation_wpm"], m["pauses"], m["fillers"], m["hedges"], m["repeated"], m["top_words"]

Definitions (the speaking span runs from the first word's start to the last word's end):

* ``wpm``: words per minute of the speaking span.
* ``articulation_wpm``: words per minute of speaking time, i.e. the span minus every silent gap
  between words of at least ``ARTICULATION_GAP_S`` (0.25 s, the usual articulation-rate cut).
* ``wpm_series``: words starting in each 10 s stretch of the speaking span, per minute
  (``t`` = stretch starts; a last stretch under 5 s joins the one before, and a stretch is scaled
  by its own length), so ``wpm`` lies between its slowest and fastest stretch.
* ``pauses``: silences longer than ``PAUSE_S`` (1.0 s) inside the speaking span. Given the
  recording's silent gaps (``silences``: ``ml.voice.metrics.silences``, the voice channel's pause
  detector, as the speech channel passes them), those gaps; without them, the gaps between
  consecutive words' timings. ``long_pauses_per_min`` counts them per minute of the speaking span.
* ``fillers``: "um", "uh", "erm", "hmm", ... (``FILLERS``); "like" and "you know" are not counted
  (mostly they are meant); ``fillers_per_min``.
* ``hedges``: "I think", "maybe", "sort of", "kind of", "I guess", "probably", "I believe",
  "perhaps", "I suppose" (``HEDGES``; "just" is not a hedge, "what kind of"/"a sort of" are
  not hedges); ``hedges_per_min``.
* ``repeated``: a word said again right after itself ("the the"), fillers left out. Stored, not shown: the
  transcriber writes most repetitions once, and a word ending one sentence and starting the next ("fixed it. It
  worked") counts as one (data/models/speech/MODEL_CARD.md, Known limits).
* ``top_words``: the most frequent words, [[word, count]], by the one rule of typed and spoken answers
  (``ml.text.topwords``: its stop list, filler sounds and hedges left out).
Pace and the rates per minute need a speaking span of at least ``MIN_SPAN_S`` (5 s): over a shorter
one they are None, not measured (one word is not "120 per minute", and six words in 1.6 s are no pace
to compare). ``articulation_wpm`` divides by at least ``MIN_SPAN_S`` of speaking time.

A typed answer has no duration, so its hedges are counted per 100 words instead (:func:`written_hedges`: the same
phrases, found the same way in its words), from ``MIN_RATE_WORDS`` words on, filler sounds not counted as words.
"""
from __future__ import annotations

PAUSE_S = 1.0
ARTICULATION_GAP_S = 0.25
WINDOW_S = 10.0
MIN_SPAN_S = 5.0
#: the fewest words (filler sounds not counted) a typed answer's hedges per 100 words are measured over: one hedge
#: in 20 words is 5 per 100 words, and in fewer a single "maybe" would make a rate no one could compare
MIN_RATE_WORDS = 20

FILLERS = frozenset({"um", "umm", "ummm", "uh", "uhh", "uhm", "er", "erm", "err", "ah", "ahh", "eh", "hmm", "hm",
                     "hmmm", "mm", "mmm", "mhm"})
HEDGES = (("i", "think"), ("maybe",), ("sort", "of"), ("kind", "of"), ("i", "guess"), ("probably",),
          ("i", "believe"), ("perhaps",), ("i", "suppose"))
# "what kind of person", "a sort of tool": the noun, not the hedge
NOT_HEDGE_BEFORE = frozenset({"what", "which", "a", "an", "the", "this", "that", "these", "those", "any", "some",
                              "every", "each", "same", "other", "all", "one", "no", "many", "different",
                              "right", "wrong", "my", "your", "our", "their", "his", "her", "its"})

def _keeps(ch: str) -> bool:
    return ch.isalnum() or ch in "_'"


def norm(word: str) -> str:
    """Lower case without surrounding punctuation ("Door." -> "door", "I'm" -> "i'm"): what is not a letter, digit,
    "_" or apostrophe is stripped from both ends, in one pass (a regular expression anchored at the end took time
    growing with the square of a long word's length)."""
    w = word.lower().replace("’", "'")
    i, j = 0, len(w)
    while i < j and not _keeps(w[i]):
        i += 1
    while j > i and not _keeps(w[j - 1]):
        j -= 1
    return w[i:j]


def _w(x) -> dict:
    return x if isinstance(x, dict) else x.as_dict()


def classify(words: list) -> tuple[list, list, list]:
    """(kinds per word: None|"filler"|"hedge", fillers [{w, start}], hedges [{phrase, start, end}])."""
    words = [_w(x) for x in words]
    toks = [norm(x["w"]) for x in words]
    kinds = [("filler" if t in FILLERS else None) for t in toks]
    fillers = [{"w": toks[i], "start": words[i]["start"]} for i, k in enumerate(kinds) if k == "filler"]
    hedges = []
    i = 0
    while i < len(toks):
        for phrase in HEDGES:
            n = len(phrase)
            if tuple(toks[i:i + n]) != phrase or any(kinds[i:i + n]):
                continue
            if phrase[0] in ("kind", "sort") and i > 0 and toks[i - 1] in NOT_HEDGE_BEFORE:
                continue
            for j in range(i, i + n):
                kinds[j] = "hedge"
            hedges.append({"phrase": " ".join(phrase), "start": words[i]["start"], "end": words[i + n - 1]["end"]})
            i += n - 1
            break
        i += 1
    return kinds, fillers, hedges


def written_hedges(text: str | None) -> dict:
    """The hedges of a typed answer: {"hedges": [phrase, ...], "hedges_per_100_words": per 100 of its words, filler
    sounds not counted (``ml.text.normalize.word_count``, the length the pages give), or None under
    ``MIN_RATE_WORDS`` words}. Found as in a transcript (:func:`classify`) in its words
    (``ml.text.normalize.words``)."""
    from ml.text.normalize import word_count, words
    found = [h["phrase"] for h in classify([{"w": w, "start": 0.0, "end": 0.0} for w in words(text)])[2]]
    n = word_count(text)
    return {"hedges": found, "hedges_per_100_words": round(100.0 * len(found) / n, 2) if n >= MIN_RATE_WORDS else None}


def repeated_words(words: list) -> list:
    """Back-to-back repetitions: [{"w", "start", "times"}] ("the the the" is one entry, times=3)."""
    words = [_w(x) for x in words]
    toks = [norm(x["w"]) for x in words]
    out, i = [], 0
    while i < len(toks):
        j = i
        while j + 1 < len(toks) and toks[j + 1] == toks[i]:
            j += 1
        if j > i and toks[i] and toks[i] not in FILLERS:
            out.append({"w": toks[i], "start": words[i]["start"], "times": j - i + 1})
        i = j + 1
    return out


def top_words(words: list, n: int | None = None) -> list:
    """The transcript's most used words, [[word, count]], by the rule of a typed answer's (``ml.text.topwords``: one
    stop list, fillers and hedges left out; an architecture review found a stop list of each): the transcript is its
    words joined by spaces, read as typed text is."""
    from ml.text.topwords import TOP_N, top_words as text_top_words
    return [[w, c] for w, c in text_top_words(" ".join(str(_w(x)["w"]) for x in words), TOP_N if n is None else n)]


def pauses_of(words: list, min_gap: float = PAUSE_S) -> list:
    words = [_w(x) for x in words]
    return [{"start": round(a["end"], 2), "duration": round(b["start"] - a["end"], 2)}
            for a, b in zip(words, words[1:]) if b["start"] - a["end"] > min_gap]


def wpm_series(words: list, window: float = WINDOW_S) -> dict:
    """Words per minute in consecutive ``window``-second stretches of the speaking span (the first
    word's start to the last word's end, the span of ``wpm``, so the overall pace always lies between
    the slowest and the fastest stretch). A last stretch shorter than half a window joins the one
    before it (a 0.2 s remainder is not a stretch). ``t``: each stretch's start in the recording;
    ``end``: where the last stretch ends (the last word's end), so that the stretches can be drawn
    on the recording's time axis. (No recording's duration: the stretches cover the speaking span only.)"""
    words = [_w(x) for x in words]
    if not words:
        return {"t": [0.0], "wpm": [0.0], "end": 0.0}
    lo, hi = words[0]["start"], max(words[-1]["end"], words[0]["start"])
    edges = [lo]
    while edges[-1] + window < hi - 1e-9:
        edges.append(edges[-1] + window)
    if len(edges) > 1 and hi - edges[-1] < window / 2:
        edges.pop()
    edges.append(hi)
    starts = [x["start"] for x in words]
    t, rates = [], []
    for k, (a, b) in enumerate(zip(edges, edges[1:])):
        last = k == len(edges) - 2
        n = sum(1 for x in starts if a <= x < b or (last and x == b))
        t.append(round(a, 2))
        rates.append(round(60.0 * n / max(b - a, 1.0), 1))
    return {"t": t, "wpm": rates, "end": round(hi, 2)}


def pauses_within(words: list, silences, min_gap: float = PAUSE_S) -> list:
    """The silent gaps [(start, duration)] longer than ``min_gap`` whose middle lies inside the
    speaking span of ``words`` (silence before the first or after the last word is not a pause)."""
    words = [_w(x) for x in words]
    if not words:
        return []
    lo, hi = words[0]["start"], words[-1]["end"]
    return [{"start": round(s, 2), "duration": round(d, 2)} for s, d in silences
            if d > min_gap and lo <= s + d / 2 <= hi]


def speech_metrics(words: list, silences=None) -> dict:
    """Every measure of the module docstring for a word timeline ([{"w", "start", "end", ...}] or
    Words); ``silences``: the recording's silent gaps [(start, duration)], if measured."""
    words = [_w(x) for x in words]
    kinds, fillers, hedges = classify(words)
    n = len(words)
    span = (words[-1]["end"] - words[0]["start"]) if words else 0.0
    gaps = [b["start"] - a["end"] for a, b in zip(words, words[1:])]
    speaking = span - sum(g for g in gaps if g >= ARTICULATION_GAP_S)
    pauses = pauses_of(words) if silences is None else pauses_within(words, silences)
    minutes = span / 60.0 if span >= MIN_SPAN_S else None  # None: too short a span to measure a rate

    def rate(count: int, digits: int = 2):
        return None if minutes is None else round(count / minutes, digits)
    return {
        "word_count": n,
        "speaking_span_s": round(span, 2),
        "speaking_time_s": round(speaking, 2),
        "wpm": rate(n, 1),
        "articulation_wpm": None if minutes is None else round(n / (max(speaking, MIN_SPAN_S) / 60.0), 1),
        "wpm_series": wpm_series(words),
        "pauses": pauses,
        "long_pauses_per_min": rate(len(pauses)),
        "fillers": fillers,
        "fillers_per_min": rate(len(fillers)),
        "hedges": hedges,
        "hedges_per_min": rate(len(hedges)),
        "repeated": repeated_words(words),
        "top_words": top_words(words),
        "kinds": kinds,
    }
