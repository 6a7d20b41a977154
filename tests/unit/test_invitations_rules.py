"""Pure invitation and check-in rules."""

from datetime import datetime, timedelta

import pytest

from app.checkin import rules as door
from app.core.errors import DomainError
from app.invitations import ics, rules
from app.invitations.models import InvitationStatus as S

NOW = datetime(2026, 5, 1, 10, 0)
CUTOFF = NOW + timedelta(hours=5)


def answer(status, ans, headcount=2, **kw):
    args = {"now": NOW, "cutoff": CUTOFF, "checked_in": False, "event_cancelled": False, "seats_left": None}
    args.update(kw)
    return rules.rsvp_transition(status, ans, headcount, **args)


def test_tokens_are_26_base32_characters_and_unique():
    tokens = {rules.new_token() for _ in range(20000)}
    assert len(tokens) == 20000
    assert all(rules.TOKEN_RE.match(t) for t in tokens)


def test_token_from_scan_takes_the_tail_of_a_url_in_any_case():
    token = rules.new_token()
    assert rules.token_from_scan(token) == token
    assert rules.token_from_scan(f"https://x.example/r/{token.lower()}\n") == token
    assert rules.token_from_scan("HELLO") is None
    assert rules.token_from_scan("") is None


@pytest.mark.parametrize("status", [S.TODO, S.INVITED, S.DECLINED, S.ACCEPTED, S.NO_ANSWER])
def test_accept_before_cutoff(status):
    change = answer(status, "accept", 3)
    assert change == rules.RsvpChange(S.ACCEPTED, 3)


def test_decline_then_accept_again_until_cutoff():
    assert answer(S.ACCEPTED, "decline").status == S.DECLINED
    assert answer(S.DECLINED, "accept").status == S.ACCEPTED


def test_answers_are_closed_after_the_cutoff():
    with pytest.raises(DomainError) as err:
        answer(S.ACCEPTED, "decline", now=CUTOFF)
    assert err.value.code == "closed"


@pytest.mark.parametrize(
    "kw,code",
    [
        ({"checked_in": True}, "checked_in"),
        ({"event_cancelled": True}, "cancelled"),
        ({"seats_left": 1}, "full"),
        ({"seats_left": 0}, "full"),
    ],
)
def test_refusals(kw, code):
    with pytest.raises(DomainError) as err:
        answer(S.INVITED, "accept", 2, **kw)
    assert err.value.code == code


def test_headcount_and_answer_are_validated():
    with pytest.raises(DomainError) as err:
        answer(S.INVITED, "accept", 0)
    assert err.value.code == "invalid_headcount"
    with pytest.raises(DomainError) as err:
        answer(S.INVITED, "maybe")
    assert err.value.code == "bad_answer"
    with pytest.raises(DomainError):
        answer(S.CANCELLED, "accept")


def test_exact_remaining_seats_are_accepted():
    assert answer(S.INVITED, "accept", 2, seats_left=2).status == S.ACCEPTED


def test_call_outcomes():
    assert rules.call_outcome(S.TODO, "no_answer", checked_in=False) == S.NO_ANSWER
    assert rules.call_outcome(S.NO_ANSWER, "accepted", checked_in=False) == S.ACCEPTED
    with pytest.raises(DomainError):
        rules.call_outcome(S.TODO, "maybe", checked_in=False)
    with pytest.raises(DomainError):
        rules.call_outcome(S.ACCEPTED, "declined", checked_in=True)


def test_cutoff_expiry_and_reminder_day():
    start = datetime(2026, 5, 2, 6, 0)
    assert rules.effective_cutoff(start, None, 2) == datetime(2026, 5, 2, 4, 0)
    assert rules.effective_cutoff(start, datetime(2026, 5, 1), 2) == datetime(2026, 5, 1)
    assert rules.token_expired(rules.token_expiry(start), start + rules.TOKEN_GRACE)
    assert not rules.token_expired(rules.token_expiry(start), start)
    assert rules.is_reminder_day(datetime(2026, 5, 2).date(), datetime(2026, 5, 1).date())
    assert not rules.is_reminder_day(datetime(2026, 5, 2).date(), datetime(2026, 5, 2).date())


def test_rates_handle_zero_denominators():
    assert rules.rate(3, 0) is None
    assert rules.rate(1, 4) == 0.25
    assert rules.percent(None) == "—"
    assert rules.percent(2 / 3) == "66.7%"


def test_split_and_goals():
    split = rules.split_evenly(list(range(7)), ["a", "b", "c"])
    assert [len(split[k]) for k in "abc"] == [3, 2, 2]
    split = rules.split_evenly(list(range(5)), ["a", "b"], {"a": 1})
    assert [len(split[k]) for k in "ab"] == [2, 3]
    assert rules.even_goals(10, 3) == [4, 3, 3]
    assert rules.even_goals(5, 0) == []


def test_post_event_tasks():
    assert rules.post_event_task(True, True, 5, 9, 7) == ("post_event", 5)
    assert rules.post_event_task(False, True, 5, 9, 7) == ("reinvite", 9)
    assert rules.post_event_task(False, True, 5, None, 7) == ("reinvite", 5)
    assert rules.post_event_task(False, False, 5, None, 7) is None


def test_door_eligibility_codes():
    base = {
        "invitation_event_id": 1,
        "event_id": 1,
        "status": "accepted",
        "token_expires_at": NOW + timedelta(days=1),
        "checked_in_at": None,
        "checked_in_by": None,
        "now": NOW,
    }
    door.check_eligibility(**base)
    for change, code in [
        ({"event_id": 2}, "other_event"),
        ({"token_expires_at": NOW}, "expired"),
        ({"checked_in_at": NOW, "checked_in_by": "李娜"}, "already_checked_in"),
        ({"status": "cancelled"}, "cancelled"),
    ]:
        with pytest.raises(DomainError) as err:
            door.check_eligibility(**{**base, **change})
        assert err.value.code == code


def test_arrivals_and_client_ids():
    assert door.arrivals(None, 3) == 3
    assert door.arrivals("2", 3) == 2
    with pytest.raises(DomainError):
        door.arrivals("0", 1)
    with pytest.raises(DomainError):
        door.arrivals("x", 1)
    assert door.valid_client_id("0b6f-AA_1") == "0b6f-AA_1"
    assert door.valid_client_id("bad id;") is None
    assert door.valid_client_id("x" * 65) is None


def test_ics_has_utc_times_crlf_and_escaped_text():
    body = ics.event_ics(
        token="A" * 26,
        summary="新车品鉴会, 周末",
        starts_at=datetime(2026, 5, 2, 6, 0),
        ends_at=datetime(2026, 5, 2, 9, 30),
        location="展厅; 一楼",
        description="第一行\n第二行" * 10,
        url="http://x/r/" + "A" * 26,
        now=NOW,
    )
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert "DTSTART:20260502T060000Z\r\n" in body and "DTEND:20260502T093000Z\r\n" in body
    assert "SUMMARY:新车品鉴会\\, 周末" in body and "LOCATION:展厅\\; 一楼" in body
    assert "\n" not in body.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    assert body.count("BEGIN:VEVENT") == 1
