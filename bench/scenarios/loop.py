"""Benchmark scenarios of the follow-up loop: dashboards, plans, review queue, follow-up logging."""

SCENARIOS = [
    {"name": "dashboard consultant", "role": "consultant", "method": "GET", "path": "/", "target_p95_ms": 100},
    {"name": "dashboard manager", "role": "manager", "method": "GET", "path": "/", "target_p95_ms": 100},
    {"name": "dashboard director", "role": "director", "method": "GET", "path": "/", "target_p95_ms": 150},
    {"name": "plans today", "role": "consultant", "method": "GET", "path": "/plans", "target_p95_ms": 100},
    {"name": "plans overdue", "role": "consultant", "method": "GET", "path": "/plans?tab=overdue",
     "target_p95_ms": 100},
    {"name": "review queue", "role": "manager", "method": "GET", "path": "/review", "target_p95_ms": 100},
    {"name": "review queue (director, every store)", "role": "director", "method": "GET", "path": "/review",
     "target_p95_ms": 100},
    {"name": "approvals", "role": "manager", "method": "GET", "path": "/approvals", "target_p95_ms": 100},
    {"name": "pool", "role": "manager", "method": "GET", "path": "/pool", "target_p95_ms": 150},
    {"name": "reclaim list", "role": "director", "method": "GET", "path": "/reclaim", "target_p95_ms": 200},
    {"name": "dcc queue", "role": "dcc", "method": "GET", "path": "/dcc/queue", "target_p95_ms": 100},
    {"name": "follow-up form", "role": "consultant", "method": "GET", "path": "/leads/{lead_id}/followups/new",
     "target_p95_ms": 80},
    {"name": "log follow-up", "role": "consultant", "method": "POST", "path": "/leads/{lead_id}/followups",
     "data": {"method": "phone", "result": "not_reached", "content": "bench", "next_due": "{today+1}",
              "next_content": "call again"},
     "headers": {"HX-Request": "true"}, "target_p95_ms": 50},
]
