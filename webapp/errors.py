"""Friendly error pages (and JSON for the API): bad input never shows a 500 page."""
import re

from flask import Response, jsonify, render_template, request
from flask.globals import request_ctx
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from .params import from_this_site


def _wants_json():
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _bare_error_page(message: str, typed: str | None, status: int = 500) -> Response:
    """A 500 page that needs nothing (no template, no user, no database), with the typed answer to copy."""
    from markupsafe import escape

    keep = ("<p>Your answer was not saved. Here it is, to copy and send again later:</p>"
            f'<textarea readonly rows="12" cols="60">{escape(typed)}</textarea>') if typed else ""
    return Response("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                    "<title>Something went wrong · Interview simulator</title></head>"
                    "<body>"
                    f"<h1>Something went wrong</h1><p>{escape(message)} The site cannot reach its database or "
                    "another service just now; please try again in a few minutes.</p>"
                    f'{keep}<p><a href="/">Home page</a></p></body></html>', status, mimetype="text/html")


# what a database says when waiting helps: SQLite's busy timeout ran out, PostgreSQL is restarting or unreachable
_PASSING = ("database is locked", "database table is locked", "could not connect", "connection refused",
            "connection failed", "server closed the connection", "terminating connection", "the database system is",
            "canceling statement", "connection timed out", "timeout expired", "connection reset", "no route to host")


def passing_database_failure(exc) -> bool:
    """Will the same request likely work in a moment (a lock, a restart, a lost connection), unlike a fault of the
    code or the data (no such table, a syntax error, a damaged file)?"""
    if getattr(exc, "connection_invalidated", False):
        return True
    said = str(getattr(exc, "orig", None) or exc).lower()
    return any(p in said for p in _PASSING)


