"""a word is listed for others only when enough candidates wrote it (word_counts.people, word_users)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05

The lists of other candidates' most frequent words were held back on the number of answers and
candidates behind the whole list, so one candidate who repeated a name, an employer or a place
could fill a list that others saw. Now a word is listed only when at least
``webapp.stats.MIN_OTHERS_PEOPLE`` candidates other than the viewer wrote it: ``word_users`` counts,
per scope and word, the counted answers of each candidate that contain it, and
``word_counts.people`` the candidates with at least one. Both are filled here from what is counted
now: the analysed written answers whose words are not waiting for their batch. A deleted answer's
counted words now leave at once instead of waiting for a batch (nothing of a deleted text is kept):
the removals with words still waiting are applied here, as ``webapp.stats._release`` would have
applied them, and deleted. Word rows counted to 0 are deleted.
"""
import json
from collections import Counter

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('word_users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=20), nullable=False),
    sa.Column('word', sa.String(length=40), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('answers', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('scope', 'word', 'user_id', name='uq_word_user')
    )
    with op.batch_alter_table('word_users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_word_users_user_id'), ['user_id'], unique=False)
    with op.batch_alter_table('word_counts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('people', sa.Integer(), server_default='0', nullable=False))
    _backfill()


def _apply_waiting_removals(bind):
    """The removals of counted words still waiting (sign -1, with words), applied now: out of word_counts,
    and out of the number of answers and of candidates behind the words (aggregates and contributors of
    family 'words'; a candidate whose account is gone, under a stand-in id, leaves once per scope)."""
    rows = bind.execute(sa.text("SELECT id, scope, modality, user_id, words FROM pending_results "
                                "WHERE words IS NOT NULL AND sign = -1 ORDER BY id")).all()
    users = {u for (u,) in bind.execute(sa.text("SELECT id FROM users"))}
    left = set()
    for _id, scope, modality, user_id, words in rows:
        for word, n in (json.loads(words) if isinstance(words, str) else words).items():
            bind.execute(sa.text("UPDATE word_counts SET count = count - :n WHERE scope = :s AND word = :w"),
                         {"n": int(n), "s": scope, "w": word})
        key = {"s": scope, "m": modality}
        if user_id in users:
            bind.execute(sa.text("UPDATE contributors SET answers = answers - 1 WHERE scope = :s AND modality = :m "
                                 "AND family = 'words' AND label = '' AND user_id = :u"), {**key, "u": user_id})
            after = bind.execute(sa.text("SELECT answers FROM contributors WHERE scope = :s AND modality = :m "
                                         "AND family = 'words' AND label = '' AND user_id = :u"),
                                 {**key, "u": user_id}).scalar()
            people = -1 if after is not None and after <= 0 else 0
        else:
            people = 0 if (scope, modality, user_id) in left else -1
            left.add((scope, modality, user_id))
        bind.execute(sa.text("UPDATE aggregates SET count = count - 1, people = people + :p WHERE scope = :s "
                             "AND modality = :m AND family = 'words' AND label = ''"), {**key, "p": people})
    if rows:
        bind.execute(sa.text("DELETE FROM pending_results WHERE words IS NOT NULL AND sign = -1"))


def _backfill():
    from webapp.textstats import content_word_counts

    bind = op.get_bind()
    _apply_waiting_removals(bind)
    waiting = {(answer_id, scope) for answer_id, scope in bind.execute(sa.text(
        "SELECT answer_id, scope FROM pending_results WHERE words IS NOT NULL AND sign = 1"))}
    per = Counter()  # (scope, word, user id) -> counted answers with the word
    for answer_id, user_id, question_id, text in bind.execute(sa.text(
            "SELECT id, user_id, question_id, text FROM answers WHERE status = 'done' AND text IS NOT NULL")):
        words = content_word_counts(text)
        for scope in ("all", f"q:{question_id}"):
            if words and (answer_id, scope) not in waiting:
                for word in words:
                    per[(scope, word, user_id)] += 1
    if per:
        bind.execute(sa.text("INSERT INTO word_users (scope, word, user_id, answers) "
                             "VALUES (:scope, :word, :user_id, :answers)"),
                     [{"scope": s, "word": w, "user_id": u, "answers": n} for (s, w, u), n in sorted(per.items())])
    people = Counter((s, w) for (s, w, _u) in per)
    if people:
        bind.execute(sa.text("UPDATE word_counts SET people = :p WHERE scope = :s AND word = :w"),
                     [{"p": p, "s": s, "w": w} for (s, w), p in sorted(people.items())])
    bind.execute(sa.text("DELETE FROM word_counts WHERE count <= 0"))


def downgrade():
    with op.batch_alter_table('word_counts', schema=None) as batch_op:
        batch_op.drop_column('people')
    with op.batch_alter_table('word_users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_word_users_user_id'))
    op.drop_table('word_users')
