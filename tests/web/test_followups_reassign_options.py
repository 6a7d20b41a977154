"""The reclaim list's "new owner" choices, written once per consultant and joined per row."""

from app.followups.workload_text import ReassignOptions


def test_a_row_offers_its_store_but_the_owner_and_selects_the_follower(app):
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        options = ReassignOptions(
            {1: [(10, "王丽"), (11, "<b>李</b>"), (12, "张伟")], 2: [(20, "赵敏")]},
            {10: "3 条在跟", 11: "5 条在跟", 12: ""},
        )
        row = str(options.for_row(1, owner_id=10, follower_id=12))
        other_store = str(options.for_row(2, owner_id=None, follower_id=None))
        nobody = str(options.for_row(3, owner_id=None, follower_id=None))
    assert 'value="10"' not in row  # never the current owner
    assert '<option value="11">&lt;b&gt;李&lt;/b&gt; · 5 条在跟</option>' in row  # names are escaped
    assert row.count("selected") == 1 and row.startswith('<option value="11">')
    assert '<option value="12" selected>张伟 (' in row and ") · </option>" in row
    assert other_store == '<option value="20">赵敏 · </option>'  # only the row's own store
    assert nobody == ""
