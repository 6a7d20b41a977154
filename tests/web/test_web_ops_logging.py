"""Request ids (from the proxy or new), JSON/text log lines carrying them, ids handed to background
work, and no phone number in any log line."""

import io
import json
import logging
import threading
import time
from contextlib import contextmanager

import pytest
from flask import request

from app import tasks
from app.web import logging_setup
from app.web.access import public
from app.web.logging_setup import (
    RequestIdFilter,
    carries_request_id,
    current_request_id,
    make_handler,
    request_id_scope,
)
from tests.helpers_leads import entry_form
from tests.helpers_platform import other_app

log = logging.getLogger("leadloop.test")
task_log = logging.getLogger("leadloop.test_task")
RAN_IN: list[str] = []


@tasks.huey.task(name="tests.log_line")
@tasks.in_app_context
def log_line(text):
    RAN_IN.append(threading.current_thread().name)
    task_log.info(text)


@contextmanager
def captured(kind="json"):
    """Capture every log line as the app's handler writes it. (The migrations run by the test app
    configure logging from alembic.ini, which switches off the loggers that existed then.)"""
    stream = io.StringIO()
    switched = [
        logger
        for logger in logging.Logger.manager.loggerDict.copy().values()
        if isinstance(logger, logging.Logger) and logger.disabled
    ]
    for logger in switched:
        logger.disabled = False
    handler = make_handler(kind, stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        for logger in switched:
            logger.disabled = True


def _lines(stream):
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


@pytest.fixture
def noisy_app(_tmpdir):
    """An app with two extra public routes: one that logs, one that fails with the posted phone."""
    with other_app(_tmpdir, TESTING=False, PROPAGATE_EXCEPTIONS=False) as application:

        def chatty():
            log.info("first line")
            log.warning("second line")
            return "ok"

        def boom():
            raise ValueError(f"cannot handle {request.form['phone']}")

        application.add_url_rule("/chatty", "chatty", public(chatty))
        application.add_url_rule("/boom", "boom", public(boom), methods=["POST"])
        yield application


def test_a_sane_proxy_id_is_kept_logged_and_returned(noisy_app):
    with captured() as stream:
        response = noisy_app.test_client().get("/chatty", headers={"X-Request-ID": "7f3a9c0e2b7d4e1f9a8b"})
    assert response.headers["X-Request-ID"] == "7f3a9c0e2b7d4e1f9a8b"
    lines = [line for line in _lines(stream) if line["logger"] == "leadloop.test"]
    assert [line["message"] for line in lines] == ["first line", "second line"]
    assert {line["request_id"] for line in lines} == {"7f3a9c0e2b7d4e1f9a8b"}
    assert {"time", "level", "logger"} <= set(lines[0])


@pytest.mark.parametrize(
    "sent",
    [
        None,
        "",
        "short",
        "has space in it",
        "<script>alert(1)</script>",
        "x" * 200,
        "abc\tdef\tghi",
        "ünïcødé-id-12345",
    ],
)
def test_a_missing_or_odd_proxy_id_is_replaced_by_a_new_one(noisy_app, sent):
    headers = {"X-Request-ID": sent} if sent is not None else {}
    with captured() as stream:
        response = noisy_app.test_client().get("/chatty", headers=headers)
    rid = response.headers["X-Request-ID"]
    assert rid != sent and len(rid) == 32 and rid.isalnum()
    assert {line["request_id"] for line in _lines(stream) if line["logger"] == "leadloop.test"} == {rid}


def test_each_request_gets_its_own_id(client):
    first, second = client.get("/healthz"), client.get("/healthz")
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


def test_a_phone_posted_in_a_failing_request_is_masked_in_the_log(noisy_app):
    with captured() as stream:
        response = noisy_app.test_client().post("/boom", data={"phone": "13912345678"})
    assert response.status_code == 500
    text = stream.getvalue()
    assert "unhandled error on POST /boom" in text and "cannot handle 139****5678" in text
    assert "13912345678" not in text and "12345678" not in text
    record = next(line for line in _lines(stream) if line["logger"] == "app.web.errors")
    assert record["request_id"] == response.headers["X-Request-ID"] and "exc_info" in record


def test_a_lead_created_with_a_phone_logs_no_phone(login_as):
    c = login_as("consultant")
    with captured("text") as stream:
        response = c.post("/leads/new", data=entry_form(phone="13987654321"))
    assert response.status_code == 303
    assert "13987654321" not in stream.getvalue() and "87654321" not in stream.getvalue()


@pytest.mark.parametrize("phone", ["13912345678", "+8613912345678", "+86 13912345678", "86-13912345678"])
def test_mask_phones(phone):
    assert logging_setup.mask_phones(f"to {phone}.").endswith("139****5678.")
    assert "1234" not in logging_setup.mask_phones(phone)


def test_mask_phones_leaves_other_numbers_alone():
    for text in ("order 20261206123456", "id 1234567", "lead #12"):
        assert logging_setup.mask_phones(text) == text


def test_text_format_is_readable_with_the_request_id():
    stream = io.StringIO()
    handler = make_handler("text", stream)
    with request_id_scope("task-req-0001"):
        handler.handle(
            log.makeRecord("leadloop.test", logging.INFO, __file__, 1, "sent to %s", ("13900001111",), None)
        )
    assert stream.getvalue().rstrip().endswith("INFO [task-req-0001] leadloop.test: sent to 139****1111")


def test_background_work_carries_the_request_id():
    seen = []

    @carries_request_id
    def task(x):
        seen.append((x, current_request_id()))

    assert current_request_id() is None
    task(1, request_id="req-from-the-page-01")
    assert seen == [(1, "req-from-the-page-01")] and current_request_id() is None
    task(2)
    assert seen[1][0] == 2 and len(seen[1][1]) == 32  # queued outside a request: a fresh id


def test_the_id_read_in_a_request_is_what_a_task_gets(noisy_app):
    handed = {}

    def enqueue():
        handed["id"] = current_request_id()
        return "queued"

    noisy_app.add_url_rule("/enqueue", "enqueue", public(enqueue))
    response = noisy_app.test_client().get("/enqueue", headers={"X-Request-ID": "edge-abcdef123456"})
    assert handed["id"] == "edge-abcdef123456" == response.headers["X-Request-ID"]


def test_configure_installs_one_handler_in_the_chosen_format(_tmpdir):
    def ours():
        return [h for h in logging.getLogger().handlers if getattr(h, "_leadloop", False)]

    with other_app(_tmpdir, LOG_FORMAT="json"):
        assert len(ours()) == 1 and isinstance(ours()[0].formatter, logging_setup.JsonLineFormatter)
        assert any(isinstance(f, RequestIdFilter) for f in ours()[0].filters)
    with other_app(_tmpdir, LOG_FORMAT="text"):
        assert len(ours()) == 1 and isinstance(ours()[0].formatter, logging_setup.TextFormatter)


def test_default_format_is_json_under_gunicorn_and_text_elsewhere(monkeypatch):
    import sys

    assert logging_setup.log_format({}) == "text"
    monkeypatch.setitem(sys.modules, "gunicorn.arbiter", object())
    assert logging_setup.log_format({}) == "json"
    assert logging_setup.log_format({"LOG_FORMAT": "text"}) == "text"


def _wait_for_lines(stream, logger, count, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        lines = [line for line in _lines(stream) if line["logger"] == logger]
        if len(lines) >= count:
            return lines
        time.sleep(0.05)
    raise AssertionError(f"the worker wrote {stream.getvalue()!r}")


def test_a_task_queued_in_a_request_logs_with_that_request_id_in_the_worker(app, huey_consumer):
    RAN_IN.clear()
    with captured() as stream:
        with app.test_request_context("/", headers={"X-Request-ID": "edge-0f1e2d3c4b5a"}):
            logging_setup._assign_request_id()
            log_line("saved by the worker")
        lines = _wait_for_lines(stream, "leadloop.test_task", 1)
        time.sleep(0.2)  # Huey's "executed in" line follows the task body
    assert RAN_IN and RAN_IN[0] != threading.current_thread().name  # run by a consumer thread
    assert [(line["message"], line["request_id"]) for line in lines] == [
        ("saved by the worker", "edge-0f1e2d3c4b5a")
    ]
    huey_lines = [
        line
        for line in _lines(stream)
        if line["logger"].startswith("huey") and "tests.log_line" in line["message"]
    ]
    assert huey_lines and {line["request_id"] for line in huey_lines} == {"edge-0f1e2d3c4b5a"}


def test_tasks_queued_outside_a_request_each_run_under_an_id_of_their_own(huey_consumer):
    with captured() as stream:
        log_line("first")
        log_line("second")
        lines = _wait_for_lines(stream, "leadloop.test_task", 2)
    ids = [line["request_id"] for line in lines]
    assert len(set(ids)) == 2 and all(len(rid) == 32 for rid in ids)


def test_a_retry_queued_by_a_task_keeps_the_id_of_the_request():
    from huey.storage import MemoryStorage

    tasks.use_storage(immediate=False, storage=MemoryStorage("leadloop"))
    try:
        with request_id_scope("page-req-00000001"):
            tasks.deliver_message.schedule(args=(1,), delay=60)  # what a failed delivery does
        (retry,) = tasks.huey.pending()
        assert retry.kwargs == {"request_id": "page-req-00000001"}
    finally:
        tasks.use_storage(immediate=True)


def _gunicorn_conf(monkeypatch, log_format):
    import runpy
    from pathlib import Path

    monkeypatch.setenv("LOG_FORMAT", log_format)
    return runpy.run_path(str(Path(__file__).resolve().parents[2] / "deploy/gunicorn.conf.py"))


def test_gunicorn_writes_its_own_and_its_access_lines_as_json_with_the_request_id(monkeypatch, tmp_path):
    from gunicorn.config import Config

    conf = _gunicorn_conf(monkeypatch, "json")
    cfg = Config()
    cfg.set("accesslog", str(tmp_path / "access.log"))
    cfg.set("errorlog", str(tmp_path / "error.log"))
    cfg.set("access_log_format", conf["access_log_format"])
    logger = conf["logger_class"](cfg)
    for log_ in (logger.error_log, logger.access_log):  # switched off by the migrations' fileConfig
        monkeypatch.setattr(log_, "disabled", False)
    logger.error_log.info("Starting gunicorn")
    atoms = logger.atoms_wrapper_class(
        {
            "h": "127.0.0.1",
            "r": "GET /healthz HTTP/1.1",
            "s": "200",
            "b": "32",
            "M": "4",
            "{x-request-id}o": "edge-0f1e2d3c4b5a",
        }
    )
    logger.access_log.info(cfg.access_log_format, atoms)
    for handler in logger.error_log.handlers + logger.access_log.handlers:
        handler.flush()
    (access,) = [json.loads(line) for line in (tmp_path / "access.log").read_text().splitlines()]
    assert access["request_id"] == "edge-0f1e2d3c4b5a" and access["logger"] == "gunicorn.access"
    assert access["message"].startswith('127.0.0.1 "GET /healthz HTTP/1.1" 200 32 4ms')
    (started,) = [json.loads(line) for line in (tmp_path / "error.log").read_text().splitlines()]
    assert started["message"] == "Starting gunicorn" and started["request_id"] == "-"


def test_gunicorn_keeps_its_text_lines_with_log_format_text(monkeypatch):
    assert "logger_class" not in _gunicorn_conf(monkeypatch, "text")
