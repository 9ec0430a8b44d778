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
