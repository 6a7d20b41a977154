"""Read uploaded lead files: check the type by content, refuse macros and zip bombs, decode CSV text."""

import csv
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

from charset_normalizer import from_bytes

MAX_ROWS = 200_000
MAX_UNCOMPRESSED = 200 * 1024 * 1024  # an xlsx of 200,000 rows is far below this
MAX_RATIO = 200  # compressed -> uncompressed; XML compresses well, bombs much better
XLSX_REQUIRED = {"[Content_Types].xml", "xl/workbook.xml"}


class FileRefused(Exception):
    """The upload is not a file we import (code: unknown_type, macro, zip_bomb, too_many_rows, empty)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def sniff_kind(path: Path) -> str:
    """Return 'xlsx' or 'csv' by looking at the content, or raise FileRefused."""
    with path.open("rb") as fh:
        head = fh.read(8192)
    if not head.strip():
        raise FileRefused("empty")
    if head.startswith(b"PK\x03\x04"):
        check_xlsx(path)
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):  # legacy .xls / OLE: may carry macros
        raise FileRefused("unknown_type")
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRefused("unknown_type")
    return "csv"


def check_xlsx(path: Path) -> None:
    """Refuse zips that are not plain workbooks, macro workbooks and zip bombs (before openpyxl reads)."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            names = {info.filename for info in infos}
            if not names >= XLSX_REQUIRED:
                raise FileRefused("unknown_type")
            if any(name.lower().endswith("vbaproject.bin") for name in names):
                raise FileRefused("macro")
            content_types = archive.read("[Content_Types].xml")[:200_000].lower()
            if b"macroenabled" in content_types or b"vbaproject" in content_types:
                raise FileRefused("macro")
            total = 0
            for info in infos:
                total += info.file_size
                if info.file_size > 1024 * 1024 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                    raise FileRefused("zip_bomb")
            if total > MAX_UNCOMPRESSED:
                raise FileRefused("zip_bomb")
    except zipfile.BadZipFile as exc:
        raise FileRefused("unknown_type") from exc


def decode_text(data: bytes) -> str:
    """Decode CSV bytes: UTF-8 (with or without BOM), UTF-16, else GB18030/Big5 as detected."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Chinese spreadsheet programs write GBK/GB18030 (mainland) or Big5; let detection choose among those.
    best = from_bytes(data[:200_000], cp_isolation=["gb18030", "big5"]).best()
    encoding = best.encoding if best else "gb18030"
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return data.decode("gb18030", errors="replace")


def _csv_rows(path: Path) -> Iterator[list]:
    text = decode_text(path.read_bytes())
    sample = text[:20_000]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error as exc:  # a field beyond the csv module's limit (about 128 KB): refuse the file
        raise FileRefused("cell_too_long") from exc


def _xlsx_rows(path: Path) -> Iterator[list]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    finally:
        workbook.close()


def read_table(path: Path, kind: str, max_rows: int | None = None) -> tuple[list, Iterator[tuple[int, list]]]:
    """Return (header cells, iterator of (row number, cells)); rows past the cap raise FileRefused."""
    max_rows = max_rows or MAX_ROWS
    rows = _xlsx_rows(path) if kind == "xlsx" else _csv_rows(path)
    header: list = []
    for row in rows:
        if any(cell not in (None, "") for cell in row):
            header = list(row)
            break
    if not header:
        raise FileRefused("empty")

    def body():
        count = 0
        for number, row in enumerate(rows, start=2):
            if not any(cell not in (None, "") and str(cell).strip() for cell in row):
                continue
            count += 1
            if count > max_rows:
                raise FileRefused("too_many_rows")
            yield number, row

    return header, body()
