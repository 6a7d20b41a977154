"""Edits of one lead made from the same old version: different fields are all saved, the same
field is a conflict showing both values, and a malformed version is a bad request."""

import json
import threading

import pytest
from sqlalchemy import select

from app.admin.reference import vehicle_models
from app.audit.models import AuditLog
from app.leads.editing import form_values
from app.leads.models import Lead


def _edit_data(lead, **changes):
    data = {k: ("" if v is None else ("y" if v is True else v)) for k, v in form_values(lead).items()}
    data = {k: v for k, v in data.items() if v is not False}
    data["model"] = data["model"] or str(vehicle_models()[0].id)
    data.update(version=str(lead.version), original=json.dumps(form_values(lead), ensure_ascii=False))
    data.update(changes)
    return data


@pytest.fixture
def lead_and_editors(factory, db, login):
    consultant = factory.user("consultant")
    manager = factory.user("manager")
    lead = factory.lead(owner=consultant, notes="原备注", region="朝阳", model_id=vehicle_models()[0].id)
    db.session.commit()
    return lead, login(consultant), login(manager)


def test_two_edits_of_different_fields_from_the_same_version_are_both_saved(lead_and_editors, db):
    lead, consultant, manager = lead_and_editors
    from_consultant = _edit_data(lead, region="海淀")
    from_manager = _edit_data(lead, notes="经理的备注")
    assert manager.post(f"/leads/{lead.id}/edit", data=from_manager).status_code == 303
    response = consultant.post(f"/leads/{lead.id}/edit", data=from_consultant)
    assert response.status_code == 303 and response.headers["Location"] == f"/leads/{lead.id}"
    db.session.expire_all()
    saved = db.session.get(Lead, lead.id)
    assert (saved.notes, saved.region, saved.version) == ("经理的备注", "海淀", 3)
    audits = (
        db.session.execute(
            select(AuditLog.detail).where(AuditLog.action == "lead.edit").order_by(AuditLog.id)
        )
        .scalars()
        .all()
    )
    assert audits == [{"fields": ["notes"]}, {"fields": ["region"], "merged_from_version": 1}]


def test_htmx_edits_of_different_fields_are_both_saved(lead_and_editors, db):
    lead, consultant, manager = lead_and_editors
    stale = _edit_data(lead, region="海淀")
    assert (
        manager.htmx("post", f"/leads/{lead.id}/edit", data=_edit_data(lead, name="张伟伟")).status_code
        == 303
    )
    assert consultant.htmx("post", f"/leads/{lead.id}/edit", data=stale).status_code == 303
    db.session.expire_all()
    saved = db.session.get(Lead, lead.id)
    assert (saved.name, saved.region) == ("张伟伟", "海淀")


def test_two_edits_of_the_same_field_are_a_conflict_and_nothing_is_lost(lead_and_editors, db):
    lead, consultant, manager = lead_and_editors
    stale = _edit_data(lead, notes="顾问的备注", region="海淀")
    assert (
        manager.post(f"/leads/{lead.id}/edit", data=_edit_data(lead, notes="经理的备注")).status_code == 303
    )
    response = consultant.post(f"/leads/{lead.id}/edit", data=stale)
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "经理的备注" in html and "顾问的备注" in html and "海淀" in html
    db.session.expire_all()
    saved = db.session.get(Lead, lead.id)
    assert (saved.notes, saved.region, saved.version) == ("经理的备注", "朝阳", 2)


def test_stale_edit_without_the_loaded_values_is_a_conflict(lead_and_editors, db):
    lead, consultant, manager = lead_and_editors
    stale = _edit_data(lead, region="海淀")
    del stale["original"]
    assert (
        manager.post(f"/leads/{lead.id}/edit", data=_edit_data(lead, notes="经理的备注")).status_code == 303
    )
    assert consultant.post(f"/leads/{lead.id}/edit", data=stale).status_code == 409
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).region == "朝阳"


@pytest.mark.parametrize("version", ["abc", "1.5", "９x"])
def test_a_version_that_is_not_a_number_is_a_bad_request(lead_and_editors, db, version):
    lead, consultant, _manager = lead_and_editors
    response = consultant.post(
        f"/leads/{lead.id}/edit", data=_edit_data(lead, region="海淀", version=version)
    )
    assert response.status_code in (400, 422)  # refused as a tampered form, nothing saved
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).region == "朝阳"


FIELDS = {
    "name": lambda n: f"客户{n}",
    "region": lambda n: f"区{n}",
    "notes": lambda n: f"备注{n}",
    "preferences": lambda n: f"偏好{n}",
    "email": lambda n: f"c{n}@example.com",
}


@pytest.mark.postgres_only
def test_two_hundred_concurrent_edits_of_different_fields_all_save(factory, db, login):
    consultant = factory.user("consultant")
    leads = [factory.lead(owner=consultant, model_id=vehicle_models()[0].id) for _ in range(40)]
    db.session.commit()
    forms = {lead.id: _edit_data(lead) for lead in leads}
    jobs = [(lead.id, field) for lead in leads for field in FIELDS]  # 200 edits, each from version 1
    clients = [login(consultant) for _ in range(10)]
    results, lock, barrier = [], threading.Lock(), threading.Barrier(10)

    def worker(n: int):
        barrier.wait()
        for lead_id, field in jobs[n::10]:
            data = dict(forms[lead_id], **{field: FIELDS[field](lead_id)})
            response = clients[n].post(f"/leads/{lead_id}/edit", data=data)
            with lock:
                results.append(response.status_code)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 200 and set(results) == {303}
    db.session.expire_all()
    for lead in leads:
        saved = db.session.get(Lead, lead.id)
        assert {f: getattr(saved, f) for f in FIELDS} == {f: make(lead.id) for f, make in FIELDS.items()}
        assert saved.version == 1 + len(FIELDS)
