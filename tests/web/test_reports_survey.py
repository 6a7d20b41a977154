"""The public satisfaction survey: token link, one answer, consent, expiry, rate limit."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.core.timeutil import utcnow
from app.invitations.models import SurveyResponse
from app.messaging.models import Message, MessageStatus
from app.reports import survey
from app.showroom.models import ShowroomVisit
from tests.helpers_platform import body_without_csrf


@pytest.fixture
def consenting_lead(factory, db):
    consultant = factory.user("consultant")
    lead = factory.lead(owner=consultant, marketing_consent=True)
    db.session.commit()
    return lead


def make_survey(db, lead, **kw) -> SurveyResponse:
    response = SurveyResponse(
        token=survey.new_token(),
        lead_id=lead.id,
        store_id=lead.store_id,
        consultant_id=lead.owner_id,
        expires_at=kw.pop("expires_at", utcnow() + timedelta(days=3)),
        **kw,
    )
    db.session.add(response)
    db.session.commit()
    return response


def test_token_is_26_chars_of_base32():
    token = survey.new_token()
    assert len(token) == 26 and set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    assert survey.new_token() != token


def test_customer_answers_once_without_logging_in(client, db, consenting_lead):
    response = make_survey(db, consenting_lead)
    page = client.get(f"/s/{response.token}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    form = html[html.index("<form") : html.index("</form>")]
    assert 'method="post"' in form and 'type="radio"' in form and 'name="comment"' in form
    assert "hx-" not in form  # a plain form: works without JavaScript
    done = client.post(f"/s/{response.token}", data={"score": "4", "comment": " 很专业 "})
    assert done.status_code == 200 and "谢谢" in done.get_data(as_text=True)
    db.session.expire_all()
    saved = db.session.get(SurveyResponse, response.id)
    assert (saved.score, saved.comment) == (4, "很专业") and saved.answered_at is not None
    again = client.post(f"/s/{response.token}", data={"score": "1"})
    assert "已收到" in again.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(SurveyResponse, response.id).score == 4


def test_missing_score_is_shown_next_to_the_field(client, db, consenting_lead):
    response = make_survey(db, consenting_lead)
    page = client.post(f"/s/{response.token}", data={"comment": "hi"})
    assert page.status_code == 422
    assert "请选择 1 到 5 分" in page.get_data(as_text=True)


def test_bad_and_expired_tokens_get_the_same_answer(client, db, consenting_lead):
    expired = make_survey(db, consenting_lead, expires_at=utcnow() - timedelta(minutes=1))
    a = client.get(f"/s/{expired.token}")
    b = client.get("/s/" + "A" * 26)
    c = client.get("/s/short")
    assert a.status_code == b.status_code == c.status_code == 404
    assert body_without_csrf(a) == body_without_csrf(b) == body_without_csrf(c)


def test_survey_page_is_rate_limited(app, db, consenting_lead):
    from app import create_app
    from app.extensions import limiter

    keys = ("SQLALCHEMY_DATABASE_URI", "SQLALCHEMY_ENGINE_OPTIONS", "SECRET_KEY", "TESTING", "INSTANCE_DIR")
    limited = create_app(
        {
            **{k: app.config[k] for k in keys},
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "SURVEY_RATE_LIMIT": "3/minute",
        }
    )
    try:
        with limited.app_context():
            codes = [limited.test_client().get("/s/" + "B" * 26).status_code for _ in range(5)]
    finally:
        limiter.enabled = False  # the extension object is shared with the test app
    assert codes[:3] == [404, 404, 404] and codes[-1] == 429


def test_surveys_go_only_to_consenting_customers(app, factory, db):
    consultant = factory.user("consultant")
    yes = factory.lead(owner=consultant, marketing_consent=True)
    no = factory.lead(owner=consultant, marketing_consent=False)
    opted_out = factory.lead(owner=consultant, marketing_consent=True, sms_opt_out_at=utcnow())
    now = datetime(2026, 10, 20, 10)
    for lead in (yes, no, opted_out):
        db.session.add(
            ShowroomVisit(
                store_id=lead.store_id,
                lead_id=lead.id,
                consultant_id=consultant.id,
                arrived_at=now - timedelta(hours=3),
                left_at=now - timedelta(hours=2),
            )
        )
    db.session.commit()
    with app.test_request_context("/"):
        result = survey.send_due_surveys(now, now - timedelta(days=2))
    db.session.commit()
    assert result == {"visit_surveys": 1, "event_surveys": 0}
    sent = db.session.execute(select(SurveyResponse)).scalars().all()
    assert [s.lead_id for s in sent] == [yes.id]
    message = db.session.execute(select(Message)).scalar_one()
    assert message.purpose == "marketing" and message.status == MessageStatus.QUEUED
    assert f"/s/{sent[0].token}" in message.body and message.body.rstrip().endswith("回复TD退订")
    with app.test_request_context("/"):
        assert survey.send_due_surveys(now, now - timedelta(days=2)) == {
            "visit_surveys": 0,
            "event_surveys": 0,
        }
