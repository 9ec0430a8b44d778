"""answers.given_as_admin: whether an answer is an admin's own, which no role change brings into the averages

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07

Making a candidate an admin takes their analysed answers out of the averages (0015, answers.in_averages); making the
admin a candidate again put none back, so a candidate made an admin by mistake had their answers out of every figure
for good (a review). An answer now says whether its author was an admin when it was sent (webapp.stats._given_as):
those stay out; the others come back with the role of a candidate (webapp.answers.put_back_in_averages). The history
of the answers stored before is unknown: every analysed answer out of the averages now, and every answer of an account
that is an admin now (analysed or not: ``flask forget-admin-answers`` takes the counted ones of an instance older than
0015 out after this), is marked as an admin's, so that they stay out, as they did.
"""
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


@contextmanager
def _answers_batch():
    """SQLite rebuilds the table to drop a column: keep its AUTOINCREMENT and its counter, so that the ids of deleted
    answers are never given again (as 0016 does for the questions)."""
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    seq = "SELECT seq FROM sqlite_sequence WHERE name = 'answers'"
    before = bind.execute(sa.text(seq)).scalar() if sqlite else None
    with op.batch_alter_table('answers', schema=None,
                              **({"table_kwargs": {"sqlite_autoincrement": True}} if sqlite else {})) as batch_op:
        yield batch_op
    if before is not None:
        after = bind.execute(sa.text(seq)).scalar() or 0
        bind.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = 'answers'"))
        bind.execute(sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES ('answers', :seq)"),
                     {"seq": max(before, after)})


def upgrade():
    with _answers_batch() as batch_op:
        batch_op.add_column(sa.Column('given_as_admin', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute("UPDATE answers SET given_as_admin = true WHERE (status = 'done' AND NOT in_averages) "
               "OR user_id IN (SELECT id FROM users WHERE role <> 'candidate')")


def downgrade():
    # the older code puts no answer back into the averages: every answer out of them stays out, as this flag said
    # for the admins' own ones, and a deletion takes out what in_averages says went in, as before
    with _answers_batch() as batch_op:
        batch_op.drop_column('given_as_admin')
