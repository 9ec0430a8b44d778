"""Drafts of typed forms kept in the browser tab (static/js/draft.js) until the server has them: a candidate's written
answer, an admin's question. What was typed survives a request that failed (the server or the network down) and a
session that ended while it was typed (the log-in page keeps the tab's drafts, and after signing in again the form
opens with them: see static/js/draft.js for who may see which)."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import session

from .models import utcnow


def draft_key(user_id: int, name: str) -> str:
    """The name of a form's draft in the browser tab: the account first (a page keeps only the drafts of the
    account signed in), then ``name``, which tells the form (and its question, mock interview...) from the others."""
    return f"{user_id}:{name}"


def _ms(when: datetime | None) -> int:
    """A UTC time of the database in milliseconds since 1970 (0 for none), as JavaScript counts them."""
    return int(when.replace(tzinfo=timezone.utc).timestamp() * 1000) if when else 0


def draft_marks(key: str, last_saved: datetime | None) -> dict:
    """What a form's draft script needs (templates/_forms.html, draft_form): its key (``draft_key``), the server's
    time now and that of the last save of what the form edits (UTC, None if never saved), in milliseconds since 1970.
    A draft saved in the browser before that save is not offered again (it was sent with it, or the saved text is
    newer); a later one is. The server's clock decides: a browser clock that is wrong does not matter."""
    return {"key": key, "now": _ms(utcnow()), "last_saved": _ms(last_saved)}


def draft_arrived(key: str) -> None:
    """The form whose draft is ``key`` reached the server and was saved: the next page tells the browser tab to
    drop that draft (templates/base.html, ``sent_draft``)."""
    session["draft_sent"] = key


def sent_draft() -> str | None:
    """The draft key of the form the last request saved (``draft_arrived``), once: the page that follows tells
    static/js/draft.js to drop that draft."""
    return session.pop("draft_sent", None)
