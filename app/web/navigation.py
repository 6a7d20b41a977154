"""Role-aware navigation: the menu and the consultant's phone tab bar."""

from dataclasses import dataclass

from flask import url_for
from flask_babel import lazy_gettext as _l

from app.accounts.models import Role

ALL = set(Role)
SALES = {Role.CONSULTANT, Role.MANAGER, Role.DIRECTOR}
STORE_STAFF = {Role.MANAGER, Role.DIRECTOR, Role.MARKETING}


@dataclass(frozen=True)
class NavItem:
    label: object
    endpoint: str
    roles: frozenset
    icon: str = ""


NAV = [
    NavItem(_l("Dashboard"), "dashboard.index", frozenset(ALL - {Role.ADMIN}), "home"),
    NavItem(_l("Board"), "pipeline.board", frozenset(SALES | {Role.DCC}), "board"),
    NavItem(_l("Leads"), "leads.list_leads", frozenset(ALL - {Role.ADMIN, Role.CLERK}), "leads"),
    NavItem(_l("Plans"), "followups.list_plans", frozenset(SALES | {Role.DCC}), "plans"),
    NavItem(_l("Review"), "followups.review_queue", frozenset({Role.MANAGER, Role.DIRECTOR}), "review"),
    NavItem(_l("Approvals"), "followups.approvals", frozenset({Role.MANAGER, Role.DIRECTOR}), "check"),
    NavItem(_l("Assignment"), "followups.pool", frozenset(STORE_STAFF), "pool"),
    NavItem(_l("Import"), "imports.upload_page", frozenset({Role.MANAGER, Role.DIRECTOR, Role.MARKETING}), "upload"),
    NavItem(_l("Reception"), "showroom.reception", frozenset({Role.CLERK, Role.MANAGER, Role.MARKETING}), "door"),
    NavItem(_l("Calls"), "dcc.inbound", frozenset({Role.DCC, Role.MANAGER, Role.DIRECTOR}), "phone"),
    NavItem(_l("Events"), "invitations.list_events", frozenset(STORE_STAFF | {Role.CONSULTANT, Role.DCC, Role.CLERK}), "event"),
    NavItem(_l("Campaigns"), "invitations.list_campaigns", frozenset(STORE_STAFF | {Role.CONSULTANT, Role.DCC}), "campaign"),
    NavItem(_l("Reports"), "reports.hub", frozenset(SALES | {Role.MARKETING, Role.DCC}), "chart"),
    NavItem(_l("Audit log"), "admin.audit_log", frozenset({Role.DIRECTOR}), "audit"),
    NavItem(_l("Settings"), "admin.index", frozenset({Role.ADMIN}), "settings"),
    NavItem(_l("Users"), "admin.list_users", frozenset({Role.ADMIN}), "users"),
    NavItem(_l("API keys"), "apikeys.list_keys", frozenset({Role.ADMIN}), "key"),
]


def nav_items(user) -> list[dict]:
    """Return the navigation entries this user's role may use."""
    items = []
    for item in NAV:
        if user.role in item.roles:
            items.append({"label": item.label, "url": url_for(item.endpoint), "endpoint": item.endpoint,
                          "icon": item.icon})
    return items


# The consultant's bottom tab bar on phones: (label, endpoint, icon).
TABS = [
    (_l("Dashboard"), "dashboard.index", "home"),
    (_l("Board"), "pipeline.board", "board"),
    (_l("Leads"), "leads.list_leads", "leads"),
    (_l("My plans"), "followups.list_plans", "plans"),
    (_l("Me"), "notifications.settings", "me"),
]


def tab_items(user) -> list[dict]:
    """Return the phone tab bar entries: consultants only (others keep the menu)."""
    if user.role != Role.CONSULTANT:
        return []
    return [{"label": label, "url": url_for(endpoint), "endpoint": endpoint, "icon": icon}
            for label, endpoint, icon in TABS]
