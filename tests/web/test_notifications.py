"""The notification centre: bell, list, open, mark all read, e-mail choice, WeCom robot delivery."""

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.core.timeutil import utcnow
from app.followups.models import Notification
from app.messaging import backends
from app.messaging.backends import DeliveryError, Outgoing
from app.messaging.models import Message, MessageStatus
from app.messaging.notify import alert_store, notify
from app.messaging.outbox import deliver_due


def _note(user, n=0, **kw):
    return notify(
        user,
        kw.pop("kind", "comment"),
        kw.pop("endpoint", "leads.lead_detail"),
        kw.pop("args", {"lead_id": 5}),
        kw.pop("text", f"通知{n}"),
        **kw,
    )


def test_every_page_has_the_bell_which_asks_for_its_count(factory, db, login):
    user = factory.user("consultant")
    db.session.commit()
    html = login(user).get("/").get_data(as_text=True)
    assert 'id="bell"' in html and 'data-hx-get="/notifications/count"' in html
    assert 'data-hx-trigger="load, every 30s"' in html


def test_the_count_is_one_statement_after_the_session(factory, db, login, count_queries):
    user, other = factory.user("consultant"), factory.user("consultant")
    for n in range(3):
        _note(user, n)
    _note(other)
    db.session.commit()
    c = login(user)
    with count_queries() as counter:
        response = c.htmx("get", "/notifications/count")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-unread="3"' in html and 'data-hx-trigger="every 30s"' in html
    # the session's user (with their store), then the count: nothing else
    assert counter.count == 2, counter.statements
    assert "users" in counter.statements[0] and "notifications" in counter.statements[1]
    assert "count" in counter.statements[1].lower()


def test_the_count_and_the_list_read_their_indexes(db):
    count = "SELECT count(*) FROM notifications WHERE user_id = 1 AND read_at IS NULL"
    listing = "SELECT id FROM notifications WHERE user_id = 1 ORDER BY id DESC LIMIT 31"
    if db.engine.dialect.name == "sqlite":
        plans = [db.session.execute(db.text(f"EXPLAIN QUERY PLAN {sql}")).all() for sql in (count, listing)]
    else:  # an empty table is cheapest to scan: ask whether the index can answer at all
        db.session.execute(db.text("SET LOCAL enable_seqscan = off"))
        plans = [db.session.execute(db.text(f"EXPLAIN {sql}")).all() for sql in (count, listing)]
    texts = [" ".join(str(row[-1]) for row in plan) for plan in plans]
    if db.engine.dialect.name == "sqlite":
        assert "ix_notifications_user_read" in texts[0]
    else:  # without statistics PostgreSQL may take either index on user_id; never the whole table
        assert "ix_notifications_user_" in texts[0] and "Seq Scan" not in texts[0]
    assert "ix_notifications_user_id" in texts[1] and "TEMP B-TREE" not in texts[1].upper()
    assert "Sort" not in texts[1]


def test_no_unread_shows_an_empty_bell(factory, db, login):
    user = factory.user("consultant")
    note = _note(user)
    note.read_at = utcnow()
    db.session.commit()
    html = login(user).htmx("get", "/notifications/count").get_data(as_text=True)
    assert 'data-unread="0"' in html and "hidden" in html


def test_polling_the_bell_does_not_keep_an_idle_session_alive(app, factory, db, login):
    user = factory.user("consultant")
    db.session.commit()
    c = login(user)
    idle = app.config["IDLE_TIMEOUT"]
    with c.session_transaction() as sess:
        sess["seen_at"] = (utcnow() - idle + timedelta(minutes=5)).isoformat()
        seen = sess["seen_at"]
    assert c.htmx("get", "/notifications/count").status_code == 200
    with c.session_transaction() as sess:
        assert sess["seen_at"] == seen  # the poll is not activity
    with c.session_transaction() as sess:
        sess["seen_at"] = (utcnow() - idle - timedelta(minutes=1)).isoformat()
    response = c.htmx("get", "/notifications/count")
    assert response.status_code == 401 and "HX-Redirect" in response.headers


def test_the_list_is_newest_first_paged_and_only_ones_own(factory, db, login):
    user, other = factory.user("consultant"), factory.user("consultant")
    lead = factory.lead(owner=user)
    for n in range(32):
        _note(user, n, args={"lead_id": lead.id})
    _note(other, 99, text="别人的通知")
    db.session.commit()
    c = login(user)
    html = c.get("/notifications").get_data(as_text=True)
    titles = re.findall(r"通知(\d+)", html)
    assert titles[:3] == ["31", "30", "29"] and len(set(titles)) == 30
    assert "别人的通知" not in html
    older = re.search(r'href="(/notifications\?before=\d+)"', html).group(1)
    rest = c.get(older.replace("&amp;", "&")).get_data(as_text=True)
    assert sorted(set(re.findall(r"通知(\d+)", rest))) == ["0", "1"]
    assert 'rel="next"' not in rest and 'rel="first"' in rest


