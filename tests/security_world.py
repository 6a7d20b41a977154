"""A two-store world for the suite-level security tests (authorization matrix, fuzzing).

Store A holds the acting users, one of every role, and a second consultant (A2) whose customers
are "another consultant's objects".  Store B holds a full copy of every kind of object: those are
"another store's objects".  Every object carries a marker string that appears nowhere else, so a
page that shows the object can be recognised from its body.
"""

import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import or_, select

from app.accounts.devices import remember as remember_device
from app.accounts.models import Role
from app.admin.reference import channel_by_code, defeat_reasons, stage_by_code
from app.core.timeutil import utcnow
from app.extensions import db
from app.files.models import GeneratedFile, StoredFile
from app.followups.models import (
    AssignmentProposal,
    DefeatRequest,
    FollowUp,
    ManagerComment,
    Notification,
    Plan,
    PlanStatus,
    ProposalItem,
)
from app.invitations.models import Campaign, CampaignMember, Event, EventType, Invitation, InvitationStatus
from app.invitations.rules import new_token, token_expiry
from app.leads.apikeys import create_api_key
from app.leads.models import ExportRequest, ImportJob, TransferRequest
from app.messaging.models import Message, MessageStatus
from app.showroom.models import ShowroomVisit

ROLES = [r.value for r in Role]
TARGETS = ("other_store", "other_consultant")

# Tables whose rows say nothing about the objects under test: the audit log records refused
# attempts on purpose, and the job bookkeeping tables are written by unrelated code.
CHECKSUM_SKIP = {"audit_log", "job_runs", "idempotency_records"}
VOLATILE_COLUMNS = {"last_login_at", "last_used_at"}


@dataclass
class Target:
    """The objects of one kind of "someone else": ids by kind, marker strings, anchors for checksums."""

    name: str
    ids: dict = field(default_factory=dict)
    markers: dict = field(default_factory=dict)  # kind -> list of strings that identify the object
    anchors: dict = field(default_factory=dict)  # table name -> set of ids owned by this target
    extra: dict = field(default_factory=dict)


@dataclass
class SecurityWorld:
    store_a: object
    store_b: object
    actors: dict  # role -> user of store A (director/admin without a store)
    targets: dict  # name -> Target


def _jpeg() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (32, 18), (200, 30, 40)).save(out, "JPEG")
    return out.getvalue()


EVENT_IMAGE = _jpeg()


def _mark(tag: str) -> str:
    return f"Zq{tag}Mark"


