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


# The pages whose forms keep a draft (their GET shows the form): a log-in page that leads back to one of them keeps the
# tab's drafts until someone signs in (``holds_drafts``); any other page served signed out forgets them all.
DRAFT_ENDPOINTS = frozenset({"admin.questions", "admin.edit_question", "interview.text_answer"})


def holds_drafts(target: str | None) -> bool:
    """Whether a log-in page whose ``?next=`` is ``target`` (a path of this site, already checked, or None) keeps the
    tab's drafts: only when it leads back to a page with a draft form (DRAFT_ENDPOINTS), where the draft is put back
    after signing in. Elsewhere (a plain link after a session ended, an address typed by hand) the next person at a
    shared computer would find them kept."""
    if not target:
        return False
    from urllib.parse import urlsplit

    from flask import current_app
    from werkzeug.exceptions import HTTPException
    try:
        endpoint, _ = current_app.url_map.bind("").match(urlsplit(target).path, method="GET")
    except HTTPException:  # no such page, or a redirect (a missing slash)
        return False
    return endpoint in DRAFT_ENDPOINTS


def draft_arrived(key: str) -> None:
    """The form whose draft is ``key`` reached the server and was saved: the next page tells the browser tab to
    drop that draft (templates/base.html, ``sent_draft``)."""
    session["draft_sent"] = key


def sent_draft() -> str | None:
    """The draft key of the form the last request saved (``draft_arrived``), once: the page that follows tells
    static/js/draft.js to drop that draft."""
    return session.pop("draft_sent", None)
