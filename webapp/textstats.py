"""Word counting for text answers (no downloads). An answer's most-used words, and the words the stored lists of all
candidates count, follow the one rule of typed and spoken answers, ``ml.text.topwords`` (its stop list lives there;
an architecture review found this module and ``ml.speech.metrics`` each with a list of their own)."""
from ml.text.normalize import words
from ml.text.topwords import STOP_WORDS, content_word_counts, top_words  # noqa: F401 (the web app's names for them)


def word_count(text: str) -> int:
    """Words as pages count them (``ml.text.normalize.words``: letters or digits in any script, joined by in-word
    apostrophes; a hyphen or slash separates words, "sign-in" is two, and a lone dash is none), as the talking
    points and word lists read them and as the job counts an answer's length; the text model's length rule
    (``ml.text.normalize.word_count``) leaves filler sounds out as well, and so does static/js/wordcount.js, whose
    count, as the candidate types, is for that rule."""
    return len(words(text))
