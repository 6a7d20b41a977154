"""Statements a process sends and the time it waits on them, for the in-process profiles."""

import time

from sqlalchemy import event


def time_statements(engine) -> dict:
    """Listen on `engine` and return a dict whose `n` and `seconds` grow with every statement
    (cursor execute to result); a profile reads and resets them around each request."""
    sql = {"n": 0, "seconds": 0.0}

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):
        conn.info["t0"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):
        sql["n"] += 1
        sql["seconds"] += time.perf_counter() - conn.info.pop("t0", time.perf_counter())

    return sql
