"""Ownership checks: a candidate sees only their own answers; admins see all."""
from flask import abort
from flask_login import current_user

from .extensions import db
from .models import Answer


def owned_answer(answer_id: int) -> Answer:
    answer = db.session.get(Answer, answer_id)
    # 404 rather than 403, so identifiers of other candidates' answers cannot be probed.
    if answer is None or (answer.user_id != current_user.id and not current_user.is_admin):
        abort(404)
    return answer
