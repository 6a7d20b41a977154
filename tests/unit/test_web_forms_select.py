"""The quick select widget writes exactly the HTML of WTForms' own select."""

import pytest
from wtforms import Form, SelectField, SelectMultipleField
from wtforms.widgets import Select

from app.web.forms import QuickSelect


class _Choices(Form):
    plain = SelectField(
        choices=[("", "选择…"), ("1", 'A "quoted" <b>'), ("2", "二"), (True, "yes")], default="2"
    )
    numbers = SelectMultipleField(choices=[(1, "x"), (2, "y&z")], default=[2])
    groups = SelectField(choices={"组1": [("1", "a")], "组2": [("2", "b")]}, default="2")
    own_attributes = SelectField(choices=[("1", "a", {"disabled": True}), ("2", "b")], default="2")
    empty_label = SelectField(choices=[("x", "")], default="x")


@pytest.mark.parametrize("name", ["plain", "numbers", "groups", "own_attributes", "empty_label"])
def test_quick_select_writes_what_wtforms_writes(name):
    field = _Choices()[name]
    multiple = field.widget.multiple
    assert QuickSelect(multiple=multiple)(field, class_="x") == Select(multiple=multiple)(field, class_="x")


def test_quick_select_escapes_and_marks_the_choice():
    html = QuickSelect()(_Choices()["plain"])
    assert '<option value="1">A &#34;quoted&#34; &lt;b&gt;</option>' in html
    assert '<option selected value="2">二</option>' in html and "<b>" not in html
