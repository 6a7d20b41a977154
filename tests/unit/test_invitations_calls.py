"""The call list's cards, the event form's data and the campaign goal form (no app, no database)."""

from datetime import datetime
from types import SimpleNamespace

from app.accounts.models import Role
from app.invitations import rules
from app.invitations.calls import CallRow, block_text, call_card, may_reveal_call, suppressed_text
from app.invitations.forms import event_form_data, member_label
from app.invitations.models import Event, EventType, Invitation
from app.messaging.outbox import Reachability

SENT = {"sms": datetime(2026, 5, 1, 9, 0)}


def user(uid, role=Role.CONSULTANT, reveal=False):
    return SimpleNamespace(id=uid, role=role, can_reveal_phone=reveal)


def row(*, inviter=7, owner=1, dcc=None, phone="13800138000", consent=True, sms_out=None, email=None):
    inv = Invitation(id=5, inviter_id=inviter)
    columns = (inv, "Wang", phone, "8000", 3, owner, dcc, consent, sms_out, None, email)
    return CallRow.from_columns(columns)


def test_row_from_columns_keeps_what_the_card_needs():
    r = row(dcc=2, email="w@example.com")
    assert (r.invitation.id, r.name, r.phone, r.owner_id, r.dcc_agent_id) == (5, "Wang", "13800138000", 1, 2)
    assert r.reach == Reachability(True, None, None, "13800138000", "w@example.com")


def test_owner_and_dcc_agent_see_the_full_number():
    assert call_card(row(owner=1), user(1), sent_at={})["phone"] == "13800138000"
    card = call_card(row(owner=1, dcc=2), user(2, Role.DCC), sent_at=SENT)
    assert card["phone"] == "13800138000" and not card["may_reveal"]
    assert card["sent_at"] == SENT and card["inv"].id == 5 and card["name"] == "Wang"


def test_inviter_sees_the_masked_number_and_may_reveal_it():
    card = call_card(row(inviter=7), user(7), sent_at={})
    assert card["phone"] is None and card["phone_raw"] == "13800138000" and card["may_reveal"]
    assert call_card(row(inviter=7), user(7), sent_at={}, revealed=True)["phone"] == "13800138000"


def test_others_may_reveal_only_with_the_right():
    assert not call_card(row(inviter=7), user(8), sent_at={})["may_reveal"]
    assert call_card(row(inviter=7), user(8, reveal=True), sent_at={})["may_reveal"]
    assert call_card(row(inviter=7), user(8, Role.MANAGER), sent_at={})["may_reveal"]
    assert not call_card(row(inviter=7, phone=None), user(7), sent_at={})["may_reveal"]  # nothing to reveal


def test_may_reveal_call():
    inv = Invitation(inviter_id=7)
    assert may_reveal_call(user(7), inv)
    assert not may_reveal_call(user(8), inv)
    assert may_reveal_call(user(8, Role.DIRECTOR), inv)


def test_block_reasons_on_the_card():
    card = call_card(row(consent=False), user(1), sent_at={})
    assert card["sms_block"] == card["email_block"] == str(block_text("no_consent"))
    card = call_card(row(sms_out=datetime(2026, 1, 1)), user(1), sent_at={})
    assert card["sms_block"] == block_text("opted_out") and card["email_block"] == block_text("no_email")
    card = call_card(row(email="w@example.com"), user(1), sent_at={})
    assert card["sms_block"] is None and card["email_block"] is None


def test_block_and_suppressed_texts():
    assert block_text(None) is None
    assert block_text("no_phone") == "No phone number."
    assert suppressed_text("no_email") == "No email address."
    assert suppressed_text(None) == suppressed_text("unheard-of") == "Not sent."


def test_event_form_data_shows_local_times_and_the_type_code():
    event = Event(
        theme="Launch",
        type=EventType.TEST_DRIVE,
        store_id=3,
        starts_at=datetime(2026, 5, 1, 2, 0),
        ends_at=datetime(2026, 5, 1, 4, 30),
        rsvp_cutoff_at=None,
        place="Hall",
        capacity=40,
    )
    data = event_form_data(event, "Asia/Shanghai")
    assert data["starts_at"] == datetime(2026, 5, 1, 10, 0) and data["starts_at"].tzinfo is None
    assert data["ends_at"] == datetime(2026, 5, 1, 12, 30)
    assert data["rsvp_cutoff_at"] is None
    assert data["type"] == "test_drive" and type(data["type"]) is str
    assert (data["theme"], data["store_id"], data["place"], data["capacity"]) == ("Launch", 3, "Hall", 40)


def test_member_label_names_the_role():
    assert member_label("Li", Role.DCC) == "Li (DCC agent)"
    assert member_label("Li", "other") == "Li (other)"


def test_member_goals_reads_only_goal_fields_with_valid_numbers():
    fields = [("csrf_token", "x"), ("goal-3", "12"), ("goal-4", "-1"), ("goal-x", "5"), ("goal-5", "9999999")]
    assert rules.member_goals(fields) == {3: 12, 5: rules.MAX_MEMBER_GOAL}
    assert rules.member_goals([("goal-0", "3"), ("goals-3", "2")]) == {}


def test_own_metric_rows_only_when_grouped_by_person():
    rows = [SimpleNamespace(key=1), SimpleNamespace(key=2)]
    assert [r.key for r in rules.own_metric_rows(rows, "inviter", 2)] == [2]
    assert [r.key for r in rules.own_metric_rows(rows, "dcc", 1)] == [1]
    assert rules.own_metric_rows(rows, "event", 2) == rows
