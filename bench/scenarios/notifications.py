"""The notification centre: the bell's poll (every open page, every 30 s) and the list."""

SCENARIOS = [
    {
        "name": "bell count",
        "role": "consultant",
        "method": "GET",
        "path": "/notifications/count",
        "target_p95_ms": 20,
    },
    {
        "name": "bell count",
        "role": "manager",
        "method": "GET",
        "path": "/notifications/count",
        "target_p95_ms": 20,
    },
    {
        "name": "notification list",
        "role": "consultant",
        "method": "GET",
        "path": "/notifications",
        "target_p95_ms": 50,
    },
    {
        "name": "notification list",
        "role": "manager",
        "method": "GET",
        "path": "/notifications",
        "target_p95_ms": 50,
    },
]
