"""The base class of every form: Flask-WTF's, rendering only valid HTML.

* The CSRF field renders without an id.  A page often holds several forms (a row of buttons, the
  language switch, a dialog); each renders its hidden CSRF field, and with the default
  id="csrf_token" the page would repeat one id, which HTML forbids.  The token is sent by name.
* A select writes its options directly (`QuickSelect`): the same HTML as WTForms' widget, which
  builds each option's attributes through the general attribute writer (a store's consultants,
  channels and models are a hundred options on the reception form).
* A required single select whose first option is a real choice (not an empty "Choose…" option)
  renders without `required`: such a select always has a value, so the attribute adds nothing in
  the browser, and HTML allows it only with an empty first option.  The server checks it as before.
"""

from flask_wtf import FlaskForm as _FlaskForm
from flask_wtf.csrf import _FlaskFormCSRF
from markupsafe import Markup, escape
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


class QuickSelect(Select):
    """WTForms' select, each plain option written in one step (same HTML: `selected` before
    `value`, as WTForms sorts attributes); an option with attributes of its own goes the long way."""

    @classmethod
    def render_option(cls, choice, **kwargs):
        if kwargs or choice.render_kw:
            return super().render_option(choice, **kwargs)
        value = str(choice.value) if isinstance(choice.value, bool) else choice.value
        label = escape(choice.label or choice.value)
        selected = "selected " if choice.selected else ""
        return Markup(f'<option {selected}value="{escape(value)}">{label}</option>')  # noqa: S704 - escaped


_QUICK = {False: QuickSelect(), True: QuickSelect(multiple=True)}


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
            if type(field.widget) is Select:
                field.widget = _QUICK[field.widget.multiple]
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
