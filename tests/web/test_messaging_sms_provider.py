"""The Aliyun-style signed SMS provider against a fake gateway on 127.0.0.1; tokens kept out of logs."""

import json
import logging
import threading
import urllib.parse
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from app.extensions import db
from app.messaging.backends import DeliveryError, Outgoing, aliyun_signature, send
from app.messaging.models import Message
from app.messaging.outbox import deliver_due, queue_sms

SECRET = "test-secret"


class FakeGateway(BaseHTTPRequestHandler):
    requests: list = []
    answer = {"Code": "OK", "BizId": "biz-123", "Message": "OK"}

    def do_GET(self):  # noqa: N802 - http.server API
        params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
        FakeGateway.requests.append(params)
        signature = params.pop("Signature", "")
        ok = signature == aliyun_signature(params, SECRET)
        body = FakeGateway.answer if ok else {"Code": "SignatureDoesNotMatch", "Message": "bad signature"}
        data = json.dumps(body).encode()
        self.send_response(200 if ok else 400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(app):
    server = HTTPServer(("127.0.0.1", 0), FakeGateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeGateway.requests = []
    saved = {
        k: app.config.get(k)
        for k in (
            "SMS_BACKEND",
            "SMS_ALIYUN_ENDPOINT",
            "SMS_ALIYUN_KEY_ID",
            "SMS_ALIYUN_KEY_SECRET",
            "SMS_ALIYUN_TEMPLATE",
            "SMS_ALIYUN_SIGN_NAME",
        )
    }
    app.config.update(
        SMS_BACKEND="aliyun",
        SMS_ALIYUN_ENDPOINT=f"http://127.0.0.1:{server.server_port}/",
        SMS_ALIYUN_KEY_ID="key-id",
        SMS_ALIYUN_KEY_SECRET=SECRET,
        SMS_ALIYUN_TEMPLATE="SMS_1",
        SMS_ALIYUN_SIGN_NAME="线索闭环",
    )
    yield FakeGateway
    app.config.update(saved)
    server.shutdown()


def test_signed_request_is_accepted_and_returns_the_provider_id(gateway):
    provider_id = send(
        Outgoing(
            id=7,
            channel="sms",
            to="+8613800138000",
            subject=None,
            body="您好 回复TD退订",
            idempotency_key="k-7",
        )
    )
    assert provider_id == "biz-123"
    params = gateway.requests[0]
    assert params["PhoneNumbers"] == "13800138000" and params["Action"] == "SendSms"
    assert json.loads(params["TemplateParam"]) == {"content": "您好 回复TD退订"}
    assert params["OutId"] == "k-7" and params["SignName"] == "线索闭环"


def test_wrong_secret_is_a_delivery_error_and_the_outbox_retries(gateway, app, factory):
    app.config["SMS_ALIYUN_KEY_SECRET"] = "wrong"
    lead = factory.lead()
    daytime = datetime(2030, 5, 2, 3, 0)  # 11:00 in Shanghai: inside the sending window
    message = queue_sms(lead.phone, "提醒", lead=lead, now=daytime)
    db.session.commit()
    with pytest.raises(DeliveryError):
        send(Outgoing(id=1, channel="sms", to=lead.phone, subject=None, body="x"))
    assert deliver_due(daytime)["failed"] == 1
    message = db.session.get(Message, message.id)
    assert message.status == "queued" and message.attempts == 1 and message.next_attempt_at > daytime
    app.config["SMS_ALIYUN_KEY_SECRET"] = SECRET
    assert deliver_due(message.next_attempt_at)["sent"] == 1
    assert db.session.get(Message, message.id).provider_message_id == "biz-123"


def test_rsvp_tokens_are_redacted_from_access_logs():
    from app.invitations.rules import new_token
    from app.web.logredact import Redact

    token = new_token()
    record = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        '%s - - "%s" %s',
        ("127.0.0.1", f"GET /r/{token}/event.ics HTTP/1.1", "200"),
        None,
    )
    Redact().filter(record)
    assert token not in record.getMessage() and "/r/[token]/event.ics" in record.getMessage()
