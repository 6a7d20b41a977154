"""The reports: each one a builder from a ReportFilter to a Table with its chart."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app.accounts.models import Role
from app.admin.reference import grades
from app.core.names import with_role
from app.core.timeutil import local_today, utcnow
from app.extensions import db
from app.followups import penalties
from app.followups import queries as fq
from app.leads.models import Lead
from app.reports import charts, queries
from app.reports import queries_visits as qv
from app.reports.rules import (
    Period,
    bucket_keys,
    bucket_label,
    month_end,
    previous_period,
    rate,
    same_period_last_year,
)
from app.reports.tables import Col, Names, Table, sum_rows
from app.showroom.rules import retention_rate


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


def _merge(*row_lists) -> dict:
    merged: dict = {}
    for rows in row_lists:
        for row in rows:
            merged.setdefault(row["key"], {"key": row["key"]}).update(
                {k: v for k, v in row.items() if k != "key"}
            )
    return merged


# ---- funnel ---------------------------------------------------------------------------------


def build_funnel(f) -> Table:
    names = Names()
    steps = queries.funnel_stages()
    by = f.by if f.by in ("store", "consultant", "channel") else ""
    rows = queries.funnel(f, by or None)
    if not by:
        counts = [(rows[0][f"s{s.id}"] if rows else 0) for s in steps]
        first = counts[0] if counts else 0
        out = []
        for i, (stage, n) in enumerate(zip(steps, counts, strict=True)):
            prev = counts[i - 1] if i else None
            out.append(
                {
                    "label": names.stage(stage.id),
                    "reached": n,
                    "of_first": rate(n, first),
                    "dropped": (prev - n) if prev is not None else None,
                    "drop_rate": rate(prev - n, prev) if prev is not None else None,
                    "step_rate": rate(n, prev) if prev is not None else None,
                }
            )
        cols = [
            Col("label", _l("Stage"), "text"),
            Col("reached", _l("Leads reaching")),
            Col("of_first", _l("Share of new leads"), "pct"),
            Col("step_rate", _l("Step conversion"), "pct"),
            Col("dropped", _l("Dropped")),
            Col("drop_rate", _l("Drop-off"), "pct"),
        ]
        chart = charts.funnel_chart([r["label"] for r in out], counts, str(_l("Conversion funnel")))
        return Table(cols, out, charts=[(_l("Conversion funnel"), chart)])
    if by == "consultant":
        names.load_users(r["key"] for r in rows)
    won_key = f"s{steps[-1].id}"
    first_key = f"s{steps[0].id}"
    out = []
    for r in sorted(rows, key=lambda r: -(r[first_key] or 0)):
        row = {"label": names.of(by, r["key"]), **{f"s{s.id}": r[f"s{s.id}"] for s in steps}}
        row["conversion"] = rate(r[won_key], r[first_key])
        out.append(row)
    cols = [Col("label", _dim_label(by), "text")] + [Col(f"s{s.id}", names.stage(s.id)) for s in steps]
    cols.append(Col("conversion", _l("Conversion"), "pct"))
    totals = sum_rows(out, [f"s{s.id}" for s in steps])
    totals["conversion"] = rate(totals[won_key], totals[first_key])
    top = out[:12]
    chart = charts.bar_chart(
        [r["label"] for r in top],
        {
            names.stage(s.id): [r[f"s{s.id}"] for r in top]
            for s in (steps[0], steps[3] if len(steps) > 3 else steps[0], steps[-1])
        },
        str(_l("Conversion funnel")),
    )
    return Table(cols, out, totals, charts=[(_l("Conversion funnel"), chart)])


def _dim_label(by: str):
    return {
        "store": _l("Store"),
        "consultant": _l("Consultant"),
        "channel": _l("Source channel"),
        "grade": _l("Grade"),
        "model": _l("Model"),
        "stage": _l("Stage reached"),
        "event": _l("Event"),
        "campaign": _l("Campaign"),
        "hour": _l("Arrival hour"),
        "reason": _l("Defeat reason"),
    }.get(by, by)


# ---- sources --------------------------------------------------------------------------------


def build_sources(f) -> Table:
    names = Names()
    rows = queries.new_leads_by(f, Lead.source_channel_id)
    total = sum(r["leads"] for r in rows)
    out = [
        {
            "label": names.channel(r["key"]),
            "leads": r["leads"],
            "share": rate(r["leads"], total),
            "visited": r["visited"],
            "visited_rate": rate(r["visited"], r["leads"]),
            "won": r["won"],
            "won_rate": rate(r["won"], r["leads"]),
        }
        for r in sorted(rows, key=lambda r: -r["leads"])
    ]
    cols = [
        Col("label", _l("Source channel"), "text"),
        Col("leads", _l("New leads")),
        Col("share", _l("Share"), "pct"),
        Col("visited", _l("Visited")),
        Col("visited_rate", _l("Share visited"), "pct"),
        Col("won", _l("Won")),
        Col("won_rate", _l("Share won"), "pct"),
    ]
    totals = sum_rows(out, ["leads", "visited", "won"])
    totals.update(
        share=rate(totals["leads"], total),
        visited_rate=rate(totals["visited"], totals["leads"]),
        won_rate=rate(totals["won"], totals["leads"]),
    )
    pie = charts.pie_chart(
        [r["label"] for r in out], [r["leads"] for r in out], str(_l("New leads by source"))
    )
    trend = queries.new_leads_trend(f, Lead.source_channel_id)
    keys = bucket_keys(f.period.start, f.period.end, f.grain)
    top = [r["key"] for r in sorted(rows, key=lambda r: -r["leads"])[:6]]
    series = {names.channel(c): [0] * len(keys) for c in top}
    index = {k: i for i, k in enumerate(keys)}
    for r in trend:
        if r["key"] in top and r["bucket"] in index:
            series[names.channel(r["key"])][index[r["bucket"]]] = r["leads"]
    labels = [bucket_label(k, f.grain, f.period.start, f.period.end) for k in keys]
    line = charts.line_chart(labels, series, str(_l("New leads by source and period")))
    return Table(
        cols,
        out,
        totals,
        charts=[(_l("New leads by source"), pie), (_l("New leads by source and period"), line)],
    )


# ---- follow-up efficiency -------------------------------------------------------------------


def build_followups(f) -> Table:
    names = Names()
    merged = _merge(queries.followup_activity(f), queries.response_times(f), queries.order_cycle(f))
    names.load_users(merged)
    out = []
    for key, r in merged.items():
        fu, eff, leads = r.get("followups", 0), r.get("effective", 0), r.get("leads", 0)
        out.append(
            {
                "label": names.user(key),
                "followups": fu,
                "effective": eff,
                "effective_rate": rate(eff, fu),
                "leads": leads,
                "per_lead": rate(fu, leads),
                "first_contact_hours": r.get("first_contact_hours"),
                "never_contacted": r.get("never_contacted", 0),
                "won": r.get("won", 0),
                "cycle_days": r.get("cycle_days"),
            }
        )
    out.sort(key=lambda r: -r["followups"])
    cols = [
        Col("label", _l("Consultant"), "text"),
        Col("followups", _l("Follow-ups")),
        Col("effective", _l("Effective")),
        Col("effective_rate", _l("Effective share"), "pct"),
        Col("leads", _l("Leads followed")),
        Col("per_lead", _l("Follow-ups per lead"), "num"),
        Col("first_contact_hours", _l("Hours to first contact"), "hours"),
        Col("never_contacted", _l("Not contacted yet")),
        Col("won", _l("Won")),
        Col("cycle_days", _l("Days from lead to order"), "days"),
    ]
    totals = sum_rows(out, ["followups", "effective", "leads", "never_contacted", "won"])
    totals.update(
        effective_rate=rate(totals["effective"], totals["followups"]),
        per_lead=rate(totals["followups"], totals["leads"]),
    )
    top = out[:12]
    chart = charts.bar_chart(
        [r["label"] for r in top],
        {
            str(_l("Follow-ups")): [r["followups"] for r in top],
            str(_l("Effective")): [r["effective"] for r in top],
        },
        str(_l("Follow-ups per consultant")),
    )
    return Table(cols, out, totals, charts=[(_l("Follow-ups per consultant"), chart)])


# ---- discipline -----------------------------------------------------------------------------


def build_discipline(f) -> Table:
    """Discipline per consultant today and the month's penalty (the month of the period's end).

    The penalty is the dashboard's: `penalty_board` counts the month's violations with the one
    violation query and prices them with the one rule; lead filters do not change a person's fine.
    """
    names = Names()
    today = local_today(utcnow(), f.tz)
    month_first = f.period.end.replace(day=1)
    merged = _merge(queries.discipline_snapshot(f, today), queries.overdue_plans(f, today))
    merged.pop(None, None)
    board = fq.penalty_board(
        list(f.store_ids) if f.store_ids is not None else None,
        month_first,
        month_end(month_first),
        today,
        f.tz,
    )
    rules = board["rules"]
    own = f.consultant_id or (f.user.id if f.user.role in {Role.CONSULTANT, Role.DCC} else None)
    for key, figure in board["consultants"].items():
        if figure["violations"] and (own is None or key == own):
            merged.setdefault(key, {"key": key})
    names.load_users(merged)
    out = []
    for key, r in merged.items():
        figure = board["consultants"].get(key)
        penalty = figure["penalty"] if figure else penalties.Penalty()
        out.append(
            {
                "key": key,
                "label": names.user(key),
                "open_leads": r.get("open_leads", 0),
                "overdue": r.get("overdue", 0),
                "expired": r.get("expired", 0),
                "no_plan": r.get("no_plan", 0),
                "violations": penalty.violations,
                "penalty": penalty.amount,
                "rule": penalties.explain(penalty, rules, gettext),
            }
        )
    if own is None:
        for m in board["managers"].values():
            if m["team_total"] or any(r["key"] in board["consultants"] for r in out):
                out.append(
                    {
                        "key": m["id"],
                        "label": with_role(m["name"], gettext("manager")),
                        "open_leads": None,
                        "overdue": None,
                        "expired": None,
                        "no_plan": None,
                        "violations": None,
                        "penalty": m["amount"],
                        "rule": penalties.explain_manager(m["amount"], m["team_total"], rules, gettext),
                    }
                )
    out.sort(key=lambda r: (r["open_leads"] is None, -(r["penalty"] or 0), -(r["overdue"] or 0)))
    cols = [
        Col("label", _l("Consultant"), "text"),
        Col("open_leads", _l("Open leads")),
        Col("overdue", _l("Overdue plans")),
        Col("expired", _l("Expired opportunities")),
        Col("no_plan", _l("Leads without plan")),
        Col("violations", _l("Violations this month")),
        Col("penalty", _l("Penalty"), "money"),
        Col("rule", _l("How the penalty is reached"), "text"),
    ]
    totals = sum_rows(
        [r for r in out if r["open_leads"] is not None],
        ["open_leads", "overdue", "expired", "no_plan", "violations", "penalty"],
    )
    top = [r for r in out if r["open_leads"] is not None][:12]
    chart = charts.bar_chart(
        [r["label"] for r in top],
        {
            str(_l("Overdue plans")): [r["overdue"] for r in top],
            str(_l("Expired opportunities")): [r["expired"] for r in top],
            str(_l("Leads without plan")): [r["no_plan"] for r in top],
        },
        str(_l("Discipline")),
        stacked=True,
    )
    return Table(
        cols,
        out,
        totals,
        charts=[(_l("Discipline"), chart)],
        notes=[penalties.explain_policy(rules, gettext)],
    )


# ---- defeats --------------------------------------------------------------------------------


def build_defeats(f) -> Table:
    names = Names()
    by = f.by if f.by in ("model", "stage", "consultant", "store", "channel") else ""
    rows = queries.defeats(f, by or None)
    total = sum(r["defeats"] for r in rows)
    if not by:
        out = [
            {"label": names.reason(r["reason"]), "defeats": r["defeats"], "share": rate(r["defeats"], total)}
            for r in sorted(rows, key=lambda r: -r["defeats"])
        ]
        cols = [
            Col("label", _l("Defeat reason"), "text"),
            Col("defeats", _l("Defeats")),
            Col("share", _l("Share"), "pct"),
        ]
        chart = charts.pie_chart(
            [r["label"] for r in out], [r["defeats"] for r in out], str(_l("Defeat reasons"))
        )
        return Table(
            cols, out, {"defeats": total, "share": rate(total, total)}, charts=[(_l("Defeat reasons"), chart)]
        )
    if by == "consultant":
        names.load_users(r["key"] for r in rows)
    keys = sorted({r["key"] for r in rows}, key=lambda k: names.of(by, k))
    reasons = sorted({r["reason"] for r in rows}, key=lambda k: names.reason(k))
    cells = {(r["reason"], r["key"]): r["defeats"] for r in rows}
    out = []
    for reason in reasons:
        row = {
            "label": names.reason(reason),
            **{f"k{i}": cells.get((reason, k), 0) for i, k in enumerate(keys)},
        }
        row["total"] = sum(cells.get((reason, k), 0) for k in keys)
        out.append(row)
    out.sort(key=lambda r: -r["total"])
    cols = [Col("label", _l("Defeat reason"), "text")] + [
        Col(f"k{i}", names.of(by, k)) for i, k in enumerate(keys)
    ]
    cols.append(Col("total", _l("Total")))
    totals = sum_rows(out, [f"k{i}" for i in range(len(keys))] + ["total"])
    chart = charts.bar_chart(
        [names.of(by, k) for k in keys],
        {r["label"]: [r[f"k{i}"] for i in range(len(keys))] for r in out[:8]},
        str(_l("Defeat analysis")),
        stacked=True,
    )
    return Table(cols, out, totals, charts=[(_l("Defeat analysis"), chart)])


# ---- showroom -------------------------------------------------------------------------------

VISIT_COLS = [
    Col("visits", _l("Visits")),
    Col("first_visits", _l("First visits")),
    Col("return_visits", _l("Return visits")),
    Col("retained", _l("Left contact (first visits)")),
    Col("retention", _l("Retention rate"), "pct"),
    Col("test_drives", _l("Test drives")),
    Col("people", _l("People")),
    Col("stay_minutes", _l("Average stay (minutes)"), "num"),
]
VISIT_KEYS = ["visits", "first_visits", "return_visits", "retained", "test_drives", "people"]


def _visit_row(label, r) -> dict:
    row = {"label": label, **{k: r.get(k) or 0 for k in VISIT_KEYS}, "stay_minutes": r.get("stay_minutes")}
    row["retention"] = retention_rate(row["retained"], row["first_visits"])
    return row


def _visit_totals(f) -> dict:
    t = qv.visit_totals(f)
    return _visit_row("", t)


def build_traffic(f) -> Table:
    names = Names()
    if f.by in ("consultant", "hour", "store"):
        rows = qv.visits_by(f, f.by)
        if f.by == "consultant":
            names.load_users(r["key"] for r in rows)
        label = (lambda k: f"{k}:00") if f.by == "hour" else (lambda k: names.of(f.by, k))
        out = [
            _visit_row(label(r["key"]), r) for r in sorted(rows, key=lambda r: (r["key"] is None, r["key"]))
        ]
    else:
        rows = {r["key"]: r for r in qv.visits_by_bucket(f)}
        out = [
            _visit_row(bucket_label(k, f.grain, f.period.start, f.period.end), rows.get(k, {}))
            for k in bucket_keys(f.period.start, f.period.end, f.grain)
        ]
    cols = [
        Col("label", _dim_label(f.by) if f.by in ("consultant", "hour", "store") else _l("Period"), "text"),
        *VISIT_COLS,
    ]
    chart = charts.bar_chart(
        [r["label"] for r in out],
        {
            str(_l("First visits")): [r["first_visits"] for r in out],
            str(_l("Return visits")): [r["return_visits"] for r in out],
        },
        str(_l("Showroom traffic")),
        stacked=True,
    )
    return Table(cols, out, _visit_totals(f), charts=[(_l("Showroom traffic"), chart)])


def build_showroom_sources(f) -> Table:
    names = Names()
    rows = qv.visits_by(f, "channel")
    out = [
        _visit_row(names.channel(r["key"]) if r["key"] else _l("Not recorded"), r)
        for r in sorted(rows, key=lambda r: -(r["visits"] or 0))
    ]
    cols = [Col("label", _l("Source channel"), "text"), *VISIT_COLS]
    chart = charts.bar_chart(
        [str(r["label"]) for r in out],
        {
            str(_l("First visits")): [r["first_visits"] for r in out],
            str(_l("Left contact (first visits)")): [r["retained"] for r in out],
        },
        str(_l("Showroom visits by source")),
    )
    return Table(cols, out, _visit_totals(f), charts=[(_l("Showroom visits by source"), chart)])


def build_retention(f) -> Table:
    rows = {r["key"]: r for r in qv.visits_by_bucket(f)}
    out = [
        _visit_row(bucket_label(k, f.grain, f.period.start, f.period.end), rows.get(k, {}))
        for k in bucket_keys(f.period.start, f.period.end, f.grain)
    ]
    cols = [
        Col("label", _l("Period"), "text"),
        Col("first_visits", _l("First visits")),
        Col("retained", _l("Left contact (first visits)")),
        Col("retention", _l("Retention rate"), "pct"),
    ]
    chart = charts.line_chart(
        [r["label"] for r in out],
        {str(_l("Retention rate")): [r["retention"] for r in out]},
        str(_l("Retention rate trend")),
        percent=True,
    )
    return Table(cols, out, _visit_totals(f), charts=[(_l("Retention rate trend"), chart)])


def build_arrivals(f, page: int = 1) -> Table:
    from app.core.phones import mask_phone

    names = Names()
    rows, total = qv.arrival_list(f, page)
    names.load_users(r["consultant_id"] for r in rows)
    out = []
    for r in rows:
        phone = r["phone"]
        shown = phone if (phone and r["lead_owner_id"] == f.user.id) else (mask_phone(phone) if phone else "")
        out.append(
            {
                "arrived_at": r["arrived_at"],
                "left_at": r["left_at"],
                "label": r["lead_name"] or _l("Anonymous"),
                "phone": shown,
                "consultant": names.user(r["consultant_id"]) if r["consultant_id"] else "",
                "store": names.store(r["store_id"]),
                "source": names.channel(r["source_channel_id"]) if r["source_channel_id"] else "",
                "party_size": r["party_size"],
                "first": _l("First") if r["is_first_visit"] else _l("Return"),
                "left_contact": _l("Yes") if r["left_contact"] else _l("No"),
                "test_drive": _l("Yes") if r["test_drive"] else _l("No"),
            }
        )
    cols = [
        Col("arrived_at", _l("Arrived"), "datetime"),
        Col("left_at", _l("Left"), "time"),
        Col("label", _l("Customer"), "text"),
        Col("phone", _l("Phone"), "text"),
        Col("consultant", _l("Consultant"), "text"),
        Col("store", _l("Store"), "text"),
        Col("source", _l("Source channel"), "text"),
        Col("party_size", _l("People")),
        Col("first", _l("First or return"), "text"),
        Col("left_contact", _l("Left contact"), "text"),
        Col("test_drive", _l("Test drive"), "text"),
    ]
    return Table(cols, out, None, total_rows=total, page=page, page_size=qv.PAGE_SIZE)


# ---- invitations, DCC, satisfaction ---------------------------------------------------------


def build_invitations(f) -> Table:
    names = Names()
    by = f.by if f.by in ("event", "campaign", "consultant", "store") else "event"
    rows = qv.invitations_by(f, by)
    if by == "event":
        events = qv.event_names(r["key"] for r in rows)
        label = lambda k: f"{events[k][0]}" if k in events else names.unknown  # noqa: E731
    elif by == "campaign":
        camps = qv.campaign_names(r["key"] for r in rows)
        label = lambda k: camps.get(k, str(_l("No campaign")))  # noqa: E731
    else:
        names.load_users(r["key"] for r in rows)
        label = lambda k: names.of(by, k)  # noqa: E731
    out = [_invitation_row(label(r["key"]), r) for r in sorted(rows, key=lambda r: -(r["invited"] or 0))]
    cols = [
        Col("label", _dim_label(by), "text"),
        Col("invited", _l("Invited")),
        Col("accepted", _l("Accepted")),
        Col("responded", _l("Responded")),
        Col("arrived", _l("Arrived")),
        Col("came_unanswered", _l("Came without accepting")),
        Col("walk_ins", _l("Walk-ins")),
        Col("orders", _l("Orders within 30 days")),
        Col("success_rate", _l("Success rate"), "pct"),
        Col("feedback_rate", _l("Feedback rate"), "pct"),
        Col("attendance_rate", _l("Attendance rate"), "pct"),
    ]
    totals = _invitation_row("", sum_rows(rows, list(INVITATION_COUNTS)))
    top = out[:10]
    chart = charts.bar_chart(
        [r["label"] for r in top],
        {
            str(_l("Success rate")): [r["success_rate"] for r in top],
            str(_l("Feedback rate")): [r["feedback_rate"] for r in top],
            str(_l("Attendance rate")): [r["attendance_rate"] for r in top],
        },
        str(_l("Invitation results")),
        percent=True,
    )
    return Table(
        cols,
        out,
        totals,
        charts=[(_l("Invitation results"), chart)],
        notes=[
            _l(
                "Success = accepted / invited; feedback = responded / invited; attendance = accepted "
                "guests who came / accepted. Guests who came without accepting and walk-ins are "
                "counted on their own, not in the rates."
            )
        ],
    )


def _invitation_row(label, r) -> dict:
    from app.invitations.rules import invitation_rates

    row = {"label": label, **{k: r.get(k) or 0 for k in INVITATION_COUNTS}}
    row.update(invitation_rates(row))
    return row


INVITATION_COUNTS = ("invited", "accepted", "responded", "arrived", "came_unanswered", "walk_ins", "orders")


def build_dcc(f) -> Table:
    names = Names()
    rows = qv.dcc_figures(f)
    names.load_users(r["key"] for r in rows)
    out = [_dcc_row(names.user(r["key"]), r) for r in rows]
    out.sort(key=lambda r: -r["calls"])
    cols = [
        Col("label", _l("DCC agent"), "text"),
        Col("new_leads", _l("New leads")),
        Col("calls", _l("Calls")),
        Col("connected", _l("Connected")),
        Col("connect_rate", _l("Connect rate"), "pct"),
        Col("leads_reached", _l("Customers reached")),
        Col("appointments", _l("Appointments")),
        Col("appointment_rate", _l("Appointment rate"), "pct"),
        Col("shows", _l("Shows")),
        Col("show_rate", _l("Show rate"), "pct"),
    ]
    totals = _dcc_row(
        "", sum_rows(out, ["new_leads", "calls", "connected", "leads_reached", "appointments", "shows"])
    )
    chart = charts.bar_chart(
        [r["label"] for r in out[:12]],
        {
            str(_l("Connect rate")): [r["connect_rate"] for r in out[:12]],
            str(_l("Appointment rate")): [r["appointment_rate"] for r in out[:12]],
            str(_l("Show rate")): [r["show_rate"] for r in out[:12]],
        },
        str(_l("DCC figures")),
        percent=True,
    )
    return Table(
        cols,
        out,
        totals,
        charts=[(_l("DCC figures"), chart)],
        notes=[
            _l(
                "Connect rate = connected calls / calls; appointment rate = appointments / customers "
                "reached; show rate = shows / appointments."
            )
        ],
    )


def _dcc_row(label, r) -> dict:
    row = {
        "label": label,
        **{
            k: r.get(k) or 0
            for k in ("new_leads", "calls", "connected", "leads_reached", "appointments", "shows")
        },
    }
    row["connect_rate"] = rate(row["connected"], row["calls"])
    row["appointment_rate"] = rate(row["appointments"], row["leads_reached"])
    row["show_rate"] = rate(row["shows"], row["appointments"])
    return row


def build_satisfaction(f) -> Table:
    names = Names()
    by = f.by if f.by in ("store", "consultant", "event") else "consultant"
    rows = qv.satisfaction_by(f, by)
    if by == "event":
        events = qv.event_names(r["key"] for r in rows)
        label = lambda k: events[k][0] if k in events else str(_l("Showroom visit"))  # noqa: E731
    else:
        names.load_users(r["key"] for r in rows)
        label = lambda k: names.of(by, k)  # noqa: E731
    out = []
    for r in sorted(rows, key=lambda r: -(r["answered"] or 0)):
        out.append(
            {
                "label": label(r["key"]),
                "sent": r["sent"],
                "answered": r["answered"],
                "response_rate": rate(r["answered"], r["sent"]),
                "avg_score": r["avg_score"],
                "satisfied_rate": rate(r["satisfied"], r["answered"]),
                "unhappy": r["unhappy"],
            }
        )
    cols = [
        Col("label", _dim_label(by), "text"),
        Col("sent", _l("Surveys sent")),
        Col("answered", _l("Answered")),
        Col("response_rate", _l("Response rate"), "pct"),
        Col("avg_score", _l("Average score (1–5)"), "num"),
        Col("satisfied_rate", _l("Satisfied (4–5)"), "pct"),
        Col("unhappy", _l("Unhappy (1–2)")),
    ]
    totals = sum_rows(rows, ["sent", "answered", "satisfied", "unhappy"])
    weighted = sum((r["avg_score"] or 0) * (r["answered"] or 0) for r in rows)
    totals.update(
        response_rate=rate(totals["answered"], totals["sent"]),
        avg_score=rate(weighted, totals["answered"]),
        satisfied_rate=rate(totals["satisfied"], totals["answered"]),
    )
    chart = charts.bar_chart(
        [r["label"] for r in out[:12]],
        {str(_l("Average score (1–5)")): [r["avg_score"] for r in out[:12]]},
        str(_l("Customer satisfaction")),
    )
    return Table(cols, out, totals, charts=[(_l("Customer satisfaction"), chart)])


# ---- daily work, activity, prospects --------------------------------------------------------


def build_daily(f) -> Table:
    names = Names()
    merged = _merge(
        queries.new_leads_total(f, Lead.owner_id),
        queries.followup_activity(f, leads=False),
        qv.visit_counts(f, "consultant"),
        qv.invitations_made(f),
        queries.won_leads(f, Lead.owner_id),
        queries.defeats_requested(f),
    )
    merged.pop(None, None)
    names.load_users(merged)
    keys = ["new_leads", "followups", "effective", "visits", "test_drives", "invitations", "won", "defeats"]
    out = [{"label": names.user(k), **{c: r.get(c) or 0 for c in keys}} for k, r in merged.items()]
    out.sort(key=lambda r: r["label"])
    cols = [
        Col("label", _l("Consultant"), "text"),
        Col("new_leads", _l("New leads")),
        Col("followups", _l("Follow-ups")),
        Col("effective", _l("Effective")),
        Col("visits", _l("Showroom receptions")),
        Col("test_drives", _l("Test drives")),
        Col("invitations", _l("Invitations")),
        Col("won", _l("Orders")),
        Col("defeats", _l("Defeat requests")),
    ]
    chart = charts.bar_chart(
        [r["label"] for r in out[:12]],
        {
            str(_l("Follow-ups")): [r["followups"] for r in out[:12]],
            str(_l("Showroom receptions")): [r["visits"] for r in out[:12]],
        },
        str(_l("Daily work report")),
    )
    return Table(cols, out, sum_rows(out, keys), charts=[(_l("Daily work report"), chart)])


METHODS = ["phone", "sms", "wechat", "email", "visit", "showroom"]


def build_activity(f) -> Table:
    names = Names()
    rows = queries.followup_activity(f, by_day=True)
    names.load_users(r["key"] for r in rows)
    out = [
        {
            "day": r["bucket"],
            "label": names.user(r["key"]),
            "followups": r["followups"],
            "effective": r["effective"],
            "leads": r["leads"],
            **{f"m_{m}": r[f"m_{m}"] for m in METHODS},
        }
        for r in sorted(rows, key=lambda r: (r["bucket"], names.user(r["key"])), reverse=False)
    ]
    method_labels = {
        "phone": _l("Phone"),
        "sms": _l("SMS"),
        "wechat": _l("WeChat"),
        "email": _l("Email"),
        "visit": _l("Home visit"),
        "showroom": _l("Showroom"),
    }
    cols = [
        Col("day", _l("Day"), "text"),
        Col("label", _l("Consultant"), "text"),
        *[Col(f"m_{m}", method_labels[m]) for m in METHODS],
        Col("followups", _l("Follow-ups")),
        Col("effective", _l("Effective")),
        Col("leads", _l("Customers")),
    ]
    totals = sum_rows(out, [f"m_{m}" for m in METHODS] + ["followups", "effective", "leads"])
    chart = charts.pie_chart(
        [str(method_labels[m]) for m in METHODS],
        [totals[f"m_{m}"] for m in METHODS],
        str(_l("Contacts by method")),
    )
    return Table(cols, out, totals, charts=[(_l("Contacts by method"), chart)])


def build_prospects(f) -> Table:
    names = Names()
    today = local_today(utcnow(), f.tz)
    rows = queries.prospects(f, today)
    names.load_users(r["key"] for r in rows)
    grade_refs = grades()
    merged: dict = {}
    for r in rows:
        row = merged.setdefault(
            r["key"],
            {
                "label": names.user(r["key"]),
                "leads": 0,
                "overdue": 0,
                "due_today": 0,
                "followed": 0,
                **{f"g{g.id}": 0 for g in grade_refs},
            },
        )
        row[f"g{r['grade']}"] = row.get(f"g{r['grade']}", 0) + r["leads"]
        for k in ("leads", "overdue", "due_today", "followed"):
            row[k] += r[k] or 0
    out = sorted(merged.values(), key=lambda r: -r["leads"])
    for row in out:
        row["followed_rate"] = rate(row["followed"], row["leads"])
    cols = [
        Col("label", _l("Consultant"), "text"),
        *[Col(f"g{g.id}", g.code) for g in grade_refs],
        Col("leads", _l("Open leads")),
        Col("due_today", _l("Due today")),
        Col("overdue", _l("Overdue")),
        Col("followed", _l("Followed up in period")),
        Col("followed_rate", _l("Share followed up"), "pct"),
    ]
    totals = sum_rows(out, [f"g{g.id}" for g in grade_refs] + ["leads", "due_today", "overdue", "followed"])
    totals["followed_rate"] = rate(totals["followed"], totals["leads"])
    chart = charts.bar_chart(
        [r["label"] for r in out[:12]],
        {g.code: [r[f"g{g.id}"] for r in out[:12]] for g in grade_refs},
        str(_l("Prospects by grade")),
        stacked=True,
    )
    return Table(cols, out, totals, charts=[(_l("Prospects by grade"), chart)])


# ---- comparison and trends ------------------------------------------------------------------


def build_comparison(f) -> Table:
    from app.reports.targets import targets_by

    names = Names()
    by = "store" if (f.store_ids is None and f.by != "consultant") else "consultant"
    if f.user.role == Role.CONSULTANT:
        by = "consultant"
    dim = Lead.store_id if by == "store" else Lead.owner_id
    merged = _merge(
        queries.new_leads_total(f, dim),
        queries.won_leads(f, dim),
        qv.visit_counts(f, "store" if by == "store" else "consultant"),
        qv.invitations_made(f, qv.Invitation.store_id if by == "store" else qv.Invitation.inviter_id),
    )
    merged.pop(None, None)
    if by == "consultant":
        names.load_users(merged)
    targets = targets_by(f, by)
    out = []
    for key, r in merged.items():
        row = {
            "key": key,
            "label": names.of(by, key),
            **{k: r.get(k) or 0 for k in ("new_leads", "first_visits", "test_drives", "invitations", "won")},
        }
        row["conversion"] = rate(row["won"], row["new_leads"])
        row["target"] = targets.get(key, {}).get("orders")
        row["progress"] = rate(row["won"], row["target"])
        out.append(row)
    out.sort(key=lambda r: -r["won"])
    cols = [
        Col("label", _dim_label(by), "text"),
        Col("new_leads", _l("New leads")),
        Col("first_visits", _l("First visits")),
        Col("test_drives", _l("Test drives")),
        Col("invitations", _l("Invitations")),
        Col("won", _l("Orders")),
        Col("conversion", _l("Conversion"), "pct"),
        Col("target", _l("Order target")),
        Col("progress", _l("Target reached"), "pct"),
    ]
    totals = sum_rows(out, ["new_leads", "first_visits", "test_drives", "invitations", "won"])
    totals["conversion"] = rate(totals["won"], totals["new_leads"])
    chart = charts.bar_chart(
        [r["label"] for r in out[:15]],
        {
            str(_l("New leads")): [r["new_leads"] for r in out[:15]],
            str(_l("Orders")): [r["won"] for r in out[:15]],
        },
        str(_l("Comparison")),
    )
    return Table(cols, out, totals, charts=[(_l("Comparison"), chart)])


KPI_COLS = [
    ("new_leads", _l("New leads"), "int"),
    ("visits", _l("Showroom visits"), "int"),
    ("first_visits", _l("First visits"), "int"),
    ("retention", _l("Retention rate"), "pct"),
    ("test_drives", _l("Test drives"), "int"),
    ("invitations", _l("Invitations"), "int"),
    ("orders", _l("Orders"), "int"),
    ("conversion", _l("Conversion"), "pct"),
]


def kpi_values(f) -> dict:
    """Headline figures of a filter's period, with the derived rates."""
    k = qv.kpis(f)
    k["retention"] = retention_rate(k["retained"], k["first_visits"])
    k["conversion"] = rate(k["orders"], k["new_leads"])
    return k


