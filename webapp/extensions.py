"""Flask extensions, bound to the app in create_app() with init_app()."""
import re

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in to continue."
API_LOGIN_MESSAGE = "You are not logged in (or your session has ended): log in, then try again."


UPLOAD_LOGIN_MESSAGE = ("You are signed out (your session ended, or you signed out on another tab or device), so "
                        "the recording was not uploaded. It is still here: sign in again in a new tab, then press Upload again.")


@login_manager.unauthorized_handler
def _unauthorized():
    """A JSON 401 for the API (a script or the progress page's poll cannot follow a redirect to an
    HTML form) and for the recorder's upload, which keeps the recording and links to the log-in page;
    a written answer sent while signed out comes back with its text (nothing is lost); other pages keep
    Flask-Login's behaviour: a message and a redirect to the log-in page."""
    from flask_login.utils import login_url
    if request.path.startswith("/api/"):
        return jsonify(error=API_LOGIN_MESSAGE), 401
    if request.endpoint == "interview.upload_recording" and request.accept_mimetypes.best == "application/json":
        return jsonify(error=UPLOAD_LOGIN_MESSAGE, login_url=url_for(login_manager.login_view)), 401
    if request.endpoint == "interview.text_answer" and request.method == "POST":
        from .params import from_this_site
        if from_this_site():
            from .answers import posted_answer_draft
            # served signed out, it keeps the tab's drafts (hold_drafts, as the log-in page it links to does: a
            # review found Back or its "Log in" link, then signing in, gave an empty form) and its box is the
            # answer's draft again (static/js/draft.js), so the question's form opens with it after signing in
            page = render_template("interview/signed_out.html", text=request.form.get("answer", ""),
                                   has_pdf=bool(getattr(request.files.get("pdf"), "filename", "")),
                                   sign_in_url=login_url(login_manager.login_view, next_url=request.url),
                                   draft=posted_answer_draft((request.view_args or {}).get("question_id")),
                                   hold_drafts=True)
            # the candidate's answer is on it: kept in no cache, as a signed-in candidate's pages are
            return page, 401, {"Cache-Control": "private, no-store"}
    flash(login_manager.login_message, login_manager.login_message_category)
    return redirect(login_url(login_manager.login_view, next_url=request.url))


csrf = CSRFProtect()


def _user_or_address():
    """Uploads are limited per candidate (many candidates may share one address). The page of a deactivated account
    (webapp.auth.deactivated: no session, a token) counts under the account too, so its export and password checks
    share the account page's budgets."""
    if current_user and current_user.is_authenticated:
        return f"user:{current_user.id}"
    from .auth import deactivated
    user_id = deactivated.user_id()
    return f"user:{user_id}" if user_id is not None else get_remote_address()


_LIMIT_ITEM = re.compile(r"^(\s*)(\d+)(\s*(?:/|per\b).*)$", re.I | re.S)


def per_process_limit(limit: str, processes: int) -> str:
    """The share of a limit string ("10 per minute; 50 per hour", "10/minute", ...) that each of
    `processes` processes may allow when every process counts on its own: each amount divided
    by `processes`, rounded down (so the total never exceeds the limit), but at least 1."""
    processes = max(1, int(processes))
    if processes == 1:
        return limit

    def share(item: str) -> str:
        m = _LIMIT_ITEM.match(item)
        if not m:  # not "<amount> per <period>": left for Flask-Limiter to judge
            return item
        return f"{m.group(1)}{max(1, int(m.group(2)) // processes)}{m.group(3)}"
    return "".join(share(part) for part in re.split(r"([;,|])", limit))


def effective_limit(key: str) -> str:
    """The limit of config `key` as this process applies it: with the in-memory storage each web
    process (WEB_CONCURRENCY of them) counts separately, so each gets its share; a shared storage
    (Redis) counts for all processes and applies the limit as configured."""
    cfg = current_app.config
    storage = str(cfg.get("RATELIMIT_STORAGE_URI") or "memory://")
    processes = cfg.get("WEB_CONCURRENCY", 1) if storage.startswith("memory://") else 1
    return per_process_limit(cfg[key], processes)


