"""Export (permission, audit, cap, formula neutralisation), merge and anonymise."""

import io
from datetime import date, timedelta
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy import func, select

from app.admin.models import Setting
from app.audit.models import AuditLog
from app.core.timeutil import utcnow
from app.followups.models import (
    FollowUp,
    FollowUpMethod,
    FollowUpResult,
    Notification,
    Plan,
    PlanKind,
    PlanStatus,
)
from app.invitations.models import Event, Invitation
from app.leads.models import (
    ConsentRecord,
    ExportRequest,
    Lead,
    LeadOrder,
    LeadTouch,
    OwnerChange,
    StageChange,
)
from app.showroom.models import ShowroomVisit


def _rows(response):
    wb = load_workbook(io.BytesIO(response.data))
    return [list(r) for r in wb.active.iter_rows(values_only=True)]


# ---- export -------------------------------------------------------------------------------------


def test_export_needs_the_export_permission(login_as, factory, db):
    store = factory.store()
    assert login_as("consultant", store=store).post("/leads/export").status_code == 403
    assert login_as("manager", store=store, can_export=False).post("/leads/export").status_code == 403
    assert login_as("clerk", store=store, can_export=True).post("/leads/export").status_code == 403


def test_export_respects_scope_and_filters_and_is_audited(login_as, factory, db):
    store, other = factory.store(), factory.store()
    c = factory.user("consultant", store=store)
    h = factory.lead(owner=c, grade="H", name="张H")
    factory.lead(owner=c, grade="A", name="张A")
    factory.lead(owner=factory.user("consultant", store=other), grade="H", name="外店H")
    db.session.commit()
    client = login_as("manager", store=store)
    response = client.post("/leads/export", data={"grade": "H"})
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    rows = _rows(response)
    assert len(rows) == 2 and rows[1][0] == h.id and rows[1][1] == "张H"
    req = db.session.execute(select(ExportRequest)).scalar_one()
    assert req.status == "done" and req.row_count == 1 and req.filters == {"grade": ["H"]}
    audit = db.session.execute(select(AuditLog).where(AuditLog.action == "lead.export")).scalar_one()
    assert audit.user_id == client.user.id and audit.detail == {"filters": {"grade": ["H"]}, "rows": 1}


def test_export_neutralises_formulas(login_as, factory, db):
    client = login_as("manager")
    store_id = client.user.store_id
    from app.accounts.models import Store

    store = db.session.get(Store, store_id)
    for i, evil in enumerate(['=HYPERLINK("http://x")', "+1+1", "-2", "@SUM(A1)", "\tx", "\rx"]):
        factory.lead(store=store, name=f"客户{i}", notes=evil)
    factory.lead(store=store, name="=cmd|' /C calc'!A0")
    db.session.commit()
    rows = _rows(client.post("/leads/export"))
    notes = {r[15] for r in rows[1:] if r[15]}
    # (XML turns the stored carriage return into a newline when read back.)
    assert notes == {'\'=HYPERLINK("http://x")', "'+1+1", "'-2", "'@SUM(A1)", "'\tx", "'\nx"}
    assert "'=cmd|' /C calc'!A0" in {r[1] for r in rows[1:]}


def test_export_above_the_cap_needs_a_director(login_as, login, factory, db):
    db.session.get(Setting, "export_row_cap").value = 2
    store = factory.store()
    for _ in range(3):
        factory.lead(store=store)
    director = factory.user("director")
    db.session.commit()
    manager = login_as("manager", store=store)
    response = manager.post("/leads/export")
    assert response.status_code == 303 and response.headers["Location"].endswith("/leads/exports")
    req = db.session.execute(select(ExportRequest)).scalar_one()
    assert req.status == "pending" and req.row_count == 3
    assert db.session.execute(select(Notification.user_id)).scalars().all() == [director.id]
    assert manager.post(f"/leads/exports/{req.id}/download").status_code == 409
    assert manager.post(f"/leads/exports/{req.id}/decide", data={"decision": "approve"}).status_code == 403
    boss = login(director)
    assert "待审批" in boss.get("/leads/exports").get_data(as_text=True)
    decided = boss.post(f"/leads/exports/{req.id}/decide", data={"decision": "approve"})
    assert decided.status_code == 303 and decided.headers["Location"] == "/leads/exports"
    assert boss.post(f"/leads/exports/{req.id}/download").status_code == 404  # not the requester
    download = manager.post(f"/leads/exports/{req.id}/download")
    assert download.status_code == 200 and len(_rows(download)) == 4
    db.session.expire_all()
    assert db.session.get(ExportRequest, req.id).status == "done"
    assert manager.post(f"/leads/exports/{req.id}/download").status_code == 409