def kpi_comparison(f) -> list[dict]:
    """Each headline figure now, in the previous period and in the same period last year."""
    from app.reports.rules import change

    now = kpi_values(f)
    before = kpi_values(f.with_period(previous_period(f.period)))
    last_year = kpi_values(f.with_period(same_period_last_year(f.period)))
    out = []
    for key, label, kind in KPI_COLS:
        out.append(
            {
                "key": key,
                "label": label,
                "kind": kind,
                "current": now.get(key),
                "previous": before.get(key),
                "last_year": last_year.get(key),
                "vs_previous": change(now.get(key), before.get(key)),
                "vs_last_year": change(now.get(key), last_year.get(key)),
            }
        )
    return out


def build_trends(f) -> Table:
    grain = f.grain if f.grain in ("week", "month", "quarter") else "week"
    count = {"week": 13, "month": 12, "quarter": 8}[grain]
    end = f.period.end
    if grain == "week":
        start = end - timedelta(days=end.weekday()) - timedelta(weeks=count - 1)
    elif grain == "month":
        from app.reports.rules import add_months

        start = add_months(end, -(count - 1))
    else:
        from app.reports.rules import add_months, quarter_start

        start = add_months(quarter_start(end), -3 * (count - 1))
    from dataclasses import replace

    wide = replace(f, period=Period("custom", start, end), grain=grain)
    keys = bucket_keys(start, end, grain)
    leads = {r["bucket"]: r["leads"] for r in _sum_by_bucket(queries.new_leads_trend(wide, Lead.store_id))}
    visits = {r["key"]: r for r in qv.visit_counts_by_bucket(wide)}
    won = {r["key"]: r["won"] for r in _won_trend(wide)}
    out = []
    for k in keys:
        v = visits.get(k, {})
        row = {
            "label": bucket_label(k, grain, start, end),
            "new_leads": leads.get(k, 0),
            "first_visits": v.get("first_visits") or 0,
            "retained": v.get("retained") or 0,
            "test_drives": v.get("test_drives") or 0,
            "won": won.get(k, 0),
        }
        row["retention"] = retention_rate(row["retained"], row["first_visits"])
        row["conversion"] = rate(row["won"], row["new_leads"])
        out.append(row)
    cols = [
        Col("label", _l("Period"), "text"),
        Col("new_leads", _l("New leads")),
        Col("first_visits", _l("First visits")),
        Col("retention", _l("Retention rate"), "pct"),
        Col("test_drives", _l("Test drives")),
        Col("won", _l("Orders")),
        Col("conversion", _l("Conversion"), "pct"),
    ]
    chart = charts.line_chart(
        [r["label"] for r in out],
        {
            str(_l("New leads")): [r["new_leads"] for r in out],
            str(_l("First visits")): [r["first_visits"] for r in out],
            str(_l("Orders")): [r["won"] for r in out],
        },
        str(_l("Trends")),
    )
    table = Table(cols, out, None, charts=[(_l("Trends"), chart)])
    table.comparison = kpi_comparison(f)
    return table


