"""Deleting answers: rows, stored averages and media files stay consistent."""
from __future__ import annotations

from datetime import timedelta
from typing import NamedTuple

from sqlalchemy import select, update

from . import media, stats
from .drafts import draft_key, draft_marks
from .extensions import db
from .modelinfo import text_words
from .models import Answer, User, utcnow
from .sqlite import forget_deleted_pages


def answers_of(user_id: int, limit: int | None = None) -> list[Answer]:
    """A candidate's answers, newest first, with their questions (one query each): My answers, and the admin's list."""
    from sqlalchemy.orm import selectinload
    q = (select(Answer).options(selectinload(Answer.question)).where(Answer.user_id == user_id)
         .order_by(Answer.created_at.desc(), Answer.id.desc()))
    return list(db.session.scalars(q if limit is None else q.limit(limit)))


def transcript_unreliable(a: Answer) -> bool:
    """Whether a recording's transcript is flagged as unreliable (unclear, not English, repeating itself; "no speech"
    is not: it has no words at all): its page leaves its words, pace and fillers out, so no table or export gives a
    count of its words (a review saw "195" words listed for a 21-second answer whose page called them unreliable)."""
    if a.modality in ("text", "pdf"):
        return False
    speech = (a.result if isinstance(a.result, dict) else {}).get("speech")
    return isinstance(speech, dict) and bool(set(speech.get("flags") or []) - {"no_speech"})


def words_shown(a: Answer) -> int | None:
    """An answer's words as a candidate sees them counted everywhere (the length rule's count, filler sounds such as
    "um" left out: modelinfo.text_words): a typed or PDF answer's text (a PDF once it is read), a recording's
    transcript once the speech channel has one; None where there is none to give (a PDF not read yet or unreadable,
    a recording before its transcript, one flagged unreliable: transcript_unreliable), never the 0 a recording's row
    holds. The stored counts include fillers. The one rule of the tables (dashboard/_words.html), the data export
    (export.py) and the key figures (practice.figures.key_figures: the progress page, the mock report), which leave
    out a recording flagged "no speech" as well (its 0 is not a length to chart or judge): a review saw 131 in a
    table and 129 on the progress page for one answer, and the export counted "Um, I planned it" as 4 words where
    every page said 3."""
    if a.modality == "pdf" and not a.word_count:
        return None
    if a.modality in ("text", "pdf"):
        return text_words(a.text) if a.text else a.word_count
    speech = (a.result if isinstance(a.result, dict) else {}).get("speech") or {}
    if not isinstance(speech, dict) or transcript_unreliable(a):
        return None
    return text_words(speech["text"]) if isinstance(speech.get("text"), str) else speech.get("word_count")


def answer_draft_key(user_id: int, question_id: int, practice=None) -> str:
    """The name of a written answer's draft in the browser tab (webapp.drafts): the account, then the question and
    the mock interview, if any."""
    return draft_key(user_id, f"{question_id}" + (f"-{practice.id}" if practice else ""))


def posted_answer_draft(question_id) -> dict | None:
    """The draft marks (webapp.drafts.draft_marks) for the written answer to ``question_id`` that a request sent
    signed out (its session ended in another tab) names in its hidden "draft" field (templates/interview/text.html,
    signed_out.html), or None when it names none of this question. Signed out, the account is not known here: the key comes from the form, which had it from the
    page (answer_draft_key), and only names where this browser tab keeps the text it sent. No last save is read
    (nobody is signed in): the signed-out page keeps the text as the draft, which is newer than any save."""
    import re

    from flask import request
    key = request.form.get("draft", "")
    if not isinstance(question_id, int) or not re.fullmatch(rf"\d{{1,18}}:{question_id}(?:-\d{{1,18}})?", key):
        return None
    return draft_marks(key, None)


def answer_draft_marks(user_id: int, question_id: int, practice=None) -> dict:
    """What the written-answer form's draft script needs (webapp.drafts.draft_marks): the last save is the candidate's
    latest written answer to the question. A draft saved in the browser before that answer was sent with it; a later
    one was not (a reliability review: an answer sent while the server was down was gone after Back)."""
    from sqlalchemy import func
    latest = db.session.scalar(select(func.max(Answer.created_at)).where(
        Answer.user_id == user_id, Answer.question_id == question_id, Answer.modality.in_(("text", "pdf"))))
    return draft_marks(answer_draft_key(user_id, question_id, practice), latest)


_ASKED_SALT = "asked-wording"
#: seconds a page's signed wording is taken for (a page kept open over a weekend then answers the wording of the
#: moment): a wording an admin withdrew cannot be given to answers for ever (a diff review)
ASKED_MAX_AGE = 3 * 24 * 3600


