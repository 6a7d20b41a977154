"""The audit log is append-only and hash-chained.

Every row carries the hash of the row before it (`prev_hash`) and its own `hash`: SHA-256 over a
canonical JSON of its fields and `prev_hash`. Changing, inserting or deleting a row in the middle
breaks the chain at that row, which `flask audit verify` reports. Rows are chained when they are
flushed, under a lock so that concurrent transactions append one after the other: on PostgreSQL
an advisory transaction lock, on SQLite the database's single writer lock, taken first (two extra
statements per flush with audit rows on PostgreSQL, one on SQLite).

The ORM refuses to update or delete an audit row; on PostgreSQL a trigger (migration 0013) also
refuses UPDATE and DELETE from any other client.
"""

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from app.audit.models import AuditLog
from app.core.timeutil import utcnow

CHAIN_LOCK_KEY = 7_201_301  # pg_advisory_xact_lock key reserved for appending to audit_log
FIELDS = ("id", "created_at", "user_id", "username", "action", "object_type", "object_id", "detail", "ip")


class AuditLogIsAppendOnly(RuntimeError):
    """Raised when code tries to change or delete an audit row."""


def row_hash(values: dict, prev_hash: str) -> str:
    """SHA-256 of a canonical JSON of the row's fields and the previous row's hash.

    JSON escapes every control character, so a newline or tab inside a username or a detail can
    never pass for a field or a row boundary.
    """
    created = values["created_at"]
    detail = values["detail"]
    payload = {
        "id": values["id"],
        "created_at": created.isoformat(timespec="microseconds") if created else None,
        "user_id": values["user_id"],
        "username": values["username"],
        "action": values["action"],
        "object_type": values["object_type"],
        "object_id": values["object_id"],
        # As stored: a JSON round trip (integer keys become strings, tuples lists).
        "detail": json.loads(json.dumps(detail)) if detail is not None else None,
        "ip": values["ip"],
        "prev_hash": prev_hash,
    }
    canonical = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _chain_new_rows(session: Session, _flush_context, _instances) -> None:
    rows = [obj for obj in session.new if isinstance(obj, AuditLog)]
    if not rows:
        return
    rows.sort(key=lambda r: getattr(r, "_chain_order", 0))
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        # Wait for the lock first; the next statement then sees the head committed before it.
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})
        found = conn.execute(
            text(
                "SELECT (SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1), "
                "nextval(pg_get_serial_sequence('audit_log', 'id')) FROM generate_series(1, :n) ORDER BY 2"
            ),
            {"n": len(rows)},
        ).all()
        prev = found[0][0] or ""
        ids = [row_id for _hash, row_id in found]
    else:
        # One statement takes SQLite's writer lock and reads the chain head: it "updates" the
        # newest row to itself (no value changes) and returns it.
        head = conn.execute(
            text("UPDATE audit_log SET id = id WHERE id = (SELECT max(id) FROM audit_log) RETURNING id, hash")
        ).first()
        prev, last_id = (head.hash, head.id) if head else ("", 0)
        ids = list(range(last_id + 1, last_id + 1 + len(rows)))
    for row, row_id in zip(rows, ids, strict=True):
        row.id = row_id
        if row.created_at is None:
            row.created_at = utcnow()
        row.prev_hash = prev
        row.hash = row_hash({f: getattr(row, f) for f in FIELDS}, prev)
        prev = row.hash


def _refuse(_mapper, _connection, target) -> None:
    raise AuditLogIsAppendOnly(f"audit_log row {target.id} cannot be changed or deleted")


def install() -> None:
    """Register the chaining and the append-only guards (once per process)."""
    if event.contains(Session, "before_flush", _chain_new_rows):
        return
    event.listen(Session, "before_flush", _chain_new_rows)
    event.listen(AuditLog, "before_update", _refuse)
    event.listen(AuditLog, "before_delete", _refuse)


@dataclass
class VerifyResult:
    ok: bool
    rows: int
    broken_id: int | None = None
    reason: str = ""


def _rows(session: Session, batch: int = 1000) -> Iterator:
    table = AuditLog.__table__
    after = 0
    while True:
        chunk = (
            session.execute(
                select(*[table.c[f] for f in FIELDS], table.c.prev_hash, table.c.hash)
                .where(table.c.id > after)
                .order_by(table.c.id)
                .limit(batch)
            )
            .mappings()
            .all()
        )
        if not chunk:
            return
        yield from chunk
        after = chunk[-1]["id"]


def verify(session: Session) -> VerifyResult:
    """Walk the chain from the first row; stop at the first row that does not fit."""
    prev, count = "", 0
    for row in _rows(session):
        count += 1
        if row["prev_hash"] != prev:
            return VerifyResult(False, count, row["id"], "previous hash does not match")
        if row_hash(dict(row), prev) != row["hash"]:
            return VerifyResult(False, count, row["id"], "row content does not match its hash")
        prev = row["hash"]
    return VerifyResult(True, count)
