"""word lists ordered by how many candidates wrote a word

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06

The lists of all candidates' most used words (``webapp.stats.top_words``) now come in the order of how many
candidates wrote a word, then how often, so that a few accounts repeating a word cannot fill every candidate's
list: the index that served the order by count is replaced by one on (scope, people, count).
"""
from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('word_counts', schema=None) as batch_op:
        batch_op.drop_index('ix_word_counts_scope_count')
        batch_op.create_index('ix_word_counts_scope_people', ['scope', 'people', 'count'], unique=False)


def downgrade():
    with op.batch_alter_table('word_counts', schema=None) as batch_op:
        batch_op.drop_index('ix_word_counts_scope_people')
        batch_op.create_index('ix_word_counts_scope_count', ['scope', 'count'], unique=False)
