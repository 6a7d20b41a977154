"""The base class of every form: Flask-WTF's, rendering only valid HTML.

* The CSRF field renders without an id.  A page often holds several forms (a row of buttons, the
  language switch, a dialog); each renders its hidden CSRF field, and with the default
  id="csrf_token" the page would repeat one id, which HTML forbids.  The token is sent by name.
* A required single select whose first option is a real choice (not an empty "Choose…" option)
  renders without `required`: such a select always has a value, so the attribute adds nothing in
  the browser, and HTML allows it only with an empty first option.  The server checks it as before.
"""

from flask_wtf import FlaskForm as _FlaskForm
from flask_wtf.csrf import _FlaskFormCSRF
from wtforms.csrf.core import CSRFTokenField as _CSRFTokenField
from wtforms.widgets import Select


class CSRFTokenField(_CSRFTokenField):
    """The hidden CSRF token input, without an id attribute (unless one is asked for).  Same class
    name as WTForms' field, so that templates that skip `f.type == "CSRFTokenField"` still do."""

    def __call__(self, **kwargs):
        kwargs.setdefault("id", False)
        return super().__call__(**kwargs)


class _CSRF(_FlaskFormCSRF):
    field_class = CSRFTokenField


def _first_choice_is_real(field) -> bool:
    if field.has_groups():
        return False
    for choice in field.iter_choices():
        value = choice.value if hasattr(choice, "value") else choice[0]
        return value is not None and str(value) != ""
    return False


class FlaskForm(_FlaskForm):
    class Meta(_FlaskForm.Meta):
        csrf_class = _CSRF

        def render_field(self, field, render_kw):
            if (
                isinstance(field.widget, Select)
                and not field.widget.multiple
                and field.flags.required
                and "required" not in render_kw
                and "size" not in render_kw
                and _first_choice_is_real(field)
            ):
                render_kw = {**render_kw, "required": False}
            return super().render_field(field, render_kw)
