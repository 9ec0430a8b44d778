from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, select

from ..extensions import db, login_limit, login_manager, register_limit
from ..answers import delete_answers
from ..models import Answer, User
from . import bp
from .forms import LoginForm, RegisterForm


@login_manager.user_loader
def load_user(user_id):
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.active else None


def _safe_next(target):
    if target and not urlsplit(target).netloc and target.startswith("/") and not target.startswith("//"):
        return target
    return None


@bp.route("/register", methods=["GET", "POST"])
@register_limit
def register():
    if current_user.is_authenticated:
        return redirect(url_for("interview.questions"))
    form = RegisterForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        exists = db.session.execute(select(User).where(func.lower(User.email) == email)).scalar_one_or_none()
        if exists:
            form.email.errors.append("An account with this e-mail already exists.")
        else:
            user = User(email=email, role="candidate")
            user.set_password(form.password.data)
            db.session.add(user)
            db.session.commit()
            login_user(user)
            flash("Welcome! Pick a question to practise.", "success")
            return redirect(url_for("interview.questions"))
    return render_template("auth/register.html", form=form), (400 if form.errors else 200)


@bp.route("/login", methods=["GET", "POST"])
@login_limit
def login():
    if current_user.is_authenticated:
        return redirect(url_for("interview.questions"))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.execute(select(User).where(func.lower(User.email) == email)).scalar_one_or_none()
        if user is None or not user.check_password(form.password.data):
            form.password.errors.append("Wrong e-mail or password.")
        elif not user.active:
            form.email.errors.append("This account has been deactivated.")
        else:
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")) or url_for("interview.questions"))
    return render_template("auth/login.html", form=form), (400 if form.errors else 200)


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("index"))


@bp.get("/account")
@login_required
def account():
    n_answers = db.session.scalar(select(func.count()).select_from(Answer).where(Answer.user_id == current_user.id))
    return render_template("auth/account.html", n_answers=n_answers)


@bp.post("/account/delete-data")
@login_required
def delete_my_data():
    """Delete all of the candidate's answers and media; the account stays."""
    answers = db.session.execute(select(Answer).where(Answer.user_id == current_user.id)).scalars().all()
    n = delete_answers(answers)
    flash(f"Deleted {n} answers and their files.", "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/delete")
@login_required
def delete_account():
    """Delete the account with all its answers and media."""
    user = db.session.get(User, current_user.id)
    delete_answers(db.session.execute(select(Answer).where(Answer.user_id == user.id)).scalars().all())
    logout_user()
    db.session.delete(user)
    db.session.commit()
    flash("Your account and all your data were deleted.", "success")
    return redirect(url_for("index"))
