"""Numbers and forms from requests, refused cleanly instead of failing deep in the database.

A row id is a signed 64-bit integer in PostgreSQL and SQLite: a larger number in a URL or a query
string is no id of anything (a 404, or the argument ignored), not an OverflowError in the driver.
Only ASCII digits count: ``"²".isdigit()`` is true, but ``int("²")`` fails.
"""
from __future__ import annotations

import re
import unicodedata
from urllib.parse import SplitResult, urlsplit

from flask import flash
from flask_wtf import FlaskForm
from werkzeug.datastructures import CombinedMultiDict, MultiDict
from werkzeug.routing import IntegerConverter
from wtforms.validators import StopValidation, ValidationError

MAX_ID = 2 ** 63 - 1
_DIGITS = re.compile(r"[0-9]{1,19}")


def db_id(raw) -> int | None:
    """``raw`` (a query-string value) as a row id: ASCII digits within the 64-bit range, else None."""
    if raw is None:
        return None
    raw = str(raw).strip()
    if not _DIGITS.fullmatch(raw):
        return None
    value = int(raw)
    return value if value <= MAX_ID else None


def this_site(url: str | None) -> SplitResult | None:
    """``url`` split, if it names this site (http or https, the request's host), else None: an Origin or
    Referer header is followed or trusted only then."""
    from flask import request
    if not url or url == "null":
        return None
    try:
        parts = urlsplit(url)
    except ValueError:  # a header no browser sends ("http://[": an unbalanced IPv6 host): not this site
        return None
    return parts if parts.scheme in ("http", "https") and parts.netloc == request.host else None


def from_this_site() -> bool:
    """Whether the request came from one of this site's pages (its Origin, else its Referer, names this
    host): only then is a refused form shown again with what was sent, or the recorder given a fresh
    token, so that another site cannot fill a candidate's answer form with its own text."""
    from flask import request
    return this_site(request.headers.get("Origin") or request.referrer) is not None


def page_number(raw, last: int = 1_000_000) -> int:
    """A page number from a query string: 1 for anything that is not one, at most ``last``."""
    value = db_id(raw)
    return min(max(1, value or 1), last)


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: past MAX_ID the URL matches nothing (404)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


class Form(FlaskForm):
    """Flask-WTF hands every field the request's files as well as its form fields, so a text field
    sent as a file part would get a file object; here only the form's own file fields see files."""

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):
            from flask import request
            if formdata is not None and not isinstance(formdata, MultiDict) and request.is_json:
                return request.form or None   # every form here is an HTML form: a JSON body fills nothing
            data = super().wrap_formdata(form, formdata)
            if isinstance(data, CombinedMultiDict):
                from flask_wtf.file import FileField as FlaskFileField
                from wtforms import FileField
                own = {name for name, field in form._fields.items() if isinstance(field, (FileField, FlaskFileField))}
                files, fields = data.dicts[0], data.dicts[1:]
                kept = MultiDict([(k, v) for k, v in files.items(multi=True) if k in own])
                return CombinedMultiDict([kept, *fields])
            return data


def control_char(text: str, keep_lines: bool = False) -> str | None:
    """The first control or invisible formatting character of ``text`` (NUL, a right-to-left
    override, ...), or None; ``keep_lines`` allows line breaks and tabs."""
    for ch in text or "":
        if (not keep_lines or ch not in "\n\r\t") and unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co"):
            return ch
    return None


def token_expired(form, what: str = "What you typed", file_field=None) -> bool:
    """After a failed validation: if the form's security token was missing or expired (the form is then
    shown again by webapp.errors' CSRF handler), say so: nothing was saved, ``what`` is below. For a file sent
    (``file_field``, its field), which no page can choose again for the candidate, it is said at that field: choose the
    file again (a robustness review: a PDF got "Your answer is below: submit it again", about typed text)."""
    if not form.errors.get("csrf_token"):
        return False
    if file_field is not None:
        file_field.errors = [*file_field.errors, "The form's security token was missing or had expired, so this "
                                                 "file was not saved: choose it again and submit."]
        return True
    flash(f"The form's security token was missing or had expired, so nothing was saved. {what} is below: "
          "submit it again.", "error")
    return True


def stored_length(max_chars: int):
    """A validator for a field stored stripped and lower-cased: its length then, which can exceed the
    typed length ("İ".lower() is two characters), must fit the column."""
    def check(form, field):
        stored = field.data.strip() if field.data else ""
        n = len(stored.lower())
        if n > max_chars:  # the only error then: the checks after it never read an overlong value
            how = "" if n == len(stored) else " once lower-cased"
            raise StopValidation(f"{field.label.text} is too long: at most {max_chars} characters "
                                 f"({n:,} here{how}).")
    return check


def printable(keep_lines: bool = False):
    """A validator refusing control and invisible formatting characters, which would reach other
    people's pages (an admin's list of users, the candidates' question list)."""
    def check(form, field):
        ch = control_char(field.data, keep_lines)
        if ch is not None:
            raise ValidationError(f"{field.label.text} contains an invisible or control character "
                                  f"(U+{ord(ch):04X}); remove it.")
    return check
