import time
from functools import wraps
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from .. import media
from ..access import views_of
from ..extensions import db, export_limit, login_account_limit, login_limit, login_manager, password_limit, register_limit
from ..answers import delete_answers
from ..drafts import holds_drafts
from ..models import Answer, InterviewSession, User, user_by_email
from ..params import from_this_site
from ..wording import files_stuck, plural, scores_leave
from . import accounts, bp, deactivated, reset
from .forms import ChangeEmailForm, ChangePasswordForm, ConfirmPasswordForm, LoginForm, RegisterForm, ResetPasswordForm
from .passwords import password_problem

# Checked when the address is unknown, so a wrong password costs the same time either way.
_DUMMY_HASH = generate_password_hash("no account has this password")


@login_manager.user_loader
def load_user(session_token):
    """Cookies carry the user's session token, never the id: a rotated token (logout, password
    change, "sign out everywhere") or a deleted account matches nothing. Every sign-in carries ``token.until``
    (``_start_session``): after ``until`` (Unix seconds: SESSION_HOURS on, REMEMBER_DAYS with "Keep me logged in")
    it matches nothing either, whatever lifetime a copied cookie is given. The value is in the signed session cookie
    and in Flask-Login's signed remember cookie, so it cannot be changed without the secret key. A value without an
    end (a session or remember cookie issued before every sign-in had one) matches nothing: it is exactly the cookie
    that worked for ever (a security review), so its holder signs in once more."""
    if not session_token or len(session_token) > 80:
        return None
    session_token, _, until = session_token.partition(".")
    if not until.isdecimal() or not until.isascii() or int(until) < time.time():
        return None
    user = db.session.execute(select(User).where(User.session_token == session_token)).scalar_one_or_none()
    return user if user is not None and user.active else None


def _safe_next(target):
    """``target`` (a ``?next=``) if it is a path of this site, else None. urlsplit drops tabs and line breaks
    before it looks for a host, and a line break cannot go into a Location header: a target with a control
    character or a backslash (which browsers read as a slash) is refused, and so is one urlsplit cannot read."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    try:
        return None if urlsplit(target).netloc else target
    except ValueError:  # e.g. an unbalanced "[" in what would be a host
        return None


def _home(user):
    """Where a signed-in ``user`` goes by default: an admin to the admin overview, a candidate to the questions."""
    return url_for("admin.overview") if user.is_admin else url_for("interview.questions")


def _landing(user):
    """Where a log-in, or a visit to /login while signed in, leads: the request's ``next`` if it is a path of
    this site, else ``user``'s default page (``_home``)."""
    return _safe_next(request.args.get("next")) or _home(user)


def _start_session(user, remember=False):
    """A fresh session (and so a fresh CSRF token) at every log-in. It ends on the server (``load_user``) after
    SESSION_HOURS, or REMEMBER_DAYS with "Keep me logged in", not only when the browser drops its cookie: a plain
    session's cookie had no end, and a copy of it worked until the account signed out (a security review)."""
    session.clear()
    login_user(user, remember=remember)
    lifetime = current_app.config["REMEMBER_COOKIE_DURATION" if remember else "SESSION_DURATION"].total_seconds()
    session["_user_id"] = f"{user.get_id()}.{int(time.time() + lifetime)}"


def _end_session():
    logout_user()
    session.clear()


@bp.route("/register", methods=["GET", "POST"])
@register_limit
def register():
    if current_user.is_authenticated:
        return redirect(_home(current_user))
    form = RegisterForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        problem = password_problem(form.password.data, email)
        if problem:
            form.password.errors.append(problem)
            return render_template("auth/register.html", form=form), 400
        password_hash = generate_password_hash(form.password.data)  # same cost whether or not it is used
        exists = user_by_email(email) is not None
        user = None
        if not exists:
            user = User(email=email, role="candidate", password_hash=password_hash)
            db.session.add(user)
            try:
                db.session.commit()
            except IntegrityError:  # the same address signed up meanwhile (a double submit)
                db.session.rollback()
                user = None
        if user is None:
            # Neutral wording: it does not confirm that the address has an account.
            form.email.errors.append("An account could not be created with these details. "
                                     "If you already have one, log in instead.")
        else:
            _start_session(user)
            flash("Welcome! Pick a question to practise.", "success")
            return redirect(url_for("interview.questions"))
    return render_template("auth/register.html", form=form), (400 if form.errors else 200)


