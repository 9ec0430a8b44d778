"""Word counting for text answers (no downloads: the stop-word list lives here)."""
from collections import Counter

from ml.text.normalize import is_filler, words

STOP_WORDS = frozenset("""
a about above after again against ago all also am an and any are aren't as at be because been before
being below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't
down during each even ever every few for from further get gets getting got had hadn't has hasn't have
haven't having he he'd he'll he's her here here's hers herself him himself his how how's however i i'd
i'll i'm i've if in into is isn't it it's its itself just let's like made make many may me might more
most much must mustn't my myself no nor not now of off on once one only or other ought our ours
ourselves out over own really same say said shan't she she'd she'll she's should shouldn't so some
still such than that that's the their theirs them themselves then there there's these they they'd
they'll they're they've thing things this those though through to too under until up upon us very was
wasn't we we'd we'll we're we've well were weren't what what's when when's where where's whether which
while who who's whom why why's will with won't would wouldn't yet you you'd you'll you're you've your
yours yourself yourselves also ll re ve don didn doesn isn wasn im ive id dont cant wont
""".split())


def word_count(text: str) -> int:
    """Words as pages count them (``ml.text.normalize.words``: letters or digits in any script, joined by in-word
    apostrophes; a hyphen or slash separates words, "sign-in" is two, and a lone dash is none), as the talking
    points and word lists read them and as the job counts an answer's length; the text model's length rule
    (``ml.text.normalize.word_count``) leaves filler sounds out as well, and so does static/js/wordcount.js, whose
    count, as the candidate types, is for that rule."""
    return len(words(text))


def content_word_counts(text: str) -> Counter:
    """Counts of words that carry content: stop words, single letters, very long tokens and anything with a digit
    (years, phone and house numbers, postcodes: no word to practise, and a CV's would reach the stored lists)
    removed."""
    return Counter(w for w in words(text)
                   if w not in STOP_WORDS and 2 <= len(w) <= 40 and not any(c.isdigit() for c in w)
                   and not is_filler(w))


def top_words(text: str, n: int = 10) -> list[tuple[str, int]]:
    """A candidate's own most-used words (content_word_counts: filler sounds left out, "ummm" and "uhh" too, which
    a review found listed; the stored lists read answers the same way, counted again by `flask recount-words`)."""
    return content_word_counts(text).most_common(n)
