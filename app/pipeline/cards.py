"""Turn card rows into what a card shows: labels, markers and its accessible name.

Everything a card prints is prepared here once per request (translations, dates), so a board
of 120 cards renders without calling the translation machinery per card.
"""

from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace

from flask_babel import get_locale
from flask_babel import gettext as _

from app.admin.reference import by_id, grades, vehicle_models
from app.core.names import vehicle_name
from app.pipeline import rules
from app.web.urls import paths_for


@dataclass(frozen=True)
class Card:
    id: int
    name: str
    version: int
    stage_id: int
    grade_code: str
    grade_label: str
    model_label: str
    expected: str  # yyyy-mm-dd or ""
    due: str  # yyyy-mm-dd or ""
    marker: str  # none | overdue | today | planned
    expired: bool
    days_text: str
    owner_name: str | None
    important: bool
    aria_label: str
    defeat_pending: bool = False
    url: str = ""


def card_labels() -> SimpleNamespace:
    """Return the fixed words of a card, translated once (attributes: a template reads them per card)."""
    return SimpleNamespace(
        **{
            "model": _("Model"),
            "expected": _("Expected purchase"),
            "next_plan": _("Next plan"),
            "last_effective": _("Last effective follow-up"),
            "owner": _("Owner"),
            "pool": _("Pool"),
            "no_plan": _("No plan"),
            "overdue": _("Overdue"),
            "today": _("Today"),
            "expired": _("Expired"),
            "important": _("Important"),
            "move_to": _("Move to…"),
            "cancel": _("Cancel"),
            "defeat_pending": _("Defeat awaiting approval"),
            "open": _("Details"),
        }
    )


class CardMaker:
    """Build cards with reference data and words loaded once per request."""

    def __init__(
        self,
        today: date,
        owner_names: dict[int, str] | None = None,
        show_owner: bool = False,
        defeat_pending: set[int] | None = None,
    ):
        locale = str(get_locale() or "zh_CN")
        self.today = today
        self.grades = by_id(grades())
        self.grade_labels = {g.id: g.label(locale) for g in self.grades.values()}
        self.models = {m.id: vehicle_name(m.series, m.name) for m in vehicle_models()}
        self.owner_names = owner_names or {}
        self.show_owner = show_owner
        self.defeat_pending = defeat_pending or set()
        self.lead_path = paths_for("leads.lead_detail", "lead_id")
        self.words = {
            "no_plan": _("no plan"),
            "overdue": _("overdue"),
            "never": _("never"),
            "next_plan": _("next plan %(date)s", date="{}"),
            "days": _("%(days)s days ago", days="{}"),
        }

    def __call__(self, row) -> Card:
        grade = self.grades.get(row.grade_id)
        grade_code = grade.code if grade else ""
        due = row.next_plan_due.isoformat() if row.next_plan_due else ""
        marker = rules.plan_marker(row.next_plan_due, self.today)
        days = rules.days_since(row.last_effective_followup_at, self.today)
        plan = self.words["next_plan"].format(due) if due else self.words["no_plan"]
        if marker == "overdue":
            plan += ", " + self.words["overdue"]
        return Card(
            id=row.id,
            name=row.name,
            version=row.version,
            stage_id=row.stage_id,
            grade_code=grade_code,
            grade_label=self.grade_labels.get(row.grade_id, ""),
            model_label=self.models.get(row.model_id, ""),
            expected=row.expected_purchase_date.isoformat() if row.expected_purchase_date else "",
            due=due,
            marker=marker,
            expired=rules.is_expired(row.expected_purchase_date, self.today),
            days_text=self.words["never"] if days is None else self.words["days"].format(days),
            owner_name=self.owner_names.get(row.owner_id) if self.show_owner else None,
            important=bool(row.is_important),
            aria_label=f"{row.name}, {grade_code}, {plan}",
            defeat_pending=row.id in self.defeat_pending,
            url=self.lead_path(row.id),
        )
