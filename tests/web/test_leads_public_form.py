"""Public test-drive booking form /f/<store>: spam protection, consent, nothing revealed."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from app.admin.reference import channel_by_code
from app.leads.models import ConsentRecord, Lead, LeadTouch


@pytest.fixture
def store(factory, db):
    s = factory.store("SH01", name="上海旗舰店")
    db.session.commit()
    return s


def _started(client, store) -> str:
    page = client.get(f"/f/{store.code}").get_data(as_text=True)
    return re.search(r'name="started" type="hidden" value="([^"]+)"', page).group(1)


def _submit(client, store, started, **fields):
    data = {
        "phone": "139 1234 5678",
        "name": "李娜",
        "model": "",
        "preferred_date": "",
        "started": started,
        **fields,
    }
    return client.post(f"/f/{store.code}", data=data)


def _count(db, model):
    return db.session.execute(select(func.count()).select_from(model)).scalar()


def _later(seconds=10):
    return freeze_time(datetime.now(UTC) + timedelta(seconds=seconds))


def test_form_is_public_phone_first_with_unticked_consent_and_embeddable(client, store):
    response = client.get(f"/f/{store.code}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.index('name="phone"') < html.index('name="name"')
    consent = re.search(r'<input[^>]*name="consent"[^>]*>', html).group(0)
    assert "checked" not in consent
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers


def test_unknown_store_is_404(client):
    assert client.get("/f/NOPE").status_code == 404


def test_booking_creates_website_lead_with_consent_version(client, db, store):
    started = _started(client, store)
    with _later():
        response = _submit(client, store, started, consent="y", preferred_date="2026-12-05")
    assert response.status_code == 200
    assert "Thank you" in response.get_data(as_text=True) or "谢谢" in response.get_data(as_text=True)
    lead = db.session.execute(select(Lead)).scalar_one()
    assert lead.phone == "+8613912345678" and lead.store_id == store.id
    assert lead.source_channel_id == channel_by_code("website").id
    assert lead.marketing_consent and "2026-12-05" in lead.notes
    consent = db.session.execute(select(ConsentRecord)).scalar_one()
    assert consent.source == "form" and consent.text_version == "v1" and consent.granted


def test_booking_without_consent_stores_no_consent(client, db, store):
    started = _started(client, store)
    with _later():
        _submit(client, store, started)
    assert _count(db, Lead) == 1 and _count(db, ConsentRecord) == 0
    assert not db.session.execute(select(Lead.marketing_consent)).scalar()


def test_existing_phone_gets_a_touch_and_the_same_thank_you(client, db, factory, store):
    started, started_again = _started(client, store), _started(client, store)  # a token is single-use
    old = factory.lead(store=store, phone="+8613900001111", name="老客户")
    db.session.commit()
    with _later():
        new_page = _submit(client, store, started, phone="13811112222").get_data(as_text=True)
        old_page = _submit(client, store, started_again, phone="13900001111").get_data(as_text=True)
    assert old_page == new_page
    assert "老客户" not in old_page
    assert _count(db, Lead) == 2
    touches = db.session.execute(select(LeadTouch).where(LeadTouch.lead_id == old.id)).scalars().all()
    assert len(touches) == 1 and touches[0].payload["form"] == "test_drive"


def test_honeypot_is_accepted_silently_and_nothing_stored(client, db, store):
    started = _started(client, store)
    with _later():
        response = _submit(client, store, started, website="http://spam.example")
    assert response.status_code == 200
    assert _count(db, Lead) == 0


def test_too_fast_or_forged_start_time_is_refused(client, db, store):
    started = _started(client, store)
    assert _submit(client, store, started).status_code == 422
    with _later():
        assert _submit(client, store, "forged").status_code == 422
    assert _count(db, Lead) == 0


def test_invalid_phone_shows_error_next_to_field(client, db, store):
    started = _started(client, store)
    with _later():
        response = _submit(client, store, started, phone="12345")
    assert response.status_code == 422
    assert 'id="phone-error"' in response.get_data(as_text=True)
    assert _count(db, Lead) == 0


def test_rate_limit_per_address(db, store, tmp_path):
    from app import create_app
    from app.extensions import limiter
    from tests.conftest import _test_config

    app = create_app(
        _test_config(
            str(tmp_path),
            RATELIMIT_ENABLED=True,
            PUBLIC_RATE_LIMIT="2 per minute",
            SQLALCHEMY_DATABASE_URI=db.engine.url.render_as_string(hide_password=False),
        )
    )
    try:
        with app.test_client() as c:
            codes = [
                c.post(f"/f/{store.code}", data={"phone": "1", "started": "x"}).status_code for _ in range(3)
            ]
        assert codes == [422, 422, 429]
    finally:
        with app.app_context():
            limiter.reset()


def test_booking_works_with_csrf_enabled_when_embedded(db, store, tmp_path):
    from app import create_app
    from tests.conftest import _test_config

    app = create_app(
        _test_config(
            str(tmp_path),
            WTF_CSRF_ENABLED=True,
            SQLALCHEMY_DATABASE_URI=db.engine.url.render_as_string(hide_password=False),
        )
    )
    with app.test_client() as c:
        started = _started(c, store)
        with _later():
            response = _submit(c, store, started)
    assert response.status_code == 200
    assert _count(db, Lead) == 1
