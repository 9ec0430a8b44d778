"""a written answer's words wait for their batch too (pending_results.words)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04

The most frequent words of other candidates' written answers now move in batches, like the
averages (``webapp.stats``): a word list read before and after one new answer no longer shows that
answer's words. A waiting answer's words are one ``pending_results`` row per scope, with the
counts in ``words``. Words already counted stay counted.
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('pending_results', schema=None) as batch_op:
        batch_op.add_column(sa.Column('words', sa.JSON(), nullable=True))


def downgrade():
    # Words still waiting for their batch are dropped: their answers stay, but the word lists miss
    # them (and keep the words of deleted answers not yet taken out).
    op.execute("DELETE FROM pending_results WHERE words IS NOT NULL")
    with op.batch_alter_table('pending_results', schema=None) as batch_op:
        batch_op.drop_column('words')
