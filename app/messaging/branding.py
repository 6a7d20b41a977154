"""Whose name customers see: the store's, else the brand's (admin settings), never the product's.

SMS signature: the store's `sms_signature`, else the brand-level setting `sms_signature`, else the
brand name setting `brand_name`, else the store's name. Public pages (RSVP, survey, booking form)
are titled with the store's name, else the brand name.
"""

from app.admin.defaults import get_setting
from app.extensions import db
from app.messaging.rules import PRODUCT_NAMES, signature_text


def _store(store_or_id):
    from app.accounts.models import Store

    if store_or_id is None or isinstance(store_or_id, Store):
        return store_or_id
    return db.session.get(Store, store_or_id)


def brand_name() -> str:
    name = str(get_setting("brand_name") or "").strip()
    return "" if name.casefold() in PRODUCT_NAMES else name


def sms_signature_for(store_or_id=None) -> str:
    """【signature】 for an SMS from this store (or from the brand when there is no store)."""
    store = _store(store_or_id)
    return signature_text(
        getattr(store, "sms_signature", None),
        get_setting("sms_signature"),
        brand_name(),
        getattr(store, "name", None),
    )


def public_name(store_or_id=None) -> str:
    """The name that titles a public page and signs e-mails to customers."""
    store = _store(store_or_id)
    name = (getattr(store, "name", None) or "").strip()
    return name if name and name.casefold() not in PRODUCT_NAMES else brand_name()