def _asked_signer():
    from flask import current_app
    from itsdangerous import URLSafeTimedSerializer
    return URLSafeTimedSerializer(current_app.secret_key, salt=_ASKED_SALT)


def asked_token(question) -> str:
    """The question's wording as the page shows it, signed (a hidden field of the answer forms and the recorder):
    an answer keeps the wording its candidate saw, not one an admin saved while they answered (an admin review)."""
    return _asked_signer().dumps([question.id, question.text])


def asked_wording(question_id: int, token: str | None) -> str | None:
    """The wording ``token`` (asked_token) carries for this question, or None (none sent, not this question's, or
    not signed by this site, or older than ASKED_MAX_AGE: the answer then keeps the wording of the moment,
    models._keep_the_wording_answered)."""
    from itsdangerous import BadData
    if not token or len(token) > 8000:
        return None
    try:
        qid, text = _asked_signer().loads(token, max_age=ASKED_MAX_AGE)
    except (BadData, TypeError, ValueError):
        return None
    return text if qid == question_id and isinstance(text, str) and text.strip() else None


def lock_answers(*where, ids=None, options=()) -> list[Answer]:
    """Lock answers until the caller's transaction ends and read them again: the step before changing what an answer
    added to the averages (deleting it, taking it or some of its scores out, adding a score), so that a deletion, a
    promotion (take_out_of_averages) or a job storing a result at the same moment either commits first, and is seen
    here, or waits for this transaction and sees what it did: no figure is left in the averages that nothing takes
    out, and none is taken out twice.

    ``ids``: the answers to lock, those the caller read and chose before (the ones deleted since are skipped). Without
    it, the answers that match ``where`` when the lock is taken (a caller that read none before: take_out_of_averages).
    Returns, in the order of their ids, the locked answers that still exist and match ``where`` once read again,
    loaded with ``options`` (e.g. selectinload): a row that changed before the lock no longer matches and is left out;
    anything more the caller judges in Python (a stored result) it judges again on these.

    - The rows are locked in the order of their ids (PostgreSQL: SELECT ... ORDER BY id FOR UPDATE), so two
      transactions sharing answers (two deletions from two tabs of one candidate, a deletion and a data step) wait for
      each other instead of each locking a part in the table's scan order and deadlocking.
    - SQLite has no row locks and ignores FOR UPDATE: a no-op UPDATE of the rows is the transaction's first write
      (when nothing was written yet), which takes the database's write lock (waiting up to its busy timeout) before
      they are read again.
    - They are read again with populate_existing: the session may hold them as read before the lock (the caller's
      list, a page's query), and a plain query would give back those stale objects, not what another transaction
      committed in between."""
    if ids is not None:
        ids = sorted(set(ids))
        if not ids:
            return []
        chosen = (Answer.id.in_(ids),)
    elif where:
        chosen = where
    else:
        raise ValueError("lock_answers: no ids and no condition (it would lock every answer)")
    locked = db.session.scalars(select(Answer.id).where(*chosen).order_by(Answer.id).with_for_update()).all()
    if not locked:
        return []
    db.session.execute(update(Answer).where(Answer.id.in_(locked)).values(claim_token=Answer.claim_token)
                       .execution_options(synchronize_session=False))
    return list(db.session.scalars(select(Answer).where(Answer.id.in_(locked), *where).options(*options)
                                   .order_by(Answer.id).execution_options(populate_existing=True)))


class Deleted(NamedTuple):
    """What delete_answers did, read under its lock, for the message after a deletion (wording.scores_leave)."""
    answers: int  # answers deleted
    scored: int  # of them, those that were in the averages (stats.counted)
    waiting: int  # removals of their results that now wait for their batch (stats.still_waiting)
    stuck: int = 0  # files the disk refused to delete (media.delete), left for sweep_orphans (wording.files_stuck)


def delete_answers(answers, also=()) -> Deleted:
    """Delete answers with their scores, their contribution to the averages and their files
    (and the objects `also`, e.g. their user, in the same transaction).

    The rows go in one transaction; the files are removed after it commits, so a failure
    never leaves a row pointing at a deleted file. The answers are locked and read again first: a
    job that stores its result at the same moment (one UPDATE of the answer, then its scores and
    stats.record, in one transaction) either commits before, and its result is then taken out of
    the averages here, or finds the answer gone and stores nothing. What was in the averages is
    read then too (Deleted): read before the lock, a promotion committed meanwhile (take_out_of_averages)
    made the message say scores left the averages that were no longer in them.
    """
    answers = lock_answers(ids=[a.id for a in answers])  # those deleted meanwhile are gone
    scored = sum(map(stats.counted, answers))
    with stats.new_changes() as added:
        stats.forget_all(answers, leaving=[obj.id for obj in also if isinstance(obj, User)])
    waiting = stats.still_waiting(added, -1)
    paths = []
    for ans in answers:
        paths.append(ans.media_path)
        db.session.delete(ans)
    for obj in also:
        if isinstance(obj, User):  # what waits to leave the averages no longer names the account
            stats.unlink(obj.id)
        db.session.delete(obj)
    db.session.commit()
    stuck = sum(media.delete(path) for path in paths)
    forget_deleted_pages(db.engine)
    return Deleted(len(paths), scored, waiting, stuck)


