"""Compare two `bench/run.py` results at different sizes: every page's growth and query count.

    python bench/run.py --db sqlite:////tmp/bench-10k.db --leads 10000
    python bench/run.py --db sqlite:////tmp/bench-1m.db --leads 1000000 --stores 20 --reuse
    python bench/scale_curve.py bench/results/sqlite-10000.json bench/results/sqlite-1000000.json

A page passes when its p95 at the large size is at most `--max-growth` (default 1.5) times its p95
at the small size, on the client round trip divided by the floor measured in the same run (so a
busier machine during one of the runs does not read as growth), and when it runs the same number
of SQL statements at both sizes. Prints a markdown table; exits 1 when a page fails.
"""

import argparse
import json
import sys
from pathlib import Path


def key(result: dict) -> tuple[str, str]:
    return result["name"], result["role"]


def compare(small: dict, large: dict, max_growth: float = 1.5) -> list[dict]:
    """One row per page measured in both runs: p95s, growth, statements at each size, pass or not."""
    before = {key(r): r for r in small["results"] if not r.get("skipped")}
    rows = []
    for result in large["results"]:
        if result.get("skipped") or key(result) not in before:
            continue
        base = before[key(result)]
        growth = result["floor_ratio"] / base["floor_ratio"] if base["floor_ratio"] else float("inf")
        same_queries = (base["queries_min"], base["queries"]) == (result["queries_min"], result["queries"])
        rows.append(
            {
                "name": result["name"],
                "role": result["role"],
                "small_client_p95_ms": base["client_p95_ms"],
                "large_client_p95_ms": result["client_p95_ms"],
                "small_floor_ratio": base["floor_ratio"],
                "large_floor_ratio": result["floor_ratio"],
                "growth": round(growth, 2),
                "small_queries": base["queries"],
                "large_queries": result["queries"],
                "ok": growth <= max_growth and same_queries,
            }
        )
    return rows


def markdown(small: dict, large: dict, rows: list[dict], max_growth: float) -> str:
    lines = [
        f"{large['database']}: {small['leads']:,} leads ({small['date']}) against {large['leads']:,} leads "
        f"({large['date']}); a page passes at ≤ {max_growth:g}× growth of its p95 (as a multiple of the "
        "floor measured in the same run) and the same SQL statements",
        "",
        "| page | role | client p95 ms (small) | client p95 ms (large) | × floor (small) | × floor (large) "
        "| growth | statements | ok |",
        "|---|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in rows:
        statements = (
            str(r["small_queries"])
            if r["small_queries"] == r["large_queries"]
            else f"{r['small_queries']} → {r['large_queries']}"
        )
        lines.append(
            f"| {r['name']} | {r['role']} | {r['small_client_p95_ms']} | {r['large_client_p95_ms']} | "
            f"{r['small_floor_ratio']} | {r['large_floor_ratio']} | {r['growth']} | {statements} | "
            f"{'yes' if r['ok'] else '**no**'} |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("small", type=Path)
    parser.add_argument("large", type=Path)
    parser.add_argument("--max-growth", type=float, default=1.5)
    args = parser.parse_args(argv)
    small, large = (json.loads(path.read_text()) for path in (args.small, args.large))
    rows = compare(small, large, args.max_growth)
    print(markdown(small, large, rows, args.max_growth))
    return 0 if rows and all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
