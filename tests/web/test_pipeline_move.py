"""POST /board/move: moves, conflicts, scope, dialogs for won / lost / visited, reopening."""

import json
import re

from sqlalchemy import func, select

from app.followups.models import DefeatRequest, DefeatStatus
from app.leads.models import Lead, LeadOrder, StageChange
from app.showroom.models import ShowroomVisit
from tests.conftest import IS_PG
from tests.helpers_board import column, count, dialog, move, order_fields, outcome, stage_id, vin


def changes(db, lead) -> int:
    return db.session.execute(
        select(func.count()).select_from(StageChange).where(StageChange.lead_id == lead.id)
    ).scalar()


def fresh(db, lead) -> Lead:
    db.session.expire_all()
    return db.session.get(Lead, lead.id)


def test_move_changes_the_stage_and_records_it(login_as, factory, db):
    me = login_as("consultant")
    lead = factory.lead(owner=me.user)
    db.session.commit()
    factory.lead(owner=me.user)
    db.session.commit()
    response = move(me, lead, "contacted", from_stage=stage_id("new"))
    assert response.status_code == 200 and outcome(response) == "moved"
    # Both columns come back out of band, counted and with the card where the server has it.
    assert f'id="card-{lead.id}"' in column(response, "contacted")
    assert f'id="card-{lead.id}"' not in column(response, "new")
    assert (count(response, "new"), count(response, "contacted")) == (1, 1)
    assert column(response, "invited") == ""  # untouched columns stay
    assert 'data-version="2"' in column(response, "contacted") and dialog(response) == ""
    # The toast and the live region say the same.
    toast = json.loads(response.headers["HX-Trigger"])["toast"]
    assert toast and f'data-outcome="moved">{toast}</p>' in response.get_data(as_text=True)
    lead = fresh(db, lead)
    assert (
        lead.stage_id == stage_id("contacted")
        and lead.version == 2
        and lead.stage_changed_by_id == me.user.id
    )
    row = db.session.execute(select(StageChange).where(StageChange.lead_id == lead.id)).scalar_one()
    assert (row.from_stage_id, row.to_stage_id, row.user_id) == (
        stage_id("new"),
        stage_id("contacted"),
        me.user.id,
    )


def test_stale_version_gets_a_conflict_naming_who_moved_it(login_as, factory, db):
    manager = login_as("manager", display_name="赵经理")
    me = login_as("consultant", store=manager.user.store)
    lead = factory.lead(owner=me.user)
    db.session.commit()
    assert move(manager, lead, "invited").status_code == 200
    response = move(me, lead, "contacted", version=1, from_stage=stage_id("new"))
    assert response.status_code == 409 and outcome(response) == "conflict"
    html = response.get_data(as_text=True)
    assert "赵经理" in html
    # Where the user saw it, where they dropped it, and where it is: the card is only in the last.
    assert f'id="card-{lead.id}"' not in column(response, "new") + column(response, "contacted")
    assert f'id="card-{lead.id}"' in column(response, "invited") and "is-conflict" in column(
        response, "invited"
    )
    assert (count(response, "new"), count(response, "contacted"), count(response, "invited")) == (0, 0, 1)
    lead = fresh(db, lead)
    assert lead.stage_id == stage_id("invited") and changes(db, lead) == 1


def test_consultant_cannot_move_another_consultants_card(login_as, factory, db):
    me = login_as("consultant")
    theirs = factory.lead(owner=factory.user("consultant", store=me.user.store))
    db.session.commit()
    assert move(me, theirs, "contacted").status_code == 404
    assert fresh(db, theirs).stage_id == stage_id("new")


def test_other_roles_cannot_move_and_anonymous_is_sent_to_login(login_as, factory, db, client):
    lead = factory.lead(owner=factory.user("consultant"))
    clerk = login_as("clerk")
    db.session.commit()
    assert move(clerk, lead, "contacted").status_code == 403
    response = move(client, lead, "contacted")
    assert response.status_code in (302, 303, 401)
    assert fresh(db, lead).stage_id == stage_id("new")


def test_bad_input_is_422(login_as, factory, db):
    me = login_as("consultant")
    lead = factory.lead(owner=me.user)
    db.session.commit()
    refused = move(me, lead, "nowhere")
    assert refused.status_code == 422 and outcome(refused) == "refused"
    assert f'id="card-{lead.id}"' in column(refused, "new") and dialog(refused) == ""
    incomplete = me.post("/board/move", data={"lead_id": lead.id}, headers={"HX-Request": "true"})
    assert incomplete.status_code == 422 and outcome(incomplete) == "refused"
    assert column(incomplete, "new") == ""  # nothing known to redraw: the board puts the card back


