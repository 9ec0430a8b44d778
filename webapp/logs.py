"""Structured logs: one JSON object per line (LOG_FORMAT=json, the default in production).

Settings come from the app config (LOG_FORMAT, LOG_LEVEL; see webapp.config)."""
from __future__ import annotations

import json
import logging
import sys
import re
import time

from flask import g, request


#: PostgreSQL's DETAIL line of a failed statement quotes data: a key's value ("Key (email)=(ann@example.com) already
#: exists.") or a whole row ("Failing row contains (7, ..., the answer's text, ...)."). SQLAlchemy hides the statement's
#: parameters (hide_parameters), not the server's own words: these are hidden here, in every log line and in the
#: error detail a failed job keeps for admins.
_KEY_VALUE = re.compile(r"(Key \((?:[^()]|\([^()]*\))*\)=\().*?(\) (?:already exists|is not present|is still referenced"
                        r"|conflicts with))", re.S)
_FAILING_ROW = re.compile(r"(Failing row contains ).*?(?=\n\[SQL|\n\(Background|\Z)", re.S)


def redact_db_detail(text: str) -> str:
    """``text`` with the data quoted by a database's DETAIL line written as "…" (the column names stay)."""
    if "Key (" not in text and "Failing row contains" not in text:
        return text
    return _FAILING_ROW.sub(r"\1(…).", _KEY_VALUE.sub(r"\1…\2", text))


class TextFormatter(logging.Formatter):
    def format(self, record):
        return redact_db_detail(super().format(record))


class JsonFormatter(logging.Formatter):
    FIELDS = ("method", "path", "status", "duration_ms", "user_id", "answer_id")

    def format(self, record):
        out = {"ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"), "level": record.levelname,
               "logger": record.name, "msg": redact_db_detail(record.getMessage()), "pid": record.process}
        for key in self.FIELDS:
            if hasattr(record, key):
                out[key] = getattr(record, key)
        if record.exc_info:
            out["exc"] = redact_db_detail(self.formatException(record.exc_info))
        return json.dumps(out)


# loggers whose INFO lines say nothing to an operator (alembic lists its plugins at every import)
QUIET_LOGGERS = ("alembic.runtime.plugins",)


def quiet_noisy_loggers() -> None:
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def configure_logging(config) -> None:
    """Log to stderr as configured by ``config`` (an app config): LOG_FORMAT, default json in
    production (ENV_NAME) and text otherwise, and LOG_LEVEL."""
    fmt = config.get("LOG_FORMAT") or ("json" if config.get("ENV_NAME") == "production" else "text")
    stream = sys.stderr
    if type(stream).__name__ == "LoggingProxy":  # a Celery worker's stderr goes back into logging: lines were lost
        stream = sys.__stderr__
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if fmt == "json" else
                         TextFormatter("%(asctime)s %(levelname)s %(name)s[%(process)d] %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(str(config.get("LOG_LEVEL") or "INFO").upper())
    quiet_noisy_loggers()


#: paths whose rest is a secret (a password-reset link's token): logged as "<prefix>***", whatever follows
#: (also when it matches no route: a link with a character added is still most of a token)
SECRET_PATH_PREFIXES = ("/reset-password/",)
_SECRET_PATHS = re.compile("(" + "|".join(re.escape(p) for p in SECRET_PATH_PREFIXES) + r")\S+")


def mask_secrets(text: str) -> str:
    """``text`` (a request line, a URL, a header) with whatever follows a secret path prefix, up to the next
    whitespace, written as ``***`` (a raw request line has no unencoded space inside its target)."""
    return _SECRET_PATHS.sub(r"\1***", text)


def logged_path() -> str:
    """The request's path for the log, its secret part masked: everything after a secret prefix (the path is
    decoded, so a mangled link may hold spaces or quotes: the rest is masked whole)."""
    path = request.path
    for prefix in SECRET_PATH_PREFIXES:
        if path.startswith(prefix) and len(path) > len(prefix):
            return prefix + "***"
    return path


def init_request_logging(app) -> None:
    log = logging.getLogger("webapp.request")

    @app.before_request
    def _start():
        g._t0 = time.perf_counter()

    @app.after_request
    def _log(response):
        if request.endpoint != "static":
            from flask_login import current_user
            try:
                user_id = getattr(current_user, "id", None) if current_user else None
            except Exception:  # the user could not be read (the database is unreachable): the line is still logged
                user_id = None
            path = logged_path()
            log.info("%s %s %s", request.method, path, response.status_code, extra={
                "method": request.method, "path": path, "status": response.status_code,
                "duration_ms": round(1000 * (time.perf_counter() - g.get("_t0", time.perf_counter())), 1),
                "user_id": user_id,
            })
        return response
