"""Password-reset links, for a site that sends no e-mail: an admin makes one for a candidate and passes it on.

A link carries the account's id and a fingerprint of its current password hash and session token, signed with the
app's secret key and stamped with the time it was made. It opens the account's password form until it is
PASSWORD_RESET_HOURS old, and only while the password is the one it was made for: setting a new
password (with the link or otherwise) ends it, so it works once. Whatever ends the account's sessions ends its links
too (User.rotate_session: deactivation, "Sign out everywhere", `flask sign-out-everyone` after a leak, a log-out): a
link made before an account was deactivated, e.g. because it was taken over, no longer sets its password once it is
reactivated.
"""
from __future__ import annotations

import hashlib

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..extensions import db
from ..models import User

_SALT = "password-reset"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_SALT)


def _fingerprint(user: User) -> str:
    return hashlib.sha256(f"{user.password_hash}\x00{user.session_token or ''}".encode()).hexdigest()[:16]


def make_token(user: User) -> str:
    return _serializer().dumps({"u": user.id, "p": _fingerprint(user)})


def user_for_token(token: str) -> User | None:
    """The active account the link was made for, or None when it is forged, expired, already used (the
    password changed since) or its account is gone, deactivated or has become an admin's (links are made for
    candidates only: webapp.admin.service.reset_token)."""
    if not token or len(token) > 200:
        return None
    try:
        data = _serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_HOURS"] * 3600)
    except BadSignature:  # also SignatureExpired
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    user = db.session.get(User, data["u"])
    if user is None or not user.active or user.is_admin or data.get("p") != _fingerprint(user):
        return None
    return user
