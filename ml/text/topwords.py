"""An answer's most-used words, typed or spoken: one stop list and one rule (pure Python: no numpy, no TensorFlow, so
the web process reads a typed answer's words with it, as the job reads a transcript's).

    top_words("I think we made it work, okay? We made it.")   # [("made", 2), ("work", 1)]

An architecture review found two rules: ``webapp.textstats`` (typed answers, and the stored word lists of all
candidates) and ``ml.speech.metrics`` (transcripts) each kept a stop list, and the same sentence listed "think ×4,
know ×3, okay ×2, actually" typed and "made ×2 ... make, still" spoken. Now both read the words of a text as the pages
count them (``ml.text.normalize.words``; a transcript is its words joined by spaces) and leave out:

* the words of fillers and hedges, as the speech coach and the written hedges find them (``ml.speech.metrics.classify``:
  "um", "uh", "hmm" and their lengthened spellings ("ummm": ``ml.text.normalize.is_filler``); "I think", "maybe",
  "sort of", ...), which pages show on their own. Only where they are a hedge: "what kind of role" keeps "kind", and
  "think it through" keeps "think";
* ``STOP_WORDS``: words that say nothing of the answer's content. Function words (pronouns, articles, prepositions,
  conjunctions, auxiliaries and modals such as "may", and adverbs such as "still", "even", "however"), the pieces of
  contractions written without an apostrophe ("don", "im", "ive"), spoken answer words ("yes", "yeah", "okay", "oh",
  "well"), the fillers and frames that are not counted as fillers or hedges ("like", "actually", "really", "just",
  "you know", "a lot of", "going to"), and "thing", "one";
* single letters, tokens over 40 characters and any with a digit (years, phone and house numbers, postcodes: no word
  to practise, and a CV's would reach the stored lists).

Content words stay, however common: "made", "make", "say" and "said" (the typed list left them out, the spoken one
listed them) carry what the answer is about, and a verb a candidate leans on is what the list is for.
"""
from __future__ import annotations

from collections import Counter

from ml.speech.metrics import classify
from ml.text.normalize import is_filler, words

#: how many words a list shows (the answer pages', and a transcript's stored ``top_words``)
TOP_N = 10

STOP_WORDS = frozenset("""
a about above after again against ago all also am an and any are aren't as at be because been before being below
between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each even ever
every few for from further get gets getting got had hadn't has hasn't have haven't having he he'd he'll he's her here
here's hers herself him himself his how how's however i i'd i'll i'm i've if in into is isn't it it's its itself
let's many may me might more most much must mustn't my myself no nor not now of off on once one only or other ought
our ours ourselves out over own same shan't she she'd she'll she's should shouldn't so some still such than that
that's the their theirs them themselves then there there's these they they'd they'll they're they've this those
though through to too under until up upon us very was wasn't we we'd we'll we're we've were weren't what what's when
when's where where's whether which while who who's whom why why's will with won't would wouldn't yet you you'd you'll
you're you've your yours yourself yourselves
ll re ve don didn doesn isn wasn im ive id dont cant wont
yes yeah okay ok oh well
like actually really just know lot going
thing things
""".split())


def content_word_counts(text: str | None) -> Counter:
    """{word: count} of the words of ``text`` that carry content (the module docstring's rule): an answer's own list
    and, for written answers, what the stored lists of all candidates count (``webapp.stats``; counted again by
    ``flask recount-words`` when this rule changes)."""
    toks = words(text)
    kinds = classify([{"w": w, "start": 0.0, "end": 0.0} for w in toks])[0]
    return Counter(w for w, kind in zip(toks, kinds)
                   if kind is None and not is_filler(w) and w not in STOP_WORDS and 2 <= len(w) <= 40
                   and not any(c.isdigit() for c in w))


def top_words(text: str | None, n: int = TOP_N) -> list[tuple[str, int]]:
    """The ``n`` most used content words of ``text``, [(word, count)], most used first and, at the same count, in
    alphabetical order (so a list does not depend on which word came first)."""
    return sorted(content_word_counts(text).items(), key=lambda kv: (-kv[1], kv[0]))[:n]
