"""Merging an edit made on an old version of a lead with the version stored now."""

from app.leads.rules import merge_stale_edit

ORIGINAL = {
    "name": "张三",
    "notes": "a",
    "region": None,
    "grade": 2,
    "expected_purchase_date": "2030-05-01",
    "marketing_consent": False,
}


def test_different_fields_are_merged_and_untouched_fields_keep_the_other_edit():
    current = dict(ORIGINAL, notes="经理的备注")
    mine = dict(ORIGINAL, region="海淀")
    assert merge_stale_edit(ORIGINAL, current, mine) == {"region": "海淀"}


def test_the_same_field_changed_on_both_sides_is_a_conflict():
    current = dict(ORIGINAL, notes="经理的备注")
    mine = dict(ORIGINAL, notes="顾问的备注", region="海淀")
    assert merge_stale_edit(ORIGINAL, current, mine) is None


def test_the_same_field_changed_to_the_same_value_is_not_a_conflict():
    current = dict(ORIGINAL, grade=1)
    mine = dict(ORIGINAL, grade=1)
    assert merge_stale_edit(ORIGINAL, current, mine) == {"grade": 1}


def test_form_types_compare_with_stored_values():
    from datetime import date

    current = dict(ORIGINAL, name="张三丰")
    mine = dict(
        ORIGINAL, expected_purchase_date=date(2030, 5, 1), grade="2", notes="a\r\n".strip() + " ", region=""
    )
    assert merge_stale_edit(ORIGINAL, current, mine) == {}


def test_textarea_line_endings_are_not_a_change():
    original = dict(ORIGINAL, notes="第一行\n第二行")
    current = dict(original, notes="别人的备注")
    mine = dict(original, notes="第一行\r\n第二行", region="朝阳")
    assert merge_stale_edit(original, current, mine) == {"region": "朝阳"}


def test_unknown_loaded_values_are_a_conflict():
    mine = dict(ORIGINAL, region="海淀")
    assert merge_stale_edit({"name": "张三"}, ORIGINAL, mine) is None