def _objects(factory, store, owner, colleague, manager, dcc, tag: str) -> Target:
    """Every kind of object for `owner` (a consultant) in `store`; markers end in `tag`."""
    t = Target(name=tag)
    now = utcnow().replace(microsecond=0)
    lead = factory.lead(
        owner=owner, store=store, name=_mark(f"Lead{tag}"), notes=_mark(f"Note{tag}"), dcc_agent_id=None
    )
    # Neglected for longer than the reclaim period: on the reclaim list, with its choice of new owner
    # (followups.reclaim_choice) for whoever may reassign it.
    second = factory.lead(
        owner=owner,
        store=store,
        name=_mark(f"Lead2{tag}"),
        last_effective_followup_at=utcnow() - timedelta(days=45),
    )
    plan = Plan(
        lead_id=lead.id,
        assignee_id=owner.id,
        store_id=store.id,
        kind="follow_up",
        due_date=date.today() + timedelta(days=2),
        content=_mark(f"Plan{tag}"),
        status=PlanStatus.OPEN,
    )
    followup = FollowUp(
        lead_id=lead.id,
        user_id=owner.id,
        store_id=store.id,
        method="phone",
        result="reached",
        content=_mark(f"Talk{tag}"),
        occurred_at=now - timedelta(hours=2),
        is_effective=True,
    )
    db.session.add_all([plan, followup])
    db.session.flush()
    comment = ManagerComment(
        followup_id=followup.id, lead_id=lead.id, author_id=manager.id, body=_mark(f"Comment{tag}")
    )
    defeat = DefeatRequest(
        lead_id=second.id,
        store_id=store.id,
        requested_by_id=owner.id,
        reason_id=defeat_reasons()[0].id,
        detail=_mark(f"Defeat{tag}"),
        stage_before_id=stage_by_code("new").id,
    )
    transfer = TransferRequest(
        lead_id=lead.id,
        requested_by_id=colleague.id,
        from_owner_id=owner.id,
        store_id=store.id,
        reason=_mark(f"Transfer{tag}"),
    )
    event = Event(
        store_id=store.id,
        theme=_mark(f"Event{tag}"),
        type=EventType.LAUNCH,
        starts_at=now + timedelta(days=3),
        ends_at=now + timedelta(days=3, hours=3),
        place="hall",
        address="road 1",
    )
    db.session.add_all([comment, defeat, transfer, event])
    db.session.flush()
    invitation = Invitation(
        event_id=event.id,
        lead_id=lead.id,
        store_id=store.id,
        inviter_id=owner.id,
        status=InvitationStatus.ACCEPTED,
        headcount=1,
        token=new_token(),
        token_expires_at=token_expiry(event.ends_at),
        invited_at=now,
    )
    campaign = Campaign(
        name=_mark(f"Campaign{tag}"),
        store_id=store.id,
        event_id=event.id,
        starts_on=date.today() - timedelta(days=1),
        ends_on=date.today() + timedelta(days=5),
        channels=["phone"],
        goal_invited=5,
        goal_accepted=3,
        goal_arrived=2,
    )
    visit = ShowroomVisit(
        store_id=store.id,
        lead_id=lead.id,
        consultant_id=owner.id,
        arrived_at=now - timedelta(hours=1),
        notes=_mark(f"Visit{tag}"),
        source_channel_id=channel_by_code("walk_in").id,
    )
    proposal = AssignmentProposal(
        store_id=store.id, created_by_id=manager.id, status="pending", note=_mark(f"Proposal{tag}")
    )
    job = ImportJob(
        user_id=colleague.id,
        store_id=store.id,
        filename=_mark(f"Import{tag}") + ".csv",
        stored_path="/nonexistent/leads.csv",
        status="uploaded",
        total_rows=1,
    )
    export = ExportRequest(user_id=colleague.id, filters={"q": ""}, row_count=9999, status="pending")
    note = Notification(user_id=owner.id, kind="comment", title=_mark(f"Notice{tag}"), body="")
    db.session.add_all([invitation, campaign, visit, proposal, job, export, note])
    db.session.flush()
    db.session.add_all(
        [
            CampaignMember(campaign_id=campaign.id, user_id=owner.id, goal_accepted=1),
            ProposalItem(proposal_id=proposal.id, lead_id=second.id, suggested_user_id=owner.id),
        ]
    )
    # A dead outbox message about the lead (only an administrator may send it again), and a
    # finished monthly report of someone else (only its requester may read or download it).
    message = Message(
        channel="email",
        to_address=f"zq{tag.lower()}@example.com",
        subject=_mark(f"MessageSubject{tag}"),
        body=_mark(f"MessageBody{tag}"),
        lead_id=lead.id,
        status=MessageStatus.DEAD,
        attempts=5,
        last_error=_mark(f"MessageError{tag}"),
    )
    report = GeneratedFile(
        user_id=manager.id if tag == "B" else colleague.id,
        kind="monthly_report",
        month=date.today().replace(day=1),
        store_id=store.id,
        status="done",
        progress=100,
        step="done",
        finished_at=now,
    )
    db.session.add_all([message, report])
    db.session.flush()
    report_pdf = StoredFile(
        owner_type="generated_file",
        owner_id=report.id,
        role="report",
        filename="monthly.pdf",
        content_type="application/pdf",
        size=32,
        content=("%PDF-1.4 " + _mark(f"Report{tag}")).encode(),
    )
    # The event's cover image (public, like the RSVP page; changed only by who may edit the event).
    event_image = StoredFile(
        owner_type="event",
        owner_id=event.id,
        role="image",
        filename=f"event-{event.id}-{tag.lower()}.jpg",
        content_type="image/jpeg",
        size=len(EVENT_IMAGE),
        content=EVENT_IMAGE,
    )
    db.session.add_all([report_pdf, event_image])
    db.session.flush()
    report.file_id = report_pdf.id
    # An approved export above the cap, written by the task and waiting for its one download by
    # the person who asked.
    ready_export = ExportRequest(user_id=colleague.id, filters={"q": ""}, row_count=3, status="approved")
    db.session.add(ready_export)
    db.session.flush()
    export_xlsx = StoredFile(
        owner_type="export_request",
        owner_id=ready_export.id,
        role="export",
        filename="leads.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        size=32,
        content=("PK " + _mark(f"ExportFile{tag}")).encode(),
    )
    db.session.add(export_xlsx)
    db.session.flush()
    export_job = GeneratedFile(
        user_id=colleague.id,
        kind="lead_export",
        month=date.today().replace(day=1),
        status="done",
        progress=100,
        step="done",
        file_id=export_xlsx.id,
        finished_at=now,
    )
    db.session.add(export_job)
    db.session.flush()
    key, _raw = create_api_key(
        _mark(f"Key{tag}"), source_channel_id=channel_by_code("website").id, store_id=store.id
    )
    db.session.flush()
    # A phone on which the owner stays signed in: only the owner and an administrator see it.
    device, _token = remember_device(
        owner, "Mozilla/5.0 (Linux; Android 14) Chrome/131.0 Mobile", "198.51.100.7"
    )
    device.browser = _mark(f"Device{tag}")
    db.session.flush()
    t.ids = {
        "lead": lead.id,
        "lead2": second.id,
        "plan": plan.id,
        "followup": followup.id,
        "comment": comment.id,
        "defeat": defeat.id,
        "transfer": transfer.id,
        "event": event.id,
        "event_image": event_image.id,
        "invitation": invitation.id,
        "campaign": campaign.id,
        "visit": visit.id,
        "proposal": proposal.id,
        "import": job.id,
        "export": export.id,
        "export_file": ready_export.id,
        "export_job": export_job.id,
        "notification": note.id,
        "message": message.id,
        "generated": report.id,
        "apikey": key.id,
        "device": device.id,
        "user": owner.id,
        "colleague": colleague.id,
        "store": store.id,
    }
    t.extra = {
        "token": invitation.token,
        "phone": lead.phone,
        "version": lead.version or 1,
        "image_name": event_image.filename,
    }
    t.markers = {
        "lead": [lead.name, second.name, lead.notes, lead.phone[-11:]],
        "followup": [followup.content, comment.body],
        "plan": [plan.content],
        "defeat": [defeat.detail],
        "transfer": [transfer.reason],
        "event": [event.theme],
        "campaign": [campaign.name],
        "visit": [visit.notes],
        "proposal": [proposal.note],
        "import": [job.filename],
        "notification": [note.title],
        "message": [message.last_error],
        "generated": [_mark(f"Report{tag}")],
        "export_file": [_mark(f"ExportFile{tag}")],
        "apikey": [key.name],
        "device": [device.browser],
    }
    t.anchors = {
        "leads": {lead.id, second.id},
        "plans": {plan.id},
        "followups": {followup.id},
        "manager_comments": {comment.id},
        "defeat_requests": {defeat.id},
        "transfer_requests": {transfer.id},
        "invitations": {invitation.id},
        "showroom_visits": {visit.id},
        "assignment_proposals": {proposal.id},
        "import_jobs": {job.id},
        "export_requests": {export.id, ready_export.id},
        "notifications": {note.id},
        "messages": {message.id},
        "generated_files": {report.id, export_job.id},
        "stored_files": {report_pdf.id, event_image.id, export_xlsx.id},
        "users": {owner.id},
        "api_keys": {key.id},
        "device_sessions": {device.id},
    }
    return t


