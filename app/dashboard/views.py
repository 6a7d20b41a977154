"""The first page after login."""

from flask import Blueprint, redirect, url_for
from flask_login import current_user

from app.accounts.models import Role
from app.core.timeutil import local_today, utcnow
from app.dashboard.queries import summary
from app.web.render import render

bp = Blueprint("dashboard", __name__)


@bp.get("/")
def index():
    """Show the user's dashboard (admins go to the settings)."""
    if current_user.role == Role.ADMIN and "admin.index" in _endpoints():
        return redirect(url_for("admin.index"))
    now = utcnow()
    tz = current_user.store.timezone if current_user.store else "Asia/Shanghai"
    numbers = summary(current_user, local_today(now, tz), now)
    return render("dashboard/index.html", numbers=numbers)


def _endpoints():
    from flask import current_app

    return current_app.view_functions
