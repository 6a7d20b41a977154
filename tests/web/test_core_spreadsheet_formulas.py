"""Every .xlsx the app writes (report exports, the lead export, import result files) keeps
formula-like text as text: read back with openpyxl, no cell is a formula."""

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.leads.models import Lead
from app.showroom.models import ShowroomVisit
from tests.helpers_intake import csv_bytes, lead_row, run_import
from tests.helpers_reports import OCTOBER, build_world

HYPERLINK = '=HYPERLINK("http://evil.example/","点我")'
DDE = "=cmd|' /C calc'!A0"


def _cells(data: bytes) -> list:
    wb = load_workbook(io.BytesIO(data))
    return [cell for ws in wb.worksheets for row in ws.iter_rows() for cell in row]


def _assert_no_formula(cells) -> None:
    assert [c.coordinate for c in cells if c.data_type == "f"] == []


@pytest.fixture
def world(factory, db):
    return build_world(factory, db)


def test_directors_arrival_export_writes_walk_in_names_as_text(world, db, login):
    visits = (
        db.session.execute(
            select(ShowroomVisit).where(ShowroomVisit.lead_id.is_not(None)).order_by(ShowroomVisit.id)
        )
        .scalars()
        .all()
    )
    for visit, name in zip(visits, (HYPERLINK, DDE), strict=True):
        db.session.get(Lead, visit.lead_id).name = name
    db.session.commit()
    response = login(world.director).get(f"/reports/arrivals/export.xlsx?{OCTOBER}&store={world.store_a.id}")
    assert response.status_code == 200
    cells = _cells(response.data)
    _assert_no_formula(cells)
    values = {c.value for c in cells}
    assert "'" + HYPERLINK in values and "'" + DDE in values


def test_lead_export_writes_no_formula_cells(login_as, factory, db):
    client = login_as("manager")
    from app.accounts.models import Store

    store = db.session.get(Store, client.user.store_id)
    factory.lead(store=store, name=DDE, notes=HYPERLINK)
    db.session.commit()
    response = client.post("/leads/export")
    cells = _cells(response.data)
    _assert_no_formula(cells)
    values = {c.value for c in cells}
    assert "'" + DDE in values and "'" + HYPERLINK in values


def test_import_result_xlsx_writes_no_formula_cells(login_as, factory, db):
    manager = login_as("manager", factory.store("BJ01"))
    job_id = run_import(
        manager, csv_bytes([lead_row(name=HYPERLINK, phone="bad"), lead_row(name=DDE, phone="x")])
    )
    response = manager.get(f"/leads/import/{job_id}/result.xlsx")
    assert response.status_code == 200
    cells = _cells(response.data)
    _assert_no_formula(cells)
    values = {c.value for c in cells}
    assert "'" + HYPERLINK in values and "'" + DDE in values
