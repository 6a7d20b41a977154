"""Report tables: typed columns, rows of aggregated figures, totals, charts; names for ids."""

from dataclasses import dataclass, field
from datetime import UTC

from flask_babel import get_locale, get_timezone
from markupsafe import Markup, escape
from sqlalchemy import select

from app.accounts.models import Store, User
from app.admin.reference import by_id, channels, defeat_reasons, grades, stages, vehicle_models
from app.core.money import yuan
from app.core.names import vehicle_name
from app.core.rates import format_percent
from app.extensions import db
from app.web.templating import clock_text, minute_text

DASH = "—"


@dataclass
class Col:
    key: str
    label: object
    kind: str = "int"  # text | int | num | pct | money | hours | days


@dataclass
class Table:
    columns: list[Col]
    rows: list[dict]
    totals: dict | None = None
    charts: list[tuple[object, str]] = field(default_factory=list)  # (title, svg)
    notes: list = field(default_factory=list)
    total_rows: int | None = None  # for paged lists
    page: int = 1
    page_size: int = 0


PAGE_SIZE = 100  # rows a report page shows at a time (the Excel export has them all)


def paged(table: Table, page: int | None, page_size: int | None = None) -> Table:
    """The table with one page of its rows (already in order) and the paging fields set; all of
    them when `page` is None (the export). Totals and charts stay those of every row."""
    if page is None:
        return table
    page_size = page_size or PAGE_SIZE
    table.total_rows = len(table.rows)
    table.rows = table.rows[(page - 1) * page_size : page * page_size]
    table.page, table.page_size = page, page_size
    return table


def fmt(value, kind: str) -> str:
    """Format one cell for the page, print and PDF (None and zero denominators as —)."""
    if kind == "text":
        return "" if value is None else str(value)
    if value is None:
        return DASH
    if kind == "pct":
        return format_percent(value)
    if kind in ("num", "hours", "days"):
        return f"{value:,.1f}"
    if kind == "money":
        return yuan(value)
    return f"{int(value):,}"


NOT_NUMERIC = ("text", "datetime", "time")


def _writer(kind: str, zone):
    """How one column's cells are written: `fmt`, with dates and times in `zone` (the user's time
    zone, as the `dt` and `hm` filters show them)."""
    if kind in ("datetime", "time"):
        text = minute_text if kind == "datetime" else clock_text

        def write(value):
            if not value:
                return ""
            if value.tzinfo is None:
                value = value.replace(tzinfo=UTC)
            return text(zone.normalize(value.astimezone(zone)))

        return write
    if kind == "text":
        return lambda value: "" if value is None else str(value)
    return lambda value: fmt(value, kind)


def body_rows(table: "Table") -> Markup:
    """The body rows of a report table as HTML: the first column heads its row, numbers align right.

    Built here rather than cell by cell in the template: a month of consultants by day is
    thousands of cells, and a template macro per cell cost more than the report's queries. Each
    column's writer (and the user's time zone) is worked out once per table.
    """
    zone = get_timezone()
    columns = [
        (col.key, _writer(col.kind, zone), "<td>" if col.kind in NOT_NUMERIC else '<td class="num">')
        for col in table.columns
    ]
    html = []
    for row in table.rows:
        parts = ["<tr>"]
        for index, (key, write, opening) in enumerate(columns):
            text = escape(write(row.get(key)))
            parts.append(f'<th scope="row">{text}</th>' if index == 0 else f"{opening}{text}</td>")
        parts.append("</tr>")
        html.append("".join(parts))
    return Markup("\n".join(html))  # noqa: S704 - every value is escaped above


def locale() -> str:
    try:
        return str(get_locale() or "zh_CN")
    except Exception:  # outside a request (CLI, jobs)
        return "zh_CN"


class Names:
    """Turns ids in aggregated rows into names: one query for users and stores at most."""

    def __init__(self):
        self.loc = locale()
        self._users: dict[int, str] = {}
        self._stores: dict[int, str] | None = None

    def load_users(self, ids) -> None:
        ids = {i for i in ids if i} - set(self._users)
        if not ids:
            return
        stmt = select(User.id, User.display_name)
        if len(ids) <= 200:
            stmt = stmt.where(User.id.in_(ids))
        # else every user's name: for a group's thousand consultants one plain read of the users
        # costs less than a statement carrying a thousand ids
        for uid, name in db.session.execute(stmt):
            if uid in ids:
                self._users[uid] = name

    def user(self, uid) -> str:
        if uid is None:
            return self.unassigned
        return self._users.get(uid, f"#{uid}")

    @property
    def unassigned(self) -> str:
        return "未分配" if self.loc.startswith("zh") else "Unassigned"

    @property
    def unknown(self) -> str:
        return "未知" if self.loc.startswith("zh") else "Unknown"

    def store(self, sid) -> str:
        if self._stores is None:
            self._stores = dict(db.session.execute(select(Store.id, Store.name)).all())
        return self._stores.get(sid, self.unknown) if sid else self.unknown

    def stage(self, sid) -> str:
        ref = by_id(stages()).get(sid)
        return ref.label(self.loc) if ref else self.unknown

    def channel(self, cid) -> str:
        ref = by_id(channels()).get(cid)
        return ref.label(self.loc) if ref else self.unknown

    def grade(self, gid) -> str:
        ref = by_id(grades()).get(gid)
        return ref.code if ref else self.unknown

    def reason(self, rid) -> str:
        ref = by_id(defeat_reasons()).get(rid)
        return ref.label(self.loc) if ref else self.unknown

    def model(self, mid) -> str:
        for m in vehicle_models():
            if m.id == mid:
                return vehicle_name(m.series, m.name)
        return self.unknown

    def of(self, kind: str, key) -> str:
        """Name a key of dimension `kind`."""
        return {
            "store": self.store,
            "consultant": self.user,
            "channel": self.channel,
            "grade": self.grade,
            "model": self.model,
            "stage": self.stage,
            "reason": self.reason,
        }.get(kind, str)(key)


def sum_rows(rows: list[dict], keys: list[str]) -> dict:
    """Column totals of already aggregated rows."""
    return {k: sum((r.get(k) or 0) for r in rows) for k in keys}
