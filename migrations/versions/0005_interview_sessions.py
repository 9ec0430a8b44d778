"""mock interview sessions (interview_sessions, answers.session_id)

Revision ID: 0005
Revises: 0004
Create Date: 2027-01-20

* ``interview_sessions``: one mock interview of a candidate (mode, category or "mixed", the
  question ids in the order asked as a JSON list, the position of the next question, when it was
  started and finished). Deleted with its user (ON DELETE CASCADE). On SQLite the table has
  AUTOINCREMENT like users/answers (0003): its ids appear in URLs and are never handed out again.
* ``answers.session_id``: the session an answer was given in, NULL for a single practice answer;
  deleting a session keeps its answers (ON DELETE SET NULL). Existing answers get NULL.
* SQLite adds the foreign key by rebuilding ``answers`` (batch mode) and keeps its AUTOINCREMENT;
  ``migrations/env.py`` switches foreign keys off around the rebuild, so scores are kept.
  PostgreSQL adds the column, the index and the constraint in place.
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

FK_NAME = 'fk_answers_session_id_interview_sessions'


def _sqlite():
    return op.get_bind().dialect.name == "sqlite"


def _answers_batch():
    kwargs = {"table_kwargs": {"sqlite_autoincrement": True}} if _sqlite() else {}
    return op.batch_alter_table('answers', schema=None, **kwargs)


def upgrade():
    op.create_table('interview_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('mode', sa.String(length=10), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('question_ids', sa.JSON(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sqlite_autoincrement=True,
    )
    with op.batch_alter_table('interview_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interview_sessions_user_id'), ['user_id'], unique=False)

    with _answers_batch() as batch_op:
        batch_op.add_column(sa.Column('session_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_answers_session_id'), ['session_id'], unique=False)
        batch_op.create_foreign_key(FK_NAME, 'interview_sessions', ['session_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with _answers_batch() as batch_op:
        batch_op.drop_constraint(FK_NAME, type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_answers_session_id'))
        batch_op.drop_column('session_id')
    with op.batch_alter_table('interview_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interview_sessions_user_id'))
    op.drop_table('interview_sessions')