def register_error_handlers(app):
    def render(status, title, message, back=None):
        if _wants_json():
            return jsonify(error=message), status
        if request_ctx.url_adapter is None:
            # the request could not even be routed (a Host header that is no host name: "a..b"): the page's
            # links cannot be built, so the error is said in plain text
            return Response(f"{title}: {message}\n", status, mimetype="text/plain"), status
        return render_template("error.html", title=title, message=message, back=back), status

    # Forms whose view shows the form again, with what was typed and a fresh token, when only the
    # token is wrong (an expired page, a log-in in another tab): a typed answer is not lost.
    KEEPS_TYPED_TEXT = {"interview.text_answer", "admin.add_question", "admin.edit_question"}
    # Answer forms whose address, opened again (GET), is the question's page
    ANSWER_FORMS = {"interview.text_answer", "interview.upload_recording"}

    @app.errorhandler(CSRFError)
    def csrf_error(e):
        if (request.endpoint in KEEPS_TYPED_TEXT and request.method == "POST" and not _wants_json()
                and from_this_site()):
            try:
                return app.view_functions[request.endpoint](**(request.view_args or {}))
            except HTTPException as exc:  # raised inside an error handler, it would otherwise become a 500
                return app.handle_http_exception(exc)
        if request.endpoint == "interview.upload_recording" and _wants_json() and from_this_site():
            # The recorder's token no longer matches the session (a log-in again in another tab): it gets a
            # fresh one and sends the recording once more, so the recording in the page is not lost. (Another
            # site cannot read this answer: no CORS.)
            from flask_wtf.csrf import generate_csrf
            return jsonify(error="The page's security token had expired, so the recording was not saved yet. "
                                 "It is still here: press Upload again.", csrf=generate_csrf()), 400
        if (app.config.get("SESSION_COOKIE_SECURE") and not request.is_secure
                and app.config.get("SESSION_COOKIE_NAME", "session") not in request.cookies):
            # the browser keeps the session cookie for HTTPS only, so over plain HTTP no form can work: reloading
            # never helps, and the one who can fix it is whoever runs the site
            app.logger.warning("form refused: the session cookie is HTTPS-only (SESSION_COOKIE_SECURE) and the "
                               "request came over plain HTTP (a proxy in front? set TRUSTED_PROXIES)")
            return render(400, "Use HTTPS", "This site keeps you signed in over HTTPS only, and this page was opened "
                                            "over plain HTTP, so the form could not be accepted. Open the site with "
                                            "https:// instead. (If you run this site: its README says how to serve "
                                            "it over HTTPS, under Deployment.)")
        if "referrer does not match the host" in (getattr(e, "description", "") or ""):
            # HTTPS: the page the form came from is not on the host this request names, typically a proxy that
            # passes "Host: $host" (without the port) or no X-Forwarded-Host; reloading never helps
            from urllib.parse import urlsplit
            sent_from = urlsplit(request.referrer or "").netloc or "?"
            app.logger.warning("form refused: it was sent from a page on %s but this request is for host %s (a proxy "
                               "in front? it must pass the Host header with its port, e.g. nginx "
                               "'proxy_set_header Host $http_host;', or X-Forwarded-Host with TRUSTED_PROXIES; "
                               "README, Deployment)", sent_from, request.host)
            return render(400, "Form refused", "This form was sent from another address than the one this site "
                                               "believes it has, so it was refused for your safety. Reloading the page "
                                               "will not help; please tell whoever runs this site. (If you run it: the "
                                               "proxy in front of it must pass the Host header with its port; its "
                                               "README says how, under Deployment.)")
        return render(400, "Form expired", "The form was missing its security token or it expired. "
                                          "Go back, reload the page and try again.")

    @app.errorhandler(400)
    def bad_request(e):
        return render(400, "Bad request", getattr(e, "description", None) or "The request was not understood.")

    @app.errorhandler(403)
    def forbidden(e):
        return render(403, "Not allowed", "You do not have access to this page.")

    @app.errorhandler(404)
    def not_found(e):
        return render(404, "Not found", "There is nothing here.")

    @app.errorhandler(405)
    def method_not_allowed(e):
        return render(405, "Not allowed", "That action is not available here.")

    @app.errorhandler(413)
    def too_large(e):
        limit = app.config["MAX_CONTENT_LENGTH"]
        if request.content_length is not None and limit is not None and request.content_length <= limit:
            # Under the upload limit, so a typed field was over Flask's MAX_FORM_MEMORY_SIZE.
            return render(413, "Answer too long", "The typed text is far too long: an answer is limited to "
                                                  f"{app.config['MAX_TEXT_CHARS']:,} characters.")
        from .uploads import human_size
        c = app.config
        # the body was not read, so nothing sent can be shown again: at least the way back to the question
        back = request.full_path.rstrip("?") if request.endpoint in ANSWER_FORMS else None
        return render(413, "File too large", f"The upload is larger than the {human_size(limit)} limit of any "
                      f"upload, so nothing was saved. Each kind has its own, lower limit: a video up to "
                      f"{human_size(c['MAX_VIDEO_BYTES'])}, an audio recording up to {human_size(c['MAX_AUDIO_BYTES'])}, "
                      f"a PDF up to {human_size(c['MAX_PDF_BYTES'])}.", back=back)

    @app.errorhandler(429)
    def too_many_requests(e):
        limit = re.sub(r"\bper 1 (\w+)", r"per \1", str(getattr(e, "description", None) or "reached"))  # "5 per minute"
        message = f"Too many attempts in a short time (the limit is {limit}). "
        if request.endpoint == "interview.text_answer" and request.method == "POST" and not _wants_json():
            from .interview.routes import pdf_sent_alone, typed_answer_again
            page = typed_answer_again(message + ("Nothing was saved: wait a moment, then choose your PDF again and "
                                                 "submit it." if pdf_sent_alone() else
                                                 "Nothing was saved; your answer is below: wait a moment, then "
                                                 "submit it again."), 429)
            if page is not None:
                return page
        if request.endpoint == "auth.login" and request.method == "POST" and not _wants_json():
            from .auth.routes import login_again
            page = login_again(message + "Please wait a moment before trying again.", 429)
            if page is not None:
                return page
        return render(429, "Too many attempts", message + "Please wait a moment before trying again.")

    def failed(status, title, message):
        """What a request that failed on the server says: the typed answer shown again, the recorder told that its
        recording is still in the page (never "go back", which would lose it: a reliability review), else a page."""
        from .extensions import db
        typed = request.form.get("answer") if request.endpoint in KEEPS_TYPED_TEXT and request.method == "POST" \
            else None
        try:
            db.session.rollback()
            if request.endpoint == "interview.upload_recording" and request.method == "POST":
                if _wants_json():
                    return jsonify(error=message + " Your recording is still here: upload it again in a moment."), status
                return render(status, title, message + " Go back: choose the file again and send it in a moment.")
            if typed and request.endpoint == "interview.text_answer" and not _wants_json():
                from .interview.routes import typed_answer_again
                page = typed_answer_again(message + " Your answer is below: submit it again in a moment.", status)
                if page is not None:
                    return page
            return render(status, title, message + (" Please try again in a moment." if status == 503 else
                                                    " Go back and try again."))
        except Exception:  # the page failed too (the database is unreachable: the signed-in user cannot be read)
            app.logger.exception("the error page could not be rendered")
            return _bare_error_page(message, typed if from_this_site() else None, status), status

    @app.errorhandler(500)
    def server_error(e):
        return failed(500, "Something went wrong", "An unexpected error occurred, so what you just did may not have "
                                                   "been saved (what was saved before is safe).")

    @app.errorhandler(OperationalError)
    def database_unavailable(e):
        """The database is locked by another writer past its busy timeout, restarting, or unreachable: a moment's
        wait helps, so 503 with Retry-After, and nothing half done was kept (the session is rolled back). A
        reliability review got a 500 for a SQLite database held locked for 30 s. Any other OperationalError (SQLite
        says "no such column", a full disk or a damaged file so too) is a fault, not a wait: a 500 with its traceback
        logged, as on PostgreSQL."""
        if not passing_database_failure(e):
            app.logger.exception("database error for %s %s", request.method, request.path)
            return server_error(e)
        app.logger.warning("database unavailable for %s %s: %s", request.method, request.path,
                           (str(getattr(e, "orig", None) or e).splitlines() or [type(e).__name__])[0])
        response = failed(503, "Busy", "The site's database did not answer in time (it is busy or restarting), so "
                                       "what you just did was not saved.")
        response = app.make_response(response)
        response.headers.setdefault("Retry-After", "10")
        return response
