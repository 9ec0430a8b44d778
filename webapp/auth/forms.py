import unicodedata

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


def _script(ch: str) -> str | None:
    """The writing system of a letter, from its Unicode name ("LATIN SMALL LETTER A" -> "LATIN"); the Japanese
    scripts and Chinese characters count as one ("CJK"); None for what is not a letter of an alphabet (a digit,
    punctuation, a modifier letter such as "ʼ" or the Japanese long-vowel mark "ー")."""
    if unicodedata.category(ch) not in ("Lu", "Ll", "Lt", "Lo"):
        return None
    word = unicodedata.name(ch, "?").split()[0]
    return "CJK" if word in ("CJK", "HIRAGANA", "KATAKANA", "KATAKANA-HIRAGANA") else word


#: marks that change nothing one can see on these letters: a dot above an "i" or "j" (which have theirs), the
#: combining grapheme joiner, and variation selectors
_INVISIBLE_MARKS = {"\u034f", *map(chr, range(0xFE00, 0xFE10)), *map(chr, range(0xE0100, 0xE01F0))}


def OWN_LOOK(form, field):
    """A new address must not pass for another one: no letters in a styled form (fullwidth "ａ", mathematical "𝐚"),
    no mark that changes nothing one can see, and no mix of alphabets within a part (a security review signed up
    "аlice@example.com" with a Cyrillic "а", and "ali̇ce@…" with a dot above the "i", beside alice@example.com: the
    admin's list showed three "alice"s, one of which an admin might help into the wrong account). Accents, written
    composed or as marks, are welcome (adéṣẹ́@…). Checked at sign-up and at a change of address only, so an existing
    account can still sign in."""
    value = unicodedata.normalize("NFC", field.data or "")
    if unicodedata.normalize("NFKC", value) != value:
        raise ValidationError("This address has letters in a special form (fullwidth or styled, such as “ａ” or “𝐚”), "
                              "which makes it look like another address. Type them as plain letters.")
    hidden = [ch for prev, ch in zip(" " + value, value)
              if ch in _INVISIBLE_MARKS or (ch == "\u0307" and prev in "ijIJ")]
    if hidden:
        raise ValidationError(f"This address has a mark that cannot be seen (U+{ord(hidden[0]):04X}), which makes it "
                              "look like another address. Type it without.")
    local, _, domain = value.rpartition("@")
    for part in [local, *domain.split(".")]:  # each part in one alphabet: 山田@例え.jp is fine
        scripts = sorted({sc for ch in part if (sc := _script(ch))})
        if len(scripts) > 1:
            names = " and ".join(s.title() if s != "CJK" else "Chinese or Japanese" for s in scripts[:2])
            raise ValidationError(f"“{part}” in this address mixes letters of different alphabets ({names}), which "
                                  "makes it look like another address. Type it in one alphabet.")


def _strip(value):
    """An address as typed at log-in: without the spaces around it (browsers drop them; a pasted one may keep them).
    Matched as typed, then composed (webapp.models.user_by_email): an account made before addresses were stored
    composed may hold its accents as separate marks."""
    return value.strip() if isinstance(value, str) else value


def _composed(value):
    """An address as a new one is stored: stripped, its accents composed (Unicode NFC: "café" typed as "cafe" and a
    mark is the same address, not a look-alike)."""
    return unicodedata.normalize("NFC", value.strip()) if isinstance(value, str) else value


PASSWORDS_DIFFER = "The two passwords do not match: type both again."


def same_password(password, confirm) -> None:
    """Two different passwords: the error goes on the first field, where focus goes (static/js/form_errors.js) and
    where typing starts again, since neither field is sent back filled in (an accessibility review: focus on the
    repeat field had the candidate retype that one only)."""
    if confirm.data and password.data != confirm.data:
        raise ValidationError(PASSWORDS_DIFFER)


class RegisterForm(Form):
    email = EmailField("E-mail", filters=[_composed],
                       render_kw={"maxlength": 254},  # stored_length: one message for a long address
                       validators=[DataRequired(), stored_length(254), EMAIL, printable(), OWN_LOOK])
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

    email = EmailField("New e-mail address", filters=[_composed],
                       render_kw={"maxlength": 254},
                       validators=[DataRequired(message="Enter the new address."), stored_length(254), EMAIL, printable(),
                                   OWN_LOOK])
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
