"""Factories for test data. Each returns a flushed ORM object; tests commit when needed."""

import itertools
from datetime import date, timedelta

from sqlalchemy import select

from app.accounts.mfa import mfa_required
from app.accounts.models import Role, Store, User
from app.accounts.passwords import hash_password
from app.admin.reference import channel_by_code, grade_by_code, stage_by_code
from app.core.phones import last4
from app.core.timeutil import utcnow
from app.leads.models import Gender, Lead

TEST_PASSWORD = "correct horse battery"
# Users who need a second factor (app.accounts.mfa.mfa_required) are enrolled with this secret;
# the login helpers in conftest.py answer the second-factor step with its current code.
TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
_HASH = hash_password(TEST_PASSWORD)
_seq = itertools.count(1)


class Factory:
    def __init__(self, db):
        self.db = db

    def _n(self) -> int:
        return next(_seq)

    def store(self, code: str | None = None, **kw) -> Store:
        n = self._n()
        store = Store(
            code=code or f"S{n:03d}",
            name=kw.pop("name", f"门店{n}"),
            region=kw.pop("region", "北京"),
            city=kw.pop("city", "北京"),
            **kw,
        )
        self.db.session.add(store)
        self.db.session.flush()
        return store

    def user(self, role: str | Role = Role.CONSULTANT, store: Store | None = None, **kw) -> User:
        role = Role(role)
        if store is None and role not in {Role.DIRECTOR, Role.ADMIN}:
            store = (
                self.db.session.execute(select(Store).order_by(Store.id)).scalars().first() or self.store()
            )
        n = self._n()
        user = User(
            username=kw.pop("username", f"{role.value}{n}"),
            display_name=kw.pop("display_name", f"{role.value} {n}"),
            role=role,
            store_id=store.id if store else None,
            password_hash=_HASH,
            can_export=kw.pop("can_export", role in {Role.MANAGER, Role.DIRECTOR}),
            **kw,
        )
        if mfa_required(user) and "totp_secret" not in kw:
            user.totp_secret, user.mfa_enrolled_at = TEST_TOTP_SECRET, utcnow()
        self.db.session.add(user)
        self.db.session.flush()
        return user

    def phone(self) -> str:
        n = self._n()
        return f"+86139{n:08d}"

    def lead(self, owner: User | None = None, store: Store | None = None, **kw) -> Lead:
        if store is None:
            store = self.db.session.get(Store, owner.store_id) if owner and owner.store_id else None
            store = (
                store
                or self.db.session.execute(select(Store).order_by(Store.id)).scalars().first()
                or self.store()
            )
        phone = kw.pop("phone", None) or self.phone()
        now = utcnow()
        lead = Lead(
            name=kw.pop("name", f"客户{self._n()}"),
            gender=kw.pop("gender", Gender.MALE),
            phone=phone,
            phone_last4=last4(phone),
            source_channel_id=channel_by_code(kw.pop("channel", "walk_in")).id,
            store_id=store.id,
            owner_id=owner.id if owner else None,
            grade_id=grade_by_code(kw.pop("grade", "A")).id,
            stage_id=stage_by_code(kw.pop("stage", "new")).id,
            expected_purchase_date=kw.pop("expected_purchase_date", date.today() + timedelta(days=20)),
            created_at=kw.pop("created_at", now),
            **kw,
        )
        self.db.session.add(lead)
        self.db.session.flush()
        return lead
