"""when an admin last saved a question, and who (questions.saved_at, questions.saved_by)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06

An admin whose session ended while they wrote or edited a question lost the typed text: the form came back empty
after logging in again. The question forms now keep a draft in the browser tab, as the candidates' written answers
do (static/js/draft.js); a draft older than the question's last save (``saved_at``), or for a new question older
than the admin's latest save (``saved_by``), is not offered again over what was saved. Existing questions get NULL:
when they were last saved was not kept before this revision.
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def _questions_batch():
    """SQLite rebuilds the table to drop a column: keep its AUTOINCREMENT (ids of deleted questions never reused)."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    return op.batch_alter_table('questions', schema=None,
                                **({"table_kwargs": {"sqlite_autoincrement": True}} if sqlite else {}))


def upgrade():
    with _questions_batch() as batch_op:
        batch_op.add_column(sa.Column('saved_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('saved_by', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_questions_saved_by_users', 'users', ['saved_by'], ['id'], ondelete='SET NULL')


def downgrade():
    with _questions_batch() as batch_op:
        batch_op.drop_constraint('fk_questions_saved_by_users', type_='foreignkey')
        batch_op.drop_column('saved_by')
        batch_op.drop_column('saved_at')
