"""A grade and an expected purchase date that disagree are refused next to the date field (422, in
Chinese) on entry, edit and the follow-up form; a manager may confirm the mismatch (audited)."""

import json
from datetime import timedelta

from sqlalchemy import select

from app.admin.reference import grade_by_code, vehicle_models
from app.audit.models import AuditLog
from app.core.timeutil import local_today
from app.extensions import db
from app.leads.editing import form_values
from app.leads.models import Lead
from tests.helpers_leads import entry_form

MESSAGE = "H 级客户应在 7 天内购车"


def _far() -> str:
    return (local_today() + timedelta(days=182)).isoformat()


def _overrides():
    return (
        db.session.execute(select(AuditLog).where(AuditLog.action == "lead.grade_date_override"))
        .scalars()
        .all()
    )


def test_entry_refuses_h_six_months_out_next_to_the_date(login_as):
    client = login_as("consultant")
    response = client.post(
        "/leads/new",
        data=entry_form(
            grade=str(grade_by_code("H").id), expected_purchase_date=_far(), confirm_mismatch="y"
        ),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="expected_purchase_date-error"' in html and MESSAGE in html
    assert 'name="confirm_mismatch"' not in html  # the override is for managers only
    assert db.session.execute(select(Lead)).first() is None


def test_a_manager_sees_the_checkbox_and_may_confirm_the_mismatch_audited(login_as, factory):
    store = factory.store()
    factory.user("consultant", store)
    db.session.commit()
    client = login_as("manager", store=store)
    assert "确认不一致" in client.get("/leads/new").get_data(as_text=True)
    data = entry_form(grade=str(grade_by_code("H").id), expected_purchase_date=_far())
    assert client.post("/leads/new", data=data).status_code == 422
    assert client.post("/leads/new", data=dict(data, confirm_mismatch="y")).status_code in (302, 303)
    lead = db.session.execute(select(Lead)).scalar_one()
    assert lead.grade_id == grade_by_code("H").id
    (audit,) = _overrides()
    assert audit.object_id == str(lead.id) and audit.detail["expected_purchase_date"] == _far()


def _edit_data(lead, **changes):
    data = {k: ("" if v is None else ("y" if v is True else v)) for k, v in form_values(lead).items()}
    data = {k: v for k, v in data.items() if v is not False}
    data["model"] = data["model"] or str(vehicle_models()[0].id)
    data.update(version=str(lead.version), original=json.dumps(form_values(lead), ensure_ascii=False))
    data.update(changes)
    return data


def test_edit_refuses_the_mismatch_and_a_manager_may_confirm_it(login, factory):
    store = factory.store()
    consultant = factory.user("consultant", store)
    manager = factory.user("manager", store)
    lead = factory.lead(
        owner=consultant, grade="B", expected_purchase_date=local_today() + timedelta(days=20)
    )
    db.session.commit()
    data = _edit_data(lead, grade=str(grade_by_code("H").id), expected_purchase_date=_far())
    response = login(consultant).post(f"/leads/{lead.id}/edit", data=dict(data, confirm_mismatch="y"))
    assert response.status_code == 422 and MESSAGE in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).grade_id == grade_by_code("B").id
    # Saving other fields of a lead whose values already disagree is not blocked.
    lead = db.session.get(Lead, lead.id)
    lead.expected_purchase_date = local_today() + timedelta(days=90)
    db.session.commit()
    assert (
        login(consultant).post(f"/leads/{lead.id}/edit", data=_edit_data(lead, notes="备注")).status_code
        == 303
    )
    lead = db.session.get(Lead, lead.id)
    data = _edit_data(
        lead, grade=str(grade_by_code("H").id), expected_purchase_date=_far(), confirm_mismatch="y"
    )
    assert login(manager).post(f"/leads/{lead.id}/edit", data=data).status_code == 303
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).grade_id == grade_by_code("H").id
    assert len(_overrides()) == 1


def _followup(lead, **kw):
    data = {
        "method": "phone",
        "result": "reached",
        "content": "聊了试驾",
        "grade_id": str(lead.grade_id),
        "version": str(lead.version),
        "next_due": (local_today() + timedelta(days=3)).isoformat(),
        "next_content": "回电",
    }
    data.update(kw)
    return data


def test_followup_grade_and_date_update_is_checked_and_a_manager_may_confirm(login, factory):
    store = factory.store()
    manager = factory.user("manager", store)
    consultant = factory.user("consultant", store)
    lead = factory.lead(owner=consultant, grade="H", expected_purchase_date=local_today() + timedelta(days=5))
    db.session.commit()
    response = login(consultant).htmx(
        "post",
        f"/leads/{lead.id}/followups",
        data=_followup(lead, expected_purchase_date=_far(), confirm_mismatch="y"),
    )
    assert response.status_code == 422 and MESSAGE in response.get_data(as_text=True)
    db.session.expire_all()
    lead = db.session.get(Lead, lead.id)
    assert lead.expected_purchase_date == local_today() + timedelta(days=5)
    response = login(manager).htmx(
        "post",
        f"/leads/{lead.id}/followups",
        data=_followup(lead, expected_purchase_date=_far(), confirm_mismatch="y"),
    )
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).expected_purchase_date.isoformat() == _far()
    assert len(_overrides()) == 1


def test_the_followup_form_shows_the_checkbox_to_managers_only(login, factory):
    store = factory.store()
    manager = factory.user("manager", store)
    consultant = factory.user("consultant", store)
    lead = factory.lead(owner=consultant)
    db.session.commit()
    assert 'name="confirm_mismatch"' not in login(consultant).get(f"/leads/{lead.id}").get_data(as_text=True)
    assert 'name="confirm_mismatch"' in login(manager).get(f"/leads/{lead.id}/followups/new").get_data(
        as_text=True
    )
