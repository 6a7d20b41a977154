"""Lead pages."""

from flask import Blueprint, request
from flask_login import current_user

from app.leads.queries import check_phone
from app.web.render import render

bp = Blueprint("leads", __name__, url_prefix="/leads")


@bp.get("/check-phone")
def check_phone_view():
    """Answer, as the phone is typed, whether this customer already exists (HTML fragment)."""
    result = check_phone(current_user, request.args.get("phone", ""))
    return render("leads/_phone_check.html", result=result)
