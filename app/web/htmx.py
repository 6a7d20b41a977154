"""htmx, both ways: what an htmx request says about itself, and the response headers htmx obeys.

Every view, error handler and hook reads the HX-* request headers through these functions and sets
the HX-* response headers through them; nothing else in the application names an HX- header.
(The htmx-flask package offered the same in a request subclass; see docs/architecture.md for why it
is not used.)
"""

import json

from flask import make_response, redirect, request


def from_htmx() -> bool:
    """The request was sent by htmx (a fragment request or a boosted link/form)."""
    return request.headers.get("HX-Request") == "true"


def is_htmx() -> bool:
    """The request wants a fragment: sent by htmx and not boosted (a boosted request wants the page)."""
    return from_htmx() and request.headers.get("HX-Boosted") != "true"


def current_url() -> str:
    """The address of the page htmx sent the request from ("" when not said)."""
    return request.headers.get("HX-Current-URL", "")


def set_redirect(response, url: str):
    """Make htmx load `url` as a whole page (HX-Redirect)."""
    response.headers["HX-Redirect"] = url
    return response


def set_refresh(response):
    """Make htmx reload the whole page (HX-Refresh)."""
    response.headers["HX-Refresh"] = "true"
    return response


def set_push_url(response, url: str):
    """Make htmx show `url` in the address bar and history (HX-Push-Url)."""
    response.headers["HX-Push-Url"] = url
    return response


def trigger(response, events: dict):
    """Fire client-side events after the response is received (HX-Trigger)."""
    response.headers["HX-Trigger"] = json.dumps(events)
    return response


def vary(response):
    """Caches must keep the fragment and the page of one address apart."""
    response.headers["Vary"] = "HX-Request"
    return response


def hx_redirect(url: str):
    """Navigate to `url`: htmx gets 200 + HX-Redirect, a plain request a 303."""
    if is_htmx():
        return set_redirect(make_response("", 200), url)
    return redirect(url, code=303)