def test_same_stage_is_a_noop(login_as, factory, db):
    me = login_as("consultant")
    lead = factory.lead(owner=me.user)
    db.session.commit()
    response = move(me, lead, "new")
    assert outcome(response) == "noop" and changes(db, lead) == 0


def test_plain_form_post_redirects_back_to_the_board(login_as, factory, db):
    me = login_as("consultant")
    lead = factory.lead(owner=me.user)
    db.session.commit()
    response = move(me, lead, "contacted", htmx=False)
    assert response.status_code == 303 and response.headers["Location"].endswith("/board")
    assert fresh(db, lead).stage_id == stage_id("contacted")
    stale = move(me, lead, "invited", version=1, htmx=False)
    assert stale.status_code == 303 and stale.headers["Location"] == "/board"
    assert fresh(db, lead).stage_id == stage_id("contacted")


def test_won_asks_for_the_order_first(login_as, factory, db):
    me = login_as("consultant")
    lead = factory.lead(owner=me.user, stage="negotiation", model_id=1)
    db.session.commit()
    response = move(me, lead, "won", from_stage=stage_id("negotiation"))
    html = dialog(response)
    assert response.status_code == 200 and outcome(response) == "dialog"
    assert 'name="vin"' in html and 'value="星途"' in html  # prefilled from the model of interest
    assert f'name="from_stage" value="{stage_id("negotiation")}"' in html
    # The card stays in its column until the order is saved.
    assert f'id="card-{lead.id}"' in column(response, "negotiation") and count(response, "won") == 0
    assert fresh(db, lead).stage_id == stage_id("negotiation")


def test_won_needs_a_valid_vin(login_as, factory, db):
    me = login_as("consultant")
    lead = factory.lead(owner=me.user, stage="negotiation")
    db.session.commit()
    for bad in ("", "LSVAB2180N0000001", "LSVAB2I87N000000"):
        response = move(me, lead, "won", **order_fields(vin=bad))
        assert response.status_code == 422 and outcome(response) == "dialog"
        assert 'id="vin-error"' in dialog(response)
    assert fresh(db, lead).stage_id == stage_id("negotiation")
    assert db.session.execute(select(func.count()).select_from(LeadOrder)).scalar() == 0


def test_won_with_an_order_creates_it_and_moves(login_as, factory, db):
    me = login_as("consultant")
    lead = factory.lead(owner=me.user, stage="negotiation")
    other = factory.lead(owner=me.user, stage="negotiation")
    db.session.commit()
    response = move(me, lead, "won", **order_fields(vin=vin(1).lower()))
    assert response.status_code == 200 and outcome(response) == "moved"
    assert (count(response, "negotiation"), count(response, "won")) == (1, 1) and dialog(response) == ""
    order = db.session.execute(select(LeadOrder)).scalar_one()
    assert order.vin == vin(1) and order.lead_id == lead.id and order.consultant_id == me.user.id
    assert int(order.amount) == 159900
    lead = fresh(db, lead)
    assert lead.stage_id == stage_id("won") and lead.won_at is not None and changes(db, lead) == 1
    duplicate = move(me, other, "won", **order_fields(vin=vin(1)))
    assert duplicate.status_code == 422 and 'id="vin-error"' in duplicate.get_data(as_text=True)


def test_lost_files_a_defeat_request_and_does_not_move(login_as, factory, db):
    me = login_as("consultant")
    lead = factory.lead(owner=me.user, stage="contacted")
    db.session.commit()
    dialog = move(me, lead, "lost")
    assert outcome(dialog) == "dialog" and 'name="reason_id"' in dialog.get_data(as_text=True)
    missing = move(me, lead, "lost", dialog="defeat", reason_id="0")
    assert missing.status_code == 422 and 'id="reason_id-error"' in missing.get_data(as_text=True)
    response = move(me, lead, "lost", dialog="defeat", reason_id="1", detail="买了别家")
    assert response.status_code == 200 and outcome(response) == "requested"
    assert "tag-defeat" in column(response, "contacted") and count(response, "lost") == 0
    req = db.session.execute(select(DefeatRequest)).scalar_one()
    assert (
        req.status == DefeatStatus.PENDING and req.detail == "买了别家" and req.requested_by_id == me.user.id
    )
    lead = fresh(db, lead)
    assert lead.stage_id == stage_id("contacted") and changes(db, lead) == 0
    again = move(me, lead, "lost", version=lead.version)
    assert again.status_code == 422 and outcome(again) == "refused"  # no second dialog
    assert "tag-defeat" in me.get("/board").get_data(as_text=True)