def build_world(factory) -> SecurityWorld:
    """Store A with one actor per role and a colleague consultant (A2); store B with its own staff."""
    a = factory.store("MXA", name="Zq店甲")
    b = factory.store("MXB", name=_mark("StoreB"))
    actors = {}
    for role in ROLES:
        store = None if role in ("director", "admin") else a
        actors[role] = factory.user(
            role, store, username=f"mx_{role}", can_export=role in ("manager", "director")
        )
    a2 = factory.user("consultant", a, username="mx_a2", display_name="A2顾问")
    a3 = factory.user("consultant", a, username="mx_a3", display_name="A3顾问")
    b_staff = {
        role: factory.user(role, b, username=f"mxb_{role}", display_name=_mark(f"User{role}B"))
        for role in ("consultant", "manager", "dcc", "clerk", "marketing")
    }
    b2 = factory.user("consultant", b, username="mxb_c2", display_name=_mark("UserB2"))
    other_store = _objects(factory, b, b_staff["consultant"], b2, b_staff["manager"], b_staff["dcc"], "B")
    other_consultant = _objects(factory, a, a2, a3, actors["manager"], actors["dcc"], "A2")
    # Store B's people and the store itself belong to the other store; their names are markers too.
    other_store.anchors["stores"] = {b.id}
    other_store.anchors["users"] |= {u.id for u in b_staff.values()} | {b2.id}
    other_store.markers["user"] = [u.display_name for u in b_staff.values()] + [b2.display_name]
    other_store.markers["store"] = [b.name]
    db.session.commit()
    return SecurityWorld(a, b, actors, {"other_store": other_store, "other_consultant": other_consultant})


