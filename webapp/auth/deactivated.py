"""What a deactivated account can still do: download its data, or delete itself with everything in it. Nothing else.

Flask-Login refuses a deactivated account (routes.load_user), so its correct log-in starts no session: it puts a
token in the (signed) session cookie instead, never in an address that a log could keep. The token is signed with
the app's secret under its own salt and stamped with its time; it holds the account's id and a fingerprint of its
password hash and session token. It works for DEACTIVATED_ACCESS_MINUTES, and only while the account is deactivated
and both are unchanged: a new password (set on the server), "sign out everyone", a reactivation, a new
deactivation (which rotates the session token), or the page's own "Sign out" (which rotates it too) ends it. The cookie shows the fingerprint only, never the hash or the
session token.
"""
from __future__ import annotations

import hashlib

from flask import current_app, session
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..extensions import db
from ..models import User

SESSION_KEY = "deactivated_access"
_SALT = "deactivated-account"
_MAX_TOKEN = 200  # characters: a longer value was not made here


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_SALT)


def _fingerprint(user: User) -> str:
    return hashlib.sha256(f"{user.password_hash}\n{user.session_token}".encode()).hexdigest()[:16]


def start(user: User) -> None:
    """After the deactivated `user`'s correct password: a fresh session (and CSRF token) holding the token only."""
    session.clear()
    session[SESSION_KEY] = _serializer().dumps({"u": user.id, "f": _fingerprint(user)})


def _data() -> dict | None:
    """The session's token, read if its signature holds and it is not older than DEACTIVATED_ACCESS_MINUTES."""
    token = session.get(SESSION_KEY)
    if not isinstance(token, str) or len(token) > _MAX_TOKEN:
        return None
    try:
        data = _serializer().loads(token, max_age=current_app.config["DEACTIVATED_ACCESS_MINUTES"] * 60)
    except BadSignature:  # also SignatureExpired
        return None
    if not isinstance(data, dict) or type(data.get("u")) is not int or not isinstance(data.get("f"), str):
        return None
    return data


def user_id() -> int | None:
    """The account id of a valid-looking token (signature and age only, no database): what the rate limits count
    this browser's requests under (extensions._user_or_address), as they count a signed-in candidate's."""
    data = _data()
    return data["u"] if data else None


def user() -> User | None:
    """The deactivated account the session's token was made for, or None when there is none, or it is forged,
    expired, its account is gone or active again, or its password or session token changed since."""
    data = _data()
    if data is None:
        return None
    found = db.session.get(User, data["u"])
    if found is None or found.active or data["f"] != _fingerprint(found):
        return None
    return found


def held() -> bool:
    """Whether the session holds a token at all (valid or not): a page that has expired says so."""
    return SESSION_KEY in session


def end() -> None:
    """Sign out of the page: the token leaves this session and, if it still held, the account's session token
    rotates (as a log-out's does), so a copy of the cookie (a shared computer's profile) no longer opens the page or
    the export either."""
    found = user()
    session.pop(SESSION_KEY, None)
    if found is not None:
        found.rotate_session()
        db.session.commit()
