"""Report pages for a store manager and the group director over the current month, the last full
month and the last full quarter (p95 ≤ 300 ms; bench/run.py also holds each to 10× the floor)."""

from datetime import date, timedelta

_FIRST = date.today().replace(day=1)
LAST_MONTH = (_FIRST - timedelta(days=1)).isoformat()  # a day of the last full month
LAST_QUARTER = (_FIRST.replace(month=(_FIRST.month - 1) // 3 * 3 + 1) - timedelta(days=1)).isoformat()

REPORT_KEYS = [
    "funnel",
    "sources",
    "followups",
    "defeats",
    "traffic",
    "arrivals",
    "showroom_sources",
    "retention",
    "daily",
    "activity",
    "prospects",
    "discipline",
    "invitations",
    "dcc",
    "satisfaction",
    "comparison",
    "trends",
]

SCENARIOS = [
    {
        "name": "reports hub (manager)",
        "role": "manager",
        "method": "GET",
        "path": "/reports/",
        "target_p95_ms": 300,
    },
]
for _key in REPORT_KEYS:
    SCENARIOS.append(
        {
            "name": f"report {_key} (manager, month)",
            "role": "manager",
            "method": "GET",
            "path": f"/reports/{_key}?period=month",
            "target_p95_ms": 300,
        }
    )
    SCENARIOS.append(
        {
            "name": f"report {_key} (director, store, month)",
            "role": "director",
            "method": "GET",
            "path": f"/reports/{_key}?period=month&store_code={{store_code}}",
            "target_p95_ms": 300,
        }
    )
SCENARIOS += [
    {
        "name": "report funnel by consultant (manager, month)",
        "role": "manager",
        "method": "GET",
        "path": "/reports/funnel?period=month&by=consultant",
        "target_p95_ms": 300,
    },
    {
        "name": "report comparison of stores (director, month)",
        "role": "director",
        "method": "GET",
        "path": "/reports/comparison?period=month",
        "target_p95_ms": 300,
    },
]

# Every report over the last full month and quarter too: the periods people read most after month
# end (and the slowest when computed from raw rows).
PAST_KEYS = REPORT_KEYS
for _label, _kind, _anchor in (
    ("last month", "month", LAST_MONTH),
    ("last quarter", "quarter", LAST_QUARTER),
):
    for _key in PAST_KEYS:
        SCENARIOS.append(
            {
                "name": f"report {_key} (manager, {_label})",
                "role": "manager",
                "method": "GET",
                "path": f"/reports/{_key}?period={_kind}&date={_anchor}",
                "target_p95_ms": 300,
            }
        )
        SCENARIOS.append(
            {
                "name": f"report {_key} (director, group, {_label})",
                "role": "director",
                "method": "GET",
                "path": f"/reports/{_key}?period={_kind}&date={_anchor}",
                "target_p95_ms": 300,
            }
        )
