"""Deny by default: one sweep over every URL rule of the application."""

import uuid

import pytest
from werkzeug.routing import IntegerConverter, UUIDConverter

from app import create_app
from app.web.access import PUBLIC_ATTR, require_login_by_default

# Public pages, known by path. A new public page must be added here on purpose.
# /api/v1/leads authenticates with its own Bearer keys instead of a login.
PUBLIC_PATHS = {
    "/login",
    "/language",
    "/healthz",
    "/readyz",
    "/metrics",
    "/api/v1/openapi.json",
    "/api/v1/leads",
}
PUBLIC_PREFIXES = ("/static/", "/r/", "/f/", "/s/", "/webhooks/")
# The core public endpoints that must stay reachable without a login.
CORE_PUBLIC_ENDPOINTS = {"accounts.login", "accounts.set_language", "health.healthz", "static"}

_APP = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "sweep", "RATELIMIT_ENABLED": False})
RULES = sorted(_APP.url_map.iter_rules(), key=lambda r: r.rule)


def _sample_url(rule) -> str:
    values = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, IntegerConverter):
            values[name] = 1
        elif isinstance(converter, UUIDConverter):
            values[name] = uuid.UUID(int=1)
        else:
            values[name] = "x"
    return rule.build(values, append_unknown=False)[1]


def _is_public(app, rule) -> bool:
    view = app.view_functions[rule.endpoint]
    return rule.endpoint == "static" or bool(getattr(view, PUBLIC_ATTR, False))


def _public_path_allowed(rule) -> bool:
    return rule.rule in PUBLIC_PATHS or rule.rule.startswith(PUBLIC_PREFIXES)


def _cases():
    for rule in RULES:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield pytest.param(rule.rule, rule.endpoint, method, id=f"{method} {rule.rule}")


def test_login_is_required_globally(app):
    assert require_login_by_default in app.before_request_funcs[None]


def test_public_endpoints_are_exactly_the_allowed_ones(app):
    public = [r for r in app.url_map.iter_rules() if _is_public(app, r)]
    unexpected = sorted(r.rule for r in public if not _public_path_allowed(r))
    assert not unexpected, f"new public pages: add them to PUBLIC_PATHS on purpose: {unexpected}"
    assert {r.endpoint for r in public} >= CORE_PUBLIC_ENDPOINTS


@pytest.mark.parametrize(("path", "endpoint", "method"), list(_cases()))
def test_anonymous_request_is_sent_to_login(app, client, path, endpoint, method):
    rule = next(r for r in app.url_map.iter_rules() if r.rule == path and r.endpoint == endpoint)
    url = _sample_url(rule)
    response = client.open(url, method=method)
    if path.startswith("/api/") and path != "/api/v1/openapi.json":
        assert response.status_code == 401, f"{method} {url} -> {response.status_code}"
        return
    if _is_public(app, rule):
        assert response.status_code != 500
        return
    assert response.status_code == 302, f"{method} {url} -> {response.status_code}"
    assert "/login" in response.headers["Location"]
    htmx = client.open(url, method=method, headers={"HX-Request": "true"})
    assert htmx.status_code == 401
    assert "/login" in htmx.headers["HX-Redirect"]


def test_sweep_covers_the_pages_that_exist(app):
    endpoints = {r.endpoint for r in RULES}
    assert {"dashboard.index", "accounts.logout", "admin.list_users", "admin.audit_log"} <= endpoints


# ---- one capability table -----------------------------------------------------------------------


def test_every_non_public_route_names_a_known_capability(app):
    from app.web.access import view_capability
    from app.web.permissions import CAPABILITIES

    unmarked, unknown = [], []
    for rule in app.url_map.iter_rules():
        if _is_public(app, rule):
            continue
        capability = view_capability(app.view_functions[rule.endpoint])
        if capability is None:
            unmarked.append(f"{rule.rule} ({rule.endpoint})")
        elif capability not in CAPABILITIES:
            unknown.append(f"{rule.rule} ({rule.endpoint}): {capability}")
    assert not unmarked, f'add @requires("…") (a key of CAPABILITIES) to: {sorted(unmarked)}'
    assert not unknown, f"unknown capabilities: {sorted(unknown)}"


def _capabilities_used(app) -> dict[str, set[str]]:
    """Where each capability is named: routes, navigation entries, templates and `can(…)` calls in the code."""
    import re
    from pathlib import Path

    from app.web.access import view_capability
    from app.web.navigation import NAV, TABS

    root = Path(__file__).resolve().parents[2]
    used: dict[str, set[str]] = {}

    def note(name, where):
        used.setdefault(name, set()).add(where)

    for endpoint, view in app.view_functions.items():
        if view_capability(view):
            note(view_capability(view), f"route {endpoint}")
    for item in NAV:
        note(item.capability, f"nav {item.endpoint}")
    for _label, _endpoint, capability, _icon in TABS:
        note(capability, "tab bar")
    for path in (root / "templates").rglob("*.html"):
        for name in re.findall(r"""\bcan\(\s*["']([\w.]+)["']\s*\)""", path.read_text(encoding="utf-8")):
            note(name, f"template {path.relative_to(root)}")
    for path in (root / "app").rglob("*.py"):
        for name in re.findall(
            r"""\bcan\([^(),]+,\s*["']([\w.]+)["']\s*\)""", path.read_text(encoding="utf-8")
        ):
            note(name, f"code {path.relative_to(root)}")
    return used


def test_every_capability_is_used(app):
    from app.web.permissions import CAPABILITIES

    used = _capabilities_used(app)
    unused = sorted(set(CAPABILITIES) - set(used))
    assert not unused, f"capabilities nothing checks: wire them or remove them from CAPABILITIES: {unused}"
    unknown = sorted(set(used) - set(CAPABILITIES))
    assert not unknown, f"capabilities named but not in CAPABILITIES: { {k: used[k] for k in unknown} }"


def test_navigation_offers_only_pages_the_user_may_open(app):
    """A menu or tab entry never leads to a 403: its capability admits no role the page refuses."""
    from app.web.access import view_roles
    from app.web.navigation import NAV, TABS
    from app.web.permissions import roles_for

    entries = [(item.endpoint, item.capability) for item in NAV]
    for _label, endpoint, capability, _icon in TABS:
        entries += [(e, capability) for e in (endpoint if isinstance(endpoint, tuple) else (endpoint,))]
    checked = 0
    for endpoint, capability in entries:
        view = app.view_functions.get(endpoint)
        if view is None:
            continue
        extra = {str(r) for r in roles_for(capability)} - view_roles(view)
        assert not extra, f"{endpoint}: the menu offers it to {sorted(extra)}, whom the page refuses"
        checked += 1
    assert checked >= len(NAV)


def test_requires_refuses_an_unknown_capability():
    from app.web.access import requires

    with pytest.raises(KeyError):
        requires("no.such.capability")