def _sum_by_bucket(rows) -> list[dict]:
    acc: dict = {}
    for r in rows:
        acc[r["bucket"]] = acc.get(r["bucket"], 0) + r["leads"]
    return [{"bucket": k, "leads": v} for k, v in acc.items()]


def _won_trend(f) -> list[dict]:
    from sqlalchemy import distinct, func, select

    from app.reports import queries_daily

    if queries_daily.usable(f):
        return [
            {"key": r["bucket"], "won": r["won"]}
            for r in queries_daily.counts(f, None, {"won": "won"}, grain=f.grain)
        ]

    from app.admin.models import StageKind
    from app.admin.reference import stages
    from app.leads.models import StageChange
    from app.reports.scope import lead_conditions, store_condition
    from app.reports.sqlutil import local_bucket

    won_ids = [s.id for s in stages() if s.kind == StageKind.WON]
    bucket = local_bucket(StageChange.created_at, f.grain, f.offset_minutes)
    stmt = (
        select(bucket.label("key"), func.count(distinct(StageChange.lead_id)).label("won"))
        .join(Lead, Lead.id == StageChange.lead_id)
        .where(
            store_condition(StageChange.store_id, f),
            StageChange.created_at >= f.utc_start,
            StageChange.created_at < f.utc_end,
            StageChange.to_stage_id.in_(won_ids),
            *lead_conditions(f),
        )
        .group_by(bucket)
    )
    return [dict(r._mapping) for r in db.session.execute(stmt)]


