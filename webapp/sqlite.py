"""SQLite settings: WAL mode and foreign keys, so several gunicorn workers share the file safely."""
import logging

from sqlalchemy import event

BUSY_TIMEOUT_MS = 10000  # how long a connection waits for another's write lock


def enable_sqlite_pragmas(app):
    from .extensions import db

    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "connect")
    def _set_pragmas(dbapi_conn, _record):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA secure_delete=ON")  # deleted answers are overwritten in the file, not left in free pages
        cur.close()
        _keep_private(engine.url.database)


#: the database holds e-mail addresses, password hashes and answers: readable by the server's user only (with the
#: usual umask 022 SQLite made it 0644, readable by every account on the machine: found by a security review)
DB_FILE_MODE = 0o600


def _keep_private(database: str | None) -> None:
    """chmod the SQLite file and its -wal and -shm files 0600 (SQLite gives the -wal and -shm files the database
    file's mode when it makes them). Best effort: a file of another owner is left as it is, with a warning."""
    import os
    import stat
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    for path in (database, database + "-wal", database + "-shm"):
        try:
            if stat.S_IMODE(os.stat(path).st_mode) & 0o077:
                os.chmod(path, DB_FILE_MODE)
        except FileNotFoundError:
            continue
        except OSError as exc:
            logging.getLogger(__name__).warning("Could not make %s private (mode 0600): %s", path, exc)


def forget_deleted_pages(engine) -> None:
    """After a deletion is committed (SQLite only): copy the write-ahead log into the database and empty
    it, so that the deleted answers' old pages do not stay in the -wal file until the next checkpoint.
    On a connection of its own (nothing of the caller's session is committed). Best effort: it does not
    wait for readers (another process in the middle of a read keeps the log for now; SQLite's next
    automatic checkpoint, or this call after the next deletion, empties it), and a failure is logged,
    never raised: the deletion itself is done."""
    if engine.dialect.name != "sqlite":
        return
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA busy_timeout=0")
            try:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            finally:
                conn.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    except Exception as exc:  # noqa: BLE001 - a checkpoint that cannot run now runs later
        logging.getLogger(__name__).warning("SQLite checkpoint after a deletion failed: %s", exc)
