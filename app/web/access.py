"""Deny by default: every endpoint needs a logged-in user unless it is marked public.

Role checks are declared on the view with `roles_required`; the sweep test in
tests/web/test_access.py fails when an endpoint has neither marker.
"""

from functools import wraps

from flask import abort, current_app, request
from flask_login import current_user

PUBLIC_ATTR = "_leadloop_public"
ROLES_ATTR = "_leadloop_roles"


def public(view):
    """Mark a view as reachable without logging in."""
    setattr(view, PUBLIC_ATTR, True)
    return view


def roles_required(*roles):
    """Allow only users whose role is one of `roles` (403 otherwise)."""
    allowed = {str(r) for r in roles}

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if str(current_user.role) not in allowed:
                abort(403)
            return view(*args, **kwargs)

        setattr(wrapped, ROLES_ATTR, allowed)
        return wrapped

    return decorator


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
