"""Conversion funnel: how many leads reached each pipeline stage in the period.

Overall it shows, per stage, the leads reaching it, their share of the new leads, the step
conversion and the drop-off from the step before; grouped by store, consultant or source channel it
shows one row per group with its count at every stage and its conversion to won.
Data: `queries.funnel` (leads created or moved in the period, counted at the furthest open or won
stage reached) over the steps of `queries.funnel_stages`.
"""

from flask_babel import lazy_gettext as _l

from app.reports import charts, queries
from app.reports.builders.shared import dim_label
from app.reports.rules import rate
from app.reports.tables import Col, Names, Table, sum_rows

FUNNEL_BYS = ("store", "consultant", "channel")
OVERALL_COLS = [
    Col("label", _l("Stage"), "text"),
    Col("reached", _l("Leads reaching")),
    Col("of_first", _l("Share of new leads"), "pct"),
    Col("step_rate", _l("Step conversion"), "pct"),
    Col("dropped", _l("Dropped")),
    Col("drop_rate", _l("Drop-off"), "pct"),
]


def build_funnel(f) -> Table:
    """The funnel of the filter's leads, overall or per store, consultant or source channel."""
    names = Names()
    steps = queries.funnel_stages()
    by = f.by if f.by in FUNNEL_BYS else ""
    rows = queries.funnel(f, by or None)
    if not by:
        return _overall(names, steps, rows)
    return _per_group(names, steps, rows, by)


# ---- overall: one row per stage -------------------------------------------------------------


def _overall(names: Names, steps: list, rows: list[dict]) -> Table:
    counts = [(rows[0][f"s{s.id}"] if rows else 0) for s in steps]
    first = counts[0] if counts else 0
    out = [
        _stage_row(names.stage(stage.id), n, first, counts[i - 1] if i else None)
        for i, (stage, n) in enumerate(zip(steps, counts, strict=True))
    ]
    chart = charts.funnel_chart([r["label"] for r in out], counts, str(_l("Conversion funnel")))
    return Table(list(OVERALL_COLS), out, charts=[(_l("Conversion funnel"), chart)])


def _stage_row(label: str, reached: int, first: int, prev: int | None) -> dict:
    """A stage's count against the first stage and, from the second stage on, against the one before."""
    row = {"label": label, "reached": reached, "of_first": rate(reached, first)}
    if prev is None:
        return {**row, "dropped": None, "drop_rate": None, "step_rate": None}
    return {
        **row,
        "dropped": prev - reached,
        "drop_rate": rate(prev - reached, prev),
        "step_rate": rate(reached, prev),
    }


# ---- grouped: one row per store, consultant or channel -------------------------------------


def _per_group(names: Names, steps: list, rows: list[dict], by: str) -> Table:
    if by == "consultant":
        names.load_users(r["key"] for r in rows)
    stage_keys = [f"s{s.id}" for s in steps]
    first_key, won_key = f"s{steps[0].id}", f"s{steps[-1].id}"
    out = []
    for r in sorted(rows, key=lambda r: -(r[first_key] or 0)):
        row = {"label": names.of(by, r["key"]), **{k: r[k] for k in stage_keys}}
        row["conversion"] = rate(r[won_key], r[first_key])
        out.append(row)
    cols = [Col("label", dim_label(by), "text")] + [Col(f"s{s.id}", names.stage(s.id)) for s in steps]
    cols.append(Col("conversion", _l("Conversion"), "pct"))
    totals = sum_rows(out, stage_keys)
    totals["conversion"] = rate(totals[won_key], totals[first_key])
    return Table(cols, out, totals, charts=[(_l("Conversion funnel"), _group_chart(names, steps, out[:12]))])


def _group_chart(names: Names, steps: list, top: list[dict]) -> str:
    """Bars of the first stage, the fourth (or the first again when the pipeline is shorter) and won."""
    shown = (steps[0], steps[3] if len(steps) > 3 else steps[0], steps[-1])
    return charts.bar_chart(
        [r["label"] for r in top],
        {names.stage(s.id): [r[f"s{s.id}"] for r in top] for s in shown},
        str(_l("Conversion funnel")),
    )
