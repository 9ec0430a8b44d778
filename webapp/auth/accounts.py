"""Deleting one's own account, from the account page or from the page a deactivated account's log-in opens
(webapp.auth.deactivated): the rule that keeps the site with an administrator, and the deletion itself."""
from __future__ import annotations

from sqlalchemy import func, select

from ..answers import delete_account_and_data
from ..extensions import db
from ..models import User
from ..wording import files_stuck, scores_leave


def leaves_no_admin(user: User) -> bool:
    """Whether deleting `user` would leave the site without an active administrator (getting one back then takes a
    shell: flask create-admin). Only an admin's account can; a deactivated admin does not count as another."""
    return user.is_admin and not db.session.scalar(select(func.count()).select_from(User).where(
        User.role == "admin", User.active.is_(True), User.id != user.id))


def delete_own_account(user: User) -> str:
    """Delete `user` with all their answers (out of the averages: answers.delete_account_and_data), files and mock
    interviews; returns what to tell them. The caller checks ``leaves_no_admin`` first."""
    done = delete_account_and_data(user)  # (an admin's answers are in no average: none scored)
    return ("Your account and all your answers, files and mock interviews were deleted."
            + scores_leave(done.waiting, done.scored, "Your") + files_stuck(done.stuck))
