"""Report pages: the hub, each report with filters, print view, Excel and PDF, targets, surveys."""

from flask import Blueprint, abort, current_app, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import Role
from app.audit.services import record
from app.core.params import parse_int
from app.core.timeutil import today_for, utcnow
from app.extensions import db, limiter
from app.messaging.branding import public_name
from app.reports import survey
from app.reports.catalog import BY_KEY, reports_for
from app.reports.filters import build_filter
from app.reports.forms import SurveyForm, TargetsForm
from app.reports.options import filter_options
from app.reports.rules import GRAINS, add_months
from app.reports.tables import body_rows, fmt
from app.reports.targets import progress, set_targets, targets_table
from app.web.access import public, requires
from app.web.permissions import can
from app.web.render import is_htmx, render

bp = Blueprint("reports", __name__)


@bp.context_processor
def _report_helpers():
    from flask_babel import lazy_gettext as _l

    from app.reports.charts import as_img

    by_labels = {
        "": _l("Overall"),
        "store": _l("Store"),
        "consultant": _l("Consultant"),
        "channel": _l("Source channel"),
        "model": _l("Model"),
        "stage": _l("Stage reached"),
        "event": _l("Event"),
        "campaign": _l("Campaign"),
        "hour": _l("Arrival hour"),
    }
    return {"fmt": fmt, "table_rows": body_rows, "chart_img": as_img, "by_labels": by_labels}


def _report_or_404(key: str):
    report = BY_KEY.get(key)
    if report is None:
        abort(404)
    if current_user.role not in report.roles:
        abort(403)
    return report


def _page() -> int:
    return parse_int(request.args.get("page"), minimum=1, maximum=10_000) or 1


def _build(report, f):
    from app.reports.queries import roomy_sorts

    roomy_sorts()
    if report.paged:
        return report.build(f, page=_page())
    return report.build(f)


@bp.get("/reports/")
@requires("reports.view")
def hub():
    """List the reports this user may open, grouped by section, with the monthly PDF."""
    sections: dict = {}
    for report in reports_for(current_user):
        sections.setdefault(str(report.section), []).append(report)
    last_month = add_months(today_for(current_user), -1)
    return render(
        "reports/hub.html",
        sections=sections,
        last_month=last_month.strftime("%Y-%m"),
        options=filter_options(current_user),
        may_pdf=_may_pdf(),
    )


@bp.get("/reports/<key>")
@requires("reports.view")
def show_report(key: str):
    """Show one report: filters, progress against target, chart and table."""
    report = _report_or_404(key)
    f = build_filter(current_user, request.args, default_kind=report.default_period)
    table = _build(report, f)
    options = filter_options(current_user, f.store_ids)
    return render(
        "reports/report.html",
        block="report_body",
        report=report,
        f=f,
        table=table,
        fmt=fmt,
        table_rows=body_rows,
        target_progress=progress(f) if key != "arrivals" else [],
        options=options,
        # the store may have changed: the htmx answer brings the store's consultants with it
        consultants_out_of_band=bool(options["stores"]) and is_htmx(),
        grains=GRAINS,
        printing=request.args.get("print") == "1",
    )


