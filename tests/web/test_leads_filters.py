"""LeadFilter: one parser for the list, the export and the reports."""

from datetime import date

import pytest
from werkzeug.datastructures import MultiDict

from app.leads.filters import InvalidFilter, LeadFilter, search_clause


def test_from_args_keeps_known_codes_and_round_trips():
    args = MultiDict(
        [
            ("grade", "H"),
            ("grade", "X"),
            ("stage", "new"),
            ("source", "website"),
            ("owner", "none"),
            ("created_from", "2026-01-01"),
            ("expected_to", "bad"),
            ("overdue", "1"),
            ("q", " 王 "),
            ("sort", "-name"),
        ]
    )
    flt = LeadFilter.from_args(args)
    assert flt.grade == ["H"] and flt.stage == ["new"] and flt.source == ["website"] and flt.owner == "none"
    assert flt.created_from == date(2026, 1, 1) and flt.expected_to is None and flt.overdue and flt.q == "王"
    assert LeadFilter.from_args(MultiDict(flt.to_args())) == flt
    assert LeadFilter.from_args(flt.to_args()).grade == ["H"]  # a plain dict (stored export filters)


@pytest.mark.parametrize("sort", ["phone", "id; drop", "--name", "owner_id"])
def test_unknown_sort_is_refused(sort):
    with pytest.raises(InvalidFilter):
        LeadFilter.from_args(MultiDict({"sort": sort}))


def test_search_clause_kinds():
    assert "phone_last4" in str(search_clause("8000"))
    assert "leads.phone =" in str(search_clause("138 0013 8000"))
    assert "LIKE" in str(search_clause("王")).upper()
    assert "LIKE" in str(search_clause("1234567")).upper()  # digits that are not a phone: a name prefix


def test_apply_works_on_any_lead_select_for_other_pages(factory, db):
    from sqlalchemy import func, select

    from app.leads.models import Lead

    factory.lead(grade="H")
    factory.lead(grade="C")
    db.session.commit()
    flt = LeadFilter.from_args(MultiDict({"grade": "H"}))
    stmt = flt.apply(select(func.count(Lead.id)), order=False)
    assert db.session.execute(stmt).scalar_one() == 1