def test_visited_registers_the_showroom_visit(login_as, factory, db, count_queries):
    from tests.web.test_reports_aggregates import recount, stored

    me = login_as("consultant")
    lead = factory.lead(owner=me.user, stage="invited")
    skip = factory.lead(owner=me.user, stage="invited")
    db.session.commit()
    assert outcome(move(me, lead, "visited")) == "dialog"
    with count_queries() as counter:
        response = move(me, lead, "visited", dialog="visit", register_visit="y", party_size="3")
    assert outcome(response) == "moved"
    # The visit and the move go out in one flush: the aggregates read the lead's facts twice, not four times.
    assert sum(1 for s in counter.statements if ") AS facts" in s) == 2
    db.session.expire_all()
    assert stored(db) == recount(db)
    visit = db.session.execute(select(ShowroomVisit)).scalar_one()
    assert (visit.lead_id, visit.consultant_id, visit.party_size, visit.is_first_visit) == (
        lead.id,
        me.user.id,
        3,
        True,
    )
    assert fresh(db, lead).stage_id == stage_id("visited")
    assert outcome(move(me, skip, "visited", dialog="visit")) == "moved"
    assert db.session.execute(select(func.count()).select_from(ShowroomVisit)).scalar() == 1


def test_visit_dialog_follows_the_setting(login_as, factory, db):
    from app.admin.models import Setting

    db.session.merge(Setting(key="board_move_dialogs", value={}))
    me = login_as("consultant")
    lead = factory.lead(owner=me.user, stage="invited")
    db.session.commit()
    assert outcome(move(me, lead, "visited")) == "moved"


def test_only_managers_reopen_won_or_lost(login_as, factory, db):
    manager = login_as("manager")
    me = login_as("consultant", store=manager.user.store)
    lead = factory.lead(owner=me.user, stage="won")
    db.session.commit()
    refused = move(me, lead, "negotiation")
    assert refused.status_code == 422 and outcome(refused) == "refused"
    assert outcome(move(manager, lead, "lost")) == "refused"
    assert outcome(move(manager, lead, "negotiation")) == "moved"
    assert fresh(db, lead).stage_id == stage_id("negotiation")


def test_drag_post_is_csrf_checked_through_the_header(app, login_as, factory, db):
    import re

    me = login_as("consultant")
    lead = factory.lead(owner=me.user)
    db.session.commit()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        page = me.get("/board").get_data(as_text=True)
        token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
        data = {"lead_id": lead.id, "stage": "contacted", "version": lead.version}
        refused = me.post("/board/move", data=data, headers={"HX-Request": "true"})
        assert refused.status_code == 400
        accepted = me.post("/board/move", data=data, headers={"HX-Request": "true", "X-CSRFToken": token})
        assert accepted.status_code == 200 and outcome(accepted) == "moved"
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_won_without_javascript_is_a_page_with_the_order_form(login_as, factory, db):
    me = login_as("consultant")
    lead = factory.lead(owner=me.user, stage="negotiation")
    db.session.commit()
    page = move(me, lead, "won", htmx=False)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html and 'name="vin"' in html
    done = move(me, lead, "won", htmx=False, **order_fields(vin=vin(7)))
    assert done.status_code == 303 and fresh(db, lead).stage_id == stage_id("won")


def test_move_query_count_is_small(login_as, factory, db, count_queries):
    me = login_as("consultant")
    lead = factory.lead(owner=me.user)
    db.session.commit()
    move(me, lead, "contacted")
    with count_queries() as counter:
        assert move(me, fresh(db, lead), "invited").status_code == 200
    # 10, plus the audit chain's lock and head read (app/audit/chain.py), plus the report aggregates'
    # reads of the lead's contribution before and after the flush, and one upsert per aggregate table
    # when a daily count changes (app/reports/aggregates.py); the same for the calendar-period
    # aggregates, whose funnel rows change when the lead's furthest stage this month does
    # (app/reports/periods.py); on PostgreSQL, each of the two reading phases sets the plan mode for
    # its reads and back (app/web/postgres.generic_plans)
    assert counter.count <= 22 + (4 if IS_PG else 0)
    # The answer is drawn without reading the signed-in user again after the commit.
    users = [s for s in counter.statements if re.search(r"\bFROM users\b", s) and "users.password_hash" in s]
    assert len(users) == 1
