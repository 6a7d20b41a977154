"""Oversized cells in an import are refused with a clear message instead of crashing it."""

import pytest
from sqlalchemy import func, select

from app.leads.importing.validate import MAX_CELL, validate_row
from app.leads.models import ImportJob, Lead
from tests.helpers_intake import csv_bytes, lead_row, run_import


@pytest.fixture
def manager(login_as, factory, db):
    store = factory.store("BJ01")
    db.session.commit()
    return login_as("manager", store)


def _job(db, job_id) -> ImportJob:
    db.session.expire_all()
    return db.session.get(ImportJob, job_id)


def test_a_five_megabyte_cell_refuses_the_file_with_a_message(manager, db):
    rows = [lead_row(phone="13811110001"), lead_row(phone="13811110002", notes="备" * (5 * 1024 * 1024 // 3))]
    job_id = run_import(manager, csv_bytes(rows), commit=False)
    job = _job(db, job_id)
    assert job.status == "failed" and job.decisions["failure"] == "cell_too_long"
    page = manager.get(f"/leads/import/{job_id}").get_data(as_text=True)
    assert "文件中有单元格内容过长" in page and "2,000" in page and "请重试" not in page
    assert db.session.execute(select(func.count(Lead.id))).scalar() == 0


def test_a_cell_over_the_limit_rejects_its_row_only(manager, db):
    rows = [
        lead_row(phone="13811110001"),
        lead_row(phone="13811110002", notes="x" * (MAX_CELL + 1)),
        lead_row(phone="13811110003", name="名" * 3000),
    ]
    job_id = run_import(manager, csv_bytes(rows), commit=False)
    page = manager.get(f"/leads/import/{job_id}").get_data(as_text=True)
    assert page.count('data-error="cell_too_long"') == 2 and 'data-error="missing"' not in page
    manager.post(f"/leads/import/{job_id}/commit", data={"default": "skip"})
    job = _job(db, job_id)
    assert job.status == "done" and job.ok_rows == 1 and job.error_rows == 2
    result = manager.get(f"/leads/import/{job_id}/result.csv").get_data().decode("utf-8-sig")
    assert "单元格超过 2,000 个字符" in result


def test_a_cell_at_the_limit_is_kept():
    from app.core.timeutil import local_today, utcnow
    from app.leads.importing.commit import load_references

    notes = "x" * MAX_CELL
    result = validate_row(
        2,
        lead_row(notes=notes),
        {
            i: k
            for i, k in enumerate(
                ["name", "phone", "gender", "channel", "model", "grade", "expected_date", "notes"]
            )
        },
        load_references(),
        local_today(utcnow()),
    )
    assert ("notes", "cell_too_long") not in result.errors and result.values["notes"] == notes
