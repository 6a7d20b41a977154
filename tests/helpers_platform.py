"""Helpers for the foundation tests: extra app instances with a changed configuration."""

import re
import time
from contextlib import contextmanager

from app import create_app
from app.extensions import limiter

from .conftest import IsolatedClient, _test_config

_CSRF_TOKEN = re.compile(rb'(?<="X-CSRFToken": ")[^"]+|(?<=name="csrf_token" value=")[^"]+')


def body_without_csrf(response) -> bytes:
    """The response body with its CSRF token blanked.

    The token is signed with the second the page was made in, so two identical pages made a
    second apart differ only there.
    """
    return _CSRF_TOKEN.sub(b"<token>", response.get_data())


@contextmanager
def other_app(tmpdir: str, **config):
    """Yield a second app on the same database with some settings changed (CSRF, rate limits...).

    The limiter is one shared extension object: restore its switch so the main test app stays
    unthrottled afterwards.
    """
    enabled = limiter.enabled
    application = create_app(_test_config(tmpdir, **config))
    application.test_client_class = IsolatedClient
    try:
        if config.get("RATELIMIT_ENABLED"):
            limiter.reset()
        yield application
    finally:
        limiter.enabled = enabled


def poll_generated_file(client, url: str, timeout: float = 120) -> list[str]:
    """Poll a generated file's progress fragment (htmx) as its page does, until it is done or
    failed; return the statuses seen (`data-generated-status`), first to last."""
    statuses = []
    started = time.monotonic()
    while True:
        block = client.htmx("GET", url).get_data(as_text=True)
        assert "<html" not in block  # the fragment, not a whole page
        statuses.append(block.split('data-generated-status="')[1].split('"')[0])
        if statuses[-1] in ("done", "failed"):
            return statuses
        assert time.monotonic() - started < timeout
        time.sleep(0.2)
