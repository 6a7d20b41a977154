"""Lead import pages: upload, column mapping, preview with per-row errors, commit, result file."""

import csv
import io
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import SelectField

from app.accounts.forms import EmptyForm
from app.accounts.models import Store
from app.core.spreadsheet import neutralise_row
from app.extensions import db
from app.leads.importing.jobs import (
    begin_step,
    load_preview,
    result_content,
    run_analysis,
    run_commit,
    save_upload,
    start,
)
from app.leads.importing.mapping import FIELDS, MANDATORY, missing_mandatory
from app.leads.importing.parse import MAX_ROWS, FileRefused
from app.leads.importing.validate import ERROR_TEXT
from app.leads.models import ImportJob
from app.web.access import requires
from app.web.forms import FlaskForm
from app.web.permissions import get_scoped_or_404
from app.web.render import render

bp = Blueprint("imports", __name__, url_prefix="/leads/import")

REFUSALS = {
    "empty": _l("The file is empty."),
    "unknown_type": _l("Upload a CSV file or an Excel workbook (.xlsx)."),
    "macro": _l("Workbooks with macros are not accepted. Save the file as a plain .xlsx workbook."),
    "zip_bomb": _l("This workbook is not a normal spreadsheet and was refused."),
    "too_many_rows": _l("The file has too many rows (at most %(max)s).", max=MAX_ROWS),
    "unreadable": _l("The file could not be read."),
    "crash": _l("The import failed and nothing was saved. Please try again."),
    "connection_lost": _l(
        "The connection to the database was lost during the import, and nothing was saved. "
        "Please start it again."
    ),
    "cell_too_long": _l(
        "A cell of the file is far too long, so the file was refused. No cell may hold more "
        "than %(max)s characters: shorten it and upload the file again.",
        max="2,000",
    ),
    "interrupted": _l(
        "The import was interrupted (the server restarted) and nothing was saved. Please start it again."
    ),
}


class UploadForm(FlaskForm):
    file = FileField(_l("CSV or Excel file"), validators=[FileRequired(_l("Choose a file to upload."))])
    store_id = SelectField(_l("Store"), coerce=int)


def _job_or_404(job_id: int) -> ImportJob:
    return get_scoped_or_404(current_user, ImportJob, job_id, mine=True)


def _upload_form() -> UploadForm:
    form = UploadForm()
    if current_user.store_id:
        form.store_id.choices = [(current_user.store_id, current_user.store.name)]
        form.store_id.data = current_user.store_id  # store staff import into their own store
    else:
        form.store_id.choices = [
            (s.id, s.name)
            for s in db.session.execute(
                select(Store).where(Store.active.is_(True)).order_by(Store.code)
            ).scalars()
        ]
    return form


def _recent_jobs():
    return db.session.execute(
        select(
            ImportJob.id,
            ImportJob.filename,
            ImportJob.status,
            ImportJob.created_at,
            ImportJob.total_rows,
            ImportJob.ok_rows,
            ImportJob.updated_rows,
            ImportJob.error_rows,
        )
        .where(ImportJob.user_id == current_user.id)
        .order_by(ImportJob.id.desc())
        .limit(20)
    ).all()


@bp.get("")
@requires("lead.import")
def upload_page():
    """Show the upload form and the user's recent imports."""
    return render("leads/import_upload.html", form=_upload_form(), jobs=_recent_jobs(), refusal=None)


@bp.post("")
@requires("lead.import")
def upload():
    """Store an uploaded file and go on to the column mapping."""
    form = _upload_form()
    if not form.validate_on_submit():
        return render("leads/import_upload.html", form=form, jobs=_recent_jobs(), refusal=None, status=422)
    upload_file = form.file.data
    try:
        job = save_upload(upload_file, upload_file.filename, current_user, form.store_id.data)
    except FileRefused as exc:
        db.session.rollback()
        form.file.errors.append(REFUSALS.get(exc.code, REFUSALS["unreadable"]))
        return render(
            "leads/import_upload.html", form=form, jobs=_recent_jobs(), refusal=exc.code, status=422
        )
    db.session.commit()
    return redirect(url_for("imports.mapping", job_id=job.id), code=303)


