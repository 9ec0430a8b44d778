import re
import unicodedata

from flask_wtf.file import FileField, FileRequired
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, ValidationError

from ..params import Form, control_char, printable, stored_length

MAX_TALKING_POINTS = 8
MAX_POINT_CHARS = 80


class LinesField(TextAreaField):
    """A textarea whose data is a list of its non-blank lines, each with its spaces collapsed.
    A form that does not send the field at all keeps the object's (or the default) list."""

    def process_formdata(self, valuelist):
        if valuelist:
            lines = (" ".join(line.split()) for line in valuelist[0].splitlines())
            self.data = [line for line in lines if line]
        elif self.data is None:
            self.data = []

    def _value(self):
        if isinstance(self.data, (list, tuple)):
            return "\n".join(self.data)
        return self.data or ""


def valid_talking_points(form, field):
    points = field.data or []
    if len(points) > MAX_TALKING_POINTS:
        raise ValidationError(f"Give at most {MAX_TALKING_POINTS} talking points (one per line); "
                              f"there are {len(points)}.")
    seen = set()
    for n, point in enumerate(points, 1):
        if len(point) > MAX_POINT_CHARS:
            raise ValidationError(f"Talking point {n} has {len(point)} characters; keep each one to "
                                  f"{MAX_POINT_CHARS} at most (a short phrase, not a sentence).")
        if control_char(point) is not None:
            raise ValidationError(f"Talking point {n} contains an invisible or control character; remove it.")
        if not any(ch.isalnum() for ch in point):
            raise ValidationError(f"Talking point {n} (“{point}”) has no words to look for in an answer.")
        if point.lower() in seen:
            raise ValidationError(f"Talking point {n} (“{point}”) is listed twice.")
        seen.add(point.lower())


QUESTION_CHARS = (10, 1000)

#: an HTML tag ("<b>", "</i>", "<br />", "<script src=...>") of the elements people type for formatting or worse; pages
#: show what is stored as typed, tags included. Other names in angle brackets ("<T>" of Java generics) are text, and
#: so is a tag name followed by words without "=" ("A<B and B>C": an admin review found it refused).
_TAG = re.compile(r"</?(a|abbr|b|big|blockquote|br|button|center|code|del|div|em|embed|font|form|h[1-6]|hr|i|iframe"
                  r"|img|input|ins|li|link|mark|meta|object|ol|p|pre|q|s|script|small|span|strike|strong|style|sub"
                  r"|sup|svg|table|td|th|tr|tt|u|ul)(\s*/?|[\s/][^<>=]*=[^<>]*)>"
                  # the elements that run or load something are tags with any words after their name ("<script defer>")
                  r"|<(script|iframe|img|svg|object|embed|style|link|meta|form|input|button)[\s/][^<>]*>", re.IGNORECASE)


def plain_text(what: str):
    """A validator refusing HTML tags in a field shown as typed to candidates (an admin who wrote "<b>" saw it
    stored silently, and candidates would read the tag itself)."""
    def check(form, field):
        values = field.data if isinstance(field.data, (list, tuple)) else [field.data or ""]
        for value in values:
            m = _TAG.search(value)
            if m:
                raise ValidationError(f"{what} contains the HTML tag “{m.group()[:40]}”. Pages show text exactly "
                                      "as typed, tags included: remove it (formatting is not supported).")
    return check


def question_length(form, field):
    """The question's length as it is stored (spaces collapsed), said in numbers."""
    n = len(" ".join((field.data or "").split()))
    low, high = QUESTION_CHARS
    if not low <= n <= high:
        raise ValidationError(f"The question has {n:,} characters; it needs {low} to {high:,}.")


class QuestionForm(Form):
    text = TextAreaField("Question", validators=[DataRequired(), question_length, printable(keep_lines=True),
                                                 plain_text("The question")],
                         description=f"{QUESTION_CHARS[0]} to {QUESTION_CHARS[1]:,} characters.")
    # one length error for a long category: stored_length (what is stored is stripped and lower-cased)
    category = StringField("Category", default="behavioural", validators=[DataRequired(), stored_length(40),
                                                                          printable(), plain_text("The category")],
                           description="Kept in lower case (“Team Work” is saved as “team work”); candidates choose "
                                       "questions by category, so reuse one that exists where it fits.")
    talking_points = LinesField(
        "Talking points", default=list, validators=[valid_talking_points, plain_text("A talking point")],
        description=f"Key phrases a good answer is likely to use, one per line (at most {MAX_TALKING_POINTS}, "
                    f"{MAX_POINT_CHARS} characters each), e.g. “action you took”. Answers are matched "
                    "word by word with endings ignored (“results” counts for “result”); synonyms are not "
                    "matched, so list the words answers use, separated by “/”: “result / outcome / impact” "
                    "is found when any one of them is. A short set phrase (“working on”, “good at”, “in the end”, "
                    "“I led”: one main word with small words) counts only as written, its words in a row (a "
                    "contraction counts as its words: “I wasn't good at” counts for “not good at”); write a point with “you” (“what you learned”) to match "
                    "its main words in any order, within about a dozen words.")

    def clean(self) -> tuple[str, str]:
        """The text with its spaces collapsed and the category stripped and lower-cased, both in Unicode NFC (an
        accent typed as its own mark makes the same question as the accented letter: "café" twice was two)."""
        return (unicodedata.normalize("NFC", " ".join(self.text.data.split())),
                unicodedata.normalize("NFC", self.category.data.strip().lower()))


class QuestionImportForm(Form):
    """A question bank file to add to the bank (webapp.admin.service.read_bank_file checks it). No draft: a file
    cannot be kept in the tab, and nothing is typed."""
    bank_file = FileField("Question bank file (JSON)", validators=[
        FileRequired("Choose a question bank file (JSON, as “Export the question bank” makes) to import.")])
