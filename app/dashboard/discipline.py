"""The discipline board's group view: one row per store, summed from the consultants' rows.

A director's group has 20 stores and over a thousand consultants; a list of every one of them is
not a dashboard. The board shows the stores first and a store's consultants when one is opened.
A store's figures are the sums of its consultants' figures (the same rows the store's own board
shows), and its penalty adds its managers' shares to its consultants' penalties.
"""

from collections.abc import Iterable, Mapping
from decimal import Decimal

COUNTS = ("overdue", "expired", "no_plan", "effective", "breaches", "violations")


def store_totals(
    rows: Iterable[Mapping], managers: Iterable[Mapping], names: Mapping[int, str]
) -> list[dict]:
    """Return one row per store that has consultants, in the order of `names` (store id → name):

    store_id, name, consultants, the six counts summed, penalty (consultants' penalties plus the
    managers' shares, as money) and managers_penalty (the managers' shares alone).
    """
    totals: dict[int, dict] = {}
    for r in rows:
        t = totals.get(r["store_id"])
        if t is None:
            t = totals[r["store_id"]] = {
                "store_id": r["store_id"],
                "consultants": 0,
                "penalty": Decimal(0),
                "managers_penalty": Decimal(0),
                **dict.fromkeys(COUNTS, 0),
            }
        t["consultants"] += 1
        for k in COUNTS:
            t[k] += r[k]
        t["penalty"] += Decimal(r["penalty"])
    for m in managers:
        t = totals.get(m["store_id"])
        if t is not None:
            t["managers_penalty"] += Decimal(m["amount"])
            t["penalty"] += Decimal(m["amount"])
    order = {sid: i for i, sid in enumerate(names)}
    return [
        {**t, "name": names.get(sid, "—")}
        for sid, t in sorted(totals.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0] or 0))
    ]
