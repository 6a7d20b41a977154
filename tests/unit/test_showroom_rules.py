"""Showroom rules: retention rate and grade horizons."""

from datetime import date

from app.showroom.rules import expected_purchase_date, format_rate, retention_rate, valid_party_size


def test_retention_rate_is_first_visits_with_contact_over_first_visits():
    assert retention_rate(19, 20) == 0.95
    assert retention_rate(0, 4) == 0.0
    assert retention_rate(3, 3) == 1.0


def test_retention_rate_undefined_without_first_visits_and_never_above_one():
    assert retention_rate(0, 0) is None
    assert retention_rate(5, 4) == 1.0


def test_format_rate():
    assert format_rate(None) == "—"
    assert format_rate(0.678) == "67.8%"  # as the reports print it


def test_expected_purchase_date_follows_grade_horizon():
    assert expected_purchase_date(date(2026, 1, 1), 7) == date(2026, 1, 8)
    assert expected_purchase_date(date(2026, 1, 1), None) == date(2026, 3, 2)


def test_party_size_bounds():
    assert valid_party_size(1) and valid_party_size(20)
    assert not valid_party_size(0) and not valid_party_size(21) and not valid_party_size(None)
