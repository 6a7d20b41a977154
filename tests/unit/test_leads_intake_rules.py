"""Pure rules for leads from outside: strict strings, lengths and the expected purchase date window."""

from datetime import date

import pytest

from app.leads.intake_rules import PHONE_RE, purchase_date_window, validate_external_lead

TODAY = date(2026, 12, 6)


def _validate(payload):
    return validate_external_lead(
        payload, grade_codes={"H", "A", "B", "C"}, models=[(7, "凌云", "400T")], today=TODAY
    )


def test_the_purchase_window_runs_from_a_year_ago_to_five_years_ahead():
    assert purchase_date_window(TODAY) == (date(2025, 12, 6), date(2031, 12, 6))
    assert purchase_date_window(date(2028, 2, 29)) == (date(2027, 2, 28), date(2033, 2, 28))


@pytest.mark.parametrize(
    "day,ok",
    [
        ("2025-12-06", True),
        ("2025-12-05", False),
        ("2031-12-06", True),
        ("2031-12-07", False),
        ("9999-12-31", False),
    ],
)
def test_expected_purchase_date_edges(day, ok):
    clean, errors = _validate({"name": "张三", "phone": "13800138000", "expected_purchase_date": day})
    assert (clean is not None) is ok
    assert ok or errors[0].code == "out_of_range"


def test_strings_only_and_clean_text_comes_back():
    clean, errors = _validate(
        {"name": " ＡＢ ", "phone": "１３８ ００１３ ８０００", "model": "7", "grade": "h"}
    )
    assert errors == [] and clean.name == "AB" and clean.phone == "+8613800138000" and clean.model_id == 7
    assert clean.grade_code == "H"
    _clean, errors = _validate({"name": ["张三"], "phone": 13800138000, "notes": {"a": 1}})
    assert [(e.field, e.code) for e in errors] == [("name", "type"), ("phone", "type"), ("notes", "type")]


@pytest.mark.parametrize(
    "phone,ok",
    [
        ("138 0013 8000", True),
        ("+86 138-0013-8000", True),
        ("(138)00138000", True),
        ("１３８００１３８０００", True),
        ("138\n00138000", False),
        ("13800138000\n", False),
        ("tel:13800138000", False),
        ("123", False),
    ],
)
def test_the_phone_pattern(phone, ok):
    assert bool(PHONE_RE.fullmatch(phone)) is ok
