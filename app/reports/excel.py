"""Excel exports of reports (openpyxl): the same rows and totals as the page, typed cells."""

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from app.core.money import XLSX_YUAN, xlsx_format
from app.core.spreadsheet import neutralise_cell, neutralise_row
from app.core.timeutil import to_local

NUMBER_FORMATS = {
    "int": "#,##0",
    "num": "#,##0.0",
    "hours": "#,##0.0",
    "days": "#,##0.0",
    "pct": "0.0%",
    "money": XLSX_YUAN,
    "datetime": "yyyy-mm-dd hh:mm",
    "time": "hh:mm",
}
HEADER_FILL = PatternFill("solid", fgColor="DCE6F2")


def _cell(value, kind: str, tz: str):
    if value is None:
        return "—" if kind not in ("text", "datetime", "time") else None
    if kind in ("datetime", "time"):
        return to_local(value, tz).replace(tzinfo=None)
    if kind == "text" or isinstance(value, str):
        return neutralise_cell(str(value))
    return value


def report_workbook(report, f, table) -> io.BytesIO:
    """Return an .xlsx with the report table, its totals and the filters used."""
    wb = Workbook()
    ws = wb.active
    ws.title = str(report.key)[:31]
    ws.append([neutralise_cell(str(report.title))])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([f"{f.period.start.isoformat()} – {f.period.end.isoformat()}"])
    ws.append([])
    header_row = ws.max_row + 1
    ws.append(neutralise_row(str(c.label) for c in table.columns))
    for cell in ws[header_row]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in table.rows:
        ws.append([_cell(row.get(c.key), c.kind, f.tz) for c in table.columns])
        _format(ws, table.columns)
    if table.totals and table.rows:
        values = [
            _cell(table.totals.get(c.key), c.kind, f.tz) if c.key in table.totals else None
            for c in table.columns
        ]
        values[0] = "合计"
        ws.append(values)
        _format(ws, table.columns)
        for cell in ws[ws.max_row]:
            cell.font = Font(bold=True)
    for i, col in enumerate(table.columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = 22 if col.kind in ("text", "datetime") else 14
    ws.freeze_panes = ws.cell(row=header_row + 1, column=2)
    meta = wb.create_sheet("filters")
    for key, value in f.as_dict().items():
        meta.append(neutralise_row([key, str(value)]))
    stream = io.BytesIO()
    wb.save(stream)
    stream.seek(0)
    return stream


def _format(ws, columns) -> None:
    for cell, col in zip(ws[ws.max_row], columns, strict=False):
        if col.kind in NUMBER_FORMATS and not isinstance(cell.value, str):
            cell.number_format = xlsx_format(cell.value) if col.kind == "money" else NUMBER_FORMATS[col.kind]
