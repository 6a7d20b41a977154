"""Intake pages: showroom reception, the traffic fragment, the import page, the API description."""

SCENARIOS = [
    {
        "name": "reception page (clerk)",
        "role": "clerk",
        "method": "GET",
        "path": "/showroom/reception",
        "target_p95_ms": 150,
    },
    {
        "name": "reception traffic fragment (clerk)",
        "role": "clerk",
        "method": "GET",
        "path": "/showroom/reception/traffic",
        "headers": {"HX-Request": "true"},
        "target_p95_ms": 80,
    },
    {
        "name": "import upload page (manager)",
        "role": "manager",
        "method": "GET",
        "path": "/leads/import",
        "target_p95_ms": 100,
    },
    {
        "name": "openapi.json",
        "role": "clerk",
        "method": "GET",
        "path": "/api/v1/openapi.json",
        "target_p95_ms": 50,
    },
    {
        "name": "public booking form",
        "role": "clerk",
        "method": "GET",
        "path": "/f/{store_code}",
        "target_p95_ms": 80,
    },
]

# Intake API throughput is measured separately with bench/api_load.py (target: >= 200 leads/s with
# 4 concurrent clients against gunicorn with 2 workers) and the import with bench/import_load.py
# (target: 100,000 CSV rows in <= 60 s end to end).