@bp.get("/reports/<key>/export.xlsx")
@requires("reports.view")
def export_report(key: str):
    """Download the report as an Excel file (export permission; audited with filters and rows)."""
    report = _report_or_404(key)
    if not can(current_user, "export"):
        abort(403)
    from app.reports.excel import report_workbook

    f = build_filter(current_user, request.args, default_kind=report.default_period)
    if key == "arrivals":
        from app.admin.defaults import get_setting

        cap = int(get_setting("export_row_cap") or 2000)
        table = report.build(f, page=1)
        if (table.total_rows or 0) > cap:
            flash(
                _(
                    "Too many rows to export (%(n)s); narrow the filter to at most %(cap)s.",
                    n=table.total_rows,
                    cap=cap,
                ),
                "error",
            )
            return redirect(url_for("reports.show_report", key=key, **request.args))
        table = _all_pages(report, f, table)
    else:
        table = report.build(f)
    stream = report_workbook(report, f, table)
    record("report.export", current_user, "report", key, {"filters": f.as_dict(), "rows": len(table.rows)})
    db.session.commit()
    name = f"{key}-{f.period.start.isoformat()}-{f.period.end.isoformat()}.xlsx"
    return send_file(
        stream,
        as_attachment=True,
        download_name=name,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def _all_pages(report, f, first):
    rows = list(first.rows)
    page = 1
    while len(rows) < (first.total_rows or 0):
        page += 1
        more = report.build(f, page=page).rows
        if not more:
            break
        rows.extend(more)
    first.rows = rows
    return first


def _may_pdf() -> bool:
    return current_user.role in {Role.MANAGER, Role.DIRECTOR, Role.MARKETING}


@bp.post("/reports/monthly")
@requires("reports.view")
def request_monthly():
    """Queue the monthly management report (a store, or the group for directors) and show its progress."""
    if not _may_pdf():
        abort(403)
    from flask_babel import get_locale

    from app.accounts.forms import EmptyForm
    from app.reports.generate import enqueue, report_store_for, request_monthly_report
    from app.reports.pdf import parse_month

    if not EmptyForm().validate_on_submit():
        abort(400)
    month = parse_month(request.form.get("month"))
    if month is None:
        abort(400)
    store_id = report_store_for(current_user, request.form.get("store", type=int))
    generated = request_monthly_report(current_user, month, store_id)
    record(
        "report.pdf",
        current_user,
        "report",
        "monthly",
        {"month": month.isoformat(), "store_id": store_id, "generated_file": generated.id},
    )
    db.session.commit()
    enqueue(generated, locale=str(get_locale() or ""))
    return redirect(url_for("reports.generated_file", generated_id=generated.id), code=303)


def _generated_or_404(generated_id: int):
    from app.files.models import GeneratedFile
    from app.reports.generate import may_download

    generated = db.session.get(GeneratedFile, generated_id)
    if generated is None or not may_download(current_user, generated):
        abort(404)
    return generated


@bp.get("/reports/files/<int:generated_id>")
@requires("reports.view")
def generated_file(generated_id: int):
    """The monthly report's progress (polled by htmx), then its download link."""
    generated = _generated_or_404(generated_id)
    return render(
        "reports/generated.html", block="progress" if request.args.get("poll") else None, generated=generated
    )


@bp.get("/reports/files/<int:generated_id>/download")
@requires("reports.view")
def download_generated(generated_id: int):
    """Download a finished monthly report (only its requester, within their store)."""
    generated = _generated_or_404(generated_id)
    if generated.status != "done" or generated.file_id is None:
        abort(404)
    import io

    from app.files.models import StoredFile
    from app.reports.generate import filename

    stored = db.session.get(StoredFile, generated.file_id)
    return send_file(
        io.BytesIO(stored.content),
        as_attachment=True,
        mimetype="application/pdf",
        download_name=filename(generated),
    )


@bp.route("/reports/targets", methods=["GET", "POST"])
@requires("targets.set")
def edit_targets():
    """Show and set the monthly targets per store and consultant."""
    from app.reports.forms import month_from_args, target_subjects

    month = month_from_args(request.values.get("month"), today_for(current_user))
    subjects = target_subjects(current_user)
    form = TargetsForm()
    if request.method == "POST":
        store_id = request.form.get("store_id", type=int)
        user_id = request.form.get("user_id", type=int) or None
        allowed = {(s["store_id"], s["user_id"]) for s in subjects}
        if (store_id, user_id) not in allowed:
            abort(404)
        if form.validate_on_submit():
            values = {
                m: getattr(form, m).data
                for m in ("new_leads", "visits", "invitations", "test_drives", "orders")
            }
            changed = set_targets(current_user, month, store_id, user_id, values)
            db.session.commit()
            flash(_("Targets saved.") if changed else _("Nothing changed."), "success")
            return redirect(url_for("reports.edit_targets", month=month.strftime("%Y-%m")), code=303)
        current = targets_table(month, sorted({s["store_id"] for s in subjects}))
        return render(
            "reports/targets.html",
            status=422,
            subjects=subjects,
            current=current,
            month=month,
            form=form,
            failed=(store_id, user_id),
            add_months=add_months,
        )
    current = targets_table(month, sorted({s["store_id"] for s in subjects}))
    return render(
        "reports/targets.html",
        subjects=subjects,
        current=current,
        month=month,
        form=form,
        failed=None,
        add_months=add_months,
    )


# ---- the public survey page (registered on this blueprint, outside /reports) ----------------


def _survey_limit() -> str:
    return current_app.config.get("SURVEY_RATE_LIMIT", "30/minute")


@bp.route("/s/<token>", methods=["GET", "POST"], strict_slashes=False)
@public
@limiter.limit(_survey_limit)
def answer_survey(token: str):
    """Let a customer rate their visit or event 1–5 with a comment (no login, token link)."""
    now = utcnow()
    response = survey.open_survey(token, now)
    if response is None:
        return render("reports/survey_gone.html", status=404, site_name=public_name())
    site_name = public_name(response.store_id)
    if response.answered_at is not None:
        return render("reports/survey_done.html", already=True, site_name=site_name)
    form = SurveyForm()
    if request.method == "POST":
        if form.validate_on_submit():
            survey.answer(response, form.score.data, form.comment.data, now)
            db.session.commit()
            return render("reports/survey_done.html", already=False, site_name=site_name)
        return render("reports/survey.html", status=422, form=form, token=token, site_name=site_name)
    return render("reports/survey.html", form=form, token=token, site_name=site_name)
