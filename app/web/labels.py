"""How a status reads on a page: one table per status, used by every template through `status_label`.

`{{ inv.status|status_label("invitation") }}` prints the translated word. A value missing from its
table is an error (KeyError), not a silently printed code: tests/web/test_web_status_labels.py checks
that each table covers every value the code can store.

A lead's gender has its own table, `GENDER_LABELS`: `{{ lead.gender|gender_label }}` on a page,
`gender_choices()` for a form's choices.
"""

from flask_babel import lazy_gettext as _l

from app.invitations.models import InvitationStatus
from app.leads.models import Gender

INVITATION_STATUS = {
    InvitationStatus.TODO: _l("To call"),
    InvitationStatus.INVITED: _l("Invited"),
    InvitationStatus.ACCEPTED: _l("Accepted"),
    InvitationStatus.DECLINED: _l("Declined"),
    InvitationStatus.NO_ANSWER: _l("No answer"),
    InvitationStatus.WRONG_NUMBER: _l("Wrong number"),
    InvitationStatus.CANCELLED: _l("Cancelled"),
}

# ImportJob.status, in the order a job passes through them.
IMPORT_STATUS = {
    "uploaded": _l("Waiting for column mapping"),
    "validating": _l("Checking rows…"),
    "validated": _l("Checked, not imported yet"),
    "committing": _l("Saving…"),
    "done": _l("Finished"),
    "failed": _l("Failed"),
}

# ExportRequest.status: "done" is an export downloaded (at once below the cap, or after approval).
EXPORT_STATUS = {
    "pending": _l("Waiting for approval"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "done": _l("Downloaded"),
}

STATUS_LABELS = {"invitation": INVITATION_STATUS, "import": IMPORT_STATUS, "export": EXPORT_STATUS}


def status_label(value, kind: str) -> str:
    """The translated word for `value`, a status of `kind` (a key of STATUS_LABELS)."""
    return str(STATUS_LABELS[kind][value])


# Lead.gender, in the order forms offer them.
GENDER_LABELS = {
    Gender.MALE: _l("Male"),
    Gender.FEMALE: _l("Female"),
    Gender.UNKNOWN: _l("Unknown"),
}


def gender_label(value) -> str:
    """The translated word for a lead's gender; no gender (or an unknown code) reads "Unknown"."""
    return str(GENDER_LABELS.get(value, GENDER_LABELS[Gender.UNKNOWN]))


def gender_choices(first: str | None = None) -> list[tuple[str, str]]:
    """(code, lazy label) for a form, in table order, or with the `first` code moved to the top."""
    choices = [(gender.value, label) for gender, label in GENDER_LABELS.items()]
    return sorted(choices, key=lambda choice: choice[0] != first) if first else choices
