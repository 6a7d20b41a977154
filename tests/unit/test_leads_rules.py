"""Pure rules of the lead pages."""

import pytest

from app.leads.rules import (
    FieldChange,
    concurrent_changes,
    merge_blockers,
    neutralise_cell,
    pick_merge_values,
)


@pytest.mark.parametrize("value", ["=1+1", "+86", "-5", "@SUM(A1)", "\tTAB", "\rCR"])
def test_formula_cells_get_an_apostrophe(value):
    assert neutralise_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["张三", "138****8000", "", None, 42, "a=b"])
def test_ordinary_cells_are_left_alone(value):
    assert neutralise_cell(value) == value


def test_concurrent_changes_lists_only_what_the_other_person_changed():
    original = {"name": "张三", "notes": "a", "grade": 1, "email": None}
    current = {"name": "张三", "notes": "b", "grade": 2, "email": ""}
    mine = {"name": "张三丰", "notes": "c", "grade": 1, "email": None}
    assert concurrent_changes(original, current, mine) == [
        FieldChange("notes", "b", "c"),
        FieldChange("grade", 2, 1),
    ]


def test_merge_blockers_name_fleet_and_orders():
    leads = [{"id": 1}, {"id": 2, "is_fleet": True}, {"id": 3, "has_orders": True}]
    assert merge_blockers(leads) == [(2, "fleet"), (3, "order")]
    assert merge_blockers([{"id": 1}, {"id": 4}]) == []


def test_pick_merge_values_takes_each_field_from_the_chosen_lead():
    leads = {1: {"name": "张三", "email": None}, 2: {"name": "张叁", "email": "z@x.cn"}}
    assert pick_merge_values(leads, {"name": 1, "email": 2}, ["name", "email"]) == {
        "name": "张三",
        "email": "z@x.cn",
    }
    with pytest.raises(ValueError):
        pick_merge_values(leads, {"name": 1}, ["name", "email"])
