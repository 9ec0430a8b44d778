"""each answer keeps the question's wording it answered (answers.question_text)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06

An admin who reworded a question changed the question of every answer already given to it, and the wording
those answers had was kept nowhere (found by an admin review). ``answers.question_text`` keeps the question's
text when the answer is stored (models: a before-insert hook). Existing answers get their question's current
text: the wording they answered was not kept before this revision.
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def _answers_batch():
    """SQLite rebuilds the table to drop a column: keep its AUTOINCREMENT (ids of deleted answers never reused)."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    return op.batch_alter_table('answers', schema=None,
                                **({"table_kwargs": {"sqlite_autoincrement": True}} if sqlite else {}))


def upgrade():
    with _answers_batch() as batch_op:
        batch_op.add_column(sa.Column('question_text', sa.Text(), nullable=True))
    op.execute("UPDATE answers SET question_text = (SELECT questions.text FROM questions "
               "WHERE questions.id = answers.question_id)")


def downgrade():
    with _answers_batch() as batch_op:
        batch_op.drop_column('question_text')
