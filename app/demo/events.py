"""Demo events: a monthly event per store for six months and one coming up, with campaigns,
invitations, answers, check-ins, no-shows, guests who came without answering, walk-ins and
orders from guests, so the invitation figures look like a real store's.

About a hundred guests per event whatever the lead volume: a million-lead demo adds seconds.
"""

import random
from datetime import datetime, timedelta

from sqlalchemy import select

from app.admin.reference import stages
from app.core.timeutil import local_to_utc, to_local, zone_for
from app.demo.bulk import bulk_insert, fix_sequences, max_id
from app.extensions import db
from app.invitations.models import Campaign, CampaignMember, Event, EventType
from app.invitations.rules import new_token, token_expiry
from app.leads.models import Lead

THEMES = [
    ("新车品鉴会", EventType.LAUNCH),
    ("周末试驾日", EventType.TEST_DRIVE),
    ("金融购车讲座", EventType.LECTURE),
    ("店庆特惠日", EventType.PROMOTION),
    ("车主开放日", EventType.OTHER),
    ("秋季团购会", EventType.PROMOTION),
]
INV_COLS = (
    "id",
    "version",
    "event_id",
    "campaign_id",
    "lead_id",
    "inviter_id",
    "store_id",
    "method",
    "status",
    "headcount",
    "token",
    "token_expires_at",
    "invited_at",
    "responded_at",
    "confirmed_at",
    "checked_in_at",
    "checked_in_by_id",
    "actual_headcount",
    "is_walk_in",
    "created_at",
)
CHECKIN_COLS = ("id", "event_id", "invitation_id", "checked_in_at", "checked_in_by_id", "headcount", "device")


def _saturday_afternoon(now: datetime, weeks_back: int, tz: str) -> datetime:
    """14:00 local on a Saturday `weeks_back` weeks before now, as naive UTC."""
    local = to_local(now, tz).replace(tzinfo=None)
    saturday = local.date() - timedelta(days=(local.weekday() - 5) % 7) - timedelta(weeks=weeks_back)
    return local_to_utc(datetime(saturday.year, saturday.month, saturday.day, 14, 0), tz)


