"""daily aggregates (aggregate_days, answer_days); user_counts; an index for the score export

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

The new tables are filled from the answers and scores already stored, so a database that
existed before this revision gets the same daily rows as one that was migrated first.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('aggregate_days',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=20), nullable=False),
    sa.Column('modality', sa.String(length=10), nullable=False),
    sa.Column('family', sa.String(length=20), nullable=False),
    sa.Column('label', sa.String(length=40), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('total', sa.Float(), nullable=False),
    sa.Column('total_sq', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('scope', 'modality', 'family', 'day', 'label', name='uq_aggregate_day')
    )
    op.create_table('answer_days',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=20), nullable=False),
    sa.Column('modality', sa.String(length=10), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('scope', 'modality', 'day', name='uq_answer_day')
    )
    op.create_table('user_counts',
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('role', 'active')
    )
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.create_index('ix_answers_status_created_at', ['status', 'created_at'], unique=False)

    _backfill()


def _backfill():
    """Counters of the users and answers already stored."""
    user_counts = sa.table('user_counts', sa.column('role', sa.String), sa.column('active', sa.Boolean),
                           sa.column('count', sa.Integer))
    conn = op.get_bind()
    existing = {(r, bool(a)): n for r, a, n in conn.execute(
        sa.text("SELECT role, active, COUNT(*) FROM users GROUP BY role, active"))}
    # the usual rows exist from the start, so concurrent first registrations only UPDATE
    for key in [("candidate", True), ("candidate", False), ("admin", True), ("admin", False)]:
        existing.setdefault(key, 0)
    op.bulk_insert(user_counts, [{"role": r, "active": a, "count": n} for (r, a), n in existing.items()])
    _backfill_days()


def _backfill_days():
    """Daily rows of the analysed answers already stored (same rules as webapp.stats.record)."""
    group = "CASE WHEN a.modality IN ('text', 'pdf') THEN 'text' ELSE a.modality END"
    day = "DATE(a.created_at)"
    for scope in ("'all'", "'q:' || CAST(a.question_id AS VARCHAR(12))"):
        op.execute(
            "INSERT INTO aggregate_days (scope, modality, family, label, day, count, total, total_sq) "
            f"SELECT {scope}, {group}, s.family, s.label, {day}, COUNT(*), SUM(s.value), SUM(s.value * s.value) "
            "FROM answers a JOIN scores s ON s.answer_id = a.id WHERE a.status = 'done' "
            "GROUP BY 1, 2, 3, 4, 5"  # by position: PostgreSQL refuses a constant expression here
        )
        op.execute(
            "INSERT INTO answer_days (scope, modality, day, count) "
            f"SELECT {scope}, {group}, {day}, COUNT(*) FROM answers a WHERE a.status = 'done' "
            "GROUP BY 1, 2, 3"
        )


def downgrade():
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_index('ix_answers_status_created_at')
    op.drop_table('user_counts')

    op.drop_table('answer_days')
    op.drop_table('aggregate_days')
