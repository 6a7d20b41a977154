"""Customer satisfaction surveys: a token link after a visit or an event, answered once."""

import secrets
from base64 import b32encode
from datetime import datetime, timedelta

from flask import has_request_context, url_for
from flask_babel import gettext as _
from sqlalchemy import and_, exists, select

from app.extensions import db
from app.invitations.models import Event, Invitation, SurveyResponse
from app.leads.models import Lead
from app.messaging.outbox import queue_sms
from app.showroom.models import ShowroomVisit
from app.web.urls import public_url

VALID_DAYS = 14
BATCH = 500


def new_token() -> str:
    """Return 26 characters of base32 (130 bits) from `secrets`."""
    return b32encode(secrets.token_bytes(17)).decode("ascii")[:26]


def survey_link(token: str) -> str:
    """Return the customer's absolute link (the configured public address outside a request)."""
    if has_request_context():
        return url_for("reports.answer_survey", token=token, _external=True)
    return public_url("reports.answer_survey", token=token)


def open_survey(token: str, now: datetime) -> SurveyResponse | None:
    """Return the survey for a token, or None when unknown or expired (callers answer alike)."""
    if not token or len(token) != 26:
        return None
    response = db.session.execute(
        select(SurveyResponse).where(SurveyResponse.token == token)
    ).scalar_one_or_none()
    if response is None or response.expires_at <= now:
        return None
    return response


def answer(response: SurveyResponse, score: int, comment: str | None, now: datetime) -> None:
    """Record the customer's score (1–5) and comment; a survey is answered only once."""
    if response.answered_at is not None:
        return
    response.score = max(1, min(5, int(score)))
    response.comment = (comment or "").strip() or None
    response.answered_at = now


def create_survey(
    lead: Lead,
    now: datetime,
    *,
    store_id: int,
    consultant_id: int | None = None,
    visit_id: int | None = None,
    event_id: int | None = None,
) -> SurveyResponse | None:
    """Create a survey link for a consenting customer and queue the SMS (marketing purpose)."""
    if not lead.marketing_consent or not lead.phone or lead.sms_opt_out_at:
        return None
    response = SurveyResponse(
        token=new_token(),
        lead_id=lead.id,
        store_id=store_id,
        consultant_id=consultant_id,
        visit_id=visit_id,
        event_id=event_id,
        expires_at=now + timedelta(days=VALID_DAYS),
        created_at=now,
    )
    db.session.add(response)
    db.session.flush()
    link = survey_link(response.token)
    queue_sms(
        lead.phone,
        _("Thank you for visiting us. How did we do? Rate us in 10 seconds: %(link)s", link=link),
        purpose="marketing",
        lead=lead,
        idempotency_key=f"survey-{response.token}",
        now=now,
    )
    return response


def send_due_surveys(now: datetime, since: datetime) -> dict:
    """Create surveys for visits that ended and event guests checked in since `since` (idempotent)."""
    visit_rows = db.session.execute(
        select(ShowroomVisit.id, ShowroomVisit.store_id, ShowroomVisit.consultant_id, Lead)
        .join(Lead, Lead.id == ShowroomVisit.lead_id)
        .where(
            ShowroomVisit.left_at >= since,
            ShowroomVisit.left_at < now,
            Lead.marketing_consent.is_(True),
            Lead.phone.is_not(None),
            ~exists().where(SurveyResponse.visit_id == ShowroomVisit.id),
        )
        .order_by(ShowroomVisit.id)
        .limit(BATCH)
    ).all()
    visits = 0
    for visit_id, store_id, consultant_id, lead in visit_rows:
        if create_survey(lead, now, store_id=store_id, consultant_id=consultant_id, visit_id=visit_id):
            visits += 1
    guest_rows = db.session.execute(
        select(Invitation.event_id, Event.store_id, Invitation.inviter_id, Lead)
        .join(Event, Event.id == Invitation.event_id)
        .join(Lead, Lead.id == Invitation.lead_id)
        .where(
            Invitation.checked_in_at.is_not(None),
            Event.ends_at >= since,
            Event.ends_at < now,
            Lead.marketing_consent.is_(True),
            Lead.phone.is_not(None),
            ~exists().where(
                and_(
                    SurveyResponse.event_id == Invitation.event_id,
                    SurveyResponse.lead_id == Invitation.lead_id,
                )
            ),
        )
        .order_by(Invitation.id)
        .limit(BATCH)
    ).all()
    guests = 0
    for event_id, store_id, inviter_id, lead in guest_rows:
        if create_survey(lead, now, store_id=store_id, consultant_id=inviter_id, event_id=event_id):
            guests += 1
    return {"visit_surveys": visits, "event_surveys": guests}
