"""Cells written to spreadsheets (.xlsx exports, import result files) that never run as formulas.

A name like `=HYPERLINK("http://…","点我")` or `=cmd|' /C calc'!A0` typed into a form would
become a live formula (or a DDE call) in the file someone opens later. Every writer passes its
values through `neutralise_cell`: text that a spreadsheet would read as a formula gets a leading
apostrophe, so it is written and shown as text; characters a workbook cannot hold are dropped.
"""

import re

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\0")
# Control characters XML 1.0 cannot hold (openpyxl refuses them): dropped, not written.
ILLEGAL_CHARACTERS = re.compile(r"[\000-\010\013\014\016-\037]")


def neutralise_cell(value):
    """Return the value safe for a spreadsheet cell: text that could run as a formula is prefixed
    with an apostrophe; anything that is not text is returned unchanged."""
    if not isinstance(value, str):
        return value
    text = ILLEGAL_CHARACTERS.sub("", value)
    if value.startswith(FORMULA_PREFIXES) or text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def neutralise_row(values) -> list:
    """Return a row of cells, each passed through `neutralise_cell`."""
    return [neutralise_cell(v) for v in values]
