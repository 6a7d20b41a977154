"""Server timing headers for the benchmark harness (only when LEADLOOP_BENCH=1).

X-Server-Time-ms is the time from the first before_request hook to after_request;
X-SQL-Queries is the number of SQL statements the request ran.
"""

import time

from flask import g, has_request_context
from sqlalchemy import event
from sqlalchemy.engine import Engine


def init_app(app) -> None:
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_stamp)
    if not event.contains(Engine, "before_cursor_execute", _count):
        event.listen(Engine, "before_cursor_execute", _count)


def _start():
    g.bench_started = time.perf_counter()
    g.bench_queries = 0


def _count(conn, cursor, statement, parameters, context, executemany):
    if has_request_context() and "bench_queries" in g:
        g.bench_queries += 1


def _stamp(response):
    started = g.get("bench_started")
    if started is not None:
        response.headers["X-Server-Time-ms"] = f"{(time.perf_counter() - started) * 1000:.2f}"
        response.headers["X-SQL-Queries"] = str(g.get("bench_queries", 0))
    return response
