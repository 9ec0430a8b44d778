"""Interview simulator web application."""
from __future__ import annotations

from pathlib import Path

# Importing the package stays cheap (no Flask extensions), so `python -m webapp.sandbox` children
# that parse untrusted files start fast; create_app() imports what the app needs.


class ConfigError(RuntimeError):
    """A setting the app cannot start with; its message says which and what to do. The entry points
    (gunicorn.conf.py, wsgi.py for the flask commands, webapp.worker) print it as one line and exit. Defined
    here, not in webapp.config, because that module raises it while it is imported."""


def create_app(config: dict | None = None):
    from flask import Flask, render_template

    from .config import INSTANCE_DIR, ROOT, Config, check_production, limiter_storage_options
    from .extensions import csrf, db, limiter, login_manager, migrate

    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(INSTANCE_DIR),
    )
    app.config.from_object(Config)
    if config:
        app.config.from_mapping(config)
    check_production(app.config)
    app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", limiter_storage_options(app.config["RATELIMIT_STORAGE_URI"]))
    if app.config.get("TRUSTED_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix
        n = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    Path(app.instance_path).mkdir(mode=0o700, parents=True, exist_ok=True)  # (an existing folder keeps its mode)
    from .media import private_folder
    private_folder(Path(app.config["MEDIA_DIR"]))  # 0700: its sub-folders are named after candidates' ids

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)

    from . import models  # noqa: F401  (register tables with the metadata)
    from .sqlite import enable_sqlite_pragmas
    enable_sqlite_pragmas(app)

    from .params import IdConverter
    app.url_map.converters["int"] = IdConverter   # before the blueprints' rules are added
    from .auth import bp as auth_bp
    from .interview import bp as interview_bp
    from .dashboard import bp as dashboard_bp
    from .admin import bp as admin_bp
    from .api import bp as api_bp
    from .practice import bp as practice_bp
    app.register_blueprint(auth_bp)
    app.register_blueprint(interview_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(api_bp, url_prefix="/api")
    app.register_blueprint(practice_bp)

    from .cli import register_cli
    register_cli(app)
    from .errors import register_error_handlers
    register_error_handlers(app)
    from .security import init_security
    init_security(app)
    from .modelinfo import model_metrics, points_metrics, smile_metrics, text_metrics, text_words
    app.jinja_env.globals["model_metrics"] = model_metrics
    app.jinja_env.globals["points_metrics"] = points_metrics
    app.jinja_env.globals["smile_metrics"] = smile_metrics
    app.jinja_env.globals["text_metrics"] = text_metrics
    app.jinja_env.globals["text_words"] = text_words
    from .answers import transcript_unreliable, words_shown
    app.jinja_env.globals["words_shown"] = words_shown
    app.jinja_env.globals["transcript_unreliable"] = transcript_unreliable
    from .labels import QUESTION_RETIRED, TRAIT_DESCRIPTIONS, TRAIT_NAMES
    app.jinja_env.globals["question_retired"] = QUESTION_RETIRED
    app.jinja_env.globals["trait_names"] = TRAIT_NAMES
    app.jinja_env.globals["trait_descriptions"] = TRAIT_DESCRIPTIONS
    from .wording import plural, point_parts, soft_breaks
    app.jinja_env.filters["plural"] = plural
    app.jinja_env.filters["soft_breaks"] = soft_breaks
    app.jinja_env.filters["point_parts"] = point_parts
    from .uploads import human_size
    from .wording import when
    app.jinja_env.filters["when"] = when
    app.jinja_env.filters["size"] = human_size
    from .labels import EMOTION_NAMES, emotion_name, modality_name, status_name
    app.jinja_env.filters["emotion"] = emotion_name
    app.jinja_env.filters["modality_name"] = modality_name
    app.jinja_env.filters["status_name"] = status_name
    app.jinja_env.globals["emotion_names"] = EMOTION_NAMES
    from .jobs import progress_note, wait_note
    app.jinja_env.globals["progress_note"] = progress_note
    app.jinja_env.globals["wait_note"] = wait_note
    from .answers import answer_draft_marks, asked_token
    from .drafts import sent_draft
    app.jinja_env.globals["answer_draft_marks"] = answer_draft_marks
    app.jinja_env.globals["asked_token"] = asked_token
    app.jinja_env.globals["sent_draft"] = sent_draft  # (templates may name a mock interview "session")

    @app.get("/favicon.ico")
    def favicon():
        """Browsers ask for /favicon.ico whatever the page links: send them the SVG icon."""
        from flask import redirect, url_for
        return redirect(url_for("static", filename="favicon.svg"), 301)

    @app.get("/")
    def index():
        from .sample import landing_context
        return render_template("index.html", **landing_context())

    @app.get("/healthz")
    def healthz():
        """Liveness and readiness: the database answers, the job queue is reachable, and
        waiting jobs have a worker (a heartbeat newer than WORKER_STALE_SECONDS)."""
        from sqlalchemy import func, select, text
        from .jobs import backend_name, live_workers
        from .models import Answer, WorkerHeartbeat, utcnow
        body = {"status": "ok", "database": "ok", "queue": {"backend": backend_name(app)}}
        try:
            db.session.execute(text("SELECT 1"))
            counts = dict(db.session.execute(select(Answer.status, func.count()).where(
                Answer.status.in_(("queued", "running"))).group_by(Answer.status)).all())
            now = utcnow()
            workers = live_workers(now)
            last_seen = db.session.scalar(select(func.max(WorkerHeartbeat.seen_at)))
        except Exception as exc:  # report, do not crash
            db.session.rollback()
            return {"status": "error", "database": f"unavailable ({type(exc).__name__})"}, 503
        body["queue"].update(queued=counts.get("queued", 0), running=counts.get("running", 0), workers=workers)
        if backend_name(app) == "celery":
            try:
                import redis
                redis.Redis.from_url(app.config["REDIS_URL"], socket_timeout=2).ping()
            except Exception as exc:
                body.update(status="error", queue={**body["queue"], "broker": f"unavailable ({type(exc).__name__})"})
                return body, 503
            body["queue"]["broker"] = "ok"
        if workers == 0 and (body["queue"]["queued"] or body["queue"]["running"]):
            # jobs wait and nobody runs them (a web-only node with an empty queue is fine)
            age = None if last_seen is None else max(0, round((now - last_seen).total_seconds()))
            body["status"] = "error"
            body["queue"].update(last_worker_seen_s=age, error=(
                "no job worker has ever been seen" if age is None else f"no job worker has been seen for {age} s"))
            return body, 503
        return body

    if not app.testing:
        from .logs import configure_logging, init_request_logging
        configure_logging(app.config)
        init_request_logging(app)
    return app
