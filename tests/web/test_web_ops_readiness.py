"""GET /readyz: database, Redis (when configured) and backlogs; 200 when ready, 503 with details."""

from app.extensions import db
from app.messaging.models import Message, MessageStatus
from tests.helpers_platform import other_app


def _messages(statuses):
    for i, status in enumerate(statuses):
        db.session.add(Message(channel="sms", to_address=f"+86139000000{i:02d}", body="hi", status=status))
    db.session.commit()


def test_readyz_ok_reports_the_outbox_backlog(client):
    _messages([MessageStatus.QUEUED, MessageStatus.QUEUED, MessageStatus.SENT, MessageStatus.FAILED])
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ready",
        "database": "ok",
        "outbox_backlog": 2,
        "queue_backlog": 0,
    }
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_503_when_the_database_is_unreachable(_tmpdir):
    with other_app(
        _tmpdir,
        SQLALCHEMY_DATABASE_URI="sqlite:////nonexistent-dir/leadloop/x.db",
        SQLALCHEMY_ENGINE_OPTIONS={},
    ) as application:
        response = application.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "not_ready", "database": "unreachable"}


def test_readyz_503_when_redis_is_unreachable(_tmpdir):
    with other_app(_tmpdir, REDIS_URL="redis://127.0.0.1:1/0") as application:
        response = application.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "not_ready" and body["redis"] == "unreachable" and body["database"] == "ok"


def test_readyz_checks_a_reachable_redis(_tmpdir, monkeypatch):
    from app.web import readiness

    monkeypatch.setattr(readiness, "redis_ok", lambda url: url == "redis://cache:6379/3")
    with other_app(_tmpdir, REDIS_URL="redis://cache:6379/3") as application:
        response = application.test_client().get("/readyz")
    assert response.status_code == 200 and response.get_json()["redis"] == "ok"


def test_readyz_outbox_backlog_over_its_ceiling_is_not_ready(_tmpdir):
    _messages([MessageStatus.QUEUED] * 3)
    with other_app(_tmpdir, READY_MAX_OUTBOX_BACKLOG=2) as application:
        response = application.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "not_ready",
        "database": "ok",
        "outbox_backlog": 3,
        "outbox_backlog_over": 2,
        "queue_backlog": 0,
    }


class FakeQueue:
    def __init__(self, pending):
        self.pending = pending

    def pending_count(self):
        return self.pending


def test_queue_backlog_is_the_task_queues_and_judged_against_the_ceiling(app, _tmpdir):
    from app.tasks import huey
    from app.web.readiness import queue_backlog

    assert app.extensions["huey"] is huey and queue_backlog() == 0
    with other_app(_tmpdir, READY_MAX_QUEUE_BACKLOG=10) as application:
        application.extensions["huey"] = FakeQueue(4)
        response = application.test_client().get("/readyz")
        assert response.status_code == 200 and response.get_json()["queue_backlog"] == 4
        application.extensions["huey"] = FakeQueue(11)
        response = application.test_client().get("/readyz")
        assert response.status_code == 503
        assert response.get_json()["queue_backlog"] == 11 and response.get_json()["queue_backlog_over"] == 10


def test_healthz_stays_a_liveness_check_without_backlogs(client):
    _messages([MessageStatus.QUEUED])
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok"}
