"""Navigation: each entry names a capability of app/web/permissions.py and shows when `can()` allows it."""

from dataclasses import dataclass

from flask import url_for
from flask_babel import lazy_gettext as _l

from app.web.permissions import can


@dataclass(frozen=True)
class NavItem:
    label: object
    endpoint: str
    capability: str
    icon: str = ""


NAV = [
    NavItem(_l("Dashboard"), "dashboard.index", "dashboard.view", "home"),
    NavItem(_l("Board"), "pipeline.board", "pipeline.view", "board"),
    NavItem(_l("Leads"), "leads.list_leads", "leads.browse", "leads"),
    NavItem(_l("Plans"), "followups.list_plans", "plans.view", "plans"),
    NavItem(_l("Review"), "followups.review_queue", "team.manage", "review"),
    NavItem(_l("Approvals"), "followups.approvals", "team.manage", "check"),
    NavItem(_l("Assignment"), "followups.pool", "lead.propose_assignment", "pool"),
    NavItem(_l("Import"), "imports.upload_page", "lead.import", "upload"),
    NavItem(_l("Reception"), "showroom.reception", "showroom.reception", "door"),
    NavItem(_l("Calls"), "dcc.inbound", "dcc.work", "phone"),
    NavItem(_l("Events"), "invitations.list_events", "event.view", "event"),
    NavItem(_l("Campaigns"), "invitations.list_campaigns", "invitation.send", "campaign"),
    NavItem(_l("Reports"), "reports.hub", "reports.view", "chart"),
    NavItem(_l("Audit log"), "admin.audit_log", "audit.read", "audit"),
    NavItem(_l("Settings"), "admin.index", "admin.configure", "settings"),
    NavItem(_l("Users"), "admin.list_users", "admin.configure", "users"),
    NavItem(_l("API keys"), "apikeys.list_keys", "admin.configure", "key"),
]


def nav_items(user) -> list[dict]:
    """Return the navigation entries this user may use."""
    items = []
    for item in NAV:
        if can(user, item.capability):
            items.append(
                {
                    "label": item.label,
                    "url": url_for(item.endpoint),
                    "endpoint": item.endpoint,
                    "icon": item.icon,
                }
            )
    return items


# The phone tab bar of the users the table gives "nav.tabbar" (consultants; the others keep the
# menu): (label, endpoint, capability, icon).
TABS = [
    (_l("Dashboard"), "dashboard.index", "dashboard.view", "home"),
    (_l("Board"), "pipeline.board", "pipeline.view", "board"),
    (_l("Leads"), "leads.list_leads", "leads.browse", "leads"),
    (_l("My plans"), "followups.list_plans", "plans.view", "plans"),
    (_l("Me"), "notifications.settings", "account.self", "me"),
]


def tab_items(user) -> list[dict]:
    """Return the phone tab bar entries this user may use (none without "nav.tabbar")."""
    if not can(user, "nav.tabbar"):
        return []
    items = []
    for label, endpoint, capability, icon in TABS:
        if can(user, capability):
            items.append({"label": label, "url": url_for(endpoint), "endpoint": endpoint, "icon": icon})
    return items
