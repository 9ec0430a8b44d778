import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from tests.conftest import fresh_database_url
from webapp import create_app
from webapp.extensions import db

pytestmark = pytest.mark.all_databases


def test_upgrade_from_empty_database_creates_schema(tmp_path, db_backend):
    app = create_app({"SQLALCHEMY_DATABASE_URI": fresh_database_url(db_backend, tmp_path),
                      "MEDIA_DIR": str(tmp_path / "media")})
    with app.app_context():
        assert inspect(db.engine).get_table_names() == []
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"users", "questions", "answers", "scores", "aggregates", "aggregate_bins",
                "word_counts", "alembic_version"} <= tables
        # the migrated schema matches the models exactly
        from alembic.autogenerate import compare_metadata
        from alembic.migration import MigrationContext
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == []
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) == {"alembic_version"}
        db.engine.dispose()


def test_sqlite_runs_in_wal_mode(app):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("SQLite only")
    with app.app_context():
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
