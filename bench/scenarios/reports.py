"""Report pages for a store manager and the group director over the current month (p95 ≤ 300 ms)."""

REPORT_KEYS = ["funnel", "sources", "followups", "defeats", "traffic", "arrivals", "showroom_sources", "retention",
               "daily", "activity", "prospects", "discipline", "invitations", "dcc", "satisfaction", "comparison",
               "trends"]

SCENARIOS = [
    {"name": "reports hub (manager)", "role": "manager", "method": "GET", "path": "/reports/",
     "target_p95_ms": 300},
]
for _key in REPORT_KEYS:
    SCENARIOS.append({"name": f"report {_key} (manager, month)", "role": "manager", "method": "GET",
                      "path": f"/reports/{_key}?period=month", "target_p95_ms": 300})
    SCENARIOS.append({"name": f"report {_key} (director, store, month)", "role": "director", "method": "GET",
                      "path": f"/reports/{_key}?period=month&store_code={{store_code}}", "target_p95_ms": 300})
SCENARIOS += [
    {"name": "report funnel by consultant (manager, month)", "role": "manager", "method": "GET",
     "path": "/reports/funnel?period=month&by=consultant", "target_p95_ms": 300},
    {"name": "report comparison of stores (director, month)", "role": "director", "method": "GET",
     "path": "/reports/comparison?period=month", "target_p95_ms": 300},
]