def take_out_of_averages(user_ids) -> int:
    """Take every analysed answer of these accounts that is in the averages (Answer.in_averages) out of them and mark
    it so, in the caller's transaction: what making a candidate an admin does (stats.COUNTED_ROLE: admins' answers are
    in no stored figure), and `flask forget-admin-answers` for the admins of before that rule. Returns how many
    answers left the averages. Safe to run again: an answer out of them is passed over.

    The answers are locked in the order of their ids and read again, as delete_answers does: a deletion at the same
    moment either goes first (the answer is gone) or finds it out of the averages, and takes nothing out twice."""
    ids = sorted({i for i in user_ids if i is not None})  # (an account not stored yet has no answers)
    if not ids:
        return 0
    # no ids: the answers locked are those counted when the lock is taken (none is read before it)
    answers = lock_answers(Answer.user_id.in_(ids), stats.counted(Answer))
    if not answers:
        return 0
    # then the accounts' rows, before any stored figure: a job storing a result reads its author's role under a share
    # lock (stats.author_counts) before it locks the figures, so taking the figures first could deadlock with it
    # (each waiting for the other); in this order the job waits for the role, or goes first and is found afterwards
    db.session.execute(select(User.id).where(User.id.in_(ids)).order_by(User.id).with_for_update())
    stats.forget_all(answers)
    for answer in answers:
        answer.in_averages = False
    db.session.flush()
    return len(answers)


def put_back_in_averages(user_ids) -> int:
    """Put every analysed answer of these accounts that is out of the averages while its author is an admin
    (stats.out_while_admin: sent as a candidate, taken out by a promotion) back into them, in the caller's transaction,
    after their role was made a candidate again (set_role): they count again, as if just analysed (stats.record_all).
    The answers they gave as an admin (Answer.given_as_admin) stay out. Returns how many came back. Safe to run again:
    an answer in the averages is passed over.

    The locks are take_out_of_averages's, in its order (the answers by id, then the accounts' rows, then the figures),
    so a deletion at the same moment either goes first (the answer is gone) or finds it back in the averages and takes
    it out once."""
    from sqlalchemy.orm import selectinload
    ids = sorted({i for i in user_ids if i is not None})
    if not ids:
        return 0
    answers = lock_answers(Answer.user_id.in_(ids), stats.out_while_admin(Answer),
                           options=(selectinload(Answer.scores),))
    if not answers:
        return 0
    db.session.execute(select(User.id).where(User.id.in_(ids)).order_by(User.id).with_for_update())
    n = stats.record_all(answers)
    db.session.flush()
    return n


def set_role(user: User, role: str) -> int:
    """Give `user` the role `role`, in the caller's transaction (the caller commits). An account that stops being a
    candidate has its answers taken out of the averages (take_out_of_averages); one that becomes a candidate again has
    the answers it gave as a candidate put back (put_back_in_averages), while those it gave as an admin stay out, and
    the ones it gives from now on count. Returns how many answers left the averages, or came back into them."""
    if role == stats.COUNTED_ROLE:
        # as below, in the same order: the answers to put back locked first (before the account's row, as a
        # deletion of the account locks them), then the role, then every such answer again, with any a job stored
        # meanwhile (it read the admin's role, and left its answer out) before the role was written
        lock_answers(Answer.user_id == user.id, stats.out_while_admin(Answer))
        user.role = role
        db.session.flush()
        return put_back_in_averages([user.id])
    # its counted answers first (locked in the order of their ids before the account's row, the order of a deletion
    # of the account), then the role (the account's row written, and on PostgreSQL locked), then any answer a job
    # stored in between: a job reads the role under a share lock (stats.author_counts), so it either stored its answer
    # before the role was written, and it is found now, or waits for this transaction and reads the new role
    n = take_out_of_averages([user.id])
    user.role = role
    db.session.flush()
    return n + take_out_of_averages([user.id])


def delete_account_and_data(user: User) -> Deleted:
    """Delete an account with all its answers (taken out of the averages), their files and its mock
    interviews, in one transaction, then its media folder; returns what went (delete_answers)."""
    user_id = user.id
    done = delete_answers(db.session.scalars(select(Answer).where(Answer.user_id == user_id)).all(), also=[user])
    # the upload checks' lock file named after the account (webapp.sandbox.slot: its date is the account's first
    # upload); safe to delete now, as nobody can upload for an account that is gone
    media.discard(media.lock_dir() / f"owner-{int(user_id)}.lock")
    return done._replace(stuck=media.delete_user_folder(user_id))


