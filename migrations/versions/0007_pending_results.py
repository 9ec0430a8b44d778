"""results waiting for their batch before other candidates' averages move (pending_results)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04

Other candidates' averages, spreads and percentiles now move in batches (``webapp.stats``,
``AVERAGES_BATCH_RESULTS`` / ``AVERAGES_BATCH_PEOPLE``), so that comparing what a page shows before
and after one new answer does not reveal that answer's score. ``pending_results`` holds the changes
of a score's totals that wait for their batch. Results already stored are counted already: the
table starts empty.
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pending_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=20), nullable=False),
    sa.Column('modality', sa.String(length=10), nullable=False),
    sa.Column('family', sa.String(length=20), nullable=False),
    sa.Column('label', sa.String(length=40), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('sign', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('answer_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['answer_id'], ['answers.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('pending_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_results_answer_id'), ['answer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pending_results_user_id'), ['user_id'], unique=False)
        batch_op.create_index('ix_pending_results_key', ['scope', 'modality', 'family', 'label'], unique=False)


def downgrade():
    # Changes still waiting for their batch are dropped with the table: their answers keep their
    # scores, but the averages miss them (and keep results of deleted answers not yet taken out).
    with op.batch_alter_table('pending_results', schema=None) as batch_op:
        batch_op.drop_index('ix_pending_results_key')
        batch_op.drop_index(batch_op.f('ix_pending_results_user_id'))
        batch_op.drop_index(batch_op.f('ix_pending_results_answer_id'))
    op.drop_table('pending_results')
