"""distinct candidates behind each aggregate (contributors, aggregates.people)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

* ``contributors``: per scope ('all', 'q:<id>'), modality group, score (family, label) and candidate,
  how many of the candidate's results are in that score's totals; family and label '' count the
  candidate's analysed answers in the scope (what word lists and answer counts rest on). Unique on
  (scope, modality, family, label, user_id); deleted with the user (ON DELETE CASCADE).
* ``aggregates.people``: how many distinct candidates a score's totals come from (the
  contributors of that score with answers > 0). Existing rows get 0 and are then counted.

Both are filled from the analysed answers and scores already stored, with the rules of
``webapp.stats.record`` (status 'done'; typed text and PDF are one modality group), so a database
that existed before this revision gets the same rows as one that was migrated first.
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('contributors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=20), nullable=False),
    sa.Column('modality', sa.String(length=10), nullable=False),
    sa.Column('family', sa.String(length=20), nullable=False),
    sa.Column('label', sa.String(length=40), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('answers', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('scope', 'modality', 'family', 'label', 'user_id', name='uq_contributor')
    )
    with op.batch_alter_table('contributors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contributors_user_id'), ['user_id'], unique=False)
    with op.batch_alter_table('aggregates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('people', sa.Integer(), server_default='0', nullable=False))

    _backfill()


def _backfill():
    """Contributors of the analysed answers already stored, then each aggregate's number of them."""
    group = "CASE WHEN a.modality IN ('text', 'pdf') THEN 'text' ELSE a.modality END"
    for scope in ("'all'", "'q:' || CAST(a.question_id AS VARCHAR(12))"):
        op.execute(
            "INSERT INTO contributors (scope, modality, family, label, user_id, answers) "
            f"SELECT {scope}, {group}, s.family, s.label, a.user_id, COUNT(*) "
            "FROM answers a JOIN scores s ON s.answer_id = a.id WHERE a.status = 'done' "
            "GROUP BY 1, 2, 3, 4, 5"  # by position: PostgreSQL refuses a constant expression here
        )
        op.execute(
            "INSERT INTO contributors (scope, modality, family, label, user_id, answers) "
            f"SELECT {scope}, {group}, '', '', a.user_id, COUNT(*) FROM answers a WHERE a.status = 'done' "
            "GROUP BY 1, 2, 5"
        )
    op.execute(
        "UPDATE aggregates SET people = (SELECT COUNT(*) FROM contributors c WHERE c.scope = aggregates.scope "
        "AND c.modality = aggregates.modality AND c.family = aggregates.family AND c.label = aggregates.label "
        "AND c.answers > 0)"
    )


def downgrade():
    with op.batch_alter_table('aggregates', schema=None) as batch_op:
        batch_op.drop_column('people')
    with op.batch_alter_table('contributors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contributors_user_id'))
    op.drop_table('contributors')
