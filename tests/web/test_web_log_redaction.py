"""Logs carry no cookies, customer link tokens, phone numbers or query values.

The first test starts gunicorn the way `make run` does and reads its access log.
"""

import http.cookiejar
import io
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from app.web import logredact

ROOT = Path(__file__).resolve().parents[2]
PHONE = "13812345678"
TOKEN = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
SURVEY_TOKEN = "Zq8Xr2Lm9Kp4Tn7Vb1Wc5Yd3"
PASSWORD = "Correct-horse-battery-9"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _flask(env, *args, stdin=None):
    result = subprocess.run(
        [sys.executable, "-m", "flask", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]


def _open(opener, url, data=None):
    try:
        with opener.open(url, data=data, timeout=20) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_gunicorn_access_log_is_written_and_redacted():
    tmp = tempfile.mkdtemp(prefix="leadloop-gunicorn-")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp}/app.db",
        "LEADLOOP_INSTANCE": tmp,
        "SECRET_KEY": "gunicorn-test-secret",
        "FLASK_APP": "wsgi.py",
        "SMS_BACKEND": "memory",
        "MAIL_BACKEND": "memory",
    }
    _flask(env, "db", "upgrade")
    _flask(env, "stores", "create", "--code", "S1", "--name", "一店")
    _flask(
        env,
        "users",
        "create",
        "--username",
        "gu",
        "--role",
        "consultant",
        "--store",
        "S1",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    port = _free_port()
    log_path = Path(tmp) / "gunicorn.log"
    with open(log_path, "w") as log_file:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--timeout",
                "120",
                "--access-logfile",
                "-",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        deadline = time.time() + 60
        while True:
            try:
                opener.open(f"{base}/healthz", timeout=2).read()
                break
            except OSError:
                assert time.time() < deadline, log_path.read_text()[-3000:]
                time.sleep(0.3)
        requests = [
            f"/r/{TOKEN}",
            f"/r/{TOKEN}/event.ics",
            f"/s/{SURVEY_TOKEN}",
            f"/healthz?phone={PHONE}",
            "/login",
        ]
        for path in requests:
            _open(opener, base + path)
        _status, page = _open(opener, base + "/login")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
            r'name="csrf_token" value="([^"]+)"', page
        )
        body = urllib.parse.urlencode(
            {"csrf_token": token.group(1), "username": "gu", "password": PASSWORD}
        ).encode()
        status, _page = _open(opener, base + "/login", data=body)
        assert status == 200 and any(c.name == "session" for c in jar)
        cookie = next(c.value for c in jar if c.name == "session")
        status, _page = _open(opener, f"{base}/leads?q={PHONE}&owner=")
        assert status == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
    output = log_path.read_text()
    shutil.rmtree(tmp, ignore_errors=True)
    access = [
        line
        for line in output.splitlines()
        if re.search(r'"(GET|POST) ', line) and '"GET /healthz HTTP/1.1"' not in line
    ]  # the readiness probe
    request_lines = sorted(re.search(r'"((GET|POST) [^"]*)" (\d+)', line).group(0) for line in access)
    assert request_lines == sorted(
        [
            '"GET /r/[token] HTTP/1.1" 404',
            '"GET /r/[token]/event.ics HTTP/1.1" 404',
            '"GET /s/[token] HTTP/1.1" 404',
            '"GET /healthz?phone=[redacted] HTTP/1.1" 200',
            '"GET /login HTTP/1.1" 200',
            '"GET /login HTTP/1.1" 200',
            '"POST /login HTTP/1.1" 303',
            '"GET / HTTP/1.1" 200',
            '"GET /leads?q=[redacted]&owner=[redacted] HTTP/1.1" 200',
        ]
    ), output[-4000:]
    assert "Logging error" not in output and "format requires a mapping" not in output
    assert "Traceback" not in output
    for needle in (TOKEN, SURVEY_TOKEN, PHONE, cookie, "session=", "Set-Cookie", "csrf_token"):
        assert needle not in output, needle


def test_gunicorn_atoms_keep_their_mapping_and_lose_cookies():
    from gunicorn.glogging import SafeAtoms

    atoms = SafeAtoms(
        {
            "r": f"GET /r/{TOKEN}?phone={PHONE} HTTP/1.1",
            "U": f"/r/{TOKEN}",
            "q": f"phone={PHONE}",
            "{cookie}i": "session=secret-cookie",
            "{set-cookie}o": "session=abc; HttpOnly",
            "{http_cookie}e": "session=x",
            "f": f"https://x/r/{TOKEN}",
            "s": "200",
        }
    )
    record = logging.LogRecord(
        "gunicorn.access",
        logging.INFO,
        __file__,
        1,
        '"%(r)s" %(s)s %({cookie}i)s %({set-cookie}o)s %(f)s %(q)s',
        (atoms,),
        None,
    )
    assert isinstance(record.args, dict)
    logredact.Redact().filter(record)
    line = record.getMessage()
    assert line == '"GET /r/[token]?phone=[redacted] HTTP/1.1" 200 - - - phone=[redacted]'


def test_redact_covers_phone_spellings_and_tokens():
    for text in ("+8613812345678", "86 138 1234 5678", "138-1234-5678", "%2B8613812345678"):
        assert "[phone]" in logredact.redact(f"x {text} y"), text
    assert logredact.redact("/leads/12345/edit?page=2") == "/leads/12345/edit?page=[redacted]"
    assert logredact.redact("order 2024123112345678") == "order 2024123112345678"


def test_application_log_records_never_carry_a_phone_or_token(app, client, login_as, factory, db):
    """Everything the app logs goes through the root handler's filter, tracebacks included."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        logredact.install()
        manager = login_as("manager")
        manager.post("/leads/new", data={"name": "王伟", "phone": PHONE, "gender": "male"})
        client.get(f"/r/{TOKEN}")
        log = logging.getLogger("app.test")
        log.info("customer %s opened /r/%s", PHONE, TOKEN)
        try:
            raise ValueError(f"duplicate key (phone)=(+86{PHONE}) for /s/{SURVEY_TOKEN}")
        except ValueError:
            log.exception("import failed")
        app.logger.warning("lookup %s", PHONE)
    finally:
        root.removeHandler(handler)
    output = stream.getvalue()
    assert "import failed" in output and "ValueError" in output and "[phone]" in output
    assert not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", output), output
    assert TOKEN not in output and SURVEY_TOKEN not in output
