"""a written answer's words wait for their batch too (pending_results.words)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04

The most frequent words of other candidates' written answers now move in batches, like the
averages (``webapp.stats``): a word list read before and after one new answer no longer shows that
answer's words. A waiting answer's words are one ``pending_results`` row per scope, with the
counts in ``words``. Word lists are held back on the number of answers, and of candidates, whose
words are counted: the aggregate and contributor rows of family 'words' (label ''), which move with
the word counts. They are filled here from the analysed answers already stored, whose words are
all counted (as ``webapp.stats.record`` counts them: answers whose text has content words).
"""
from collections import Counter

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('pending_results', schema=None) as batch_op:
        batch_op.add_column(sa.Column('words', sa.JSON(), nullable=True))
    _backfill()


def _backfill():
    from webapp.textstats import content_word_counts

    bind = op.get_bind()
    per = Counter()  # (scope, modality group, user id) -> answers whose words are counted
    for user_id, question_id, modality, text in bind.execute(sa.text(
            "SELECT user_id, question_id, modality, text FROM answers WHERE status = 'done' AND text IS NOT NULL")):
        if content_word_counts(text):
            group = "text" if modality in ("text", "pdf") else modality
            for scope in ("all", f"q:{question_id}"):
                per[(scope, group, user_id)] += 1
    bind.execute(sa.text("DELETE FROM contributors WHERE family = 'words' AND label = ''"))
    if per:
        bind.execute(sa.text(
            "INSERT INTO contributors (scope, modality, family, label, user_id, answers) "
            "VALUES (:scope, :modality, 'words', '', :user_id, :answers)"),
            [{"scope": s, "modality": g, "user_id": u, "answers": n} for (s, g, u), n in sorted(per.items())])
    totals = Counter()
    people = Counter()
    for (s, g, _u), n in per.items():
        totals[(s, g)] += n
        people[(s, g)] += 1
    bind.execute(sa.text("UPDATE aggregates SET count = 0, people = 0 WHERE family = 'words' AND label = ''"))
    for (s, g), n in sorted(totals.items()):
        moved = bind.execute(sa.text(
            "UPDATE aggregates SET count = :n, people = :p "
            "WHERE scope = :s AND modality = :g AND family = 'words' AND label = ''"),
            {"n": n, "p": people[(s, g)], "s": s, "g": g}).rowcount
        if not moved:
            bind.execute(sa.text(
                "INSERT INTO aggregates (scope, modality, family, label, count, total, total_sq, people) "
                "VALUES (:s, :g, 'words', '', :n, 0, 0, :p)"), {"n": n, "p": people[(s, g)], "s": s, "g": g})


def downgrade():
    # Words still waiting for their batch are counted (or taken out) at once, as before this
    # revision: a deletion under the older code then takes out exactly what was counted. The 'words'
    # aggregate and contributor rows stay (unread before this revision; an upgrade counts them again).
    import json

    bind = op.get_bind()
    delta = Counter()
    for scope, sign, words in bind.execute(sa.text(
            "SELECT scope, sign, words FROM pending_results WHERE words IS NOT NULL")):
        for word, n in (json.loads(words) if isinstance(words, str) else words).items():
            delta[(scope, word)] += int(sign) * int(n)
    for (scope, word), n in sorted(delta.items()):
        if n and not bind.execute(sa.text("UPDATE word_counts SET count = count + :n WHERE scope = :s AND word = :w"),
                                  {"n": n, "s": scope, "w": word}).rowcount:
            bind.execute(sa.text("INSERT INTO word_counts (scope, word, count) VALUES (:s, :w, :n)"),
                         {"n": n, "s": scope, "w": word})
    op.execute("DELETE FROM pending_results WHERE words IS NOT NULL")
    with op.batch_alter_table('pending_results', schema=None) as batch_op:
        batch_op.drop_column('words')
