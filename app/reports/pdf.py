"""The monthly management report as a PDF (WeasyPrint): a store, or the whole group."""

from dataclasses import dataclass, replace
from datetime import date

from flask import current_app, render_template
from sqlalchemy import select

from app.accounts.models import Role, Store
from app.core.timeutil import now_local, zone_for
from app.extensions import db
from app.reports.builders.comparison import build_comparison
from app.reports.builders.dcc import build_dcc
from app.reports.builders.defeats import build_defeats
from app.reports.builders.discipline import build_discipline, ranking_figures
from app.reports.builders.funnel import build_funnel
from app.reports.builders.invitations import build_invitations
from app.reports.builders.kpis import kpi_comparison
from app.reports.builders.showroom import build_retention, build_traffic
from app.reports.builders.sources import build_sources
from app.reports.filters import ReportFilter
from app.reports.rules import Period, month_end
from app.reports.tables import fmt


@dataclass(frozen=True)
class GroupViewer:
    """Who the report is produced for when no user is logged in (CLI, the monthly e-mail job)."""

    id: int | None = None
    role: Role = Role.DIRECTOR
    store_id: int | None = None
    store: Store | None = None
    is_authenticated: bool = True
    can_export: bool = True
    display_name: str = "LeadLoop"


def parse_month(value: str | None) -> date | None:
    """Parse YYYY-MM into the first day of that month, or None."""
    try:
        year, month = (int(x) for x in (value or "").split("-"))
        return date(year, month, 1)
    except (TypeError, ValueError):
        return None


def monthly_context(user, month: date, store_id: int | None, progress=None) -> dict:
    """Every section of the monthly report, aggregated (no per-lead rows); `progress(percent)` up to 70."""
    from app.reports.queries import roomy_sorts

    roomy_sorts()
    store = db.session.get(Store, store_id) if store_id else None
    tz = zone_for(store) if store else zone_for(user)
    period = Period("month", month, month_end(month))
    f = ReportFilter(
        user=user, period=period, tz=tz, store_ids=(store_id,) if store_id else None, grain="week"
    )
    by_store = store_id is None
    report = progress or (lambda _percent: None)
    ranking = build_comparison(replace(f, by="consultant" if not by_store else ""))
    consultants = build_comparison(replace(f, by="consultant")) if by_store else ranking
    _merge_discipline(consultants, ranking_figures(f) or _discipline_figures(build_discipline(f)))
    consultants.rows = consultants.rows[:30]
    context = {
        "store": store,
        "month": month,
        "period": period,
        "generated": now_local(tz),
        "stores": ranking if by_store else None,
        "consultants": consultants,
    }
    sections = (
        ("kpis", lambda: kpi_comparison(f)),
        ("funnel", lambda: build_funnel(replace(f, by=""))),
        ("sources", lambda: build_sources(replace(f, grain="week"))),
        ("traffic", lambda: build_traffic(replace(f, by="", grain="week"))),
        ("retention", lambda: build_retention(replace(f, grain="week"))),
        ("invitations", lambda: build_invitations(replace(f, by="campaign"))),
        ("defeats", lambda: build_defeats(replace(f, by=""))),
        ("defeats_by_model", lambda: build_defeats(replace(f, by="model"))),
        ("dcc", lambda: build_dcc(f)),
    )
    report(10)
    for done, (key, build) in enumerate(sections, start=1):
        context[key] = build()
        report(10 + 60 * done // len(sections))
    return context


def _discipline_figures(discipline) -> tuple[dict, list]:
    """The consultant rows of the discipline report by id, and its notes (as `ranking_figures`)."""
    return {r["key"]: r for r in discipline.rows if r.get("open_leads") is not None}, list(discipline.notes)


def _merge_discipline(ranking, figures: tuple[dict, list]) -> None:
    """Add each consultant's discipline figures to the ranking table (rows already aggregated)."""
    from flask_babel import lazy_gettext as _l

    from app.reports.tables import Col

    by_person, notes = figures
    for row in ranking.rows:
        d = by_person.get(row.get("key"), {})
        row.update(overdue=d.get("overdue", 0), expired=d.get("expired", 0), penalty=d.get("penalty", 0))
    ranking.columns = [c for c in ranking.columns if c.key not in ("target", "progress")] + [
        Col("overdue", _l("Overdue plans")),
        Col("expired", _l("Expired opportunities")),
        Col("penalty", _l("Penalty"), "money"),
    ]
    ranking.charts = []
    ranking.notes = notes  # the penalty rule under the figures


def render_monthly_html(user, month: date, store_id: int | None, progress=None) -> str:
    """Return the report's HTML (the CLI and tasks render it in a stand-in request)."""
    from flask import has_request_context

    if not has_request_context():
        with current_app.test_request_context("/"):
            return render_monthly_html(user, month, store_id, progress)
    from app.reports import charts

    context = monthly_context(user, month, store_id, progress)
    # Each chart as a data-URI image, drawn the same as inline SVG (same pixels), but its
    # thousands of SVG nodes stay out of the page's style cascade (WeasyPrint CPU -10 %).
    return render_template(
        "reports/monthly_pdf.html",
        fmt=fmt,
        chart=lambda svg, title: charts.as_img(str(svg), title),
        **context,
    )


def monthly_report_pdf(user, month: date, store_id: int | None, progress=None) -> bytes:
    """Render the monthly report for a store (or the group) to PDF bytes; `progress(percent)` as it goes."""
    from weasyprint import HTML

    html = render_monthly_html(user, month, store_id, progress)
    if progress:
        progress(75)
    return HTML(string=html, base_url=current_app.static_folder).write_pdf()


def store_by_code(code: str) -> Store | None:
    return db.session.execute(select(Store).where(Store.code == code)).scalar_one_or_none()
