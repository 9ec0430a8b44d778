"""talking points of a question (questions.talking_points)

Revision ID: 0004
Revises: 0003
Create Date: 2027-01-10

* ``questions.talking_points``: a JSON list of short key phrases a good answer covers
  (matched by ``ml.points``). Existing questions get an empty list through the server
  default ``'[]'`` (valid JSON text on SQLite, cast to ``json`` on PostgreSQL);
  ``flask seed-questions`` fills in the seeded questions' points afterwards.
* Upgrading adds the column in place. Downgrading on SQLite drops it by rebuilding the table:
  the rebuild keeps AUTOINCREMENT (0003), and
  ``migrations/env.py`` switches foreign keys off around it so answers are kept.
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def _sqlite():
    return op.get_bind().dialect.name == "sqlite"


def upgrade():
    # a plain ALTER TABLE ... ADD COLUMN on both databases: no table rebuild on SQLite
    op.add_column('questions', sa.Column('talking_points', sa.JSON(), nullable=False,
                                         server_default=sa.text("'[]'")))


def downgrade():
    kwargs = {"table_kwargs": {"sqlite_autoincrement": True}} if _sqlite() else {}
    with op.batch_alter_table('questions', schema=None, **kwargs) as batch_op:
        batch_op.drop_column('talking_points')
