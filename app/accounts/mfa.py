"""Second factor (TOTP, RFC 6238) with one-time recovery codes.

Administrators, directors and everyone allowed to export leads must confirm each login with a
code from an authenticator app. Codes are single-use: the last accepted 30-second time step is
kept on the user and moved forward with one conditional UPDATE, so a code seen by someone else
(or sent twice by two workers at once) is refused. Recovery codes are stored as SHA-256 digests
and are used once each.
"""

import hashlib
import hmac
import secrets
import time

import pyotp
from sqlalchemy import delete, or_, update

from app.accounts.models import MfaRecoveryCode, Role, User
from app.audit.services import record
from app.core.timeutil import utcnow
from app.extensions import db

ISSUER = "LeadLoop"
STEP_SECONDS = 30
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def mfa_required(user: User) -> bool:
    """Admins, directors and users with export rights need a second factor."""
    return user.role in {Role.ADMIN, Role.DIRECTOR} or bool(user.can_export)


def is_enrolled(user: User) -> bool:
    return bool(user.totp_secret and user.mfa_enrolled_at)


def needs_second_factor(user: User) -> bool:
    """Those who must use a second factor, and anyone who enrolled one of their own accord."""
    return mfa_required(user) or is_enrolled(user)


def begin_enrolment(user: User) -> str:
    """Give the user a new, not yet confirmed secret (kept until the first code confirms it)."""
    if is_enrolled(user):
        raise ValueError("already enrolled")
    if not user.totp_secret:
        user.totp_secret = pyotp.random_base32()
        user.totp_last_step = None
    return user.totp_secret


def provisioning_uri(user: User) -> str:
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def _current_step(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // STEP_SECONDS)


def verify_totp(user: User, code: str, now: float | None = None) -> bool:
    """Accept a code of the previous, current or next time step, once."""
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    if not user.totp_secret or len(code) != 6:
        return False
    totp = pyotp.TOTP(user.totp_secret)
    current = _current_step(now)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            result = db.session.execute(
                update(User)
                .where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
                .values(totp_last_step=step)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:
                user.totp_last_step = step
                return True
            return False  # already used
    return False


def confirm_enrolment(user: User, code: str) -> list[str] | None:
    """Confirm the pending secret with one code; return the new recovery codes (shown once)."""
    if is_enrolled(user) or not user.totp_secret or not verify_totp(user, code):
        return None
    user.mfa_enrolled_at = utcnow()
    codes = _new_recovery_codes(user)
    record("auth.mfa_enrol", user, "user", user.id)
    return codes


def _hash_code(code: str) -> str:
    normal = "".join(ch for ch in code.lower() if ch.isalnum())
    return hashlib.sha256(normal.encode()).hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(MfaRecoveryCode).where(MfaRecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    db.session.add_all([MfaRecoveryCode(user_id=user.id, code_hash=_hash_code(c)) for c in codes])
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    """Accept an unused recovery code of this user, once."""
    if not code or len("".join(ch for ch in code if ch.isalnum())) != 10:
        return False
    result = db.session.execute(
        update(MfaRecoveryCode)
        .where(
            MfaRecoveryCode.user_id == user.id,
            MfaRecoveryCode.code_hash == _hash_code(code),
            MfaRecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def check_second_factor(user: User, code: str) -> str | None:
    """Return "totp" or "recovery" for an accepted code, else None."""
    code = (code or "").strip()
    if verify_totp(user, code):
        return "totp"
    if use_recovery_code(user, code):
        return "recovery"
    return None


def reset_mfa(user: User, actor: User | None) -> None:
    """Forget the user's second factor (lost phone): they enrol again at their next login."""
    user.totp_secret = None
    user.mfa_enrolled_at = None
    user.totp_last_step = None
    user.session_version += 1  # sessions confirmed with the old factor end
    db.session.execute(delete(MfaRecoveryCode).where(MfaRecoveryCode.user_id == user.id))
    record("user.mfa_reset", actor, "user", user.id, {"username": user.username})


def qr_svg_data_uri(uri: str) -> str:
    """The enrolment QR code as an SVG data URI (an <img>: no inline script or style)."""
    import segno

    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)
