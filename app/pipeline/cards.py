"""Turn card rows into what a card shows: labels, markers and its accessible name."""

from dataclasses import dataclass
from datetime import date

from flask import current_app, url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _

from app.admin.reference import by_id, grades, vehicle_models
from app.pipeline import rules


@dataclass(frozen=True)
class Card:
    id: int
    name: str
    version: int
    stage_id: int
    grade_code: str
    grade_label: str
    model_label: str
    expected: date | None
    due: date | None
    marker: str  # none | overdue | today | planned
    expired: bool
    days_since_effective: int | None
    owner_name: str | None
    important: bool
    sort_due: str  # "9999-12-31" for no plan: the client keeps column order with it
    url: str | None = None

    @property
    def aria_label(self) -> str:
        if self.due is None:
            plan = _("no plan")
        else:
            plan = _("next plan %(date)s", date=format_date(self.due, "yyyy-MM-dd"))
            if self.marker == "overdue":
                plan += ", " + _("overdue")
        return f"{self.name}, {self.grade_code}, {plan}"


class CardMaker:
    """Build cards with reference data loaded once per request."""

    def __init__(self, today: date, owner_names: dict[int, str] | None = None, show_owner: bool = False):
        locale = str(get_locale() or "zh_CN")
        self.today = today
        self.grades = {g.id: g for g in by_id(grades()).values()}
        self.grade_labels = {g.id: g.label(locale) for g in self.grades.values()}
        self.models = {m.id: f"{m.series} {m.name}".strip() for m in vehicle_models()}
        self.owner_names = owner_names or {}
        self.show_owner = show_owner
        self.url_arg = _detail_arg()

    def __call__(self, row) -> Card:
        grade = self.grades.get(row.grade_id)
        return Card(
            id=row.id, name=row.name, version=row.version, stage_id=row.stage_id,
            grade_code=grade.code if grade else "", grade_label=self.grade_labels.get(row.grade_id, ""),
            model_label=self.models.get(row.model_id, ""),
            expected=row.expected_purchase_date, due=row.next_plan_due,
            marker=rules.plan_marker(row.next_plan_due, self.today),
            expired=rules.is_expired(row.expected_purchase_date, self.today),
            days_since_effective=rules.days_since(row.last_effective_followup_at, self.today),
            owner_name=self.owner_names.get(row.owner_id) if self.show_owner else None,
            important=bool(row.is_important),
            sort_due=row.next_plan_due.isoformat() if row.next_plan_due else "9999-12-31",
            url=url_for(DETAIL_ENDPOINT, **{self.url_arg: row.id}) if self.url_arg else None,
        )


DETAIL_ENDPOINT = "leads.detail"


def _detail_arg() -> str | None:
    """Return the id argument of the lead detail page, or None when there is no such page."""
    for rule in current_app.url_map.iter_rules(DETAIL_ENDPOINT) if DETAIL_ENDPOINT in current_app.view_functions else ():
        if len(rule.arguments) == 1:
            return next(iter(rule.arguments))
    return None
