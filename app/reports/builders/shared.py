"""What several report families share: merging per-key query rows and the "group by" column titles."""

from flask_babel import lazy_gettext as _l

from app.reports import charts

DIMENSION_LABELS = {
    "store": _l("Store"),
    "consultant": _l("Consultant"),
    "channel": _l("Source channel"),
    "grade": _l("Grade"),
    "model": _l("Model"),
    "stage": _l("Stage reached"),
    "event": _l("Event"),
    "campaign": _l("Campaign"),
    "hour": _l("Arrival hour"),
    "reason": _l("Defeat reason"),
}


def merge_by_key(*row_lists) -> dict:
    """Join rows of several queries on their "key" (a store or user id): key -> one dict of figures."""
    merged: dict = {}
    for rows in row_lists:
        for row in rows:
            merged.setdefault(row["key"], {"key": row["key"]}).update(
                {k: v for k, v in row.items() if k != "key"}
            )
    return merged


def dim_label(by: str):
    """The title of the first column when a report is grouped by `by`."""
    return DIMENSION_LABELS.get(by, by)


def bars(rows: list[dict], series: dict, title, **options) -> str:
    """A bar chart of `rows` by their label: one series per legend, read from the row key it names."""
    return charts.bar_chart(
        [r["label"] for r in rows],
        {str(legend): [r[key] for r in rows] for legend, key in series.items()},
        str(title),
        **options,
    )
