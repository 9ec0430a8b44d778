"""Is the database's schema the one this code needs? Checked before gunicorn and the job worker start, so that a
forgotten ``flask --app wsgi upgrade`` stops them with one line that says so (an install review: the site started,
sign-up gave "Something went wrong", and the worker logged "database unreachable" for a database that answered but
had no tables)."""
from __future__ import annotations

import logging
import re
from pathlib import Path

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
UPGRADE = "run `.venv/bin/flask --app wsgi upgrade` first (README: Quick start, Upgrading)"


def database_label(uri: str) -> str:
    """The database ``uri`` as logs and messages name it: the URL with its password hidden."""
    from sqlalchemy.engine import make_url
    return make_url(uri).render_as_string(hide_password=True)


# what a database server says when it will never let this URL in (a wrong password, user or database name), as
# against an outage (not running yet, restarting, the network), which the app waits out
# (only what a server says at log-in: "relation ... does not exist" or "permission denied for table" from a step of a
# migration is that step's failure, with its own traceback, not a refused connection: a review)
_REFUSALS = re.compile(r'password authentication failed|no password supplied|no pg_hba\.conf entry|'
                       r'(database|role) "[^"]*" does not exist|permission denied for database|'
                       r'authentication failed for user', re.I)


def connection_error(exc: Exception) -> str:
    """The line of a database driver's error that says why (psycopg's "FATAL:  password authentication failed for
    user ..."), without SQLAlchemy's wrapping and links."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:
        if _REFUSALS.search(line):
            return line.split("FATAL:", 1)[-1].strip()
    return lines[0] if lines else type(exc).__name__


def refused(exc: Exception) -> bool:
    """Does the error say the database will not let this URL in (rather than that it cannot be reached now)?"""
    return bool(_REFUSALS.search(str(getattr(exc, "orig", None) or exc)))


def not_connected(uri: str, exc: Exception) -> str:
    """What to say of a failed connection to ``uri``: refused (check the URL) or not reached (check the server)."""
    if refused(exc):
        return (f"the database {database_label(uri)} refused the connection ({connection_error(exc)}): check "
                "DATABASE_URL (user, password, database name).")
    return (f"the database {database_label(uri)} cannot be reached ({connection_error(exc)}): check that its server "
            "runs and DATABASE_URL.")


def connection_problem(uri: str) -> str | None:
    """Why `flask upgrade` cannot connect to ``uri`` at all (a refused log-in, or no server), or None: checked before
    the migrations run, so that an error inside one of them keeps its own traceback."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import DBAPIError

    engine = create_engine(uri)
    try:
        with engine.connect():
            return None
    except DBAPIError as exc:
        return not_connected(uri, exc)
    finally:
        engine.dispose()


def schema_problem(uri: str, outage_ok: bool = True) -> str | None:
    """Why the database at ``uri`` is not ready for this code (no tables yet, or an older or unknown revision, or a
    login it refuses: a wrong password, user or database name), or None when it is at the migrations' head, or when
    it cannot be reached and ``outage_ok`` (an outage: the app waits for it and /healthz reports it; a `flask`
    command passes False and stops with the reason). A SQLite file that does not exist is not created here."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine, inspect
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError

    url = make_url(uri)
    where = database_label(uri)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") \
            and not Path(url.database).exists():
        return f"the database file {url.database} does not exist yet: {UPGRADE}."
    script = ScriptDirectory(str(MIGRATIONS))
    head = script.get_current_head()
    engine = create_engine(uri)
    try:
        with engine.connect() as conn:
            # reading the revision migrates nothing: alembic's INFO lines ("Context impl SQLiteImpl.", "Will assume
            # non-transactional DDL.") came twice before every data step of `flask upgrade` (a stranger's install)
            said = logging.getLogger("alembic.runtime.migration")
            level = said.level
            said.setLevel(max(level, logging.WARNING))
            try:
                current = MigrationContext.configure(conn).get_current_revision()
            finally:
                said.setLevel(level)
            tables = inspect(conn).get_table_names() if current is None else []
    except DBAPIError as exc:
        # a refusal will not get better by waiting (an install review: a wrong password logged 16 tracebacks in 25 s
        # while the site answered)
        return None if outage_ok and not refused(exc) else not_connected(uri, exc)
    finally:
        engine.dispose()
    if current == head:
        return None
    if current is None:
        if tables:
            return (f"the database {where} has tables but no schema revision (no alembic_version): it was not made by "
                    "`flask --app wsgi upgrade`; point DATABASE_URL at an empty database, or at this site's own.")
        return f"the database {where} has no tables yet: {UPGRADE}."
    try:
        known = script.get_revision(current) is not None
    except Exception:  # alembic's error for a revision its scripts do not have
        known = False
    if not known:
        return (f"the database {where} is at schema revision {current}, which this code does not know: a newer "
                "release upgraded it. Run that release, or restore the backup taken before the upgrade (README, "
                "Backups).")
    return (f"the database {where} is at schema revision {current} and this code needs {head}: {UPGRADE}, "
            "with the server stopped.")
