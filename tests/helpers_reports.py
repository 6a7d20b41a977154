"""A small hand-computed world for the report tests (October 2026, two stores).

Every figure the report tests assert is worked out by hand in the comments below.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from app.admin.reference import defeat_reasons, stage_by_code
from app.followups.models import DefeatRequest, DefeatStatus, FollowUp, Plan, PlanStatus
from app.invitations.models import Event, EventType, Invitation, InvitationStatus, SurveyResponse
from app.leads.models import LeadOrder
from app.pipeline.stages import set_stage
from app.reports.survey import new_token
from app.showroom.models import ShowroomVisit

OCTOBER = "period=month&date=2026-10-15"


def at(day: int, hour: int = 4, month: int = 10) -> datetime:
    """A naive UTC time in 2026 (04:00 UTC is noon in Shanghai, well inside the local day)."""
    return datetime(2026, month, day, hour, 0)


@dataclass
class World:
    store_a: object
    store_b: object
    c1: object
    c2: object
    c3: object
    manager: object
    director: object
    dcc: object
    leads: dict
    events: dict


def build_world(factory, db) -> World:
    """Two stores; leads L1–L4 in store A, L5 in store B; see each block for the figures."""
    a = factory.store("A01", name="朝阳店")
    b = factory.store("B01", name="海淀店")
    manager = factory.user("manager", a, display_name="经理甲")
    c1 = factory.user("consultant", a, display_name="顾问一", manager_id=manager.id)
    c2 = factory.user("consultant", a, display_name="顾问二", manager_id=manager.id)
    c3 = factory.user("consultant", b, display_name="顾问三")
    director = factory.user("director", None, display_name="总监")
    dcc = factory.user("dcc", a, display_name="DCC一")

    # Funnel (store A, October): L1 reaches won, L2 contacted (then lost), L3 invited, L4 (created in
    # September) visited in October.  new 4, contacted 4, invited 3, visited 2, test drive 1,
    # negotiation 1, won 1.  The group adds L5 (won): new 5 … won 2.
    l1 = factory.lead(owner=c1, store=a, channel="walk_in", created_at=at(10), marketing_consent=True)
    l2 = factory.lead(owner=c1, store=a, channel="website", created_at=at(5))
    l3 = factory.lead(
        owner=c2, store=a, channel="walk_in", created_at=at(15), expected_purchase_date=date(2026, 10, 30)
    )
    l4 = factory.lead(
        owner=c2, store=a, channel="referral", created_at=datetime(2026, 9, 20, 4), dcc_agent_id=dcc.id
    )
    l5 = factory.lead(owner=c3, store=b, channel="walk_in", created_at=at(10))
    for code, day in [
        ("contacted", 11),
        ("invited", 12),
        ("visited", 13),
        ("test_drive", 14),
        ("negotiation", 16),
        ("won", 20),
    ]:
        set_stage(l1, code, c1, now=at(day))
    set_stage(l2, "contacted", c1, now=at(6))
    set_stage(l2, "lost", c1, now=at(8))
    set_stage(l3, "contacted", c2, now=at(16))
    set_stage(l3, "invited", c2, now=at(17))
    set_stage(l4, "contacted", c2, now=datetime(2026, 9, 21, 4))
    set_stage(l4, "invited", c2, now=at(2))
    set_stage(l4, "visited", c2, now=at(3))
    set_stage(l5, "won", c3, now=at(12))
    db.session.add(
        LeadOrder(
            lead_id=l1.id,
            store_id=a.id,
            consultant_id=c1.id,
            brand="星途",
            series="凌云",
            model="凌云 400T",
            amount=Decimal("159900"),
            order_date=date(2026, 10, 20),
        )
    )

    # Follow-ups of c1: 3 on L1 (2 reached), 1 reached on L2 → 4 follow-ups, 3 effective (75%),
    # 2 leads, 2.0 per lead.  First contact: L1 after 2 h, L2 after 4 h → 3.0 h.  L1: 10 days to order.
    for lead, when, reached in [
        (l1, at(10, 6), True),
        (l1, at(11), False),
        (l1, at(12), True),
        (l2, at(5, 8), True),
    ]:
        db.session.add(
            FollowUp(
                lead_id=lead.id,
                user_id=c1.id,
                store_id=a.id,
                method="phone",
                result="reached" if reached else "not_reached",
                content="沟通" if reached else "",
                occurred_at=when,
                is_effective=reached,
            )
        )
    l1.first_contacted_at = at(10, 6)
    l2.first_contacted_at = at(5, 8)

    # Discipline of c2 (October): plan on L3 due 18th still open (violation, overdue today), plan on L4
    # due 25th done on the 24th (fine), plan due 26th done on the 28th (late: violation), L3 expected
    # purchase on the 30th and still open (violation, expired).  3 violations → 50+100+200 = 350 yuan;
    # the manager carries half: 175.  L4 has no open plan (no_plan 1).
    db.session.add_all(
        [
            Plan(
                lead_id=l3.id,
                assignee_id=c2.id,
                store_id=a.id,
                kind="follow_up",
                due_date=date(2026, 10, 18),
                status=PlanStatus.OPEN,
            ),
            Plan(
                lead_id=l4.id,
                assignee_id=c2.id,
                store_id=a.id,
                kind="follow_up",
                due_date=date(2026, 10, 25),
                status=PlanStatus.DONE,
                done_at=at(24),
            ),
            Plan(
                lead_id=l4.id,
                assignee_id=c2.id,
                store_id=a.id,
                kind="follow_up",
                due_date=date(2026, 10, 26),
                status=PlanStatus.DONE,
                done_at=at(28),
            ),
        ]
    )
    l3.next_plan_due = date(2026, 10, 18)

    # Defeat: L2, price, stage before contacted, confirmed on the 8th.
    price = next(r for r in defeat_reasons() if r.code == "price")
    db.session.add(
        DefeatRequest(
            lead_id=l2.id,
            store_id=a.id,
            requested_by_id=c1.id,
            reason_id=price.id,
            stage_before_id=stage_by_code("contacted").id,
            status=DefeatStatus.CONFIRMED,
            decided_by_id=manager.id,
            decided_at=at(8, 7),
            created_at=at(8),
        )
    )

    # Showroom (store A): L1 first visit with contact and test drive, an anonymous first visit without
    # contact, L4 return visit → 3 visits, 2 first, 1 retained → retention 50%, 1 test drive.
    db.session.add_all(
        [
            ShowroomVisit(
                store_id=a.id,
                lead_id=l1.id,
                consultant_id=c1.id,
                arrived_at=at(13, 2),
                left_at=at(13, 3),
                is_first_visit=True,
                left_contact=True,
                test_drive=True,
                source_channel_id=l1.source_channel_id,
            ),
            ShowroomVisit(
                store_id=a.id,
                consultant_id=c2.id,
                arrived_at=at(13, 5),
                left_at=at(13, 6),
                is_first_visit=True,
                left_contact=False,
            ),
            ShowroomVisit(
                store_id=a.id,
                lead_id=l4.id,
                consultant_id=c2.id,
                arrived_at=at(3, 2),
                is_first_visit=False,
                left_contact=True,
            ),
        ]
    )

    # Invitations: event E (Oct 20): L1 accepted+responded+checked in (ordered the same day), L3 declined
    # (responded), L2 no answer, L4 a walk-in → invited 3, accepted 1, responded 2, arrived 1, walk-ins 1,
    # orders 1; success 33.3%, feedback 66.7%, attendance 100%.  E0 has nobody invited (all rates —);
    # E2 has two invited and nobody accepting (attendance —).
    e = Event(
        store_id=a.id, theme="秋季试驾日", type=EventType.TEST_DRIVE, starts_at=at(20, 2), ends_at=at(20, 8)
    )
    e0 = Event(
        store_id=a.id, theme="空场活动", type=EventType.LECTURE, starts_at=at(22, 2), ends_at=at(22, 8)
    )
    e2 = Event(store_id=a.id, theme="新车发布", type=EventType.LAUNCH, starts_at=at(25, 2), ends_at=at(25, 8))
    db.session.add_all([e, e0, e2])
    db.session.flush()

    def invite(event, lead, status, *, responded=False, checked=False, walk_in=False, inviter=c1):
        db.session.add(
            Invitation(
                event_id=event.id,
                lead_id=lead.id,
                inviter_id=inviter.id,
                store_id=a.id,
                status=status,
                token=new_token(),
                token_expires_at=at(30),
                invited_at=None if walk_in else at(15),
                is_walk_in=walk_in,
                responded_at=at(16) if responded else None,
                checked_in_at=at(20, 3) if checked else None,
            )
        )

    invite(e, l1, InvitationStatus.ACCEPTED, responded=True, checked=True)
    invite(e, l3, InvitationStatus.DECLINED, responded=True, inviter=c2)
    invite(e, l2, InvitationStatus.NO_ANSWER)
    invite(e, l4, InvitationStatus.ACCEPTED, checked=True, walk_in=True, inviter=c2)
    invite(e2, l3, InvitationStatus.NO_ANSWER, inviter=c2)
    invite(e2, l2, InvitationStatus.DECLINED)

    # DCC: two calls on L4 (one reached); L4 is a DCC lead invited in October (the 2nd) and arrived →
    # connect 50%, 1 customer reached, 1 appointment (100%), 1 show (100%).
    db.session.add_all(
        [
            FollowUp(
                lead_id=l4.id,
                user_id=dcc.id,
                store_id=a.id,
                method="phone",
                result="reached",
                content="邀约",
                occurred_at=at(1, 3),
                is_effective=True,
            ),
            FollowUp(
                lead_id=l4.id,
                user_id=dcc.id,
                store_id=a.id,
                method="phone",
                result="not_reached",
                content="",
                occurred_at=at(1, 2),
                is_effective=False,
            ),
        ]
    )
    l4.invited_at = at(2)

    # Satisfaction: two surveys for c1 in October, one answered with 4 → sent 2, answered 1, average 4.0.
    db.session.add_all(
        [
            SurveyResponse(
                token=new_token(),
                lead_id=l1.id,
                store_id=a.id,
                consultant_id=c1.id,
                score=4,
                answered_at=at(14),
                expires_at=at(28),
                created_at=at(13, 8),
            ),
            SurveyResponse(
                token=new_token(),
                lead_id=l2.id,
                store_id=a.id,
                consultant_id=c1.id,
                expires_at=at(28),
                created_at=at(13, 9),
            ),
        ]
    )
    db.session.commit()
    return World(
        a,
        b,
        c1,
        c2,
        c3,
        manager,
        director,
        dcc,
        {"L1": l1, "L2": l2, "L3": l3, "L4": l4, "L5": l5},
        {"E": e, "E0": e0, "E2": e2},
    )


def monthly_pdf(client, **form) -> bytes:
    """Ask for the monthly PDF (rendered by the task queue, at once in tests) and return its bytes."""
    response = client.post("/reports/monthly", data=form)
    assert response.status_code == 303, response.status_code
    page = response.headers["Location"]
    assert "/reports/files/" in page
    download = client.get(page + "/download")
    assert download.status_code == 200 and download.data[:5] == b"%PDF-"
    return download.data
