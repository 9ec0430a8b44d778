"""what admins opened of candidates' answers (answer_views)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06

``answer_views``: an admin opened a candidate's answer (its page, file, transcript or heat map), one row per
admin, answer and kind an hour (``webapp.access.note_view``); the candidate's account page lists them. The rows
go with the answer and with the candidate's account (ON DELETE CASCADE); a deleted admin's rows stay without
the admin (ON DELETE SET NULL). Nothing was noted before this revision, so the table starts empty.
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('answer_views',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('answer_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('viewer_id', sa.Integer(), nullable=True),
    sa.Column('what', sa.String(length=20), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['answer_id'], ['answers.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['viewer_id'], ['users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('answer_views', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_answer_views_answer_id'), ['answer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_answer_views_owner_id'), ['owner_id'], unique=False)


def downgrade():
    with op.batch_alter_table('answer_views', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_answer_views_owner_id'))
        batch_op.drop_index(batch_op.f('ix_answer_views_answer_id'))
    op.drop_table('answer_views')
