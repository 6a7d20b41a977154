"""Defeat statistics: confirmed defeats by reason, overall or against model, stage, consultant,
store or source channel.

Overall: one row per defeat reason with its share and a pie; grouped: a reason x group cross table
(one column per model, stage reached, ...) with a stacked bar per group.
Data: `queries.defeats` (defeat requests confirmed, decided in the period).
"""

from flask_babel import lazy_gettext as _l

from app.reports import charts, queries
from app.reports.rules import rate
from app.reports.tables import Col, Names, Table, sum_rows

DEFEAT_BYS = ("model", "stage", "consultant", "store", "channel")


def build_defeats(f) -> Table:
    """Defeats per reason, or per reason and the chosen grouping."""
    names = Names()
    by = f.by if f.by in DEFEAT_BYS else ""
    rows = queries.defeats(f, by or None)
    if not by:
        return _by_reason(names, rows)
    return _reason_by_group(names, rows, by)


def _by_reason(names: Names, rows: list[dict]) -> Table:
    total = sum(r["defeats"] for r in rows)
    out = [
        {"label": names.reason(r["reason"]), "defeats": r["defeats"], "share": rate(r["defeats"], total)}
        for r in sorted(rows, key=lambda r: -r["defeats"])
    ]
    cols = [
        Col("label", _l("Defeat reason"), "text"),
        Col("defeats", _l("Defeats")),
        Col("share", _l("Share"), "pct"),
    ]
    chart = charts.pie_chart(
        [r["label"] for r in out], [r["defeats"] for r in out], str(_l("Defeat reasons"))
    )
    return Table(
        cols, out, {"defeats": total, "share": rate(total, total)}, charts=[(_l("Defeat reasons"), chart)]
    )


def _reason_by_group(names: Names, rows: list[dict], by: str) -> Table:
    """A row per reason (most defeats first), a column per group (`k0`, `k1`, ... by group name)."""
    if by == "consultant":
        names.load_users(r["key"] for r in rows)
    keys = sorted({r["key"] for r in rows}, key=lambda k: names.of(by, k))
    out = _cross_rows(names, rows, keys)
    cols = [Col("label", _l("Defeat reason"), "text")] + [
        Col(f"k{i}", names.of(by, k)) for i, k in enumerate(keys)
    ]
    cols.append(Col("total", _l("Total")))
    totals = sum_rows(out, [f"k{i}" for i in range(len(keys))] + ["total"])
    chart = charts.bar_chart(
        [names.of(by, k) for k in keys],
        {r["label"]: [r[f"k{i}"] for i in range(len(keys))] for r in out[:8]},
        str(_l("Defeat analysis")),
        stacked=True,
    )
    return Table(cols, out, totals, charts=[(_l("Defeat analysis"), chart)])


def _cross_rows(names: Names, rows: list[dict], keys: list) -> list[dict]:
    """A row per defeat reason with its count in each group of `keys` (0 where none) and its total."""
    reasons = sorted({r["reason"] for r in rows}, key=lambda k: names.reason(k))
    cells = {(r["reason"], r["key"]): r["defeats"] for r in rows}
    out = []
    for reason in reasons:
        counts = [cells.get((reason, k), 0) for k in keys]
        out.append(
            {
                "label": names.reason(reason),
                **{f"k{i}": n for i, n in enumerate(counts)},
                "total": sum(counts),
            }
        )
    out.sort(key=lambda r: -r["total"])
    return out
