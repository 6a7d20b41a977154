"""paths_for: a page's links per row from one url_for, the same paths url_for gives."""

from flask import url_for

from app.web.urls import paths_for


def test_paths_for_gives_url_for_paths(app):
    with app.test_request_context("/"):
        lead_path = paths_for("leads.lead_detail", "lead_id")
        for lead_id in (1, 7, 918273645, 10**12):
            assert lead_path(lead_id) == url_for("leads.lead_detail", lead_id=lead_id)
        column = paths_for("pipeline.column", "stage_id", after="2026-01-01.5")
        assert column(3) == url_for("pipeline.column", stage_id=3, after="2026-01-01.5")


def test_paths_for_with_the_id_in_the_query_string(app):
    with app.test_request_context("/"):
        assert paths_for("pipeline.board", "owner")(5) == url_for("pipeline.board", owner=5)
