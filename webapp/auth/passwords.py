"""Password rules: long enough, and not guessable (common passwords, keyboard patterns, the
e-mail address or its parts), judged by zxcvbn's estimate of the guesses needed."""
from __future__ import annotations

import re

MIN_LENGTH = 8
MIN_SCORE = 2  # zxcvbn 0-4; 2 = "somewhat guessable": more than 10^6 guesses


def password_problem(password: str, email: str = "") -> str | None:
    """None if the password is acceptable, else a sentence saying why not."""
    from zxcvbn import zxcvbn

    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    email = (email or "").strip().lower()
    local = email.split("@", 1)[0]
    parts = [p for p in re.split(r"[^a-z0-9]+", email) if len(p) >= 3]
    lowered = password.lower()
    if email and (lowered == email or (len(local) >= 3 and local in lowered and len(lowered) - len(local) < 6)):
        return "Do not use your e-mail address (or most of it) as the password."
    result = zxcvbn(password[:100], user_inputs=[email, local, *parts])
    if result["score"] < MIN_SCORE:
        hint = (result.get("feedback") or {}).get("warning") or "It is too easy to guess."
        return f"This password is too easy to guess ({hint.rstrip('.')}). Use a few uncommon words or a longer phrase."
    return None
