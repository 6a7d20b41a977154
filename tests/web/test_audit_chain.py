"""The audit log is append-only and hash-chained; `flask audit verify` finds the first broken row."""

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from app.accounts.models import Role
from app.audit.chain import AuditLogIsAppendOnly, verify
from app.audit.models import AuditLog
from app.audit.services import record
from tests.conftest import IS_PG
from tests.factories import TEST_PASSWORD


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def _tamper(db, sql, **params):
    """Change a row behind the application's back (on PostgreSQL the trigger must be lifted)."""
    with db.engine.begin() as conn:
        if IS_PG:
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        conn.execute(text(sql), params)
        if IS_PG:
            conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))


@pytest.fixture
def actions(app, db, factory, login_as):
    """Several real actions: logins, a failed login, user creation through the admin pages."""
    admin = login_as(Role.ADMIN)
    store = factory.store()
    db.session.commit()
    admin.post(
        "/admin/users/new",
        data={
            "username": "newbie",
            "display_name": "新人",
            "role": "consultant",
            "store_id": store.id,
            "password": "amber meadow clock",
            "capacity": 300,
        },
    )
    app.test_client().post("/login", data={"username": "newbie", "password": "wrong wrong"})
    app.test_client().post("/login", data={"username": "newbie", "password": "amber meadow clock"})
    record(
        "store.update", None, "store", store.id, {"before": {"name": "a"}, "after": {"name": "b"}, 3: (1, 2)}
    )
    db.session.commit()
    rows = db.session.execute(select(AuditLog).order_by(AuditLog.id)).scalars().all()
    assert len(rows) >= 5
    return rows


def test_the_chain_links_every_row_and_verifies(app, db, actions):
    assert actions[0].prev_hash == ""
    for before, row in zip(actions, actions[1:], strict=False):
        assert row.prev_hash == before.hash and len(row.hash) == 64
    assert verify(db.session).ok
    result = _cli(app, "audit", "verify")
    assert result.exit_code == 0 and f"OK: {len(actions)} audit rows" in result.output


def test_a_row_changed_with_raw_sql_breaks_the_chain_at_that_row(app, db, actions):
    target = actions[2]
    _tamper(db, "UPDATE audit_log SET username = 'someone-else' WHERE id = :id", id=target.id)
    result = _cli(app, "audit", "verify")
    assert result.exit_code == 1
    assert f"BROKEN at audit row id {target.id}" in result.output


def test_a_deleted_row_breaks_the_chain_at_the_next_row(app, db, actions):
    _tamper(db, "DELETE FROM audit_log WHERE id = :id", id=actions[1].id)
    outcome = verify(db.session)
    assert not outcome.ok and outcome.broken_id == actions[2].id


def test_rewriting_a_row_with_a_new_hash_breaks_the_next_link(app, db, actions):
    from app.audit.chain import FIELDS, row_hash

    target = actions[1]
    values = {f: getattr(target, f) for f in FIELDS} | {"action": "auth.logout"}
    _tamper(
        db,
        "UPDATE audit_log SET action = 'auth.logout', hash = :h WHERE id = :id",
        h=row_hash(values, target.prev_hash),
        id=target.id,
    )
    outcome = verify(db.session)
    assert not outcome.ok and outcome.broken_id == actions[2].id


def test_the_orm_refuses_to_update_or_delete_audit_rows(db, actions):
    row = db.session.get(AuditLog, actions[0].id)
    row.action = "auth.nothing"
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.delete(db.session.get(AuditLog, actions[0].id))
        db.session.flush()
    db.session.rollback()
    assert verify(db.session).ok


@pytest.mark.postgres_only
def test_postgres_refuses_update_and_delete_from_any_client(db, actions):
    for sql in ("UPDATE audit_log SET action = 'x' WHERE id = :id", "DELETE FROM audit_log WHERE id = :id"):
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(sql), {"id": actions[0].id})


def test_a_newline_in_a_username_cannot_forge_a_row(app, db, factory):
    forged = "mallory\n2026-01-01 00:00:00\tadmin\tuser.create"
    app.test_client().post("/login", data={"username": forged, "password": TEST_PASSWORD})
    db.session.commit()
    row = db.session.execute(select(AuditLog).where(AuditLog.action == "auth.login_failed")).scalar_one()
    assert row.detail == {"username": forged}
    listing = _cli(app, "audit", "--action", "auth.")
    assert listing.exit_code == 0 and len(listing.output.strip().splitlines()) == 1
    assert "\\n2026-01-01" in listing.output
    assert _cli(app, "audit", "verify").exit_code == 0
    _tamper(db, "UPDATE audit_log SET detail = :d WHERE id = :id", d='{"username": "mallory"}', id=row.id)
    result = _cli(app, "audit", "verify")
    assert result.exit_code == 1 and f"BROKEN at audit row id {row.id}" in result.output


def test_anonymising_a_lead_leaves_the_audit_rows_alone(login_as, factory, db):
    admin = login_as(Role.ADMIN)
    lead = factory.lead(name="张三")
    record("lead.update", None, "lead", lead.id, {"name": "张三"})
    db.session.commit()
    response = admin.post(f"/leads/{lead.id}/anonymise")
    assert response.status_code in (200, 303)
    assert db.session.execute(select(AuditLog.action).where(AuditLog.action == "lead.anonymise")).scalar_one()
    assert verify(db.session).ok


def test_concurrent_appends_keep_one_chain(app, db, factory):
    import threading

    barrier = threading.Barrier(4)

    def work(n):
        with app.app_context():
            barrier.wait()
            for i in range(5):
                record("test.append", None, "thread", f"{n}-{i}")
                db.session.commit()
            db.session.remove()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rows = db.session.execute(select(AuditLog).where(AuditLog.action == "test.append")).scalars().all()
    assert len(rows) == 20
    assert verify(db.session).ok