def table_checksum(target: Target) -> dict:
    """One digest per table of the rows that belong to `target`: the rows it owns (anchors) and
    every row pointing at one of them through a foreign key (a follow-up on its lead, a lead
    moved into its store, …).  Compared before and after a request."""
    digests = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            if table.name in CHECKSUM_SKIP:
                continue
            conditions = []
            own = target.anchors.get(table.name)
            if own and "id" in table.c:
                conditions.append(table.c.id.in_(sorted(own)))
            for fk in table.foreign_keys:
                ids = target.anchors.get(fk.column.table.name)
                if ids and fk.column.name == "id":
                    conditions.append(fk.parent.in_(sorted(ids)))
            if not conditions:
                continue
            columns = [c for c in table.c if c.name not in VOLATILE_COLUMNS]
            order = [table.c.id] if "id" in table.c else list(table.primary_key.columns)
            rows = conn.execute(select(*columns).where(or_(*conditions)).order_by(*order)).all()
            digests[table.name] = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()
    return digests


def body_text(response) -> str:
    """The response as text; an xlsx download is unzipped so its cells can be searched too."""
    data = response.get_data()
    if data[:2] == b"PK":
        import io
        import zipfile

        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return "\n".join(
                    archive.read(n).decode("utf-8", "replace")
                    for n in archive.namelist()
                    if n.endswith(".xml")
                )
        except zipfile.BadZipFile:
            pass
    return data.decode("utf-8", "replace")


def write_summary(section: str, figures: dict) -> None:
    """Merge `figures` under `section` into the JSON file named by SECURITY_FIGURES_JSON, if set."""
    path = os.environ.get("SECURITY_FIGURES_JSON")
    if not path:
        return
    data = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    section_data = data.setdefault(section, {})
    for key, value in figures.items():
        if isinstance(value, int | float) and not isinstance(value, bool) and key in section_data:
            section_data[key] += value
        else:
            section_data[key] = value
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, sort_keys=True)
