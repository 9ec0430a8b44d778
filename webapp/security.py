"""Security headers, including a content security policy that still lets the recorder
(getUserMedia, blob: playback) and Chart.js work: no inline scripts anywhere; and the refusal of
form fields that are not valid UTF-8."""
from urllib.parse import unquote_to_bytes

from flask import abort, request

INVALID_UTF8_MESSAGE = ("The form contained text that is not valid UTF-8 (the browser or program that "
                        "sent it used another character encoding). Send the form again from this site's "
                        "pages, or retype the text.")

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def form_is_valid_utf8() -> bool:
    """Whether the request's form fields are valid UTF-8.

    urlencoded: the raw body is checked strictly (Werkzeug would keep "%E9%FF" as that literal text);
    get_data(cache=True) keeps the body for the form parser. multipart: Werkzeug has already turned
    undecodable bytes into U+FFFD, which no field of this site's forms may contain (file parts are
    not text and are not checked)."""
    if request.mimetype == "application/x-www-form-urlencoded":
        # Read only a body the form parser would accept (MAX_FORM_MEMORY_SIZE, 500 kB): this hook runs before
        # routing and the log-in check, and decoding tens of megabytes of "%ab" took gigabytes of memory.
        limit = request.max_form_memory_size
        if limit is not None and (request.content_length is None or request.content_length > limit):
            abort(413)
        try:
            unquote_to_bytes(request.get_data(cache=True).replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True
    if request.mimetype == "multipart/form-data":
        return not any("\ufffd" in name or ("\ufffd" in value and name not in VIEW_CHECKED_FIELDS)
                       for name, value in request.form.items(multi=True))
    return True


# Multipart fields whose view refuses U+FFFD itself, at the field and with the text kept (the written answer:
# webapp.uploads.clean_text). A "�" pasted from a badly converted document reaches the server as U+FFFD too, so a
# refusal here, on a bare error page, lost the candidate's text.
VIEW_CHECKED_FIELDS = frozenset({"answer"})


def init_security(app):
    def refuse_invalid_utf8():
        if not form_is_valid_utf8():
            abort(400, description=INVALID_UTF8_MESSAGE)

    # First of all before_request hooks: the CSRF check parses the form, after which the raw
    # urlencoded body could no longer be read.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_invalid_utf8)

    @app.after_request
    def set_headers(response):
        h = response.headers
        h.setdefault("Content-Security-Policy", CSP)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault("Permissions-Policy", "camera=(self), microphone=(self), geolocation=()")
        if app.config.get("SESSION_COOKIE_SECURE"):
            h.setdefault("Strict-Transport-Security", "max-age=31536000")
        if request.endpoint != "static" and _signed_in():
            # a candidate's pages and files (answers, recordings, face heat maps, admin pages) are kept in
            # no browser or proxy cache, where the next user of a shared computer could find them
            h["Cache-Control"] = "private, no-store"
        return response


def _signed_in() -> bool:
    """Whether a signed-in user made the request."""
    from flask_login import current_user
    try:
        return bool(current_user) and current_user.is_authenticated
    except Exception:  # the user could not be read (the database is unreachable): keep the page out of caches
        return True