def test_opening_marks_read_and_goes_to_the_built_link(factory, db, login):
    user = factory.user("consultant")
    lead = factory.lead(owner=user)
    note = _note(user, args={"lead_id": lead.id})
    db.session.commit()
    c = login(user)
    html = c.get("/notifications").get_data(as_text=True)
    assert f'href="/notifications/{note.id}/open"' in html
    response = c.get(f"/notifications/{note.id}/open")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/leads/{lead.id}")
    db.session.expire_all()
    assert db.session.get(Notification, note.id).read_at is not None
    assert c.get(response.headers["Location"]).status_code == 200


def test_a_notification_whose_endpoint_no_longer_builds_opens_the_list(factory, db, login):
    user = factory.user("consultant")
    note = Notification(
        user_id=user.id, kind="x", title="旧通知", body="", endpoint="leads.lead_detail", args={}
    )
    db.session.add(note)
    db.session.commit()
    response = login(user).get(f"/notifications/{note.id}/open")
    assert response.status_code == 303 and response.headers["Location"].endswith("/notifications")


def test_someone_elses_notification_is_not_found(factory, db, login):
    user, other = factory.user("consultant"), factory.user("consultant")
    note = _note(other)
    db.session.commit()
    assert login(user).get(f"/notifications/{note.id}/open").status_code == 404
    db.session.expire_all()
    assert db.session.get(Notification, note.id).read_at is None


def test_anonymous_users_are_sent_to_login(client):
    assert client.get("/notifications").status_code == 302
    assert client.get("/notifications/1/open").status_code == 302
    assert client.get("/notifications/count", headers={"HX-Request": "true"}).status_code == 401


def test_notify_refuses_an_endpoint_that_does_not_exist(factory, db):
    user = factory.user("consultant")
    with pytest.raises(ValueError):
        notify(user, "x", "leads.show_lead", {"lead_id": 1}, "x")


def test_mark_all_read_needs_csrf_and_marks_only_ones_own(app, factory, db, login):
    user, other = factory.user("consultant"), factory.user("consultant")
    for n in range(3):
        _note(user, n)
    theirs = _note(other)
    db.session.commit()
    c = login(user)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert c.post("/notifications/read").status_code == 400
        db.session.expire_all()
        assert db.session.execute(select(Notification).where(Notification.read_at.is_(None))).scalars().all()
        page = c.get("/notifications").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
            r'name="csrf_token" value="([^"]+)"', page
        )
        response = c.post("/notifications/read", data={"csrf_token": token.group(1)})
        assert response.status_code == 303 and response.headers["Location"] == "/notifications"
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    db.session.expire_all()
    unread = (
        db.session.execute(select(Notification.user_id).where(Notification.read_at.is_(None))).scalars().all()
    )
    assert unread == [other.id] and theirs.user_id == other.id


def test_email_goes_only_to_those_who_want_it(factory, db, login):
    wants = factory.user("consultant", email="a@example.com")
    declines = factory.user("consultant", email="b@example.com", notify_email=False)
    _note(wants)
    _note(declines)
    db.session.commit()
    to = db.session.execute(select(Message.to_address).where(Message.channel == "email")).scalars().all()
    assert to == ["a@example.com"]


def test_users_choose_email_on_their_settings_page(factory, db, login):
    from app.audit.models import AuditLog

    user = factory.user("consultant", email="a@example.com")
    db.session.commit()
    c = login(user)
    page = c.get("/notifications/settings").get_data(as_text=True)
    assert "a@example.com" in page and "checked" in page
    saved = c.post("/notifications/settings", data={})
    assert saved.status_code == 303 and saved.headers["Location"] == "/notifications/settings"
    db.session.expire_all()
    assert db.session.get(type(user), user.id).notify_email is False
    assert db.session.execute(select(AuditLog.action)).scalars().all()[-1] == "user.notify_settings"
    c.post("/notifications/settings", data={"notify_email": "y"})
    db.session.expire_all()
    assert db.session.get(type(user), user.id).notify_email is True


# ---- WeCom group robot ---------------------------------------------------------------------


