"""The lead domain's own timeline source: owner changes, stage changes, touches, showroom visits."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Integer,
    String,
    bindparam,
    cast,
    literal,
    null,
    select,
    type_coerce,
    union_all,
)
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


# One statement for the four sources of this domain: a row per fact, in the same columns
# whatever its kind (`src`), the ones a kind does not use NULL. A lead page reads them in one
# round trip instead of four; each kind's rows become entries as before.
_COLUMNS = {
    "src": Integer,
    "at": DateTime,
    "n1": Integer,
    "n2": Integer,
    "s1": String,
    "s2": String,
    "s3": String,
    "s4": String,
    "flag": Boolean,
    "at2": DateTime,
    "payload": JSON,
    "who": String,
}
_KINDS = ("owner", "stage", "touch", "visit")  # src: the index, also the order of ties in time


def _row(kind: str, **given):
    """A SELECT list in `_COLUMNS`' order: the given expressions, NULL of the column's type elsewhere
    (a typed NULL: PostgreSQL's UNION needs the type; SQLite's CAST of a value to DATETIME would
    turn it into a number, so values are only typed for SQLAlchemy)."""
    given["src"] = literal(_KINDS.index(kind), Integer)
    return [
        (type_coerce(given[name], kind_) if name in given else cast(null(), kind_)).label(name)
        for name, kind_ in _COLUMNS.items()
    ]


def _history_statement():
    """The owner changes, stage moves, touches and showroom visits of some leads (expanding `ids`)."""
    ids = bindparam("ids", expanding=True)
    old, new, by = _FROM, _TO, _BY
    owners = (
        select(
            *_row(
                "owner",
                at=OwnerChange.created_at,
                s1=OwnerChange.kind,
                s2=OwnerChange.reason,
                s3=old.display_name,
                s4=new.display_name,
                who=by.display_name,
            )
        )
        .outerjoin(old, old.id == OwnerChange.from_user_id)
        .outerjoin(new, new.id == OwnerChange.to_user_id)
        .outerjoin(by, by.id == OwnerChange.changed_by_id)
        .where(OwnerChange.lead_id.in_(ids))
    )
    moves = (
        select(
            *_row(
                "stage",
                at=StageChange.created_at,
                n1=StageChange.from_stage_id,
                n2=StageChange.to_stage_id,
                who=User.display_name,
            )
        )
        .outerjoin(User, User.id == StageChange.user_id)
        .where(StageChange.lead_id.in_(ids))
    )
    touched = (
        select(
            *_row(
                "touch",
                at=LeadTouch.created_at,
                n1=LeadTouch.source_channel_id,
                s1=LeadTouch.source_detail,
                flag=LeadTouch.is_repeat_purchase,
                payload=LeadTouch.payload,
                s2=Store.name,
                who=User.display_name,
            )
        )
        .outerjoin(User, User.id == LeadTouch.user_id)
        .outerjoin(Store, Store.id == LeadTouch.store_id)
        .where(LeadTouch.lead_id.in_(ids))
    )
    visits = (
        select(
            *_row(
                "visit",
                at=ShowroomVisit.arrived_at,
                at2=ShowroomVisit.left_at,
                n1=ShowroomVisit.party_size,
                flag=ShowroomVisit.is_first_visit,
                s1=ShowroomVisit.notes,
                who=User.display_name,
            )
        )
        .outerjoin(User, User.id == ShowroomVisit.consultant_id)
        .where(ShowroomVisit.lead_id.in_(ids))
    )
    union = union_all(owners, moves, touched, visits).subquery("lead_history")
    return select(union).order_by(union.c.src)


_HISTORY = _history_statement()  # built once; each lead page binds its ids


def _owner_entry(row, pool: str) -> TimelineEntry:
    return TimelineEntry(
        row.at,
        "owner",
        f"{OWNER_KINDS.get(row.s1, row.s1)}: {row.s3 or pool} → {row.s4 or pool}",
        owner_reason(row.s2),
        row.who,
    )


def _stage_entry(row, refs: dict) -> TimelineEntry:
    names = {"from": _label(refs.get(row.n1)) or "—", "to": _label(refs.get(row.n2))}
    return TimelineEntry(row.at, "stage", _("Stage: %(from)s → %(to)s", **names), "", row.who)


def _touch_entry(row, refs: dict) -> TimelineEntry:
    """Every contact through a channel (the first one created the lead; some came through another store)."""
    channel = _label(refs.get(row.n1))
    if isinstance(row.payload, dict) and row.payload.get("other_store"):
        title = _("Inquiry via %(channel)s at another store (%(store)s)", channel=channel, store=row.s2 or "")
    elif row.flag:
        title = _("Repeat purchase via %(channel)s", channel=channel)
    else:
        title = _("Came in via %(channel)s", channel=channel)
    return TimelineEntry(row.at, "touch", title, row.s1 or "", row.who)


def _visit_entry(row) -> TimelineEntry:
    """A showroom visit registered at reception."""
    return TimelineEntry(
        row.at,
        "visit",
        _("First showroom visit") if row.flag else _("Return showroom visit"),
        _("Party of %(n)s", n=row.n1) + (f" · {row.s1}" if row.s1 else ""),
        row.who,
        {"left_at": row.at2},
    )


@register_timeline("lead_history")
def lead_history(lead_ids: list[int]) -> list[TimelineEntry]:
    """Owner changes (who gave the lead to whom), stage moves, touches and showroom visits, read
    in one statement."""
    stage_refs, channel_refs = by_id(stages()), by_id(channels())
    pool = _("store pool")
    build = {
        0: lambda row: _owner_entry(row, pool),
        1: lambda row: _stage_entry(row, stage_refs),
        2: lambda row: _touch_entry(row, channel_refs),
        3: _visit_entry,
    }
    rows = db.session.execute(_HISTORY, {"ids": list(lead_ids)}).all()
    return [build[row.src](row) for row in rows]


def lead_timeline(lead_ids: list[int], limit: int = 200) -> list[TimelineEntry]:
    """Merge every registered source, newest first."""
    entries: list[TimelineEntry] = []
    for _name, source in timeline_sources():
        entries.extend(source(lead_ids))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]
