"""Pipeline board scenarios: first render per role, a column page, the change poll, a move."""

SCENARIOS = [
    {
        "name": "board: consultant first render",
        "role": "consultant",
        "method": "GET",
        "path": "/board",
        "target_p95_ms": 100,
    },
    {
        "name": "board: manager first render (whole store)",
        "role": "manager",
        "method": "GET",
        "path": "/board",
        "target_p95_ms": 100,
    },
    {
        "name": "board: manager, overdue filter",
        "role": "manager",
        "method": "GET",
        "path": "/board?overdue=1",
        "target_p95_ms": 100,
    },
    {
        "name": "board: director, one store",
        "role": "director",
        "method": "GET",
        "path": "/board",
        "target_p95_ms": 100,
    },
    {
        "name": "board: load more (deep keyset page)",
        "role": "manager",
        "method": "GET",
        "path": "/board/column/2?after=2099-01-01.0",
        "headers": {"HX-Request": "true"},
        "target_p95_ms": 50,
    },
    {
        "name": "board: anything changed? (nothing did)",
        "role": "manager",
        "method": "GET",
        "path": "/board/changes?since={board_token}",
        "headers": {"HX-Request": "true"},
        "target_p95_ms": 10,
        # {board_token}: read from the board page first (the poller's since=... argument).
        "prepare": {"path": "/board", "extract": r"since=([^&\"]+)", "as": "board_token"},
    },
    # {lead_version}: the lead's current version (a stale one measures the 409 conflict path instead).
    {
        "name": "board: move a card (drag)",
        "role": "consultant",
        "method": "POST",
        "path": "/board/move",
        "headers": {"HX-Request": "true"},
        "data": {"lead_id": "{open_lead_id}", "stage": ["invited", "contacted"], "version": "{lead_version}"},
        "target_p95_ms": 30,
    },
]