def test_urgent_alerts_go_to_the_stores_robot_once_through_the_outbox(factory, db):
    store = factory.store(wecom_webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1")
    m1, m2 = factory.user("manager", store), factory.user("manager", store)
    from app.messaging.notify import notify_many

    notify_many([m1, m2], "approval", "followups.approvals", None, "战败申请待审批", store_id=store.id)
    notify(m1, "comment", "followups.approvals", None, "普通通知", store_id=store.id)
    db.session.commit()
    rows = db.session.execute(select(Message).where(Message.channel == "wecom")).scalars().all()
    assert len(rows) == 1 and rows[0].to_address.endswith("key=k1")
    assert rows[0].body.startswith("战败申请待审批") and rows[0].body.endswith("/approvals")
    backends.SENT.clear()
    assert deliver_due(utcnow() + timedelta(seconds=1))["sent"] == 1
    assert [m.channel for m in backends.SENT] == ["wecom"]


def test_a_store_without_a_robot_gets_no_wecom_message(factory, db):
    store = factory.store()
    assert alert_store(store.id, "x") is False
    assert db.session.execute(select(Message)).first() is None


class _Response:
    def __init__(self, body: dict):
        self.body = json.dumps(body).encode()

    def read(self):
        return self.body

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_the_http_backend_posts_the_robot_text_message(app, monkeypatch):
    seen = {}

    def fake_urlopen(request, timeout):
        seen.update(
            url=request.full_url,
            body=json.loads(request.data),
            timeout=timeout,
            type=request.headers["Content-type"],
        )
        return _Response({"errcode": 0, "errmsg": "ok"})

    monkeypatch.setattr(backends.urllib.request, "urlopen", fake_urlopen)
    app.config["WECOM_BACKEND"] = "http"
    try:
        msg = Outgoing(
            id=7,
            channel="wecom",
            to="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
            subject=None,
            body="您的客户 张三 已到店",
        )
        assert backends.send(msg) == "wecom-7"
        assert seen["body"] == {"msgtype": "text", "text": {"content": "您的客户 张三 已到店"}}
        assert seen["timeout"] == 10 and seen["type"].startswith("application/json")
        monkeypatch.setattr(
            backends.urllib.request,
            "urlopen",
            lambda request, timeout: _Response({"errcode": 93000, "errmsg": "invalid webhook url"}),
        )
        with pytest.raises(DeliveryError):
            backends.send(msg)
        with pytest.raises(DeliveryError):
            backends.send(
                Outgoing(id=8, channel="wecom", to="http://example.com/hook", subject=None, body="x")
            )
    finally:
        app.config["WECOM_BACKEND"] = "memory"


def test_a_refused_robot_message_is_retried_later(app, factory, db, monkeypatch):
    store = factory.store(wecom_webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k")
    alert_store(store.id, "客户到店")
    db.session.commit()

    def down(request, timeout):
        raise OSError("connection refused")

    monkeypatch.setattr(backends.urllib.request, "urlopen", down)
    app.config["WECOM_BACKEND"] = "http"
    try:
        now = utcnow() + timedelta(seconds=1)
        assert deliver_due(now) == {"sent": 0, "failed": 1}
        message = db.session.execute(select(Message)).scalar_one()
        assert message.status == MessageStatus.QUEUED and message.next_attempt_at > now
        monkeypatch.setattr(
            backends.urllib.request, "urlopen", lambda request, timeout: _Response({"errcode": 0})
        )
        assert deliver_due(message.next_attempt_at)["sent"] == 1
        assert message.status == MessageStatus.SENT
    finally:
        app.config["WECOM_BACKEND"] = "memory"


def test_the_admin_sets_a_stores_robot_and_the_key_is_masked_in_the_audit(factory, db, login_as):
    from app.accounts.models import Store
    from app.audit.models import AuditLog

    store = factory.store(code="NB01")
    db.session.commit()
    admin = login_as("admin")
    form = {"code": "NB01", "name": "宁波店", "timezone": "Asia/Shanghai"}
    assert "wecom_webhook_url" in admin.get(f"/admin/stores/{store.id}").get_data(as_text=True)
    for bad in (
        "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x",
        "https://127.0.0.1/hook",
        "https://qyapi.weixin.qq.com.evil.cn/x",
        "https://u@qyapi.weixin.qq.com/x",
    ):
        assert (
            admin.post(f"/admin/stores/{store.id}", data={**form, "wecom_webhook_url": bad}).status_code
            == 422
        )
    url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=secret-key-1234"
    assert admin.post(f"/admin/stores/{store.id}", data={**form, "wecom_webhook_url": url}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Store, store.id).wecom_webhook_url == url
    detail = db.session.execute(select(AuditLog.detail).where(AuditLog.action == "store.update")).scalar_one()
    assert detail["changes"]["wecom_webhook_url"] == ["", "…1234"] and "secret-key" not in json.dumps(detail)
    assert admin.post(f"/admin/stores/{store.id}", data={**form, "wecom_webhook_url": ""}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Store, store.id).wecom_webhook_url is None


def test_only_admins_set_a_stores_robot(factory, db, login_as):
    store = factory.store()
    db.session.commit()
    manager = login_as("manager", store=store)
    assert (
        manager.post(
            f"/admin/stores/{store.id}",
            data={
                "code": store.code,
                "name": "x",
                "timezone": "Asia/Shanghai",
                "wecom_webhook_url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
            },
        ).status_code
        == 403
    )
