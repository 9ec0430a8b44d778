from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, Length, ValidationError

from ..params import Form, printable, stored_length


def looks_like_email(value: str) -> bool:
    """one "@" with something before it, no white space, and a "." inside the part after it ("a@b.c"): what the
    regular expression ^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$ accepted, checked in one pass. (That expression took time
    growing with the square of the length on "a@....@": a security review stalled a web worker for minutes with one
    sign-up form of 400,000 characters.)"""
    local, at, domain = value.rpartition("@")
    return (bool(at) and bool(local) and "@" not in local and "." in domain[1:-1]
            and not any(ch.isspace() for ch in value))


def EMAIL(form, field):
    if not looks_like_email(field.data or ""):
        raise ValidationError("Enter a valid e-mail address.")


def _strip(value):
    """An address as it is stored: without the spaces around it (browsers drop them; a pasted one may keep them)."""
    return value.strip() if isinstance(value, str) else value


PASSWORDS_DIFFER = "The two passwords do not match: type both again."


def same_password(password, confirm) -> None:
    """Two different passwords: the error goes on the first field, where focus goes (static/js/form_errors.js) and
    where typing starts again, since neither field is sent back filled in (an accessibility review: focus on the
    repeat field had the candidate retype that one only)."""
    if confirm.data and password.data != confirm.data:
        raise ValidationError(PASSWORDS_DIFFER)


class RegisterForm(Form):
    email = EmailField("E-mail", filters=[_strip],
                       render_kw={"maxlength": 254},  # stored_length: one message for a long address
                       validators=[DataRequired(), stored_length(254), EMAIL, printable()])
    password = PasswordField("Password", validators=[DataRequired(), Length(min=8, message="Use at least 8 characters."),
                                                     Length(max=200, message="Use at most 200 characters."),
                                                     printable()])
    confirm = PasswordField("Repeat password", validators=[DataRequired()])

    def validate_password(self, field):
        same_password(field, self.confirm)


class LoginForm(Form):
    email = EmailField("E-mail", filters=[_strip],
                       render_kw={"maxlength": 254},
                       validators=[DataRequired(), stored_length(254), printable()])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    remember = BooleanField("Keep me logged in")


class ResetPasswordForm(Form):
    password = PasswordField("New password", validators=[DataRequired(), Length(min=8, message="Use at least 8 characters."),
                                                         Length(max=200, message="Use at most 200 characters."),
                                                         printable()])
    confirm = PasswordField("Repeat the new password", validators=[DataRequired()])

    def validate_password(self, field):
        same_password(field, self.confirm)


class ChangePasswordForm(ResetPasswordForm):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=200)])


class ChangeEmailForm(Form):
    """A new sign-in address, confirmed with the password (a session left open on a shared computer is not enough).
    Prefixed "email" on the account page, whose CSRF token is checked by CSRFProtect (as ConfirmPasswordForm)."""

    class Meta(Form.Meta):
        csrf = False

    email = EmailField("New e-mail address", filters=[_strip],
                       render_kw={"maxlength": 254},
                       validators=[DataRequired(message="Enter the new address."), stored_length(254), EMAIL, printable()])
    password = PasswordField("Your password", validators=[DataRequired(message="Enter your password to confirm."),
                                                          Length(max=200)])


class ConfirmPasswordForm(Form):
    """Asked before deleting data or the account: a session left open on a shared computer is not enough.
    The account page holds two of them, told apart by their prefix. The page's CSRF token is the plain
    `csrf_token` field, which CSRFProtect checks on every POST before the view runs; a prefixed form
    would otherwise look for a token of its own under its prefix."""

    class Meta(Form.Meta):
        csrf = False

    password = PasswordField("Your password", validators=[DataRequired(message="Enter your password to confirm."),
                                                          Length(max=200)])
