"""questions.position: the order of the question bank, set by admins

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07

Questions were listed in the order they were added (by id), on the admin's question bank and the candidates' list
alike. Admins can now move a question up or down; where it stands is ``position`` (unique: two questions never share
a place). Existing questions get 1, 2, 3... in the order of their ids, so nothing moves at the upgrade; a new question
goes after the last.
"""
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


@contextmanager
def _questions_batch():
    """SQLite rebuilds the table to make a column NOT NULL: keep its AUTOINCREMENT, and its counter, so that the ids
    of deleted questions are never given again (the rebuild's copy of the rows set the counter to the highest id
    left: a review found the last question's id, deleted before the upgrade, given to the next new one)."""
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    seq = "SELECT seq FROM sqlite_sequence WHERE name = 'questions'"
    before = bind.execute(sa.text(seq)).scalar() if sqlite else None
    with op.batch_alter_table('questions', schema=None,
                              **({"table_kwargs": {"sqlite_autoincrement": True}} if sqlite else {})) as batch_op:
        yield batch_op
    if before is not None:
        after = bind.execute(sa.text(seq)).scalar() or 0
        bind.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = 'questions'"))
        bind.execute(sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES ('questions', :seq)"),
                     {"seq": max(before, after)})


def upgrade():
    with _questions_batch() as batch_op:
        batch_op.add_column(sa.Column('position', sa.Integer(), nullable=True))
    # each question's rank by id (a correlated count: the same SQL on SQLite and PostgreSQL; a bank has a few hundred)
    op.execute("UPDATE questions SET position = (SELECT count(*) FROM questions AS earlier "
               "WHERE earlier.id <= questions.id)")
    with _questions_batch() as batch_op:
        batch_op.alter_column('position', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index('ix_questions_position', ['position'], unique=True)


def downgrade():
    with _questions_batch() as batch_op:
        batch_op.drop_index('ix_questions_position')
        batch_op.drop_column('position')