def test_rejected_export_cannot_be_downloaded(login_as, login, factory, db):
    db.session.get(Setting, "export_row_cap").value = 0
    factory.lead()
    director = factory.user("director")
    db.session.commit()
    manager = login_as("manager")
    manager.post("/leads/export")
    req = db.session.execute(select(ExportRequest)).scalar_one()
    login(director).post(f"/leads/exports/{req.id}/decide", data={"decision": "reject"})
    assert manager.post(f"/leads/exports/{req.id}/download").status_code == 409


# ---- merge --------------------------------------------------------------------------------------


def _history(db, factory, lead, consultant):
    now = utcnow()
    db.session.add_all(
        [
            FollowUp(
                lead_id=lead.id,
                user_id=consultant.id,
                store_id=lead.store_id,
                method=FollowUpMethod.PHONE,
                result=FollowUpResult.REACHED,
                content="聊了车型",
                occurred_at=now,
            ),
            Plan(
                lead_id=lead.id,
                store_id=lead.store_id,
                kind=PlanKind.FOLLOW_UP,
                due_date=date.today(),
                status=PlanStatus.OPEN,
            ),
            ShowroomVisit(store_id=lead.store_id, lead_id=lead.id, arrived_at=now),
            LeadTouch(lead_id=lead.id, source_channel_id=lead.source_channel_id),
            OwnerChange(lead_id=lead.id, to_user_id=consultant.id, kind="assign"),
            StageChange(lead_id=lead.id, to_stage_id=lead.stage_id, store_id=lead.store_id),
            ConsentRecord(lead_id=lead.id, channel="all", granted=True, source="form"),
        ]
    )


def _invite(db, event, lead):
    import secrets

    db.session.add(
        Invitation(
            event_id=event.id,
            lead_id=lead.id,
            store_id=lead.store_id,
            token=secrets.token_hex(8),
            token_expires_at=utcnow() + timedelta(days=30),
        )
    )


def _count_all(db, lead_id):
    return sum(
        db.session.scalar(select(func.count()).where(model.lead_id == lead_id))
        for model in (FollowUp, Plan, ShowroomVisit, LeadTouch, OwnerChange, StageChange, ConsentRecord)
    )


def test_merge_moves_every_history_row_and_keeps_chosen_values(login_as, factory, db):
    store = factory.store()
    consultant = factory.user("consultant", store=store)
    a = factory.lead(owner=consultant, name="张三", phone="+8613800138000", email=None)
    b = factory.lead(owner=consultant, name="张叁", phone="+8613900139000", email="z3@example.com")
    _history(db, factory, a, consultant)
    _history(db, factory, b, consultant)
    now = utcnow()
    shared = Event(store_id=store.id, theme="试驾日", type="test_drive", starts_at=now, ends_at=now)
    only_b = Event(store_id=store.id, theme="新车上市", type="launch", starts_at=now, ends_at=now)
    db.session.add_all([shared, only_b])
    db.session.flush()
    _invite(db, shared, a)
    _invite(db, shared, b)
    _invite(db, only_b, b)
    db.session.commit()
    before = _count_all(db, a.id) + _count_all(db, b.id)
    client = login_as("manager", store=store)
    page = client.post("/leads/merge", data={"ids": [str(a.id), str(b.id)]})
    assert page.status_code == 200 and 'name="f_phone"' in page.get_data(as_text=True)
    choices = {
        f"f_{name}": str(a.id)
        for name in (
            "name",
            "gender",
            "phone",
            "birthday",
            "age",
            "region",
            "model_id",
            "budget_min",
            "budget_max",
            "preferences",
            "decision_role",
            "expected_purchase_date",
            "grade_id",
            "notes",
            "owner",
        )
    }
    choices.update(f_email=str(b.id), f_phone=str(b.id))
    response = client.post(
        "/leads/merge",
        data={"ids": [str(a.id), str(b.id)], "step": "merge", "survivor": str(a.id), **choices},
    )
    assert response.status_code == 303 and response.headers["Location"] == f"/leads/{a.id}"
    db.session.expire_all()
    survivor, merged = db.session.get(Lead, a.id), db.session.get(Lead, b.id)
    assert (
        survivor.name == "张三" and survivor.email == "z3@example.com" and survivor.phone == "+8613900139000"
    )
    assert survivor.phone_last4 == "9000"
    assert merged.merged_into_id == a.id and merged.phone is None
    assert _count_all(db, a.id) == before and _count_all(db, b.id) == 0
    assert survivor.next_plan_due == date.today()
    # One invitation per lead and event: the shared event's second invitation stays on the merged record.
    assert sorted(
        db.session.execute(select(Invitation.event_id).where(Invitation.lead_id == a.id)).scalars()
    ) == sorted([shared.id, only_b.id])
    assert db.session.scalar(select(func.count(Invitation.id))) == 3
    assert db.session.execute(select(AuditLog).where(AuditLog.action == "lead.merge")).scalar_one().detail[
        "merged"
    ] == [b.id]
    # The merged record disappears from lists and lookups.
    assert client.get(f"/leads/{b.id}").status_code == 404


