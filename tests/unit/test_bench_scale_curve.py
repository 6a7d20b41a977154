"""The scale-curve comparison of two bench runs: growth as a multiple of the floor, same statements."""

from bench.scale_curve import compare, main


def _run(leads, pages):
    return {
        "database": "postgresql",
        "leads": leads,
        "date": "d",
        "results": [
            {
                "name": name,
                "role": "manager",
                "client_p95_ms": p95,
                "floor_ratio": ratio,
                "queries": queries,
                "queries_min": queries,
            }
            for name, p95, ratio, queries in pages
        ]
        + [{"name": "skipped page", "role": "manager", "skipped": "no object"}],
    }


def test_growth_is_read_against_the_floor_of_each_run():
    small = _run(10_000, [("board", 20.0, 4.0, 9), ("list", 10.0, 2.0, 5)])
    # The large run's machine was twice as busy: 40 ms at 8x the floor is 2x growth, 30 ms at 3x is 1.5x.
    large = _run(1_000_000, [("board", 40.0, 8.0, 9), ("list", 30.0, 3.0, 5)])
    rows = {r["name"]: r for r in compare(small, large)}
    assert set(rows) == {"board", "list"}
    assert rows["board"]["growth"] == 2.0 and not rows["board"]["ok"]
    assert rows["list"]["growth"] == 1.5 and rows["list"]["ok"]


def test_a_page_whose_statements_grow_fails_even_when_fast():
    small = _run(10_000, [("lead page", 10.0, 2.0, 12)])
    large = _run(1_000_000, [("lead page", 10.0, 2.0, 13)])
    (row,) = compare(small, large)
    assert row["growth"] == 1.0 and not row["ok"]


def test_exit_status(tmp_path):
    import json

    small, large, worse = tmp_path / "s.json", tmp_path / "l.json", tmp_path / "w.json"
    small.write_text(json.dumps(_run(10_000, [("board", 20.0, 4.0, 9)])))
    large.write_text(json.dumps(_run(1_000_000, [("board", 22.0, 4.4, 9)])))
    worse.write_text(json.dumps(_run(1_000_000, [("board", 80.0, 16.0, 9)])))
    assert main([str(small), str(large)]) == 0
    assert main([str(small), str(worse)]) == 1
