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


#: a run of this many characters without a space is long enough to widen a table column past its box
LONG_RUN = 24


def soft_breaks(text) -> "Markup":
    """``text`` escaped, with a line-break opportunity (<wbr>) after each "/", ".", "-", "_", "?", "&", "=" or "@"
    inside a run of LONG_RUN or more characters without a space, and every LONG_RUN characters of a piece still
    longer: a pasted link or "a/b/c/d" alternatives in a table cell then wrap at those places instead of widening
    the table (an admin review: Edit and Retire went off-screen at 1280 px), while words of ordinary length are never
    split (the CSS keeps them whole)."""
    import re

    from markupsafe import Markup, escape

    def breakable(m):  # marked with NUL first, so that the escaping cannot split an entity ("&amp;")
        marked = re.sub(r"([/._\-?&=@])", "\\1\0", m.group())
        # and a piece still too long for a column (a long word, a code): a break every LONG_RUN characters
        return re.sub(rf"[^\0]{{{LONG_RUN}}}(?=[^\0])", "\\g<0>\0", marked)

    marked = re.sub(rf"\S{{{LONG_RUN},}}", breakable, str(text or "").replace("\0", ""))
    return Markup(str(escape(marked)).replace("\0", "<wbr>"))


def point_parts(point: str) -> tuple[str, list[str]]:
    """A talking point as it is shown: its first wording and the other wordings that also count
    ("result / outcome / impact" -> ("result", ["outcome", "impact"]); see ml.points.alternatives)."""
    parts = [p.strip() for p in str(point or "").split("/") if p.strip()]
    return (parts[0], parts[1:]) if parts else ("", [])


def scores_leave(waiting: int, scored: int, whose: str = "") -> str:
    """After a deletion, what became of its scores in other candidates' averages: ``waiting`` removals of counted
    results now wait for their batch (stats.still_waiting), ``scored`` deleted answers had
    results in the averages (an admin's answers have none there: Answer.in_averages). Waiting: they leave with the next batch, which can take long where few others answer, and only the
    numbers wait meanwhile (README, Privacy); none waiting: they have left (or were never counted). `whose`: "Its",
    "Their" or "Your" (default by scored); "" when nothing scored was deleted. Starts with a space."""
    if scored <= 0:
        return ""
    whose = whose or ("Its" if scored == 1 else "Their")
    if waiting <= 0:
        return f" {whose} scores are out of the averages."
    return (f" {whose} scores leave the averages that other candidates see with the next batch of changes (so that "
            "no one can read a score from a single change). Where few others answer, that can take a long time; "
            "until then only the numbers wait, with no text, words or files"
            + (" and no link to you." if whose == "Your" else "."))


def files_stuck(n: int) -> str:
    """After a deletion, the ``n`` files the disk refused to delete (webapp.answers.Deleted.stuck: an I/O error, a
    read-only mount), logged for the operator and deleted by ``flask purge-media`` (webapp.answers.sweep_orphans); ""
    when none. Starts
    with a space."""
    if n <= 0:
        return ""
    return (f" {n} {plural('file', n)} could not be removed from the disk at once; {'it is' if n == 1 else 'they are'} "
            "named in the site's log for its operator to remove.")


def scores_join(waiting: int, back: int, whose: str = "Their") -> str:
    """After an admin is made a candidate again, what became of the scores of the ``back`` answers put back into the
    averages (webapp.answers.put_back_in_averages): ``waiting`` of their results now wait for their batch
    (stats.still_waiting), as a new answer's do; none waiting: they are in. "" when none came
    back. Starts with a space."""
    if back <= 0:
        return ""
    if waiting <= 0:
        return f" {whose} scores are in the averages."
    return (f" {whose} scores join the averages that other candidates see with the next batch of changes (so that no "
            "one can read a score from a single change).")


#: how much of a time ``when`` shows: a day, a time to the minute, or to the second
_WHEN_FORMATS = {"date": "%Y-%m-%d", "minute": "%Y-%m-%d %H:%M", "second": "%Y-%m-%d %H:%M:%S"}


def utc_iso(dt) -> str | None:
    """A stored time (naive UTC) as ISO 8601 with its zone, to the second ("2026-12-06T03:21:07Z"); None for None."""
    return dt.isoformat(timespec="seconds") + "Z" if dt else None


def when(dt, precision: str = "minute"):
    """A stored time (naive UTC) as ``<time>``: "2026-12-06 03:21 UTC" as sent, which static/js/localtime.js turns into
    the reader's own time zone ("2026-12-06 04:21" in Paris; the UTC time stays in its title)."""
    from markupsafe import Markup
    if dt is None:
        return ""
    text = dt.strftime(_WHEN_FORMATS[precision])
    return Markup('<time datetime="{0}" data-local="{1}" title="{2} UTC">{2} UTC</time>').format(
        utc_iso(dt), precision, text)
