"""Bench scenarios for the door check-in and the RSVP page (see bench/checkin_load.py for the
event-sized load test with 5,000 invitees and 4 concurrent tablets)."""

SCENARIOS = [
    {
        "name": "checkin search (phone tail)",
        "role": "clerk",
        "method": "GET",
        "path": "/checkin/{event_id}/search?q=1234",
        "target_p95_ms": 30,
    },
    {
        "name": "checkin search (name)",
        "role": "clerk",
        "method": "GET",
        "path": "/checkin/{event_id}/search?q=王",
        "target_p95_ms": 30,
    },
    {
        "name": "checkin counters",
        "role": "clerk",
        "method": "GET",
        "path": "/checkin/{event_id}/counters",
        "target_p95_ms": 30,
    },
    # The same token every time: after the first check-in this is the repeat scan, answered
    # "already checked in" with 409 (bench/checkin_load.py times first check-ins of 5,000 guests).
    {
        "name": "repeat scan of a checked-in guest",
        "role": "clerk",
        "method": "POST",
        "path": "/checkin/{event_id}",
        "data": {"code": "{token}"},
        "target_p95_ms": 30,
        "expect_status": [200, 409],
    },
    {"name": "rsvp page", "role": "anonymous", "method": "GET", "path": "/r/{token}", "target_p95_ms": 50},
    {
        "name": "event page",
        "role": "manager",
        "method": "GET",
        "path": "/events/{event_id}",
        "target_p95_ms": 150,
    },
]