def _field_choices():
    return [("", _("— ignore —"))] + [(key, str(label)) for key, label, _aliases in FIELDS]


@bp.route("/<int:job_id>/mapping", methods=["GET", "POST"])
@requires("lead.import")
def mapping(job_id):
    """Match the file's columns to lead fields (recognised headers are preselected)."""
    job = _job_or_404(job_id)
    if job.status not in {"uploaded", "validated", "failed"}:
        return redirect(url_for("imports.show_job", job_id=job.id), code=303)
    header = (job.decisions or {}).get("header", [])
    current = {int(k): v for k, v in (job.mapping or {}).items()}
    missing: list[str] = []
    status = 200
    if request.method == "POST":
        if not EmptyForm().validate_on_submit():
            abort(400)
        valid = {key for key, _label, _aliases in FIELDS}
        chosen: dict[int, str] = {}
        for index in range(len(header)):
            key = request.form.get(f"col{index}", "")
            if key in valid and key not in chosen.values():
                chosen[index] = key
        current = chosen
        missing = missing_mandatory(chosen)
        if not missing:
            job.mapping = {str(k): v for k, v in chosen.items()}
            begin_step(job, "validating", user_id=current_user.id)
            db.session.commit()
            start(run_analysis, job.id, current_user.id)
            return redirect(url_for("imports.show_job", job_id=job.id), code=303)
        status = 422
    labels = {key: str(label) for key, label, _aliases in FIELDS}
    return render(
        "leads/import_mapping.html",
        job=job,
        header=header,
        current=current,
        choices=_field_choices(),
        missing=[labels[m] for m in missing],
        mandatory=[labels[m] for m in MANDATORY],
        form=EmptyForm(),
        status=status,
    )


@bp.get("/<int:job_id>")
@requires("lead.import")
def show_job(job_id):
    """Show progress, then the preview (errors and duplicates), then the result."""
    job = _job_or_404(job_id)
    preview = load_preview(job) if job.status in {"validated", "committing", "done"} else {}
    labels = {key: str(label) for key, label, _aliases in FIELDS}
    return render(
        "leads/import_job.html",
        block="job" if request.args.get("poll") else None,
        job=job,
        preview=preview,
        labels=labels,
        error_text=ERROR_TEXT,
        form=EmptyForm(),
        failure=REFUSALS.get((job.decisions or {}).get("failure", ""), REFUSALS["crash"]),
    )


@bp.post("/<int:job_id>/commit")
@requires("lead.import")
def commit(job_id):
    """Save every valid row in one transaction, with the chosen action for each duplicate."""
    job = _job_or_404(job_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if job.status != "validated":
        flash(_("This import cannot be committed now."), "error")
        return redirect(url_for("imports.show_job", job_id=job.id), code=303)
    default = "update" if request.form.get("default") == "update" else "skip"
    rows = {}
    for key, value in request.form.items():
        if key.startswith("dup_") and key[4:].isdigit() and value in {"skip", "update"}:
            rows[key[4:]] = value
    decisions = dict(job.decisions or {})
    decisions.update({"default": default, "rows": rows})
    job.decisions = decisions
    begin_step(job, "committing", user_id=current_user.id)
    db.session.commit()
    start(run_commit, job.id, current_user.id)
    return redirect(url_for("imports.show_job", job_id=job.id), code=303)


@bp.get("/<int:job_id>/result.<fmt>")
@requires("lead.import")
def download_result(job_id, fmt):
    """Download the rejected rows with the reason for each (CSV or Excel)."""
    job = _job_or_404(job_id)
    if job.status != "done" or not job.result_path or fmt not in {"csv", "xlsx"}:
        abort(404)
    content = result_content(job)
    if content is None:
        abort(404)
    base = Path(job.filename).stem or "import"
    if fmt == "csv":
        return send_file(
            io.BytesIO(content), mimetype="text/csv", as_attachment=True, download_name=f"{base}-rejected.csv"
        )
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("rejected")
    with io.StringIO(content.decode("utf-8-sig"), newline="") as fh:
        for row in csv.reader(fh):
            sheet.append(neutralise_row(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    current_app.logger.info("import %s result downloaded", job.id)
    return send_file(
        buffer,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=f"{base}-rejected.xlsx",
    )
