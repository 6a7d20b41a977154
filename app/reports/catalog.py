"""The catalogue of reports: key, title, section, builder, "group by" choices and who may open each.

The hub, the report pages, the print view and the Excel export go through `REPORTS` / `BY_KEY`;
the builders themselves live in `app.reports.builders`, one module per family.
"""

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app.accounts.models import Role
from app.reports.builders import (
    activity,
    arrivals,
    comparison,
    daily,
    dcc,
    defeats,
    discipline,
    followups,
    funnel,
    invitations,
    prospects,
    satisfaction,
    showroom,
    sources,
    trends,
)


@dataclass(frozen=True)
class Report:
    key: str
    title: object
    section: object
    build: Callable
    bys: tuple = ()  # "group by" choices
    default_period: str = "month"
    grain: bool = False  # offers day/week/month/quarter buckets
    roles: frozenset = frozenset({Role.CONSULTANT, Role.MANAGER, Role.DIRECTOR, Role.MARKETING, Role.DCC})
    description: object = ""
    paged: bool = False  # the page shows its rows a page at a time (the builder takes `page`)


SALES = _l("Sales")
SHOWROOM = _l("Showroom")
WORK = _l("Daily work")
MARKETING = _l("Invitations and DCC")
MANAGEMENT = _l("Management")
MANAGERS = frozenset({Role.MANAGER, Role.DIRECTOR, Role.MARKETING})

REPORTS = [
    Report(
        "funnel",
        _l("Conversion funnel"),
        SALES,
        funnel.build_funnel,
        ("", "store", "consultant", "channel"),
        description=_l("Leads reaching each stage in the period, with the drop-off between steps."),
    ),
    Report(
        "sources",
        _l("Lead sources"),
        SALES,
        sources.build_sources,
        grain=True,
        description=_l("New leads per source channel and the share that visited or bought."),
    ),
    Report(
        "followups",
        _l("Follow-up efficiency"),
        SALES,
        followups.build_followups,
        paged=True,
        description=_l("Follow-ups per lead, effective share, time to first contact, days to order."),
    ),
    Report(
        "defeats",
        _l("Defeat statistics and analysis"),
        SALES,
        defeats.build_defeats,
        ("", "model", "stage", "consultant", "channel"),
        description=_l("Confirmed defeats by reason, and by model, stage reached or consultant."),
    ),
    Report(
        "traffic",
        _l("Showroom traffic analysis"),
        SHOWROOM,
        showroom.build_traffic,
        ("", "consultant", "hour", "store"),
        grain=True,
        description=_l("Visits, first and return visits, test drives and stay per period."),
    ),
    Report(
        "arrivals",
        _l("Arrival registration"),
        SHOWROOM,
        arrivals.build_arrivals,
        default_period="day",
        paged=True,
        description=_l("Every registered showroom arrival."),
    ),
    Report(
        "showroom_sources",
        _l("Showroom source analysis"),
        SHOWROOM,
        showroom.build_showroom_sources,
        description=_l("Showroom visits per source channel with the retention rate."),
    ),
    Report(
        "retention",
        _l("Retention rate trend"),
        SHOWROOM,
        showroom.build_retention,
        grain=True,
        description=_l("First visits that left contact details, per period."),
    ),
    Report(
        "daily",
        _l("Daily work report"),
        WORK,
        daily.build_daily,
        default_period="day",
        paged=True,
        description=_l("Each consultant's day: new leads, follow-ups, receptions, invitations, orders."),
    ),
    Report(
        "activity",
        _l("Consultant visit activity daily"),
        WORK,
        activity.build_activity,
        default_period="week",
        paged=True,
        description=_l("Contacts per consultant and day, by method."),
    ),
    Report(
        "prospects",
        _l("Prospect follow-up progress"),
        WORK,
        prospects.build_prospects,
        paged=True,
        description=_l("Open leads per consultant and grade, due and overdue follow-ups."),
    ),
    Report(
        "discipline",
        _l("Discipline"),
        WORK,
        discipline.build_discipline,
        paged=True,
        description=_l("Overdue plans, expired opportunities, leads without plan and penalties."),
    ),
    Report(
        "invitations",
        _l("Invitations and events"),
        MARKETING,
        invitations.build_invitations,
        ("event", "campaign", "consultant", "store"),
        description=_l("Success, feedback and attendance rates, and orders from invitees."),
    ),
    Report(
        "dcc",
        _l("DCC figures"),
        MARKETING,
        dcc.build_dcc,
        roles=frozenset({Role.MANAGER, Role.DIRECTOR, Role.MARKETING, Role.DCC}),
        description=_l("Connect rate, appointment rate and show rate per DCC agent."),
    ),
    Report(
        "satisfaction",
        _l("Customer satisfaction"),
        MARKETING,
        satisfaction.build_satisfaction,
        ("consultant", "store", "event"),
        description=_l("Survey scores per store, consultant and event."),
    ),
    Report(
        "comparison",
        _l("Store and consultant comparison"),
        MANAGEMENT,
        comparison.build_comparison,
        ("", "consultant"),
        roles=MANAGERS,
        description=_l("New leads, visits, orders and targets side by side."),
    ),
    Report(
        "trends",
        _l("Trends"),
        MANAGEMENT,
        trends.build_trends,
        grain=True,
        description=_l("Weekly, monthly and quarterly figures, against the previous period and last year."),
    ),
]
BY_KEY = {r.key: r for r in REPORTS}


def reports_for(user) -> list[Report]:
    """The reports this user's role may open."""
    return [r for r in REPORTS if user.role in r.roles]
