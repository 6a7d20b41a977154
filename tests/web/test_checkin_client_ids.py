"""A check-in client id belongs to the guest and event it was first sent for: sent again for the
same guest it is a no-op; reused for another guest it is refused and never answers with the
first guest."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.models import Store
from app.checkin import services
from app.core.errors import DomainError
from app.extensions import db
from app.invitations.models import CheckIn, Invitation
from app.invitations.models import InvitationStatus as S
from tests.helpers_invite import make_event, make_invitation


@pytest.fixture
def two_guests(factory):
    store = factory.store()
    clerk = factory.user("clerk", store, display_name="李娜")
    event = make_event(store, starts_in=timedelta(hours=-1))
    first = make_invitation(event, factory.lead(name="王先生", phone="+8613912345678"), status=S.ACCEPTED)
    second = make_invitation(event, factory.lead(name="赵女士", phone="+8613700001111"), status=S.ACCEPTED)
    db.session.commit()
    return clerk, event, first, second


def _checkins() -> int:
    return db.session.scalar(select(func.count()).select_from(CheckIn))


def test_client_id_reused_for_another_guest_is_409_and_shows_neither(two_guests, login):
    clerk, event, first, second = two_guests
    c = login(clerk)
    assert (
        c.htmx("post", f"/checkin/{event.id}", data={"code": first.token, "client_id": "k-1"}).status_code
        == 200
    )
    response = c.htmx("post", f"/checkin/{event.id}", data={"code": second.token, "client_id": "k-1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and 'data-outcome="error"' in html
    assert "王先生" not in html and "赵女士" not in html and "已用于另一位来宾" in html
    db.session.expire_all()
    assert db.session.get(Invitation, second.id).checked_in_at is None and _checkins() == 1


def test_client_id_reused_by_invitation_id_is_refused(two_guests, login):
    clerk, event, first, second = two_guests
    c = login(clerk)
    c.htmx("post", f"/checkin/{event.id}", data={"invitation_id": first.id, "client_id": "k-2"})
    response = c.htmx("post", f"/checkin/{event.id}", data={"invitation_id": second.id, "client_id": "k-2"})
    assert response.status_code == 409 and "王先生" not in response.get_data(as_text=True)


def test_same_client_id_for_the_same_guest_is_still_a_repeat(two_guests, login):
    clerk, event, first, _second = two_guests
    c = login(clerk)
    c.htmx("post", f"/checkin/{event.id}", data={"code": first.token, "client_id": "k-3"})
    again = c.htmx("post", f"/checkin/{event.id}", data={"code": first.token, "client_id": "k-3"})
    assert again.status_code == 200 and 'data-outcome="repeat"' in again.get_data(as_text=True)
    assert _checkins() == 1


def test_client_id_of_another_event_is_refused_by_the_service(two_guests, factory):
    clerk, event, first, _second = two_guests
    services.check_in(event, actor=clerk, invitation_id=first.id, client_id="k-4")
    other_event = make_event(
        db.session.get(Store, event.store_id), theme="另一场", starts_in=timedelta(hours=-1)
    )
    guest = make_invitation(other_event, factory.lead(), status=S.ACCEPTED)
    with pytest.raises(DomainError) as error:
        services.check_in(other_event, actor=clerk, invitation_id=guest.id, client_id="k-4")
    assert error.value.code == "client_id_reused"


def test_walk_in_with_a_client_id_used_for_another_guest_is_refused(two_guests, login):
    clerk, event, first, _second = two_guests
    c = login(clerk)
    c.htmx("post", f"/checkin/{event.id}", data={"code": first.token, "client_id": "k-5"})
    response = c.htmx(
        "post",
        f"/checkin/{event.id}/walk-in",
        data={"name": "路人", "phone": "13800138000", "client_id": "k-5"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "王先生" not in html and "已用于另一位来宾" in html
    assert _checkins() == 1


def test_walk_in_sent_again_with_its_client_id_is_a_repeat(two_guests, login):
    clerk, event, _first, _second = two_guests
    c = login(clerk)
    data = {"name": "路人", "phone": "13800138000", "client_id": "k-6"}
    assert c.htmx("post", f"/checkin/{event.id}/walk-in", data=data).status_code == 200
    again = c.htmx("post", f"/checkin/{event.id}/walk-in", data=data)
    assert again.status_code == 200 and 'data-outcome="repeat"' in again.get_data(as_text=True)
    assert _checkins() == 1
