"""Why a message may not reach a customer (no app, no database)."""

from datetime import datetime
from types import SimpleNamespace

from app.messaging.outbox import Reachability, marketing_block_reason, service_block_reason

OUT = datetime(2026, 1, 1)


def reach(consent=True, sms_out=None, email_out=None, phone="13800138000", email="a@example.com"):
    return Reachability(consent, sms_out, email_out, phone, email)


def test_of_reads_the_lead_and_none_stays_none():
    lead = SimpleNamespace(
        marketing_consent=True, sms_opt_out_at=OUT, email_opt_out_at=None, phone="1", email=None, name="x"
    )
    assert Reachability.of(lead) == Reachability(True, OUT, None, "1", None)
    assert Reachability.of(None) is None


def test_marketing_needs_consent_first():
    assert marketing_block_reason(reach(consent=False, phone=None), "sms") == "no_consent"
    assert marketing_block_reason(reach(), "sms") is None
    assert marketing_block_reason(reach(), "email") is None
    assert marketing_block_reason(None, "sms") is None


def test_opt_out_before_missing_address_per_channel():
    assert marketing_block_reason(reach(sms_out=OUT, phone=None), "sms") == "opted_out"
    assert marketing_block_reason(reach(sms_out=OUT), "email") is None
    assert marketing_block_reason(reach(email_out=OUT), "email") == "opted_out"
    assert marketing_block_reason(reach(phone=None), "sms") == "no_phone"
    assert marketing_block_reason(reach(email=None), "email") == "no_email"


def test_service_messages_need_no_consent_but_respect_opt_out():
    assert service_block_reason(reach(consent=False), "sms") is None
    assert service_block_reason(reach(consent=False, sms_out=OUT), "sms") == "opted_out"
    assert service_block_reason(reach(email=None), "email") == "no_email"
    assert service_block_reason(None, "email") is None
