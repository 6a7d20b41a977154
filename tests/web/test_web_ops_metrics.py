"""GET /metrics: Prometheus text, guarded by METRICS_TOKEN or the loopback network."""

import uuid
from datetime import timedelta

from prometheus_client import REGISTRY

from app.extensions import db
from app.messaging.models import Message, MessageStatus
from tests.helpers_invite import make_event, make_invitation
from tests.helpers_platform import other_app

OUTSIDE = {"REMOTE_ADDR": "10.20.30.40"}


def test_metrics_from_loopback_without_a_token(client):
    client.get("/healthz")
    client.get("/login")
    client.get("/no-such-page")
    db.session.add(
        Message(channel="sms", to_address="+8613900000000", body="hi", status=MessageStatus.QUEUED)
    )
    db.session.commit()
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    for name in (
        "leadloop_http_request_duration_seconds_bucket",
        "leadloop_http_requests_total",
        "leadloop_checkins_total",
        "leadloop_outbox_backlog 1.0",
    ):
        assert name in text, name
    assert 'endpoint="health.healthz",method="GET"' in text
    assert 'endpoint="accounts.login",method="GET"' in text
    assert 'endpoint="<none>"' in text and "no-such-page" not in text
    assert 'leadloop_http_requests_total{status="404"}' in text
    assert "leadloop_queue_depth 0.0" in text  # the task queue is registered (empty in tests)


def test_metrics_refused_to_other_networks_without_a_token(client):
    assert client.get("/metrics", environ_base=OUTSIDE).status_code == 403
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200


def test_metrics_with_a_token_need_it_from_everywhere(_tmpdir):
    with other_app(_tmpdir, METRICS_TOKEN="scrape-secret-123") as application:
        c = application.test_client()
        assert c.get("/metrics", environ_base=OUTSIDE).status_code == 401
        assert c.get("/metrics").status_code == 401
        wrong = c.get("/metrics", headers={"Authorization": "Bearer nope"}, environ_base=OUTSIDE)
        assert wrong.status_code == 401 and wrong.headers["WWW-Authenticate"] == "Bearer"
        ok = c.get("/metrics", headers={"Authorization": "Bearer scrape-secret-123"}, environ_base=OUTSIDE)
        assert ok.status_code == 200 and b"leadloop_http_requests_total" in ok.data


def test_queue_depth_gauge_when_a_queue_is_configured(_tmpdir):
    class Queue:
        def pending_count(self):
            return 7

    with other_app(_tmpdir) as application:
        application.extensions["huey"] = Queue()
        text = application.test_client().get("/metrics").get_data(as_text=True)
    assert "leadloop_queue_depth 7.0" in text


def test_a_door_checkin_increments_the_counter(factory, login):
    store = factory.store()
    clerk = factory.user("clerk", store)
    lead = factory.lead(owner=factory.user("consultant", store), stage="invited")
    event = make_event(store, starts_in=timedelta(hours=-1))
    invitation = make_invitation(event, lead)
    db.session.commit()
    before = REGISTRY.get_sample_value("leadloop_checkins_total")
    c = login(clerk)
    data = {"code": invitation.token, "client_id": uuid.uuid4().hex}
    assert c.htmx("post", f"/checkin/{event.id}", data=data).status_code == 200
    assert REGISTRY.get_sample_value("leadloop_checkins_total") == before + 1
    c.htmx("post", f"/checkin/{event.id}", data=data)  # the same scan again: nothing new recorded
    assert REGISTRY.get_sample_value("leadloop_checkins_total") == before + 1


def test_latency_is_labelled_by_endpoint_not_path(client):
    before = (
        REGISTRY.get_sample_value(
            "leadloop_http_request_duration_seconds_count", {"endpoint": "rsvp.show", "method": "GET"}
        )
        or 0
    )
    client.get("/r/AAAAAAAAAAAAAAAAAAAAAAAAAA")
    after = REGISTRY.get_sample_value(
        "leadloop_http_request_duration_seconds_count", {"endpoint": "rsvp.show", "method": "GET"}
    )
    assert after == before + 1


def test_odd_methods_do_not_make_new_series(client):
    client.open("/no-such-page", method="BREW")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'endpoint="<none>",method="other"' in text and "BREW" not in text
