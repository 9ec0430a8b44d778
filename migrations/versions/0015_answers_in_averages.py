"""answers.in_averages: whether an analysed answer's results are in the stored averages

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06

Admins' own answers (an admin trying the product) no longer count in the averages, word lists and daily figures
that candidates are compared with (webapp.stats.record). Each answer says whether its results went in, so that
deleting it takes out exactly what it added, whatever its author's role has become since. Every answer stored
before this revision was added (the old rule counted everyone's): they start at true, and ``flask
forget-admin-answers`` (run by ``flask upgrade``) then takes the current admins' answers out.
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def _answers_batch():
    """SQLite rebuilds the table to drop a column: keep its AUTOINCREMENT (ids of deleted answers never reused)."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    return op.batch_alter_table('answers', schema=None,
                                **({"table_kwargs": {"sqlite_autoincrement": True}} if sqlite else {}))


def upgrade():
    with _answers_batch() as batch_op:
        batch_op.add_column(sa.Column('in_averages', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade():
    # the older code counts every analysed answer: an answer left out here would be subtracted at its deletion
    # without ever having been added. Downgrading therefore needs the admins' answers added back first, which only
    # this release's code knows how to do: refuse rather than leave the averages wrong.
    bind = op.get_bind()
    left_out = bind.execute(sa.text("SELECT count(*) FROM answers WHERE status = 'done' AND NOT in_averages")).scalar()
    if left_out:
        raise RuntimeError(f"Not downgraded: analysed answers of admins are not in the averages ({left_out}), and the "
                           "older code would take them out again when they are deleted. Delete those answers first, or "
                           "stay on this release.")
    with _answers_batch() as batch_op:
        batch_op.drop_column('in_averages')
