"""GET never changes data: exports are filed and downloaded by POST, and a sweep over every GET
page without URL parameters finds the row count of every table unchanged."""

import traceback

import pytest
from sqlalchemy import func, select

from app.admin.models import Setting
from app.extensions import db as _db
from app.leads.exports import enqueue_generation, start_generation
from app.leads.models import ExportRequest


def _counts() -> dict[str, int]:
    _db.session.expire_all()
    return {
        t.name: _db.session.execute(select(func.count()).select_from(t)).scalar_one()
        for t in _db.metadata.sorted_tables
    }


@pytest.fixture
def world(factory, db):
    db.session.get(Setting, "export_row_cap").value = 2
    store = factory.store()
    manager = factory.user("manager", store=store, can_export=True)
    director = factory.user("director", can_export=True)
    consultant = factory.user("consultant", store=store)
    for _ in range(3):
        factory.lead(owner=consultant)
    approved = ExportRequest(user_id=manager.id, kind="leads", filters={}, row_count=3, status="approved")
    db.session.add(approved)
    db.session.flush()
    generated = start_generation(approved)
    db.session.commit()
    enqueue_generation(generated)  # the task writes the file (at once in tests)
    return {"manager": manager, "director": director, "approved": approved}


def test_export_above_the_cap_is_not_filed_by_get(login, world, db):
    manager = login(world["manager"])
    before = _counts()
    assert manager.get("/leads/export").status_code == 405
    assert manager.get("/leads/export?grade=H").status_code == 405
    assert _counts() == before
    filed = manager.post("/leads/export")
    assert filed.status_code == 303 and _counts()["export_requests"] == before["export_requests"] + 1


def test_single_use_download_is_not_used_up_by_get(login, world, db):
    manager = login(world["manager"])
    req_id = world["approved"].id
    assert manager.get(f"/leads/exports/{req_id}/download").status_code == 405
    assert manager.get(f"/leads/exports/{req_id}/prepare").status_code == 405
    db.session.expire_all()
    assert db.session.get(ExportRequest, req_id).status == "approved"
    page = manager.get("/leads/exports").get_data(as_text=True)
    assert f'method="post" action="/leads/exports/{req_id}/download"' in page
    assert manager.post(f"/leads/exports/{req_id}/download").status_code == 200
    db.session.expire_all()
    assert db.session.get(ExportRequest, req_id).status == "done"


def test_lead_list_exports_through_a_form_that_posts(login, world):
    html = login(world["manager"]).get("/leads?grade=H&grade=A&overdue=1").get_data(as_text=True)
    assert 'method="post" action="/leads/export"' in html and 'name="grade" value="H"' in html
    assert 'name="grade" value="A"' in html and 'name="overdue" value="1"' in html
    director = login(world["director"])
    store_id = world["manager"].store_id
    page = director.get(f"/leads?store={store_id}")
    assert page.status_code == 200 and f'name="store" value="{store_id}"' in page.get_data(as_text=True)
    assert 'href="/leads/export?' not in html and 'href="/leads/export"' not in html


@pytest.mark.parametrize("role", ["manager", "director"])
def test_every_get_page_leaves_the_database_unchanged(app, login, world, role, monkeypatch):
    from app.web import errors

    failures = []
    monkeypatch.setattr(errors.log, "exception", lambda *a, **k: failures.append(traceback.format_exc()))
    client = login(world[role])
    rules = sorted(
        (
            r
            for r in app.url_map.iter_rules()
            if "GET" in r.methods and not r.arguments and not r.rule.startswith("/static")
        ),
        key=lambda r: r.rule,
    )
    assert len(rules) > 20
    before = _counts()
    changed = {}
    for rule in rules:
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(rule.rule, headers=headers)
            assert response.status_code < 500, (rule.rule, failures[-1:])
            after = _counts()
            if after != before:
                changed[rule.rule] = {k: (before[k], after[k]) for k in after if after[k] != before[k]}
                before = after
    assert not changed
    assert client.get("/").status_code == 200  # still logged in: no GET ended the session