def hold_candidate(user_id: int) -> None:
    """Make the caller's transaction the only one holding this candidate until it commits or rolls back:
    another request calling this (or writing the candidate's row) waits, so a check-then-insert (the
    double-submit check) cannot be passed by two requests at once. Other writes do not wait.

    A no-op UPDATE of the candidate's row: PostgreSQL locks the row, so a second request waits here and
    its next statement sees what the first committed; on SQLite it is the transaction's first write,
    which takes the database's write lock (waiting up to its busy timeout) before anything is read."""
    db.session.execute(update(User).where(User.id == user_id).values(created_at=User.created_at)
                       .execution_options(synchronize_session=False))


def sweep_orphans(min_age_s: float | None = None) -> int:
    """Delete the files in candidates' media folders (MEDIA_DIR/<id>/) that no answer points at, neither as its file
    nor as one derived from it (its heat map), once they are ``min_age_s`` old (default media.TEMP_MAX_AGE_S: an
    upload's file is written moments before its answer's row is committed): what a deletion could not delete
    (media.delete logs it), and the folder of an account that is gone once it is empty. Returns how many files went.
    Run by ``flask purge-media``.

    It deletes nothing, and raises OrphanSweepRefused, when it would delete more than SWEEP_MAX_SHARE of the files (and
    more than SWEEP_MAX_FILES): the database it reads is then most likely not the one these files belong to (a restore
    of the files before the database, a DATABASE_URL pointing at another instance), not a few failed deletions."""
    import time

    from flask import current_app

    root = media.media_root()
    if not root.is_dir():
        return 0
    limit = time.time() - (media.TEMP_MAX_AGE_S if min_age_s is None else min_age_s)
    named = set(db.session.scalars(select(Answer.media_path).where(Answer.media_path.is_not(None))))
    accounts = set(db.session.scalars(select(User.id)))
    files, orphans = 0, []
    for folder in root.iterdir():
        if not folder.name.isdecimal() or not folder.name.isascii() or folder.is_symlink() or not folder.is_dir():
            continue  # tmp/ (media.sweep_temp), anything an operator keeps there
        for path in folder.iterdir():
            if not path.is_file() or path.is_symlink():
                continue
            files += 1
            rel = f"{folder.name}/{path.name}"
            # its own answer's file, or one derived from it (media.derived: the file's name and a suffix)
            if any(rel[:i] in named for i in range(len(rel), 0, -1) if i == len(rel) or rel[i] == "."):
                continue
            try:
                if path.stat().st_mtime < limit:
                    orphans.append(path)
            except OSError:
                pass
    if len(orphans) > SWEEP_MAX_FILES and len(orphans) > SWEEP_MAX_SHARE * files:
        raise OrphanSweepRefused(len(orphans), files)
    removed = 0
    for path in orphans:
        try:
            path.unlink()
            removed += 1
        except OSError as exc:
            current_app.logger.error("could not delete the stored file %s/%s that no answer names (%s)",
                                     path.parent.name, path.name, exc.strerror or exc)
    for folder in {p.parent for p in orphans}:
        if int(folder.name) not in accounts:
            media.remove_empty_user_folder(int(folder.name))
    return removed


#: the orphan sweep refuses to delete more than this many files when they are also more than this share of all
SWEEP_MAX_FILES, SWEEP_MAX_SHARE = 20, 0.05


class OrphanSweepRefused(Exception):
    """sweep_orphans would delete too many files for them to be left by failed deletions: (orphans, files)."""

    def __str__(self) -> str:
        n, files = self.args
        return (f"{n} of the {files} files in the media folder are named by no answer in this database: it is "
                "probably not the database these files belong to (check DATABASE_URL and MEDIA_DIR, and restore the "
                "database with its media). Nothing was deleted.")


def purge_media_older_than(days: int) -> int:
    """Retention: remove recordings/PDFs older than `days`; the answers and scores stay."""
    limit = utcnow() - timedelta(days=days)
    answers = db.session.execute(
        select(Answer).where(Answer.media_path.is_not(None), Answer.created_at < limit,
                             Answer.status.in_(("done", "failed")))
    ).scalars().all()
    paths = [a.media_path for a in answers]
    for a in answers:
        a.media_path = None
        a.original_filename = None  # the candidate's own file name ("Jane_Doe_CV.pdf") goes with the file
    db.session.commit()
    for path in paths:
        media.delete(path)
    return len(paths)
