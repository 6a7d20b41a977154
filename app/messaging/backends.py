"""Delivery backends for email, SMS and WeCom robots. Chosen by MAIL_BACKEND / SMS_BACKEND / WECOM_BACKEND."""

import base64
import hashlib
import hmac
import json
import logging
import smtplib
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formataddr
from pathlib import Path

from flask import current_app

log = logging.getLogger(__name__)


class DeliveryError(Exception):
    """The provider did not accept the message; it will be retried."""


@dataclass
class Outgoing:
    id: int
    channel: str
    to: str
    subject: str | None
    body: str
    html: str | None = None
    attachment_path: str | None = None
    attachment: tuple[str, bytes] | None = None  # (filename, content) kept in the database
    idempotency_key: str | None = None
    sender_name: str | None = None


# The memory backend keeps what was "sent" so tests can read it.
SENT: list[Outgoing] = []
_lock = threading.Lock()


def _memory(msg: Outgoing) -> str:
    with _lock:
        SENT.append(msg)
    return f"mem-{msg.id}"


def _console(msg: Outgoing) -> str:
    log.info("[%s to message #%s] %s", msg.channel, msg.id, msg.subject or "")
    return f"console-{msg.id}"


def _file(msg: Outgoing, path: str) -> str:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(
            json.dumps(
                {
                    "id": msg.id,
                    "channel": msg.channel,
                    "to": msg.to,
                    "subject": msg.subject,
                    "body": msg.body,
                },
                ensure_ascii=False,
            )
            + "\n"
        )
    return f"file-{msg.id}"


ATTACHMENT_TYPES = {".pdf": ("application", "pdf"), ".ics": ("text", "calendar")}


def _smtp(msg: Outgoing) -> str:
    cfg = current_app.config
    email = EmailMessage()
    email["From"] = (
        formataddr((msg.sender_name, cfg["MAIL_DEFAULT_SENDER"]))
        if msg.sender_name
        else cfg["MAIL_DEFAULT_SENDER"]
    )
    email["To"] = msg.to
    email["Subject"] = msg.subject or ""
    email["Message-ID"] = f"<leadloop-{msg.id}@{cfg['MAIL_DEFAULT_SENDER'].split('@')[-1]}>"
    email.set_content(msg.body)
    if msg.html:
        email.add_alternative(msg.html, subtype="html")
    if msg.attachment:
        email.add_attachment(
            msg.attachment[1], maintype="application", subtype="pdf", filename=msg.attachment[0]
        )
    elif msg.attachment_path:
        data = Path(msg.attachment_path).read_bytes()
        maintype, subtype = ATTACHMENT_TYPES.get(
            Path(msg.attachment_path).suffix.lower(), ("application", "pdf")
        )
        email.add_attachment(
            data, maintype=maintype, subtype=subtype, filename=Path(msg.attachment_path).name
        )
    try:
        cls = smtplib.SMTP_SSL if cfg["MAIL_USE_SSL"] else smtplib.SMTP
        with cls(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=20) as server:
            if cfg["MAIL_USE_TLS"]:
                server.starttls()
            if cfg["MAIL_USERNAME"]:
                server.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
            server.send_message(email)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(str(exc)[:300]) from exc
    return email["Message-ID"]


