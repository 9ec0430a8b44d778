"""revocable sessions (users.session_token), ids never reused, worker heartbeats, error details

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

* ``users.session_token``: what Flask-Login's cookies carry instead of the numeric id; every
  existing user gets a fresh random token, which signs out all sessions issued before.
* SQLite: ``users``, ``questions`` and ``answers`` are rebuilt with AUTOINCREMENT, so the id
  of a deleted row is never handed out again (PostgreSQL's sequences never reuse one).
  Foreign keys are switched off around the rebuild by ``migrations/env.py``, otherwise
  dropping the old ``users`` table would cascade to the answers.
* ``answers.error_detail``: the technical reason of a failed analysis, for admins only.
* ``worker_heartbeats``: one row per job worker, for the health check.
"""
import secrets

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

ID_TABLES = ("questions", "users", "answers")


def _sqlite():
    return op.get_bind().dialect.name == "sqlite"


def _set_autoincrement(on: bool):
    for name in ID_TABLES:
        with op.batch_alter_table(name, recreate="always",
                                  table_kwargs={"sqlite_autoincrement": on}) as batch_op:
            pass


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_token', sa.String(length=64), nullable=True))
    bind = op.get_bind()
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('session_token', sa.String))
    for (user_id,) in bind.execute(sa.select(users.c.id)).all():
        bind.execute(users.update().where(users.c.id == user_id).values(session_token=secrets.token_urlsafe(32)))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('session_token', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_index(batch_op.f('ix_users_session_token'), ['session_token'], unique=True)

    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('error_detail', sa.Text(), nullable=True))

    op.create_table('worker_heartbeats',
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('backend', sa.String(length=20), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('seen_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    with op.batch_alter_table('worker_heartbeats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_worker_heartbeats_seen_at'), ['seen_at'], unique=False)

    if _sqlite():
        _set_autoincrement(True)


def downgrade():
    if _sqlite():
        _set_autoincrement(False)
    with op.batch_alter_table('worker_heartbeats', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_worker_heartbeats_seen_at'))
    op.drop_table('worker_heartbeats')
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_column('error_detail')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_session_token'))
        batch_op.drop_column('session_token')
