from flask import Blueprint, jsonify
from flask_login import login_required

from ..access import owned_answer

bp = Blueprint("api", __name__)


@bp.get("/answers/<int:answer_id>/status")
@login_required
def answer_status(answer_id):
    ans = owned_answer(answer_id)
    from ..jobs import progress_note, wait_figures
    from ..labels import status_name
    # status_name: the words of the attempts table's Status cell, which progress.js keeps in step with the message;
    # queued_ahead, typical_seconds, wait: how long it may take, from the queue and recent analyses (jobs.wait_figures)
    return jsonify(id=ans.id, status=ans.status, status_name=status_name(ans.status, True), progress=ans.progress,
                   message=progress_note(ans), error=ans.error, **wait_figures(ans))


@bp.get("/practice/<int:session_id>/status")
@login_required
def practice_status(session_id):
    """A mock interview's answers and their analyses, for its report page while they run."""
    from ..practice import service
    return jsonify(service.status(service.owned_session(session_id)))
