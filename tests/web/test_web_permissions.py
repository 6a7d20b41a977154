"""The permissions module: lead scope per role, loaders, capabilities, phone rights."""

import pytest
from werkzeug.exceptions import NotFound

from app.accounts.models import Role
from app.extensions import db as _db
from app.web.permissions import (
    can,
    get_lead_or_404,
    may_reveal_phone,
    may_see_phone,
    scoped_leads,
    store_scope_ids,
)


@pytest.fixture
def world(factory, db):
    """Two stores; two consultants in store A, one in store B; a DCC agent in A; leads for each."""
    a, b = factory.store(), factory.store()
    alice = factory.user(Role.CONSULTANT, a)
    bob = factory.user(Role.CONSULTANT, a)
    carol = factory.user(Role.CONSULTANT, b)
    dcc = factory.user(Role.DCC, a)
    leads = {
        "alice": factory.lead(owner=alice),
        "bob": factory.lead(owner=bob),
        "carol": factory.lead(owner=carol),
        "pool_a": factory.lead(store=a),
        "dcc_a": factory.lead(owner=bob, dcc_agent_id=dcc.id),
    }
    merged = factory.lead(owner=alice, merged_into_id=leads["alice"].id)
    db.session.commit()
    return {
        "a": a,
        "b": b,
        "alice": alice,
        "bob": bob,
        "carol": carol,
        "dcc": dcc,
        "leads": leads,
        "merged": merged,
    }


def visible(user) -> set[int]:
    return set(_db.session.execute(scoped_leads(user).with_only_columns(_db.text("leads.id"))).scalars())


def test_consultant_sees_only_own_leads(world):
    leads = world["leads"]
    assert visible(world["alice"]) == {leads["alice"].id}
    assert visible(world["bob"]) == {leads["bob"].id, leads["dcc_a"].id}


def test_manager_sees_their_store_only(world, factory):
    manager = factory.user(Role.MANAGER, world["a"])
    leads = world["leads"]
    assert visible(manager) == {leads[k].id for k in ("alice", "bob", "pool_a", "dcc_a")}


@pytest.mark.parametrize("role", [Role.MARKETING, Role.CLERK])
def test_store_staff_see_their_store(world, factory, role):
    user = factory.user(role, world["b"])
    assert visible(user) == {world["leads"]["carol"].id}


def test_director_sees_every_store_but_not_merged_duplicates(world, factory):
    director = factory.user(Role.DIRECTOR)
    assert visible(director) == {lead.id for lead in world["leads"].values()}
    assert world["merged"].id not in visible(director)
    assert store_scope_ids(director) is None


def test_dcc_agent_sees_assigned_leads(world):
    assert visible(world["dcc"]) == {world["leads"]["dcc_a"].id}


def test_get_lead_or_404_hides_other_peoples_leads(world):
    leads = world["leads"]
    assert get_lead_or_404(world["alice"], leads["alice"].id).id == leads["alice"].id
    for key in ("bob", "carol", "pool_a"):
        with pytest.raises(NotFound):
            get_lead_or_404(world["alice"], leads[key].id)
    with pytest.raises(NotFound):
        get_lead_or_404(world["alice"], 987654)


def test_store_scope_ids(world, factory):
    assert store_scope_ids(world["alice"]) == [world["a"].id]


def test_capabilities(world, factory):
    manager = factory.user(Role.MANAGER, world["a"])
    admin = factory.user(Role.ADMIN)
    assert can(manager, "lead.assign") and not can(world["alice"], "lead.assign")
    assert can(admin, "admin.configure") and not can(manager, "admin.configure")
    assert can(factory.user(Role.DIRECTOR), "audit.read") and not can(manager, "audit.read")
    assert not can(world["alice"], "no.such.action")


def test_export_needs_role_and_the_flag(world, factory):
    allowed = factory.user(Role.MANAGER, world["a"], can_export=True)
    flagless = factory.user(Role.MANAGER, world["a"], can_export=False)
    consultant = factory.user(Role.CONSULTANT, world["a"], can_export=True)
    assert can(allowed, "export") and not can(flagless, "export") and not can(consultant, "export")


def test_phone_visibility(world, factory):
    lead = world["leads"]["dcc_a"]
    manager = factory.user(Role.MANAGER, world["a"])
    assert may_see_phone(world["bob"], lead) and may_see_phone(world["dcc"], lead)
    assert not may_see_phone(world["alice"], lead) and not may_see_phone(manager, lead)
    assert may_reveal_phone(manager) and not may_reveal_phone(world["alice"])
    assert not may_see_phone(factory.user(Role.ADMIN), lead)


def test_anonymous_user_can_do_nothing():
    from flask_login import AnonymousUserMixin

    assert not can(AnonymousUserMixin(), "lead.create")


