"""The one helper every spreadsheet writer passes its cells through: nothing runs as a formula."""

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from app.core.spreadsheet import FORMULA_PREFIXES, ILLEGAL_CHARACTERS, neutralise_cell, neutralise_row

EVIL = [
    '=HYPERLINK("http://evil.example/","点我")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "\0=1+1",
    "\x01=1+1",
]


@pytest.mark.parametrize("value", EVIL)
def test_formula_like_text_gets_an_apostrophe(value):
    cell = neutralise_cell(value)
    assert cell.startswith("'") and cell[1:] == ILLEGAL_CHARACTERS.sub("", value)


@pytest.mark.parametrize("value", ["张三", "138****8000", "a=b", "", None, 42, -3, 1.5])
def test_ordinary_values_are_unchanged(value):
    assert neutralise_cell(value) == value


def test_a_row_is_neutralised_cell_by_cell():
    assert neutralise_row(["=1", 2, "x"]) == ["'=1", 2, "x"]


@pytest.mark.parametrize("write_only", [False, True])
def test_written_and_read_back_no_cell_is_a_formula(write_only):
    wb = Workbook(write_only=write_only)
    ws = wb.create_sheet("s") if write_only else wb.active
    ws.append(neutralise_row(EVIL))
    buffer = io.BytesIO()
    wb.save(buffer)
    read = load_workbook(io.BytesIO(buffer.getvalue()))
    cells = list(read.worksheets[-1].iter_rows(min_row=1, max_row=1))[0]
    assert all(c.data_type != "f" for c in cells)
    assert cells[0].value == '\'=HYPERLINK("http://evil.example/","点我")'
    assert cells[1].value == "'=cmd|' /C calc'!A0"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_no_text_becomes_a_formula_cell(text):
    value = neutralise_cell(text)
    clean = ILLEGAL_CHARACTERS.sub("", text)
    assert value in (clean, "'" + clean)
    assert not value.startswith(FORMULA_PREFIXES) and not ILLEGAL_CHARACTERS.search(value)
    assert neutralise_cell(value) == value
    cell = Workbook().active.cell(row=1, column=1, value=value)  # openpyxl refuses illegal characters
    assert cell.data_type != "f"


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(FORMULA_PREFIXES), st.text(max_size=20))
def test_text_starting_with_a_formula_character_keeps_its_text_after_the_apostrophe(prefix, rest):
    value = neutralise_cell(prefix + rest)
    assert value == "'" + ILLEGAL_CHARACTERS.sub("", prefix + rest)
