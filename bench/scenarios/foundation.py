"""Foundation pages: login, dashboard per role, health check, administration."""

SCENARIOS = [
    {"name": "login page", "role": "anonymous", "method": "GET", "path": "/login", "target_p95_ms": 50},
    {"name": "health check", "role": "anonymous", "method": "GET", "path": "/healthz", "target_p95_ms": 50},
    {"name": "dashboard", "role": "consultant", "method": "GET", "path": "/", "target_p95_ms": 50},
    {"name": "dashboard", "role": "manager", "method": "GET", "path": "/", "target_p95_ms": 50},
    {"name": "dashboard", "role": "director", "method": "GET", "path": "/", "target_p95_ms": 50},
    {"name": "dashboard", "role": "dcc", "method": "GET", "path": "/", "target_p95_ms": 50},
    {"name": "dashboard", "role": "clerk", "method": "GET", "path": "/", "target_p95_ms": 50},
    {"name": "dashboard", "role": "marketing", "method": "GET", "path": "/", "target_p95_ms": 50},
    {"name": "admin overview", "role": "admin", "method": "GET", "path": "/admin/", "target_p95_ms": 100},
    {
        "name": "admin users",
        "role": "admin",
        "method": "GET",
        "path": "/admin/users?store=0",
        "target_p95_ms": 100,
    },
    {"name": "audit log", "role": "director", "method": "GET", "path": "/admin/audit", "target_p95_ms": 100},
    {
        "name": "audit log by action",
        "role": "admin",
        "method": "GET",
        "path": "/admin/audit?action=auth.login",
        "target_p95_ms": 100,
    },
]