# Rate limits: storage and on/off come from RATELIMIT_* config keys (see config.py); the limits
# themselves are read from the config at request time, so they can be changed per app.
limiter = Limiter(key_func=get_remote_address, headers_enabled=True)
# failed log-ins per network address (a successful one, a redirect, is not counted: a class behind one address)
login_limit = limiter.limit(lambda: effective_limit("LOGIN_RATE_LIMIT"), methods=["POST"],
                            deduct_when=lambda response: response.status_code != 302)


def _tried_account() -> str:
    from flask import request
    import unicodedata  # composed: an address and its decomposed spelling share one budget of guesses
    return "account:" + unicodedata.normalize("NFC", (request.form.get("email") or "").strip().lower()[:254])


KNOWN_DEVICE_COOKIE = "known_device"
KNOWN_DEVICE_DAYS = 180


def device_signer():
    from itsdangerous import URLSafeTimedSerializer
    return URLSafeTimedSerializer(current_app.secret_key, salt="known-device")


def device_key(account: str) -> str:
    """What the KNOWN_DEVICE_COOKIE holds of an account (a ``_tried_account`` key): a keyed hash, not the address,
    which a shared computer's next user could read from the signed (not encrypted) cookie (a security review)."""
    import hashlib
    import hmac
    return hmac.new(str(current_app.secret_key).encode(), account.encode(), hashlib.sha256).hexdigest()[:32]


def known_accounts() -> list:
    """The accounts (``device_key`` of ``_tried_account`` keys) this browser has logged in to, from its signed
    KNOWN_DEVICE_COOKIE (webapp.auth.routes.remember_device); [] without a valid one."""
    from flask import request
    from itsdangerous import BadSignature

    token = request.cookies.get(KNOWN_DEVICE_COOKIE)
    if not token or len(token) > 1000:
        return []
    try:
        known = device_signer().loads(token, max_age=KNOWN_DEVICE_DAYS * 86400)
    except BadSignature:
        return []
    # only keyed hashes (device_key): a cookie written before held the addresses themselves
    if not isinstance(known, list):
        return []
    return [k for k in known if isinstance(k, str) and re.fullmatch(r"[0-9a-f]{32}", k)]


def _known_device() -> bool:
    """Whether this browser has logged in to the address tried before: the per-address limit does not apply to it,
    so someone guessing at an address cannot lock its owner out."""
    return device_key(_tried_account()) in known_accounts()


# failed log-ins per e-mail address tried, wherever they come from (a successful one, a redirect, is not counted);
# a browser that has logged in to that address before is exempt
login_account_limit = limiter.limit(lambda: effective_limit("LOGIN_ACCOUNT_RATE_LIMIT"), key_func=_tried_account,
                                    methods=["POST"], deduct_when=lambda response: response.status_code != 302,
                                    exempt_when=_known_device)
register_limit = limiter.limit(lambda: effective_limit("REGISTER_RATE_LIMIT"), methods=["POST"])
# a stolen session must not become a way to guess the password: its checks count per candidate
password_limit = limiter.shared_limit(lambda: effective_limit("PASSWORD_RATE_LIMIT"), scope="password",
                                      key_func=_user_or_address, methods=["POST"])
upload_limit = limiter.shared_limit(lambda: effective_limit("UPLOAD_RATE_LIMIT"), scope="uploads",
                                    key_func=_user_or_address, methods=["POST"])
# a candidate's data export sends every recording they made: a few an hour, per candidate
export_limit = limiter.shared_limit(lambda: effective_limit("EXPORT_RATE_LIMIT"), scope="export",
                                    key_func=_user_or_address, methods=["POST"])