def seed_events(stores, staff: dict, seed: int, now: datetime, echo=print) -> dict:
    """Add the events of every store; return counts. A separate random stream keeps the leads'
    draws (and so the demo's people) the same with or without events."""
    rng = random.Random(seed * 7919 + 17)
    open_ids = [s.id for s in stages() if s.kind == "open"]
    ids = {t: max_id(t) for t in ("invitations", "checkins")}
    counts = {"events": 0, "invitations": 0, "checkins": 0}
    invitations, checkins = [], []
    for store in stores:
        tz = zone_for(store)
        roles = staff[store.id]
        inviters = roles["consultant"][:8] + roles["dcc"][:1]
        clerk = roles["clerk"][0]  # staff holds user ids
        schedule = [(weeks, i) for i, weeks in enumerate((22, 18, 14, 10, 6, 2))] + [(-1, 6)]
        for weeks, index in schedule:
            theme, kind = THEMES[index % len(THEMES)]
            starts = _saturday_afternoon(now, weeks, tz)
            past = starts + timedelta(hours=3) < now
            event = Event(
                store_id=store.id,
                theme=f"{theme}（{to_local(starts, tz):%m月}）",
                type=kind,
                starts_at=starts,
                ends_at=starts + timedelta(hours=3),
                place="展厅一楼",
                address=store.address or store.city,
                capacity=150,
                created_by_id=roles["manager"][0],
                public_description="到店即有精美礼品，试驾还可参加抽奖。",
            )
            db.session.add(event)
            db.session.flush()
            campaign = Campaign(
                name=f"{event.theme}邀约",
                store_id=store.id,
                event_id=event.id,
                starts_on=to_local(starts - timedelta(days=14), tz).date(),
                ends_on=to_local(starts, tz).date(),
                channels=["phone", "sms"],
                goal_invited=100,
                goal_accepted=45,
                goal_arrived=30,
                created_by_id=roles["manager"][0],
            )
            db.session.add(campaign)
            db.session.flush()
            for user in inviters:
                db.session.add(CampaignMember(campaign_id=campaign.id, user_id=user, goal_accepted=5))
            counts["events"] += 1
            candidates = db.session.execute(
                select(Lead.id, Lead.owner_id)
                .where(
                    Lead.store_id == store.id,
                    Lead.stage_id.in_(open_ids),
                    Lead.created_at < starts - timedelta(days=3),
                    Lead.owner_id.is_not(None),
                )
                .order_by(Lead.id)
                .limit(3000)
            ).all()
            buyers = (
                db.session.execute(
                    select(Lead.id, Lead.owner_id)
                    .where(
                        Lead.store_id == store.id,
                        Lead.won_at >= starts,
                        Lead.won_at < starts + timedelta(days=20),
                        Lead.created_at < starts - timedelta(days=3),
                    )
                    .order_by(Lead.id)
                    .limit(rng.randint(2, 6))
                ).all()
                if past
                else []
            )
            guests = rng.sample(candidates, min(int(len(candidates) * 0.7), rng.randint(50, 110)))
            chosen = {lead_id for lead_id, _ in guests}
            guests += [b for b in buyers if b[0] not in chosen]
            invited_at = starts - timedelta(days=rng.randint(7, 12))
            expires = token_expiry(starts + timedelta(hours=3))
            for lead_id, owner_id in guests:
                buyer = (lead_id, owner_id) in buyers
                inviter = owner_id if owner_id in inviters else rng.choice(inviters)
                roll = rng.random()
                answered = buyer or roll < 0.72
                accepted = buyer or (answered and rng.random() < 0.62)
                status = (
                    "accepted"
                    if accepted
                    else "declined"
                    if answered
                    else rng.choice(("invited", "no_answer"))
                )
                came = past and (
                    (accepted and (buyer or rng.random() < 0.68)) or (not answered and rng.random() < 0.05)
                )
                headcount = rng.choice((1, 1, 2, 2, 3))
                at = starts - timedelta(minutes=rng.randint(-90, 25)) if came else None
                ids["invitations"] += 1
                invitations.append(
                    (
                        ids["invitations"],
                        1,
                        event.id,
                        campaign.id,
                        lead_id,
                        inviter,
                        store.id,
                        rng.choice(("phone", "phone", "sms")),
                        status,
                        headcount,
                        new_token(),
                        expires,
                        invited_at,
                        invited_at + timedelta(hours=rng.randint(1, 72)) if answered else None,
                        starts - timedelta(days=1) if accepted and rng.random() < 0.7 else None,
                        at,
                        clerk if came else None,
                        headcount if came else None,
                        False,
                        invited_at,
                    )
                )
                if came:
                    ids["checkins"] += 1
                    checkins.append(
                        (ids["checkins"], event.id, ids["invitations"], at, clerk, headcount, "demo")
                    )
            if past:  # walk-ins: customers of the store who came along without an invitation
                walk_ins = [c for c in candidates if c[0] not in chosen][: rng.randint(4, 12)]
                for lead_id, _owner in walk_ins:
                    at = starts + timedelta(minutes=rng.randint(0, 150))
                    ids["invitations"] += 1
                    invitations.append(
                        (
                            ids["invitations"],
                            1,
                            event.id,
                            None,
                            lead_id,
                            None,
                            store.id,
                            "visit",
                            "accepted",
                            1,
                            new_token(),
                            expires,
                            None,
                            None,
                            None,
                            at,
                            clerk,
                            1,
                            True,
                            at,
                        )
                    )
                    ids["checkins"] += 1
                    checkins.append((ids["checkins"], event.id, ids["invitations"], at, clerk, 1, "demo"))
    db.session.flush()
    counts["invitations"] = bulk_insert("invitations", INV_COLS, invitations)
    counts["checkins"] = bulk_insert("checkins", CHECKIN_COLS, checkins)
    fix_sequences(["invitations", "checkins"])
    db.session.commit()
    echo(f"  events={counts['events']} invitations={counts['invitations']} checkins={counts['checkins']}")
    return counts
