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
    return {"a": a, "b": b, "alice": alice, "bob": bob, "carol": carol, "dcc": dcc, "leads": leads,
            "merged": merged}


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