def test_merge_refuses_fleet_customers_and_customers_with_orders(login_as, factory, db):
    store = factory.store()
    a = factory.lead(store=store)
    fleet = factory.lead(store=store, is_fleet=True)
    ordered = factory.lead(store=store)
    db.session.add(
        LeadOrder(
            lead_id=ordered.id,
            store_id=store.id,
            brand="星途",
            series="凌云",
            model="400T",
            amount=Decimal("159900"),
            order_date=date.today(),
        )
    )
    db.session.commit()
    client = login_as("manager", store=store)
    for other in (fleet, ordered):
        data = {
            "ids": [str(a.id), str(other.id)],
            "step": "merge",
            "survivor": str(a.id),
            **{f"f_{n}": str(a.id) for n in ("name", "phone", "owner")},
        }
        response = client.post("/leads/merge", data=data)
        html = response.get_data(as_text=True)
        assert response.status_code == 422
        assert "批售客户和已有订单的客户不能合并" in html
        db.session.expire_all()
        assert db.session.get(Lead, other.id).merged_into_id is None


def test_merge_is_for_managers_and_directors_within_scope(login_as, factory, db):
    store = factory.store()
    a, b = factory.lead(store=store), factory.lead(store=factory.store())
    db.session.commit()
    assert (
        login_as("consultant", store=store).post("/leads/merge", data={"ids": [str(a.id)]}).status_code == 403
    )
    response = login_as("manager", store=store).post("/leads/merge", data={"ids": [str(a.id), str(b.id)]})
    assert response.status_code == 303  # the other store's lead is out of scope: fewer than two remain


# ---- anonymise ----------------------------------------------------------------------------------


def test_admin_anonymises_keeping_statistics_and_consent(login_as, factory, db):
    lead = factory.lead(
        name="张三",
        email="z@example.com",
        notes="住在朝阳",
        region="朝阳",
        preferences="SUV",
        birthday=date(1990, 1, 1),
        marketing_consent=True,
    )
    db.session.add(ConsentRecord(lead_id=lead.id, channel="all", granted=True, source="form"))
    db.session.commit()
    assert login_as("manager").post(f"/leads/{lead.id}/anonymise").status_code == 403
    admin = login_as("admin")
    response = admin.post(f"/leads/{lead.id}/anonymise")
    assert response.status_code == 303 and response.headers["Location"] == f"/leads/{lead.id}"
    db.session.expire_all()
    lead = db.session.get(Lead, lead.id)
    assert lead.name == "已匿名" and lead.anonymised_at is not None
    assert (lead.phone, lead.email, lead.birthday, lead.notes, lead.region, lead.preferences) == (None,) * 6
    assert lead.grade_id and lead.stage_id and lead.source_channel_id  # statistics stay
    assert db.session.scalar(select(func.count(ConsentRecord.id))) == 1
    assert (
        db.session.execute(select(AuditLog).where(AuditLog.action == "lead.anonymise")).scalar_one().user_id
        == admin.user.id
    )
