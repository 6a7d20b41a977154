"""Parsing untrusted request values (app.core.params)."""

from datetime import date

import pytest

from app.core.params import MAX_INT, clean_choice, parse_date, parse_int, parse_positive_int


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12", 12),
        (" 12 ", 12),
        ("+3", 3),
        ("-4", -4),
        (7, 7),
        (str(MAX_INT), MAX_INT),
        (str(2**63), None),
        (str(2**64 + 1), None),
        ("-" + str(2**70), None),
        ("9" * 400, None),
        ("", None),
        (" ", None),
        (None, None),
        (True, None),
        ("1.5", None),
        ("abc", None),
        ("²", None),
        ("١٢", None),
        ("1e3", None),
        ("0x10", None),
        ("1 2", None),
        ("--1", None),
    ],
)
def test_parse_int(raw, expected):
    assert parse_int(raw) == expected


def test_parse_int_bounds():
    assert parse_int("0", minimum=1) is None
    assert parse_int("10001", minimum=1, maximum=10_000) is None
    assert parse_int("10000", minimum=1, maximum=10_000) == 10_000
    assert parse_positive_int("0") is None
    assert parse_positive_int("5") == 5
    assert parse_positive_int(str(2**31 - 1)) == 2**31 - 1
    assert parse_positive_int(str(2**31)) is None  # beyond an INTEGER id column


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-12-06", date(2026, 12, 6)),
        (" 2026-12-06 ", date(2026, 12, 6)),
        (date(2030, 1, 1), date(2030, 1, 1)),
        ("0001-01-01", None),
        ("9999-12-31", None),
        ("1899-12-31", None),
        ("3000-01-01", None),
        ("2026-02-30", None),
        ("99999-01-01", None),
        ("", None),
        (None, None),
        ("x", None),
    ],
)
def test_parse_date(raw, expected):
    assert parse_date(raw) == expected


def test_clean_choice():
    assert clean_choice("  male \t") == "male"
    assert clean_choice(None) == ""
