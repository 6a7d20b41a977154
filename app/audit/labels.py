"""How audit rows read in the log viewer: an action's name, and its detail as "field: before → after" lines."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

ACTION_LABELS = {
    "auth.login": _l("Signed in"),
    "auth.login_failed": _l("Failed sign-in"),
    "auth.logout": _l("Signed out"),
    "auth.device_remembered": _l("Device kept signed in"),
    "auth.device_login": _l("Signed in with a remembered device"),
    "auth.device_revoked": _l("Device signed out"),
    "user.create": _l("User created"),
    "user.update": _l("User changed"),
    "user.deactivate": _l("User deactivated"),
    "user.reactivate": _l("User reactivated"),
    "user.password_reset": _l("Password reset"),
    "user.password_change": _l("Password changed"),
    "user.sessions_revoked": _l("Signed out everywhere"),
    "user.device_revoked": _l("Device signed out by an administrator"),
    "store.create": _l("Store created"),
    "store.update": _l("Store changed"),
    "store.activate": _l("Store activated"),
    "store.deactivate": _l("Store deactivated"),
    "settings.update": _l("Rules changed"),
    "lead.create": _l("Lead created"),
    "lead.edit": _l("Lead edited"),
    "lead.stage": _l("Stage changed"),
    "lead.grade": _l("Grade changed"),
    "lead.owner_change": _l("Consultant changed"),
    "lead.merge": _l("Leads merged"),
    "lead.anonymise": _l("Lead anonymised"),
    "lead.bulk_grade": _l("Grades changed in bulk"),
    "lead.reveal_phone": _l("Phone number shown"),
    "lead.import": _l("Leads imported"),
    "lead.export": _l("Leads exported"),
    "lead.export_request": _l("Export requested"),
    "lead.export_decide": _l("Export request decided"),
    "lead.transfer_request": _l("Transfer requested"),
    "transfer.approve": _l("Transfer approved"),
    "transfer.reject": _l("Transfer rejected"),
    "defeat.request": _l("Defeat requested"),
    "defeat.confirm": _l("Defeat confirmed"),
    "defeat.reject": _l("Defeat rejected"),
    "assignment.propose": _l("Assignment proposed"),
    "assignment.approve": _l("Assignment approved"),
    "assignment.reject": _l("Assignment rejected"),
    "plans.leave": _l("Leave taken"),
    "plans.move": _l("Plans handed over"),
    "pool.screen": _l("Pool screened"),
    "report.export": _l("Report exported"),
    "report.pdf": _l("Monthly PDF downloaded"),
    "targets.set": _l("Targets set"),
    "event.create": _l("Event created"),
    "event.update": _l("Event changed"),
    "campaign.create": _l("Campaign created"),
    "campaign.update": _l("Campaign changed"),
    "campaign.generate": _l("Invitations generated"),
    "apikey.create": _l("API key created"),
    "apikey.revoke": _l("API key revoked"),
    "showroom.visit": _l("Showroom visit registered"),
    "showroom.duty": _l("Showroom duty set"),
}
REFERENCE_KINDS = {
    "channels": _l("Source channels"),
    "grades": _l("Intent grades"),
    "stages": _l("Pipeline stages"),
    "defeat_reasons": _l("Defeat reasons"),
    "vehicles": _l("Vehicle catalogue"),
}
FIELD_LABELS = {
    "username": _l("User name"),
    "display_name": _l("Name"),
    "role": _l("Role"),
    "store_id": _l("Store"),
    "manager_id": _l("Manager"),
    "active": _l("Active"),
    "can_export": _l("May export"),
    "can_reveal_phone": _l("May reveal phone numbers"),
    "email": _l("Email"),
    "code": _l("Code"),
    "name": _l("Name"),
    "name_zh": _l("Chinese name"),
    "name_en": _l("English name"),
    "sort_order": _l("Order"),
    "first_contact_hours": _l("First contact within (hours)"),
    "reclaim_days": _l("Reclaim idle leads after (days)"),
    "invited_not_arrived_days": _l("Invited but not arrived after (days)"),
    "export_row_cap": _l("Export row cap (larger exports need approval)"),
    "rsvp_cutoff_hours": _l("RSVP closes before the event (hours)"),
    "penalty": _l("Penalties"),
    "base": _l("Penalty for an overdue plan (yuan)"),
    "doubling": _l("Double the penalty for each repeat"),
    "manager_share": _l("Manager's share of the penalty (0-1)"),
    "repeat_period": _l("Repeats double within"),
    "item_cap": _l("At most per item (yuan)"),
    "monthly_cap": _l("At most per person per month (yuan)"),
    "price": _l("Guide price (yuan)"),
    "rows": _l("Rows"),
    "filters": _l("Filters"),
    "month": _l("Month"),
    "from": _l("From"),
    "to": _l("To"),
    "request": _l("Request"),
    "reason": _l("Reason"),
    "leads": _l("Leads"),
    "fields": _l("Fields"),
    "grade": _l("Grade"),
    "approve": _l("Approved"),
    "channel": _l("Channel"),
}


def action_label(action: str | None) -> str:
    """Return the readable name of an audit action (reference.<kind>.create → "Vehicle catalogue: created")."""
    action = action or ""
    if action in ACTION_LABELS:
        return str(ACTION_LABELS[action])
    parts = action.split(".")
    if len(parts) == 3 and parts[0] == "reference":
        kind = REFERENCE_KINDS.get(parts[1], parts[1])
        verb = _("created") if parts[2] == "create" else _("changed")
        return f"{kind}: {verb}"
    return action


def _value(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list | tuple):
        return ", ".join(_value(v) for v in value) if value else "—"
    if isinstance(value, dict):
        return "; ".join(f"{_field(k)}: {_value(v)}" for k, v in value.items())
    return str(value)


def _field(name) -> str:
    return str(FIELD_LABELS.get(str(name), name))


def _change_lines(field: str, before, after) -> list[str]:
    if isinstance(before, dict | type(None)) and isinstance(after, dict):
        before = before or {}
        keys = [k for k in after if before.get(k) != after.get(k)] + [k for k in before if k not in after]
        return [
            f"{_field(field)} · {_field(k)}: {_value(before.get(k))} → {_value(after.get(k))}" for k in keys
        ]
    return [f"{_field(field)}: {_value(before)} → {_value(after)}"]


def detail_lines(detail) -> list[str]:
    """Return an audit row's detail as readable lines: changes as "field: before → after", the rest as "field: value"."""
    if not detail:
        return []
    if not isinstance(detail, dict):
        return [_value(detail)]
    lines = []
    for key, value in detail.items():
        if key == "changes" and isinstance(value, dict):
            for field, pair in value.items():
                if isinstance(pair, list | tuple) and len(pair) == 2:
                    lines.extend(_change_lines(field, pair[0], pair[1]))
                else:
                    lines.append(f"{_field(field)}: {_value(pair)}")
        else:
            lines.append(f"{_field(key)}: {_value(value)}")
    return lines
