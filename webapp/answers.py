"""Deleting answers: rows, stored averages and media files stay consistent."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from . import media, stats
from .extensions import db
from .models import Answer, utcnow


def delete_answers(answers) -> int:
    """Delete answers with their scores, their contribution to the averages and their files.

    The rows go in one transaction; the files are removed after it commits, so a failure
    never leaves a row pointing at a deleted file.
    """
    paths = []
    for ans in answers:
        paths.append(ans.media_path)
        stats.forget(ans)
        db.session.delete(ans)
    db.session.commit()
    for path in paths:
        media.delete(path)
    return len(paths)


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
    db.session.commit()
    for path in paths:
        media.delete(path)
    return len(paths)
