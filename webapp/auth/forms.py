from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from ..params import Form, printable, stored_length

EMAIL = Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="Enter a valid e-mail address.")


def _strip(value):
    """An address as it is stored: without the spaces around it (browsers drop them; a pasted one may keep them)."""
    return value.strip() if isinstance(value, str) else value


class RegisterForm(Form):
    email = EmailField("E-mail", filters=[_strip],
                       render_kw={"maxlength": 254},  # stored_length: one message for a long address
                       validators=[DataRequired(), stored_length(254), EMAIL, printable()])
    password = PasswordField("Password", validators=[DataRequired(), Length(min=8, message="Use at least 8 characters."),
                                                     Length(max=200, message="Use at most 200 characters."),
                                                     printable()])
    confirm = PasswordField("Repeat password", validators=[DataRequired(), EqualTo("password",
                            message="The passwords do not match.")])


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
    confirm = PasswordField("Repeat the new password", validators=[DataRequired(), EqualTo("password",
                            message="The passwords do not match.")])


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
