"""WSGI entry point for gunicorn: ``gunicorn -c gunicorn.conf.py wsgi:app`` (and the app of the ``flask`` commands)."""
from webapp import ConfigError, create_app

try:
    app = create_app()
except ConfigError as exc:  # one clear line (e.g. from `flask db upgrade`), not a traceback
    raise SystemExit(f"Not starting: {exc}") from None