def _sms_http(msg: Outgoing) -> str:
    """Generic JSON SMS gateway: POST {to, text, id}; Bearer token; answers {"message_id": ...}."""
    cfg = current_app.config
    if not cfg.get("SMS_HTTP_URL"):
        raise DeliveryError("SMS_HTTP_URL is not set")
    payload = json.dumps({"to": msg.to, "text": msg.body, "client_ref": msg.idempotency_key or str(msg.id)})
    request = urllib.request.Request(  # noqa: S310 - URL comes from the operator's settings
        cfg["SMS_HTTP_URL"],
        data=payload.encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {cfg.get('SMS_HTTP_TOKEN') or ''}",
            "Idempotency-Key": msg.idempotency_key or f"leadloop-{msg.id}",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
            body = json.loads(response.read() or b"{}")
    except (OSError, ValueError) as exc:
        raise DeliveryError(str(exc)[:300]) from exc
    return str(body.get("message_id") or body.get("id") or f"http-{msg.id}")


def aliyun_signature(params: dict[str, str], secret: str, method: str = "GET") -> str:
    """Return the Aliyun RPC signature (HMAC-SHA1 over the sorted, percent-encoded query)."""

    def enc(value: str) -> str:
        return urllib.parse.quote(str(value), safe="~")

    canonical = "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{enc('/')}&{enc(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _sms_aliyun(msg: Outgoing) -> str:
    """Aliyun Dysms-style SendSms: signed GET with the text in a one-variable template."""
    cfg = current_app.config
    key_id, secret = cfg.get("SMS_ALIYUN_KEY_ID"), cfg.get("SMS_ALIYUN_KEY_SECRET")
    if not key_id or not secret or not cfg.get("SMS_ALIYUN_TEMPLATE"):
        raise DeliveryError("SMS_ALIYUN_KEY_ID, SMS_ALIYUN_KEY_SECRET and SMS_ALIYUN_TEMPLATE must be set")
    to = msg.to[3:] if msg.to.startswith("+86") else msg.to.lstrip("+")
    params = {
        "AccessKeyId": key_id,
        "Action": "SendSms",
        "Format": "JSON",
        "PhoneNumbers": to,
        "RegionId": cfg.get("SMS_ALIYUN_REGION") or "cn-hangzhou",
        "SignName": cfg.get("SMS_ALIYUN_SIGN_NAME") or "",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": uuid.uuid4().hex,
        "SignatureVersion": "1.0",
        "TemplateCode": cfg["SMS_ALIYUN_TEMPLATE"],
        "TemplateParam": json.dumps({"content": msg.body}, ensure_ascii=False),
        "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Version": "2017-05-25",
        "OutId": msg.idempotency_key or f"leadloop-{msg.id}",
    }
    params["Signature"] = aliyun_signature(params, secret)
    url = (
        (cfg.get("SMS_ALIYUN_ENDPOINT") or "https://dysmsapi.aliyuncs.com/")
        + "?"
        + urllib.parse.urlencode(params)
    )
    try:
        with urllib.request.urlopen(url, timeout=15) as response:  # noqa: S310 - operator's setting
            body = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"HTTP {exc.code}: {exc.read()[:200]!r}") from exc
    except (OSError, ValueError) as exc:
        raise DeliveryError(str(exc)[:300]) from exc
    if body.get("Code") != "OK":
        raise DeliveryError(f"{body.get('Code')}: {body.get('Message')}"[:300])
    return str(body.get("BizId") or f"aliyun-{msg.id}")


def wecom_payload(text: str) -> bytes:
    """The body of a WeCom (企业微信) group-robot text message."""
    return json.dumps({"msgtype": "text", "text": {"content": text}}, ensure_ascii=False).encode()


def _wecom_http(msg: Outgoing) -> str:
    """POST a text message to a WeCom group-robot webhook; it answers {"errcode": 0, "errmsg": "ok"}."""
    if not msg.to.startswith("https://"):
        raise DeliveryError("the WeCom webhook must be an https URL")
    request = urllib.request.Request(  # noqa: S310 - an https URL set by an administrator
        msg.to,
        data=wecom_payload(msg.body),
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            body = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"HTTP {exc.code}") from exc
    except (OSError, ValueError) as exc:
        raise DeliveryError(str(exc)[:300]) from exc
    if body.get("errcode") != 0:
        raise DeliveryError(f"{body.get('errcode')}: {body.get('errmsg')}"[:300])
    return f"wecom-{msg.id}"


def send(msg: Outgoing) -> str:
    """Hand the message to the configured backend; return the provider's message id."""
    cfg = current_app.config
    if msg.channel == "wecom":
        backend = cfg.get("WECOM_BACKEND", "http")
        if backend == "http":
            return _wecom_http(msg)
        if backend == "memory":
            return _memory(msg)
        return _console(msg)
    if msg.channel == "email":
        backend = cfg.get("MAIL_BACKEND", "console")
        if backend == "smtp":
            return _smtp(msg)
        if backend == "file":
            return _file(msg, cfg["MAIL_FILE_PATH"])
        if backend == "memory":
            return _memory(msg)
        return _console(msg)
    backend = cfg.get("SMS_BACKEND", "console")
    if backend == "http":
        return _sms_http(msg)
    if backend == "aliyun":
        return _sms_aliyun(msg)
    if backend == "file":
        return _file(msg, cfg["SMS_FILE_PATH"])
    if backend == "memory":
        return _memory(msg)
    return _console(msg)
