"""Account forms."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from app.web.forms import FlaskForm

PASSWORD_MESSAGES = {
    "too_short": lambda: _l("Use at least 8 characters."),
    "too_long": lambda: _l("Use at most 128 characters."),
    "too_common": lambda: _l("This password is too common; choose another."),
    "same_as_username": lambda: _l("The password must not be your username."),
    "wrong_password": lambda: _l("The current password is wrong."),
}


class LoginForm(FlaskForm):
    username = StringField(
        _l("Username"),
        validators=[DataRequired(_l("Please enter your username.")), Length(max=64)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Please enter your password.")), Length(max=128)],
        render_kw={"autocomplete": "current-password"},
    )
    # "Keep me signed in on this device": honoured for consultants and managers only (the label with
    # the number of days is set by the template).
    remember = BooleanField(_l("Keep me signed in on this device"))
    next = HiddenField()
    submit = SubmitField(_l("Log in"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired()], render_kw={"autocomplete": "current-password"}
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(min=8, max=128)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", _l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Change password"))


class LanguageForm(FlaskForm):
    locale = SelectField(choices=[("zh_CN", "中文"), ("en", "English")])
    next = HiddenField()


class EmptyForm(FlaskForm):
    """A button-only form: still carries and checks the CSRF token."""


class MfaCodeForm(FlaskForm):
    code = StringField(
        _l("Verification code"),
        validators=[DataRequired(_l("Please enter the code.")), Length(max=32)],
        render_kw={
            "autocomplete": "one-time-code",
            "inputmode": "text",
            "autocapitalize": "none",
            "spellcheck": "false",
        },
    )
    submit = SubmitField(_l("Confirm"))