@bp.route("/login", methods=["GET", "POST"])
@login_limit
@login_account_limit
def login():
    if current_user.is_authenticated:  # the same page a log-in would lead to
        return redirect(_landing(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = user_by_email(email)
        if user is None:
            check_password_hash(_DUMMY_HASH, form.password.data)
            form.password.errors.append("Wrong e-mail or password.")
        elif not user.check_password(form.password.data):
            form.password.errors.append("Wrong e-mail or password.")
        elif not user.active:
            # no session (load_user refuses the account): a page to download or delete its data, nothing else
            deactivated.start(user)
            return redirect(url_for("auth.deactivated_account"))
        else:
            _start_session(user, remember=form.remember.data)
            return remember_device(redirect(_landing(user)))
    return _login_page(form, 400 if form.errors else 200)


def _login_page(form, status, refused=None):
    """The log-in page with ``form``. Sent here by a page with a draft form that needed signing in (its session
    ended), it keeps the tab's drafts until the sign-in, after which that page's form opens with what was typed
    (static/js/draft.js, webapp.drafts.holds_drafts). ``refused``: why the last try was not even checked."""
    return (render_template("auth/login.html", form=form, refused=refused,
                            hold_drafts=holds_drafts(_safe_next(request.args.get("next")))), status)


def login_again(message, status):
    """The log-in page again with ``message``, for a log-in refused before its view ran (a rate limit,
    webapp.errors). An error page there dropped the tab's drafts (it held none), and with them what was typed before
    the session ended; this page keeps them as the page of a wrong password does. The address typed is shown again
    only when the form came from this site's page. None when someone is signed in (the view would redirect)."""
    if current_user.is_authenticated:
        return None
    return _login_page(LoginForm() if from_this_site() else LoginForm(formdata=None), status, refused=message)


def remember_device(response):
    """Note on this browser (a signed cookie, for the log-in form only) that it logged in to the form's address: guesses at
    that address from elsewhere then cannot lock it out here (extensions.login_account_limit). Up to 5 addresses."""
    from ..extensions import (KNOWN_DEVICE_COOKIE, KNOWN_DEVICE_DAYS, _tried_account, device_key, device_signer,
                              known_accounts)
    key = device_key(_tried_account())  # the address of the form just accepted, as the limit keys it, hashed
    known = [k for k in known_accounts() if k != key][-4:] + [key]
    response.set_cookie(KNOWN_DEVICE_COOKIE, device_signer().dumps(known), max_age=KNOWN_DEVICE_DAYS * 86400,
                        path="/login", secure=current_app.config.get("SESSION_COOKIE_SECURE", False), httponly=True,
                        samesite="Lax")
    return response


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@login_limit
def reset_password(token):
    """The page of a password-reset link that an admin made (webapp.auth.reset)."""
    # the token is in the address: kept out of caches, and out of every Referer ("strict-origin" sends the site's
    # origin only, so the token reaches no log of a proxy either; not "no-referrer", as over HTTPS Flask-WTF refuses
    # a form posted without a Referer of this site, and the form could never be sent: an install review,
    # tests/browser/test_https.py)
    private = {"Cache-Control": "private, no-store", "Referrer-Policy": "strict-origin"}
    user = reset.user_for_token(token)
    if user is None:
        return render_template("auth/reset_password.html", form=None), 400, private
    form = ResetPasswordForm()
    if form.validate_on_submit():
        problem = password_problem(form.password.data, user.email)
        if problem:
            form.password.errors.append(problem)
        else:
            user.set_password(form.password.data)  # ends the link, and signs the account out everywhere
            db.session.commit()
            _end_session()  # whoever was signed in on this browser
            flash("Your new password is set. Log in with it.", "success")
            return redirect(url_for("auth.login"))
    other = current_user.email if current_user.is_authenticated and current_user.id != user.id else None
    return (render_template("auth/reset_password.html", form=form, email=user.email, signed_in_as=other),
            400 if form.errors else 200, private)


@bp.post("/logout")
@login_required
def logout():
    """Ends this session and invalidates every cookie issued to the user (the session token rotates)."""
    current_user.rotate_session()
    db.session.commit()
    _end_session()
    flash("You are logged out.", "info")
    return redirect(url_for("index"))


@bp.post("/account/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    current_user.rotate_session()
    db.session.commit()
    _end_session()
    flash("You are signed out on every device. Log in again to continue.", "info")
    return redirect(url_for("auth.login"))


def _account_page(status=200, **forms):
    """The account page; a refused form is passed in with its errors, the other forms are fresh."""
    forms = {"password_form": ChangePasswordForm(), "email_form": ChangeEmailForm(prefix="email"), "data_form": ConfirmPasswordForm(prefix="data"),
             "account_form": ConfirmPasswordForm(prefix="account"), **forms}
    n_answers = db.session.scalar(select(func.count()).select_from(Answer).where(Answer.user_id == current_user.id))
    from ..quota import usage
    return render_template("auth/account.html", n_answers=n_answers, admin_views=views_of(current_user.id),
                           usage=usage(current_user.id), **forms), status


def _password_confirmed(form) -> bool:
    """The form was sent with the candidate's own password (else its field carries the error)."""
    if not form.validate_on_submit():
        return False
    if not current_user.check_password(form.password.data):
        form.password.errors.append("This is not your password. Nothing was deleted.")
        return False
    return True


@bp.get("/account")
@login_required
def account():
    return _account_page()


def _data_archive(user):
    """`user`'s own data as a ZIP archive (webapp.export), made while it is sent: nothing on disk."""
    from flask import Response

    from .. import export
    from ..models import utcnow

    members = export.contents(user)
    name = f"interview-simulator-my-data-{utcnow():%Y-%m-%d}.zip"
    return Response(export.stream(members), mimetype="application/zip",
                    headers={"Content-Disposition": f"attachment; filename={name}",
                             "Cache-Control": "private, no-store"})


@bp.post("/account/export")
@login_required
@export_limit
def export_my_data():
    return _data_archive(db.session.get(User, current_user.id))


@bp.get("/account/export")
@bp.get("/account/email")
@bp.get("/account/password")
@bp.get("/account/delete-data")
@bp.get("/account/delete")
@bp.get("/account/sign-out-everywhere")
@login_required
def account_form_address():
    """The address a refused account form leaves in the address bar (opened again, or after a log-in): the page."""
    return redirect(url_for("auth.account"))


@bp.post("/account/password")
@login_required
@password_limit
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append("This is not your current password.")
        else:
            problem = password_problem(form.password.data, current_user.email)
            if problem:
                form.password.errors.append(problem)
            else:
                user = current_user._get_current_object()
                user.set_password(form.password.data)  # rotates the session token: other devices are signed out
                db.session.commit()
                _start_session(user)
                flash("Your password was changed; other devices were signed out.", "success")
                return redirect(url_for("auth.account"))
    return _account_page(400, password_form=form)


@bp.post("/account/email")
@login_required
@password_limit
def change_email():
    """A new sign-in address. The site sends no e-mail, so nothing is sent to either address; the sessions stay."""
    form = ChangeEmailForm(prefix="email")
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = current_user._get_current_object()
        if not user.check_password(form.password.data):
            form.password.errors.append("This is not your password. Your address was not changed.")
        elif email == user.email.lower():
            form.email.errors.append("This is already your address.")
        else:
            taken = user_by_email(email) is not None
            if not taken:
                old = user.email
                user.email = email
                try:
                    db.session.commit()
                except IntegrityError:  # the address signed up meanwhile: refused below, as a taken one
                    db.session.rollback()
                else:
                    flash(f"Your address is now {email}: log in with it from now on (no longer with {old}).", "success")
                    return redirect(url_for("auth.account"))
            # as at sign-up: it does not say whether another account has the address
            form.email.errors.append("This address cannot be used. Choose another one.")
    return _account_page(400, email_form=form)


@bp.post("/account/delete-data")
@login_required
@password_limit
def delete_my_data():
    """Delete all of the candidate's answers, media and mock interviews; the account stays."""
    form = ConfirmPasswordForm(prefix="data")
    if not _password_confirmed(form):
        return _account_page(400, data_form=form)
    answers = db.session.execute(select(Answer).where(Answer.user_id == current_user.id)).scalars().all()
    files = sum(1 for a in answers if a.media_path)
    # the mock interviews go in the same transaction as the answers (delete_answers commits)
    sessions = db.session.execute(delete(InterviewSession).where(InterviewSession.user_id == current_user.id)).rowcount
    done = delete_answers(answers)
    n = done.answers
    media.remove_empty_user_folder(current_user.id)
    flash(f"Deleted {n} {plural('answer', n)}" + (f" with {files} uploaded or recorded {plural('file', files)}" if files else "")
          + (f", and {sessions} mock {plural('interview', sessions)}." if sessions else ".")
          + scores_leave(done.waiting, done.scored, "Their") + files_stuck(done.stuck), "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/delete")
@login_required
@password_limit
def delete_account():
    """Delete the account with all its answers and media."""
    form = ConfirmPasswordForm(prefix="account")
    if not _password_confirmed(form):
        return _account_page(400, account_form=form)
    user = db.session.get(User, current_user.id)
    if accounts.leaves_no_admin(user):
        form.password.errors.append("You are the only administrator: this site would be left without one. Make "
                                    "another account an admin first (Admin, then Users), then delete this one. "
                                    "Nothing was deleted.")
        return _account_page(409, account_form=form)
    _end_session()
    flash(accounts.delete_own_account(user), "success")
    return redirect(url_for("index"))


# --- A deactivated account: download or delete its data, nothing else (webapp.auth.deactivated) ----------------

_PRIVATE = {"Cache-Control": "private, no-store"}


def _deactivated_only(view):
    """A view of the deactivated account this browser's log-in opened the page for, which it gets as ``user``.
    Without one, the log-in page instead, after a message if the page expired or the account changed meanwhile
    (active again, a new password)."""
    @wraps(view)
    def checked(*args, **kwargs):
        user = deactivated.user()
        if user is None:
            if deactivated.held():
                deactivated.end()
                flash("That page has expired. To download or delete your data, log in again.", "info")
            return redirect(url_for("auth.login"))
        return view(*args, user=user, **kwargs)
    return checked


def _deactivated_page(user, form=None, status=200):
    n_answers = db.session.scalar(select(func.count()).select_from(Answer).where(Answer.user_id == user.id))
    return (render_template("auth/deactivated.html", email=user.email, n_answers=n_answers,
                            minutes=current_app.config["DEACTIVATED_ACCESS_MINUTES"],
                            form=form or ConfirmPasswordForm(prefix="account")), status, _PRIVATE)


@bp.get("/account/deactivated")
def deactivated_account():
    """The page a deactivated account's correct password opens: it says why, and offers the data's download and the
    account's deletion."""
    if current_user.is_authenticated:
        return redirect(url_for("auth.account"))
    return _deactivated_page_of()


@_deactivated_only
def _deactivated_page_of(user):
    return _deactivated_page(user)


@bp.post("/account/deactivated/export")
@export_limit
@_deactivated_only
def deactivated_export(user):
    """The account page's "Download my data", with the same limit (counted under the account)."""
    return _data_archive(user)


@bp.post("/account/deactivated/delete")
@password_limit
@_deactivated_only
def deactivated_delete(user):
    """The account page's "Delete my account", asking for the password again, under the same rule and limit."""
    form = ConfirmPasswordForm(prefix="account")
    if not form.validate_on_submit():
        return _deactivated_page(user, form, 400)
    if not user.check_password(form.password.data):
        form.password.errors.append("This is not your password. Nothing was deleted.")
        return _deactivated_page(user, form, 400)
    if accounts.leaves_no_admin(user):
        form.password.errors.append("This site has no other active administrator, so this account cannot be "
                                    "deleted yet: ask whoever runs the server to add one. Nothing was deleted.")
        return _deactivated_page(user, form, 409)
    session.clear()
    flash(accounts.delete_own_account(user), "success")
    return redirect(url_for("index"))


@bp.post("/account/deactivated/sign-out")
def deactivated_sign_out():
    """Closes the page on this browser (a shared computer) before it expires."""
    if deactivated.held():
        deactivated.end()
        flash("You are signed out.", "info")
    return redirect(url_for("index"))


@bp.get("/account/deactivated/export")
@bp.get("/account/deactivated/delete")
@bp.get("/account/deactivated/sign-out")
def deactivated_form_address():
    """A form's address opened as a page: the page (or the log-in page, without a valid token)."""
    return redirect(url_for("auth.deactivated_account"))
