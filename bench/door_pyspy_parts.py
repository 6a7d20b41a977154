"""Sort a py-spy raw profile of a gunicorn worker into the parts of a door request.

    py-spy record -r 200 -d 20 -f raw -o /tmp/door.txt --pid <worker pid>   # while scans run
    python bench/door_pyspy_parts.py /tmp/door.txt "Flask.wsgi_app"

The second argument keeps only stacks containing it (e.g. "check_in (app/checkin/views.py").
A stack waiting on the database counts as waiting, whatever called it.
"""

import collections
import sys


def part(stack: str) -> str:
    if any(
        s in stack
        for s in ("Connection.wait", "do_ping", "Connection.commit (psycopg", "Connection.rollback (psycopg")
    ):
        return "waiting on PostgreSQL (statements, BEGIN/COMMIT, pool ping)"
    if any(s in stack for s in ("load_user", "open_session", "enforce_timeouts")):
        return "session cookie + user load (Python)"
    if "flask_wtf/csrf" in stack:
        return "CSRF check"
    if ("render" in stack and "templating" in stack) or "render_block" in stack:
        return "template render"
    if "logging/__init__" in stack:
        return "logging"
    if "sqlalchemy" in stack:
        return "SQLAlchemy in Python (compile, ORM flush, results)"
    if any(s in stack for s in ("app/checkin", "app/messaging", "app/pipeline")):
        return "door code (Python)"
    return "Flask / werkzeug / other"


def main(path: str, keep: str = "Flask.wsgi_app") -> None:
    parts, total = collections.Counter(), 0
    with open(path) as f:
        for line in f:
            stack, _, count = line.rstrip().rpartition(" ")
            if keep not in stack:
                continue
            total += int(count)
            parts[part(stack)] += int(count)
    print(f"samples {total}")
    for name, count in parts.most_common():
        print(f"{100 * count / total:5.1f} % {name}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
