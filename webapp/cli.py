"""Flask CLI commands: ``flask create-admin EMAIL``, ``flask seed-questions``, ``flask worker``."""
import json

import click
from sqlalchemy import func, select

from .config import ROOT
from .extensions import db
from .models import Question, User

QUESTIONS_FILE = ROOT / "data" / "questions.json"


def seed_questions(path=QUESTIONS_FILE) -> int:
    """Add the questions of the data file that are not in the bank yet; returns how many."""
    items = json.loads(path.read_text(encoding="utf-8"))
    existing = set(db.session.execute(select(Question.text)).scalars())
    added = 0
    for item in items:
        if item["text"] not in existing:
            db.session.add(Question(text=item["text"], category=item.get("category", "behavioural")))
            added += 1
    db.session.commit()
    return added


def register_cli(app):
    @app.cli.command("create-admin")
    @click.argument("email")
    @click.password_option(help="Password (asked for when not given; env ADMIN_PASSWORD works too).",
                           envvar="ADMIN_PASSWORD")
    def create_admin(email, password):
        """Create an admin account, or make an existing account an admin."""
        email = email.strip().lower()
        user = db.session.execute(select(User).where(func.lower(User.email) == email)).scalar_one_or_none()
        if user is None:
            if len(password) < 8:
                raise click.BadParameter("use at least 8 characters", param_hint="password")
            user = User(email=email)
            user.set_password(password)
            db.session.add(user)
        user.role = "admin"
        user.active = True
        db.session.commit()
        click.echo(f"{email} is an admin.")

    @app.cli.command("seed-questions")
    def seed_questions_command():
        """Load the question bank from data/questions.json (idempotent)."""
        added = seed_questions()
        total = db.session.scalar(select(func.count()).select_from(Question))
        click.echo(f"Added {added} questions; the bank has {total}.")

    @app.cli.command("purge-media")
    @click.option("--days", type=int, envvar="MEDIA_RETENTION_DAYS", required=True,
                  help="Remove recordings and PDFs older than this many days (env MEDIA_RETENTION_DAYS).")
    def purge_media_command(days):
        """Retention: delete stored media older than N days (run it from cron)."""
        from .answers import purge_media_older_than
        if days < 0:
            raise click.BadParameter("must be 0 or more", param_hint="--days")
        click.echo(f"Removed the media of {purge_media_older_than(days)} answers older than {days} days.")

    @app.cli.command("worker")
    def worker_command():
        """Run a job worker in the foreground."""
        from .worker import main
        raise SystemExit(main())
