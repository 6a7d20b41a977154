"""The call list's cards: what the inviter sees of one call and why a message may not be sent.

`CallRow` is one row of the call list as `queries.call_list` and `queries.call_row` return it;
`call_card` decides what the page shows of it for a user (the full number or the masked one with
a reveal button, and why an SMS or an e-mail would be blocked).
"""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.invitations.models import Invitation
from app.messaging.outbox import Reachability, marketing_block_reason
from app.web.permissions import may_reveal_phone, may_see_phone

BLOCK_REASONS = {
    "no_consent": _l("The customer has not agreed to marketing messages."),
    "opted_out": _l("The customer unsubscribed (replied TD)."),
    "no_phone": _l("No phone number."),
    "no_email": _l("No email address."),
}


def block_text(reason: str | None) -> str | None:
    """The sentence telling why a marketing message is blocked (None when it is not)."""
    return str(BLOCK_REASONS[reason]) if reason else None


def suppressed_text(reason: str | None) -> str:
    """The sentence shown when a message was stored as suppressed with `reason` instead of sent."""
    return str(BLOCK_REASONS.get(reason or "") or _("Not sent."))


@dataclass(frozen=True)
class CallRow:
    """One call of the call list: the invitation and what the inviter needs of the lead."""

    invitation: Invitation
    name: str
    phone: str | None
    owner_id: int | None
    dcc_agent_id: int | None
    reach: Reachability

    @classmethod
    def from_columns(cls, row) -> "CallRow":
        """Build the row from the columns of `queries._call_columns`."""
        inv, name, phone, _last4, _grade, owner_id, dcc_id, consent, sms_out, email_out, email = row
        return cls(
            inv, name, phone, owner_id, dcc_id, Reachability(consent, sms_out, email_out, phone, email)
        )


def may_reveal_call(user, invitation: Invitation) -> bool:
    """The inviter of a call, and those with the reveal right, may reveal the customer's number."""
    return invitation.inviter_id == user.id or may_reveal_phone(user)


def call_card(row: CallRow, user, *, sent_at: dict[str, datetime], revealed: bool = False) -> dict:
    """What the call list shows of one call to `user`.

    Full numbers for the owner and the DCC agent; the inviter and those with the reveal right see
    the masked number and reveal it (audited) when they make the call.
    """
    show_phone = may_see_phone(user, row) or revealed
    return {
        "inv": row.invitation,
        "name": row.name,
        "phone": row.phone if show_phone else None,
        "phone_raw": row.phone,
        "may_reveal": bool(row.phone) and not show_phone and may_reveal_call(user, row.invitation),
        "sent_at": sent_at,
        "sms_block": block_text(marketing_block_reason(row.reach, "sms")),
        "email_block": block_text(marketing_block_reason(row.reach, "email")),
    }
