"""Prospect follow-up progress: each consultant's open leads by grade and how they are followed.

Per consultant: open leads per grade and in all, follow-ups due today and overdue, leads followed
up in the period and their share; bars of the grades stacked. Data: `queries.prospects` (open
leads of today per owner and grade), the grades from `admin.reference.grades`.
"""

from flask_babel import lazy_gettext as _l

from app.admin.reference import grades
from app.core.timeutil import local_today, utcnow
from app.reports import charts, queries
from app.reports.rules import rate
from app.reports.tables import Col, Names, Table, paged, sum_rows

COUNTS = ("leads", "overdue", "due_today", "followed")


def build_prospects(f, page: int | None = None) -> Table:
    """A row per consultant, most open leads first: one page of rows, or all of them when `page`
    is None; the totals cover every row."""
    names = Names()
    rows = queries.prospects(f, local_today(utcnow(), f.tz))
    names.load_users(r["key"] for r in rows)
    grade_refs = grades()
    out = sorted(_per_consultant(rows, names, grade_refs).values(), key=lambda r: -r["leads"])
    for row in out:
        row["followed_rate"] = rate(row["followed"], row["leads"])
    cols = [
        Col("label", _l("Consultant"), "text"),
        *[Col(f"g{g.id}", g.code) for g in grade_refs],
        Col("leads", _l("Open leads")),
        Col("due_today", _l("Due today")),
        Col("overdue", _l("Overdue")),
        Col("followed", _l("Followed up in period")),
        Col("followed_rate", _l("Share followed up"), "pct"),
    ]
    totals = sum_rows(out, [f"g{g.id}" for g in grade_refs] + ["leads", "due_today", "overdue", "followed"])
    totals["followed_rate"] = rate(totals["followed"], totals["leads"])
    chart = charts.bar_chart(
        [r["label"] for r in out[:12]],
        {g.code: [r[f"g{g.id}"] for r in out[:12]] for g in grade_refs},
        str(_l("Prospects by grade")),
        stacked=True,
    )
    return paged(Table(cols, out, totals, charts=[(_l("Prospects by grade"), chart)]), page)


def _per_consultant(rows: list[dict], names: Names, grade_refs: list) -> dict:
    """Fold the per owner-and-grade rows into one row per owner: a count per grade and the sums."""
    merged: dict = {}
    for r in rows:
        row = merged.setdefault(
            r["key"],
            {
                "label": names.user(r["key"]),
                "leads": 0,
                "overdue": 0,
                "due_today": 0,
                "followed": 0,
                **{f"g{g.id}": 0 for g in grade_refs},
            },
        )
        row[f"g{r['grade']}"] = row.get(f"g{r['grade']}", 0) + r["leads"]
        for k in COUNTS:
            row[k] += r[k] or 0
    return merged