# ---- the catalogue --------------------------------------------------------------------------

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
        build_funnel,
        ("", "store", "consultant", "channel"),
        description=_l("Leads reaching each stage in the period, with the drop-off between steps."),
    ),
    Report(
        "sources",
        _l("Lead sources"),
        SALES,
        build_sources,
        grain=True,
        description=_l("New leads per source channel and the share that visited or bought."),
    ),
    Report(
        "followups",
        _l("Follow-up efficiency"),
        SALES,
        build_followups,
        description=_l("Follow-ups per lead, effective share, time to first contact, days to order."),
    ),
    Report(
        "defeats",
        _l("Defeat statistics and analysis"),
        SALES,
        build_defeats,
        ("", "model", "stage", "consultant", "channel"),
        description=_l("Confirmed defeats by reason, and by model, stage reached or consultant."),
    ),
    Report(
        "traffic",
        _l("Showroom traffic analysis"),
        SHOWROOM,
        build_traffic,
        ("", "consultant", "hour", "store"),
        grain=True,
        description=_l("Visits, first and return visits, test drives and stay per period."),
    ),
    Report(
        "arrivals",
        _l("Arrival registration"),
        SHOWROOM,
        build_arrivals,
        default_period="day",
        description=_l("Every registered showroom arrival."),
    ),
    Report(
        "showroom_sources",
        _l("Showroom source analysis"),
        SHOWROOM,
        build_showroom_sources,
        description=_l("Showroom visits per source channel with the retention rate."),
    ),
    Report(
        "retention",
        _l("Retention rate trend"),
        SHOWROOM,
        build_retention,
        grain=True,
        description=_l("First visits that left contact details, per period."),
    ),
    Report(
        "daily",
        _l("Daily work report"),
        WORK,
        build_daily,
        default_period="day",
        description=_l("Each consultant's day: new leads, follow-ups, receptions, invitations, orders."),
    ),
    Report(
        "activity",
        _l("Consultant visit activity daily"),
        WORK,
        build_activity,
        default_period="week",
        description=_l("Contacts per consultant and day, by method."),
    ),
    Report(
        "prospects",
        _l("Prospect follow-up progress"),
        WORK,
        build_prospects,
        description=_l("Open leads per consultant and grade, due and overdue follow-ups."),
    ),
    Report(
        "discipline",
        _l("Discipline"),
        WORK,
        build_discipline,
        description=_l("Overdue plans, expired opportunities, leads without plan and penalties."),
    ),
    Report(
        "invitations",
        _l("Invitations and events"),
        MARKETING,
        build_invitations,
        ("event", "campaign", "consultant", "store"),
        description=_l("Success, feedback and attendance rates, and orders from invitees."),
    ),
    Report(
        "dcc",
        _l("DCC figures"),
        MARKETING,
        build_dcc,
        roles=frozenset({Role.MANAGER, Role.DIRECTOR, Role.MARKETING, Role.DCC}),
        description=_l("Connect rate, appointment rate and show rate per DCC agent."),
    ),
    Report(
        "satisfaction",
        _l("Customer satisfaction"),
        MARKETING,
        build_satisfaction,
        ("consultant", "store", "event"),
        description=_l("Survey scores per store, consultant and event."),
    ),
    Report(
        "comparison",
        _l("Store and consultant comparison"),
        MANAGEMENT,
        build_comparison,
        ("", "consultant"),
        roles=MANAGERS,
        description=_l("New leads, visits, orders and targets side by side."),
    ),
    Report(
        "trends",
        _l("Trends"),
        MANAGEMENT,
        build_trends,
        grain=True,
        description=_l("Weekly, monthly and quarterly figures, against the previous period and last year."),
    ),
]
BY_KEY = {r.key: r for r in REPORTS}


def reports_for(user) -> list[Report]:
    """The reports this user's role may open."""
    return [r for r in REPORTS if user.role in r.roles]
