"""Deny by default: every endpoint needs a logged-in user unless it is marked public.

What a signed-in user may open is declared on the view with `requires("capability")`, a key of
`CAPABILITIES` in app/web/permissions.py; the sweep in tests/web/test_web_access.py fails when a
non-public endpoint names no capability.
"""

from functools import wraps

from flask import abort, current_app, request
from flask_login import current_user

PUBLIC_ATTR = "_leadloop_public"
CAPABILITY_ATTR = "_leadloop_capability"


def public(view):
    """Mark a view as reachable without logging in."""
    setattr(view, PUBLIC_ATTR, True)
    return view


def requires(capability: str):
    """Allow only users who `can(user, capability)`: login for anonymous users, 403 for the others."""
    from app.web.permissions import CAPABILITIES, can

    if capability not in CAPABILITIES:
        raise KeyError(f"unknown capability {capability!r}: add it to CAPABILITIES in app/web/permissions.py")

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if not can(current_user, capability):
                abort(403)
            return view(*args, **kwargs)

        setattr(wrapped, CAPABILITY_ATTR, capability)
        return wrapped

    return decorator


def view_capability(view) -> str | None:
    """Return the capability a view requires (None for public or unmarked views)."""
    return getattr(view, CAPABILITY_ATTR, None)


def view_roles(view) -> set[str] | None:
    """Return the role names the view's capability admits (None when the view names none)."""
    from app.web.permissions import CAPABILITIES

    capability = view_capability(view)
    return None if capability is None else {str(r) for r in CAPABILITIES[capability]}


def is_public_endpoint(endpoint: str | None) -> bool:
    if endpoint is None:
        return True  # 404s are handled by the error handler
    if endpoint == "static":
        return True
    view = current_app.view_functions.get(endpoint)
    return bool(view and getattr(view, PUBLIC_ATTR, False))


def require_login_by_default():
    """before_request: send anonymous users to the login page unless the view is public."""
    if is_public_endpoint(request.endpoint):
        return None
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    return None
