"""an admin's deletion of a candidate's answer is noted, and the answer's lines stay (answer_views)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06

An admin who deleted a candidate's answer also deleted the lines that told the candidate which administrators had
opened it (they went with the answer, ON DELETE CASCADE). Now such a deletion is noted as a line of its own
(``what`` = "deleted"), and the answer's lines are detached from it before it goes: ``answer_id`` becomes NULL
(so it may now be NULL), ``deleted_answer_id`` keeps the number it had, ``question_text`` and ``modality`` what the
candidate's account page and export say of it. A candidate deleting their own answers still deletes their lines.
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('answer_views', schema=None) as batch_op:
        batch_op.alter_column('answer_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('deleted_answer_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('question_text', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('modality', sa.String(length=10), nullable=True))


def downgrade():
    op.execute("DELETE FROM answer_views WHERE answer_id IS NULL")
    with op.batch_alter_table('answer_views', schema=None) as batch_op:
        batch_op.drop_column('modality')
        batch_op.drop_column('question_text')
        batch_op.drop_column('deleted_answer_id')
        batch_op.alter_column('answer_id', existing_type=sa.Integer(), nullable=False)
