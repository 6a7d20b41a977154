"""The lead domain's own timeline sources: owner changes, stage changes, touches, showroom visits."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import aliased

from app.accounts.models import Store, User
from app.admin.reference import by_id, channels, stages
from app.extensions import db
from app.leads.models import LeadTouch, OwnerChange, StageChange
from app.leads.panels import TimelineEntry, register_timeline, timeline_sources
from app.showroom.models import ShowroomVisit

OWNER_KINDS = {
    "assign": _l("Assigned"),
    "reassign": _l("Reassigned"),
    "reclaim": _l("Reclaimed"),
    "handover": _l("Handed over"),
    "transfer": _l("Transferred"),
    "merge": _l("Merged"),
    "defeat_reassign": _l("Reassigned after defeat"),
    "dcc": _l("Passed from DCC"),
}

# Reasons stored as codes by the code itself (people type the others).
OWNER_REASONS = {"created": _l("New lead"), "deactivation": _l("The previous consultant left")}


def owner_reason(reason: str | None) -> str:
    """Return an owner change's reason as people read it (codes through OWNER_REASONS)."""
    reason = (reason or "").strip()
    if reason.startswith("merge of "):
        return _("Merged from leads %(ids)s", ids=reason.removeprefix("merge of ").strip("[]"))
    return str(OWNER_REASONS.get(reason, reason))


# Built once: a fresh alias per call adapts its columns again on every lead page.
_FROM, _TO, _BY = (
    aliased(User, name="owner_from"),
    aliased(User, name="owner_to"),
    aliased(User, name="changed_by"),
)


def _label(ref) -> str:
    from flask_babel import get_locale

    return ref.label(str(get_locale() or "zh_CN")) if ref else ""


@register_timeline("owner_changes")
def owner_changes(lead_ids: list[int]) -> list[TimelineEntry]:
    """Owner changes of the leads, with who gave them to whom."""
    old, new, by = _FROM, _TO, _BY
    rows = db.session.execute(
        select(
            OwnerChange.created_at,
            OwnerChange.kind,
            OwnerChange.reason,
            old.display_name,
            new.display_name,
            by.display_name,
        )
        .outerjoin(old, old.id == OwnerChange.from_user_id)
        .outerjoin(new, new.id == OwnerChange.to_user_id)
        .outerjoin(by, by.id == OwnerChange.changed_by_id)
        .where(OwnerChange.lead_id.in_(lead_ids))
    ).all()
    pool = _("store pool")
    return [
        TimelineEntry(
            at,
            "owner",
            f"{OWNER_KINDS.get(kind, kind)}: {frm or pool} → {to or pool}",
            owner_reason(reason),
            changer,
        )
        for at, kind, reason, frm, to, changer in rows
    ]


@register_timeline("stage_changes")
def stage_changes(lead_ids: list[int]) -> list[TimelineEntry]:
    """Stage moves of the leads."""
    refs = by_id(stages())
    rows = db.session.execute(
        select(StageChange.created_at, StageChange.from_stage_id, StageChange.to_stage_id, User.display_name)
        .outerjoin(User, User.id == StageChange.user_id)
        .where(StageChange.lead_id.in_(lead_ids))
    ).all()
    return [
        TimelineEntry(
            at,
            "stage",
            _("Stage: %(from)s → %(to)s", **{"from": _label(refs.get(a)) or "—", "to": _label(refs.get(b))}),
            "",
            who,
        )
        for at, a, b, who in rows
    ]


@register_timeline("touches")
def touches(lead_ids: list[int]) -> list[TimelineEntry]:
    """Every contact through a channel (the first one created the lead; some came through another store)."""
    refs = by_id(channels())
    rows = db.session.execute(
        select(
            LeadTouch.created_at,
            LeadTouch.source_channel_id,
            LeadTouch.source_detail,
            LeadTouch.is_repeat_purchase,
            LeadTouch.payload,
            Store.name,
            User.display_name,
        )
        .outerjoin(User, User.id == LeadTouch.user_id)
        .outerjoin(Store, Store.id == LeadTouch.store_id)
        .where(LeadTouch.lead_id.in_(lead_ids))
    ).all()

    def title(channel_id, repeat, payload, store) -> str:
        channel = _label(refs.get(channel_id))
        if isinstance(payload, dict) and payload.get("other_store"):
            return _(
                "Inquiry via %(channel)s at another store (%(store)s)", channel=channel, store=store or ""
            )
        if repeat:
            return _("Repeat purchase via %(channel)s", channel=channel)
        return _("Came in via %(channel)s", channel=channel)

    return [
        TimelineEntry(at, "touch", title(ch, repeat, payload, store), detail or "", who)
        for at, ch, detail, repeat, payload, store, who in rows
    ]


@register_timeline("showroom_visits")
def showroom_visits(lead_ids: list[int]) -> list[TimelineEntry]:
    """Showroom visits registered at reception."""
    rows = db.session.execute(
        select(
            ShowroomVisit.arrived_at,
            ShowroomVisit.left_at,
            ShowroomVisit.party_size,
            ShowroomVisit.is_first_visit,
            ShowroomVisit.notes,
            User.display_name,
        )
        .outerjoin(User, User.id == ShowroomVisit.consultant_id)
        .where(ShowroomVisit.lead_id.in_(lead_ids))
    ).all()
    return [
        TimelineEntry(
            at,
            "visit",
            _("First showroom visit") if first else _("Return showroom visit"),
            _("Party of %(n)s", n=size) + (f" · {notes}" if notes else ""),
            who,
            {"left_at": left},
        )
        for at, left, size, first, notes, who in rows
    ]


def lead_timeline(lead_ids: list[int], limit: int = 200) -> list[TimelineEntry]:
    """Merge every registered source, newest first."""
    entries: list[TimelineEntry] = []
    for _name, source in timeline_sources():
        entries.extend(source(lead_ids))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]