# ---- one loader for store-owned objects ---------------------------------------------------------


def test_get_scoped_or_404_keeps_store_objects_in_their_store(world, factory):
    from app.invitations.models import Event
    from app.web.permissions import get_scoped_or_404

    from ..helpers_invite import make_event

    own, other = make_event(world["a"]), make_event(world["b"])
    _db.session.commit()
    manager = factory.user(Role.MANAGER, world["a"])
    assert get_scoped_or_404(manager, Event, own.id) is own
    with pytest.raises(NotFound):
        get_scoped_or_404(manager, Event, other.id)  # another store's: 404, not 403
    with pytest.raises(NotFound):
        get_scoped_or_404(manager, Event, 987654)
    director = factory.user(Role.DIRECTOR)
    assert {get_scoped_or_404(director, Event, e.id).id for e in (own, other)} == {own.id, other.id}
    storeless = factory.user(Role.MANAGER, world["a"])
    storeless.store_id = None
    with pytest.raises(NotFound):
        get_scoped_or_404(storeless, Event, own.id)


def test_get_scoped_or_404_mine_is_the_users_own_only(world, factory):
    from app.leads.models import ExportRequest
    from app.web.permissions import get_scoped_or_404

    owner = factory.user(Role.MANAGER, world["a"])
    colleague = factory.user(Role.MANAGER, world["a"])
    req = ExportRequest(user_id=owner.id, filters={}, status="approved")
    _db.session.add(req)
    _db.session.commit()
    assert get_scoped_or_404(owner, ExportRequest, req.id, mine=True) is req
    for user in (colleague, factory.user(Role.DIRECTOR)):
        with pytest.raises(NotFound):
            get_scoped_or_404(user, ExportRequest, req.id, mine=True)


def test_store_objects_of_another_store_answer_404_over_http(world, factory, login):
    from ..helpers_invite import make_event

    own, other = make_event(world["a"], theme="ZqOwnEvent"), make_event(world["b"], theme="ZqOtherEvent")
    marketing = factory.user(Role.MARKETING, world["a"])
    _db.session.commit()
    client = login(marketing)
    page = client.get(f"/events/{own.id}")
    assert page.status_code == 200 and "ZqOwnEvent" in page.get_data(as_text=True)
    for url in (f"/events/{other.id}", f"/events/{other.id}/edit"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "ZqOtherEvent" not in response.get_data(as_text=True)


def test_another_users_export_answers_404_over_http(world, factory, login):
    from app.leads.models import ExportRequest

    owner = factory.user(Role.MANAGER, world["a"], can_export=True)
    colleague = factory.user(Role.MANAGER, world["a"], can_export=True)
    req = ExportRequest(user_id=owner.id, filters={}, status="approved")
    _db.session.add(req)
    _db.session.commit()
    assert login(colleague).post(f"/leads/exports/{req.id}/download").status_code == 404
    _db.session.refresh(req)
    assert req.status == "approved"  # the colleague did not use the owner's approval up


# ---- the capability table -----------------------------------------------------------------------


def test_the_showroom_is_for_reception_staff_not_directors(world, factory):
    """The table says what the showroom routes always did: clerks, managers and marketing, not directors."""
    assert can(factory.user(Role.CLERK, world["a"]), "showroom.reception")
    assert not can(factory.user(Role.DIRECTOR), "showroom.reception")


def test_requires_sends_anonymous_users_to_login_and_refuses_other_roles(app, factory, login, client):
    from app.web.access import CAPABILITY_ATTR

    view = app.view_functions["showroom.reception"]
    assert getattr(view, CAPABILITY_ATTR) == "showroom.reception"
    anonymous = client.get("/showroom/reception")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    store = factory.store()
    consultant, clerk = factory.user(Role.CONSULTANT, store), factory.user(Role.CLERK, store)
    _db.session.commit()
    assert login(consultant).get("/showroom/reception").status_code == 403
    assert login(clerk).get("/showroom/reception").status_code == 200


def test_navigation_follows_the_table(app, factory):
    from app.web.navigation import nav_items, tab_items

    store = factory.store()
    with app.test_request_context():
        clerk = [i["endpoint"] for i in nav_items(factory.user(Role.CLERK, store))]
        director = [i["endpoint"] for i in nav_items(factory.user(Role.DIRECTOR))]
        consultant = factory.user(Role.CONSULTANT, store)
        tabs = [i["endpoint"] for i in tab_items(consultant)]
        manager_tabs = tab_items(factory.user(Role.MANAGER, store))
    assert "showroom.reception" in clerk and "showroom.reception" not in director
    assert "leads.list_leads" not in clerk and "admin.audit_log" in director
    assert tabs[:4] == ["dashboard.index", "pipeline.board", "leads.list_leads", "followups.list_plans"]
    assert manager_tabs == []
