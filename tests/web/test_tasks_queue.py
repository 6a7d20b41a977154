"""The task queue: outbox delivery at commit (real consumer), exactly-once claims, retries and dead
letters, the admin's outbox page, the monthly PDF as a task, periodic jobs as Huey periodic tasks."""

import threading
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from app import tasks
from app.audit.models import AuditLog
from app.core.timeutil import utcnow
from app.messaging import backends
from app.messaging import outbox as outbox_module
from app.messaging.backends import DeliveryError
from app.messaging.models import Message, MessageStatus
from app.messaging.outbox import MAX_ATTEMPTS, deliver_due, deliver_one, queue_email, queue_sms


@pytest.fixture
def deliver_on_commit(app, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_DELIVER_ON_COMMIT", True)
    backends.SENT.clear()
    yield
    backends.SENT.clear()


def _status(db, message_id):
    db.session.expire_all()
    return db.session.get(Message, message_id).status


def test_a_committed_message_is_delivered_by_a_running_consumer_within_5_seconds(
    db, deliver_on_commit, huey_consumer
):
    message = queue_sms("+8613800000001", "您的试驾已确认")
    db.session.commit()
    started = time.monotonic()
    while _status(db, message.id) != MessageStatus.SENT:
        assert time.monotonic() - started < 5, f"still {_status(db, message.id)} after 5 s"
        time.sleep(0.05)
    assert [m.id for m in backends.SENT] == [message.id]
    assert db.session.get(Message, message.id).claimed_by  # the worker that claimed it


def test_delivery_is_queued_only_when_the_transaction_commits(db, deliver_on_commit):
    queue_email("a@example.com", "rolled back", "never sent")
    db.session.rollback()
    assert backends.SENT == []
    message = queue_email("b@example.com", "committed", "sent at once")
    db.session.commit()
    assert [m.to for m in backends.SENT] == ["b@example.com"]
    assert _status(db, message.id) == MessageStatus.SENT and db.session.get(Message, message.id).attempts == 1


def test_without_delivery_at_commit_the_periodic_sweep_sends(db):
    backends.SENT.clear()
    message = queue_sms("+8613800000002", "hello")
    db.session.commit()
    assert _status(db, message.id) == MessageStatus.QUEUED
    assert tasks.PERIODIC_TASKS or tasks.register_periodic_tasks()
    assert tasks.PERIODIC_TASKS["outbox"].call_local() == {"sent": 1, "failed": 0}
    assert _status(db, message.id) == MessageStatus.SENT


def test_two_workers_delivering_the_same_queue_send_each_message_once(app, db):
    backends.SENT.clear()
    ids = [queue_sms(f"+86138000010{i:02d}", f"m{i}").id for i in range(30)]
    db.session.commit()
    barrier = threading.Barrier(2)
    errors = []

    def worker(n):
        from app.extensions import db as _db

        with app.app_context():
            try:
                barrier.wait()
                deliver_due(utcnow() + timedelta(seconds=1), worker=f"worker-{n}")
            except Exception as exc:  # surfaced below
                errors.append(exc)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    sent = sorted(m.id for m in backends.SENT)
    assert sent == ids  # every message once, none twice
    db.session.expire_all()
    assert db.session.execute(select(func.count()).where(Message.status == MessageStatus.SENT)).scalar() == 30
    assert db.session.execute(select(func.sum(Message.attempts))).scalar() == 30


def test_a_message_claimed_by_another_worker_is_not_sent_again(db):
    backends.SENT.clear()
    message = queue_sms("+8613800000003", "once")
    db.session.commit()
    assert outbox_module.claim(message.id, "worker-a", utcnow())
    assert deliver_one(message.id, "worker-b") == ("skipped", None)
    assert backends.SENT == []
    # The claiming worker died: after CLAIM_TIMEOUT the sweep queues it again and sends it.
    later = utcnow() + outbox_module.CLAIM_TIMEOUT + timedelta(minutes=1)
    assert deliver_due(later) == {"sent": 1, "failed": 0}
    assert [m.id for m in backends.SENT] == [message.id]


def test_provider_failing_twice_then_succeeding_sends_once_with_three_attempts(db, monkeypatch):
    calls = []

    def flaky(msg):
        calls.append(msg.id)
        if len(calls) <= 2:
            raise DeliveryError("gateway timeout")
        return "provider-42"

    monkeypatch.setattr(outbox_module, "send", flaky)
    message = queue_sms("+8613800000004", "retry me")
    db.session.commit()
    t0 = utcnow()
    outcome, retry_at = deliver_one(message.id, "w", t0)
    assert outcome == "retry" and retry_at == t0 + timedelta(minutes=2)
    assert deliver_one(message.id, "w", t0 + timedelta(minutes=1)) == ("skipped", None)  # not due yet
    outcome, retry_at = deliver_one(message.id, "w", retry_at)
    assert outcome == "retry"
    assert deliver_one(message.id, "w", retry_at) == ("sent", None)
    db.session.expire_all()
    row = db.session.get(Message, message.id)
    assert len(calls) == 3 and row.status == MessageStatus.SENT and row.attempts == 3
    assert row.provider_message_id == "provider-42" and row.last_error is None


def test_a_failed_delivery_task_schedules_its_retry_on_the_queue(db, monkeypatch, deliver_on_commit):
    def down(msg):
        raise DeliveryError("provider down")

    monkeypatch.setattr(outbox_module, "send", down)
    message = queue_sms("+8613800000005", "later")
    db.session.commit()  # delivered at commit (immediate mode): fails once
    row = db.session.get(Message, message.id)
    assert row.status == MessageStatus.QUEUED and row.attempts == 1 and row.last_error == "provider down"
    scheduled = tasks.huey.scheduled()
    assert any(t.name == "outbox.deliver" and t.args == (message.id,) for t in scheduled)
    assert any(abs((t.eta - row.next_attempt_at).total_seconds()) < 1 for t in scheduled)
    tasks.huey.flush()


def test_a_message_is_dead_after_max_attempts_and_an_admin_retries_it(
    db, monkeypatch, login_as, deliver_on_commit
):
    def down(msg):
        raise DeliveryError("account suspended")

    monkeypatch.setattr(outbox_module, "send", down)
    message = queue_sms("+8613912345678", "dead letter")
    db.session.commit()  # first attempt at commit
    when = utcnow()
    outcome = None
    for _ in range(MAX_ATTEMPTS + 2):
        when = db.session.get(Message, message.id).next_attempt_at
        outcome, _retry = deliver_one(message.id, "w", when)
        db.session.expire_all()
        if outcome == "dead":
            break
    row = db.session.get(Message, message.id)
    assert outcome == "dead" and row.status == MessageStatus.DEAD and row.attempts == MAX_ATTEMPTS
    assert deliver_due(when + timedelta(days=30)) == {"sent": 0, "failed": 0}  # the sweep leaves it alone
    tasks.huey.flush()

    assert login_as("manager").get("/admin/outbox").status_code == 403
    assert login_as("director").post(f"/admin/outbox/{message.id}/retry").status_code == 403
    admin = login_as("admin")
    page = admin.get("/admin/outbox").get_data(as_text=True)
    assert f'data-message="{message.id}"' in page and "account suspended" in page
    assert "13912345678" not in page and "5678" in page  # the customer's number stays masked

    monkeypatch.setattr(outbox_module, "send", lambda msg: "ok-1")
    retried = admin.post(f"/admin/outbox/{message.id}/retry")
    assert retried.status_code == 303 and retried.headers["Location"] == "/admin/outbox"
    row = db.session.get(Message, message.id)
    db.session.refresh(row)
    assert row.status == MessageStatus.SENT and row.attempts == 1  # queued again and delivered at commit
    audit = db.session.execute(select(AuditLog).where(AuditLog.action == "outbox.retry")).scalar_one()
    assert audit.object_id == str(message.id) or audit.object_id == message.id
    assert admin.post(f"/admin/outbox/{message.id}/retry").status_code == 404  # sent: nothing to retry


# ---- periodic jobs ----------------------------------------------------------------------------


def test_every_periodic_job_is_a_huey_periodic_task_on_its_schedule(app):
    from app.jobs import registered_jobs

    names = tasks.register_periodic_tasks()
    assert names == sorted(name for name, _f in registered_jobs())
    assert set(tasks.SCHEDULES) <= set(names)
    periodic = {t.__name__ for t in tasks.huey._registry._periodic_tasks}
    assert {f"jobs.{name}" for name in names} <= periodic

    def runs(name, when):  # what the consumer's scheduler starts at that minute (UTC)
        return f"jobs.{name}" in {t.name for t in tasks.huey.read_periodic(when)}

    assert runs("outbox", datetime(2026, 3, 9, 10, 7))
    assert runs("reminders", datetime(2026, 3, 9, 10, 5)) and not runs(
        "reminders", datetime(2026, 3, 9, 10, 6)
    )
    assert runs("overdue_plans", datetime(2026, 3, 9, 10, 55))
    # The monthly mail: the 1st at 08:00 in Shanghai, which is 00:00 UTC.
    assert runs("reports.monthly_email", datetime(2026, 11, 1, 0, 0))
    assert not runs("reports.monthly_email", datetime(2026, 11, 1, 8, 0))
    assert not runs("reports.monthly_email", datetime(2026, 10, 31, 16, 0))


def test_a_periodic_task_runs_the_same_job_as_flask_jobs_run(app, db):
    tasks.register_periodic_tasks()
    assert tasks.PERIODIC_TASKS["interrupted_imports"].call_local() == {"interrupted": 0, "resumed": 0}
    result = app.test_cli_runner().invoke(args=["jobs", "run", "--only", "interrupted_imports"])
    assert result.exit_code == 0 and "interrupted_imports: interrupted=0" in result.output


def test_flask_worker_command_starts_a_consumer_with_periodic_tasks(app, monkeypatch):
    started = {}

    class FakeConsumer:
        def run(self):
            started["ran"] = True

    def create_consumer(**options):
        started.update(options)
        return FakeConsumer()

    monkeypatch.setattr(tasks.huey, "create_consumer", create_consumer)
    monkeypatch.setattr(
        tasks, "use_storage", lambda immediate, storage=None: started.setdefault("queued", not immediate)
    )
    result = app.test_cli_runner().invoke(args=["worker", "--workers", "3"])
    assert result.exit_code == 0, result.output
    assert started == {
        "workers": 3,
        "worker_type": "thread",
        "periodic": True,
        "check_worker_health": True,
        "initial_delay": 0.1,
        "max_delay": 1.0,
        "ran": True,
        "queued": True,
    }


def test_further_consumers_run_without_the_scheduler(app, monkeypatch):
    options = {}

    class FakeConsumer:
        def run(self):
            options["ran"] = True

    monkeypatch.setattr(tasks.huey, "create_consumer", lambda **kw: options.update(kw) or FakeConsumer())
    monkeypatch.setattr(tasks, "use_storage", lambda immediate, storage=None: None)
    result = app.test_cli_runner().invoke(args=["worker", "--no-periodic"])
    assert result.exit_code == 0, result.output
    assert (
        options["periodic"] is False and options["workers"] == app.config["HUEY_WORKERS"] and options["ran"]
    )


def test_a_suppressed_marketing_message_is_not_delivered_at_commit(db, factory, deliver_on_commit):
    lead = factory.lead(marketing_consent=False)
    message = queue_sms(lead.phone, "大促", purpose="marketing", lead=lead)
    db.session.commit()
    assert _status(db, message.id) == MessageStatus.SUPPRESSED and backends.SENT == []


def test_the_queue_uses_redis_when_a_url_is_set_and_sqlite_in_the_instance_folder_otherwise(app, tmp_path):
    from flask import Flask
    from huey.storage import MemoryStorage, RedisStorage, SqliteStorage

    def configured(**config):
        stub = Flask("queue-config")
        stub.config.update(INSTANCE_DIR=str(tmp_path), **config)
        tasks.init_app(stub)
        return tasks.huey.storage

    try:
        assert isinstance(configured(REDIS_URL="redis://127.0.0.1:6379/5"), RedisStorage)
        assert isinstance(configured(REDIS_URL="redis://a/1", HUEY_URL="redis://b/2"), RedisStorage)
        assert tasks.huey.storage_kwargs == {"url": "redis://b/2"}
        storage = configured()
        assert isinstance(storage, SqliteStorage) and storage.filename == str(tmp_path / "huey.db")
        assert isinstance(configured(HUEY_IMMEDIATE=True), MemoryStorage) and tasks.huey.immediate
    finally:
        tasks.init_app(app)
    assert tasks.huey.immediate and isinstance(tasks.huey.storage, MemoryStorage)
