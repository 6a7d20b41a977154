"""Who may take leads assigned in bulk (no app, no database)."""

from types import SimpleNamespace

from app.accounts.models import Role
from app.leads.rules import may_take_bulk_leads


def person(role, store_id=1, active=True):
    return SimpleNamespace(role=role, store_id=store_id, active=active)


MANAGER = person(Role.MANAGER)
DIRECTOR = person(Role.DIRECTOR, store_id=None)


def test_an_active_consultant_of_the_managers_store_may_take_them():
    assert may_take_bulk_leads(person(Role.CONSULTANT), MANAGER)


def test_not_another_store_unless_the_actor_is_a_director():
    assert not may_take_bulk_leads(person(Role.CONSULTANT, store_id=2), MANAGER)
    assert may_take_bulk_leads(person(Role.CONSULTANT, store_id=2), DIRECTOR)


def test_only_active_consultants():
    assert not may_take_bulk_leads(None, MANAGER)
    assert not may_take_bulk_leads(person(Role.CONSULTANT, active=False), MANAGER)
    assert not may_take_bulk_leads(person(Role.CONSULTANT, active=False), DIRECTOR)
    assert not may_take_bulk_leads(person(Role.DCC), MANAGER)
    assert not may_take_bulk_leads(person(Role.MANAGER), DIRECTOR)
