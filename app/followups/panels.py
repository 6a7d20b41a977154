"""The follow-up part of the lead page: the logging form, open plans, defeat request; and the
timeline sources for follow-ups (with comments) and plans."""

from datetime import datetime

from flask_babel import get_locale
from flask_babel import gettext as _

from app.admin.reference import by_id, defeat_reasons, grades
from app.core.timeutil import today_for, utcnow
from app.followups import queries, rules
from app.followups.forms import (
    METHOD_LABELS,
    PLAN_KIND_LABELS,
    PLAN_STATUS_LABELS,
    RESULT_LABELS,
    DefeatRequestForm,
    FollowUpForm,
)
from app.followups.models import PlanStatus
from app.followups.services import cadence_table, stage_kind
from app.leads.panels import TimelineEntry, keep, register_panel, register_timeline, reused
from app.web.permissions import can

TIMELINE_LIMIT = 200  # follow-ups and plans a lead's timeline shows at most


def _locale() -> str:
    return str(get_locale() or "zh_CN")


def grade_choices() -> list[tuple[int, str]]:
    return [(g.id, g.label(_locale())) for g in grades() if g.active]


def reason_choices() -> list[tuple[int, str]]:
    return [(r.id, r.label(_locale())) for r in defeat_reasons() if r.active]


def new_followup_form(lead, now: datetime, formdata=None) -> FollowUpForm:
    """Return the follow-up form prefilled for the lead: its grade, version and the cadence date."""
    today = today_for(lead, now)
    grade = by_id(grades()).get(lead.grade_id)
    form = FollowUpForm(formdata=formdata)
    form.grade_id.choices = grade_choices()
    if formdata is None:
        form.grade_id.data = lead.grade_id
        form.version.data = lead.version
        form.expected_purchase_date.data = lead.expected_purchase_date
        form.next_due.data = rules.default_plan_date(grade.code if grade else "C", cadence_table(), today)
    return form


def panel_context(
    lead, user, now: datetime | None = None, form=None, saved=None, error: str | None = None
) -> dict:
    """Return everything the follow-up panel template needs (three queries)."""
    now = now or utcnow()
    today = today_for(lead, now)
    plans = _open_plans(lead.id)
    form = form or new_followup_form(lead, now)
    if form.plan_id.data in (None, "") and plans:
        form.plan_id.data = plans[0].id
    timeline_rows = reused(("followups", (lead.id,)))
    recent = timeline_rows[:5] if timeline_rows is not None else queries.recent_followups([lead.id], limit=5)
    comments = reused(("comments", (lead.id,)))
    if comments is None:
        comments = queries.comments_for([lead.id]) if recent else {}
    defeat = queries.pending_defeat_of_lead(lead.id)
    defeat_form = DefeatRequestForm()
    defeat_form.reason_id.choices = reason_choices()
    cadence = {g.id: int(g.cadence_days) for g in grades()}
    return {
        "lead": lead,
        "form": form,
        "plans": plans,
        "today": today,
        "recent": recent,
        "comments": comments,
        "saved": saved,
        "error": error,
        "defeat": defeat,
        "defeat_form": defeat_form,
        "plan_required": rules.next_plan_required(stage_kind(lead)),
        "cadence": cadence,
        "may_log": can(user, "followup.log"),
        "may_defeat": can(user, "defeat.request"),
        "method_labels": METHOD_LABELS,
        "result_labels": RESULT_LABELS,
        "reasons": by_id(defeat_reasons()),
    }


def _open_plans(lead_id: int) -> list:
    """The lead's open plans, earliest first: from the timeline's plans when the page loaded them
    all (fewer than its limit), else one query."""
    timeline_rows = reused(("plans", (lead_id,)))
    if timeline_rows is None or len(timeline_rows) >= TIMELINE_LIMIT:
        return queries.open_plans_of_lead(lead_id)
    open_plans = [row.Plan for row in timeline_rows if row.Plan.status == PlanStatus.OPEN]
    return sorted(open_plans, key=lambda p: (p.due_date, p.id))


@register_panel(10, "followups")
def followup_panel(lead, user):
    """Render the follow-up form and the open plans on the lead page."""
    return "followups/_panel.html", panel_context(lead, user)


@register_timeline("followups")
def followup_timeline(lead_ids: list[int]) -> list[TimelineEntry]:
    """Follow-ups with their manager comments, newest first."""
    ids = tuple(lead_ids)
    rows = keep(("followups", ids), queries.recent_followups(lead_ids, limit=TIMELINE_LIMIT))
    comments = keep(("comments", ids), queries.comments_for(lead_ids) if rows else {})
    out = []
    for row in rows:
        f = row.FollowUp
        label = f"{METHOD_LABELS.get(f.method, f.method)} · {RESULT_LABELS.get(f.result, f.result)}"
        out.append(
            TimelineEntry(
                at=f.occurred_at,
                kind="followup",
                title=label,
                body=f.content or "",
                user=row.user_name,
                extra={
                    "effective": f.is_effective,
                    "feedback": f.feedback,
                    "recording_url": f.recording_url,
                    "comments": [
                        {
                            "author": c.author_name,
                            "body": c.ManagerComment.body,
                            "at": c.ManagerComment.created_at,
                        }
                        for c in comments.get(f.id, [])
                    ],
                },
            )
        )
        for c in comments.get(f.id, []):
            out.append(
                TimelineEntry(
                    at=c.ManagerComment.created_at,
                    kind="comment",
                    title=_("Manager comment"),
                    body=c.ManagerComment.body,
                    user=c.author_name,
                )
            )
    return out


@register_timeline("plans")
def plan_timeline(lead_ids: list[int]) -> list[TimelineEntry]:
    """Plans as they were made (and done)."""
    out = []
    rows = keep(("plans", tuple(lead_ids)), queries.plans_for_timeline(lead_ids, limit=TIMELINE_LIMIT))
    for row in rows:
        p = row.Plan
        title = _(
            "%(kind)s planned for %(day)s (%(status)s)",
            kind=PLAN_KIND_LABELS.get(str(p.kind), p.kind),
            day=p.due_date.isoformat(),
            status=PLAN_STATUS_LABELS.get(str(p.status), p.status),
        )
        out.append(
            TimelineEntry(
                at=p.created_at,
                kind="plan",
                title=title,
                body=p.content or "",
                user=row.user_name,
                extra={"status": str(p.status), "kind": str(p.kind), "late_reason": p.late_reason},
            )
        )
    return out
