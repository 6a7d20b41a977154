"""Pure reporting rules: periods, rates, penalties, targets."""

from datetime import date

import pytest

from app.reports.rules import (
    Period,
    bucket_keys,
    change,
    previous_period,
    prorated_target,
    rate,
    resolve_period,
    same_period_last_year,
)


def test_periods_in_local_dates():
    assert resolve_period("month", date(2026, 10, 15)) == Period(
        "month", date(2026, 10, 1), date(2026, 10, 31)
    )
    assert resolve_period("week", date(2026, 10, 15)) == Period(
        "week", date(2026, 10, 12), date(2026, 10, 18)
    )
    assert resolve_period("quarter", date(2026, 11, 2)) == Period(
        "quarter", date(2026, 10, 1), date(2026, 12, 31)
    )
    assert resolve_period("day", date(2026, 10, 15)).days == 1
    custom = resolve_period("custom", date(2026, 1, 1), date(2026, 3, 5), date(2026, 3, 1))
    assert (custom.start, custom.end) == (date(2026, 3, 1), date(2026, 3, 5))


def test_previous_and_last_year_periods():
    march = resolve_period("month", date(2026, 3, 10))
    assert previous_period(march) == Period("month", date(2026, 2, 1), date(2026, 2, 28))
    assert same_period_last_year(march) == Period("month", date(2025, 3, 1), date(2025, 3, 31))
    q1 = resolve_period("quarter", date(2026, 2, 1))
    assert previous_period(q1) == Period("quarter", date(2025, 10, 1), date(2025, 12, 31))
    leap = Period("day", date(2028, 2, 29), date(2028, 2, 29))
    assert same_period_last_year(leap).start == date(2027, 2, 28)
    week = resolve_period("week", date(2026, 10, 15))
    assert same_period_last_year(week).start.isocalendar()[1] == week.start.isocalendar()[1]


def test_bucket_keys_cover_every_bucket():
    assert bucket_keys(date(2026, 10, 30), date(2026, 11, 2), "day") == [
        "2026-10-30",
        "2026-10-31",
        "2026-11-01",
        "2026-11-02",
    ]
    assert bucket_keys(date(2026, 10, 1), date(2026, 10, 31), "week")[0] == "2026-09-28"
    assert bucket_keys(date(2026, 9, 1), date(2026, 12, 31), "quarter") == ["2026-Q3", "2026-Q4"]


def test_rates_with_zero_denominators():
    assert rate(1, 3) == pytest.approx(1 / 3)
    assert rate(0, 0) is None
    assert rate(5, None) is None
    assert change(12, 10) == pytest.approx(0.2)
    assert change(3, 0) is None


def test_monthly_target_prorated_to_the_period():
    october = date(2026, 10, 1)
    assert prorated_target(31, resolve_period("month", october), october) == 31
    assert prorated_target(31, resolve_period("week", date(2026, 10, 14)), october) == 7
    assert prorated_target(31, resolve_period("month", date(2026, 11, 1)), october) == 0


def test_week_bucket_labels_stay_inside_the_period():
    from app.reports.rules import bucket_keys, bucket_label

    start, end = date(2026, 11, 1), date(2026, 11, 30)
    labels = [bucket_label(k, "week", start, end) for k in bucket_keys(start, end, "week")]
    assert labels[0] == "11-01 – 11-01"  # Sunday 1 November: the week began in October
    assert labels[1] == "11-02 – 11-08"
    assert labels[-1] == "11-30 – 11-30"
    assert not any("10-" in label or "12-" in label for label in labels)
    assert bucket_label("2026-11", "month", start, end) == "2026-11"
