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


def test_upgrade_to_0003_keeps_data_and_signs_everyone_out(tmp_path, db_backend):
    """Rebuilding tables on SQLite must not cascade-delete answers; every user gets a token."""
    from sqlalchemy import text

    app = create_app({"SQLALCHEMY_DATABASE_URI": fresh_database_url(db_backend, tmp_path),
                      "MEDIA_DIR": str(tmp_path / "media")})
    with app.app_context():
        upgrade(revision="0002")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO questions (id, text, category, retired, created_at) "
                              "VALUES (1, 'Q?', 'behavioural', false, CURRENT_TIMESTAMP)"))
            for uid in (1, 2):
                conn.execute(text("INSERT INTO users (id, email, password_hash, role, active, created_at) "
                                  f"VALUES ({uid}, 'u{uid}@example.com', 'x', 'candidate', true, CURRENT_TIMESTAMP)"))
                conn.execute(text("INSERT INTO answers (user_id, question_id, modality, text, word_count, status, "
                                  "progress, attempts, created_at) "
                                  f"VALUES ({uid}, 1, 'text', 'hello', 1, 'done', 100, 1, CURRENT_TIMESTAMP)"))
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM answers")).scalar() == 2
            tokens = conn.execute(text("SELECT session_token FROM users ORDER BY id")).scalars().all()
            assert len(tokens) == 2 and len(set(tokens)) == 2 and all(len(t) >= 40 for t in tokens)
            if db_backend == "sqlite":
                for table in ("users", "answers", "questions"):
                    sql = conn.execute(text(f"SELECT sql FROM sqlite_master WHERE name = '{table}'")).scalar()
                    assert "AUTOINCREMENT" in sql, table
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        downgrade(revision="0002")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM answers")).scalar() == 2
        db.engine.dispose()


def test_upgrade_to_0012_keeps_every_row_and_gives_answers_their_questions_wording(tmp_path, db_backend):
    """0011 rebuilds answer_views (SQLite) and 0012 adds answers.question_text from the questions: nothing is lost
    either way, and SQLite's answers keep AUTOINCREMENT through the downgrade's rebuild."""
    from sqlalchemy import text

    app = create_app({"SQLALCHEMY_DATABASE_URI": fresh_database_url(db_backend, tmp_path),
                      "MEDIA_DIR": str(tmp_path / "media")})
    with app.app_context():
        upgrade(revision="0010")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO questions (id, text, category, retired, created_at) "
                              "VALUES (1, 'First question?', 'behavioural', false, CURRENT_TIMESTAMP), "
                              "(2, 'Second question?', 'technical', false, CURRENT_TIMESTAMP)"))
            conn.execute(text("INSERT INTO users (id, email, password_hash, role, active, created_at, session_token) "
                              "VALUES (1, 'u1@example.com', 'x', 'candidate', true, CURRENT_TIMESTAMP, 't1'), "
                              "(2, 'a@example.com', 'x', 'admin', true, CURRENT_TIMESTAMP, 't2')"))
            for qid in (1, 2):
                conn.execute(text("INSERT INTO answers (user_id, question_id, modality, text, word_count, status, "
                                  "progress, attempts, created_at) "
                                  f"VALUES (1, {qid}, 'text', 'hello', 1, 'done', 100, 1, CURRENT_TIMESTAMP)"))
            conn.execute(text("INSERT INTO scores (answer_id, family, label, value) VALUES (1, 'big5', 'EXT', 50)"))
            conn.execute(text("INSERT INTO answer_views (answer_id, owner_id, viewer_id, what, at) "
                              "VALUES (1, 1, 2, 'page', CURRENT_TIMESTAMP), (2, 1, 2, 'file', CURRENT_TIMESTAMP)"))
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT id, question_text FROM answers ORDER BY id")).all() == [
                (1, "First question?"), (2, "Second question?")]
            assert conn.execute(text("SELECT count(*) FROM scores")).scalar() == 1
            assert conn.execute(text("SELECT answer_id, deleted_answer_id FROM answer_views ORDER BY id")).all() == [
                (1, None), (2, None)]
        downgrade(revision="0010")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM answers")).scalar() == 2
            assert conn.execute(text("SELECT count(*) FROM answer_views")).scalar() == 2
            assert conn.execute(text("SELECT count(*) FROM scores")).scalar() == 1
            if db_backend == "sqlite":
                sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'answers'")).scalar()
                assert "AUTOINCREMENT" in sql
        db.engine.dispose()


def test_upgrade_to_0014_keeps_the_questions_unsaved_by_anyone(tmp_path, db_backend):
    """0014 adds questions.saved_at and saved_by (SQLite rebuilds the table for the foreign key): every question and
    its answers stay, none is said to be saved by anyone, and SQLite's questions keep AUTOINCREMENT both ways."""
    from sqlalchemy import text

    app = create_app({"SQLALCHEMY_DATABASE_URI": fresh_database_url(db_backend, tmp_path),
                      "MEDIA_DIR": str(tmp_path / "media")})
    with app.app_context():
        upgrade(revision="0013")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO questions (id, text, category, retired, created_at, talking_points) "
                              "VALUES (1, 'First question?', 'behavioural', false, CURRENT_TIMESTAMP, '[\"a point\"]')"))
            conn.execute(text("INSERT INTO users (id, email, password_hash, role, active, created_at, session_token) "
                              "VALUES (1, 'u1@example.com', 'x', 'candidate', true, CURRENT_TIMESTAMP, 't1')"))
            conn.execute(text("INSERT INTO answers (user_id, question_id, modality, text, word_count, status, "
                              "progress, attempts, created_at) "
                              "VALUES (1, 1, 'text', 'hello', 1, 'done', 100, 1, CURRENT_TIMESTAMP)"))
        upgrade(revision="0014")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT id, text, saved_at, saved_by FROM questions")).all() == [
                (1, "First question?", None, None)]
            assert conn.execute(text("SELECT count(*) FROM answers")).scalar() == 1
            if db_backend == "sqlite":
                sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'questions'")).scalar()
                assert "AUTOINCREMENT" in sql
        downgrade(revision="0013")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT id, text FROM questions")).all() == [(1, "First question?")]
            assert conn.execute(text("SELECT count(*) FROM answers")).scalar() == 1
            if db_backend == "sqlite":
                sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'questions'")).scalar()
                assert "AUTOINCREMENT" in sql
        db.engine.dispose()


def test_flask_upgrade_runs_the_schema_then_every_data_step_and_can_run_again(tmp_path, db_backend):
    """`flask upgrade` (README, Deployment): the schema to the newest revision, then each data step of the upgrade
    notes in order; a second run changes nothing and succeeds too."""
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from webapp.cli import DATA_UPGRADES

    app = create_app({"SQLALCHEMY_DATABASE_URI": fresh_database_url(db_backend, tmp_path),
                      "MEDIA_DIR": str(tmp_path / "media")})
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["upgrade"])
        assert result.exit_code == 0, result.output
        steps = [line[:-1] for line in result.output.splitlines() if line.endswith(":") and " " not in line]
        assert steps == list(DATA_UPGRADES)
        assert result.output.rstrip().endswith("Up to date.")
    with app.app_context():
        head = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config()).get_current_head()
        with db.engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_revision() == head
        db.engine.dispose()
