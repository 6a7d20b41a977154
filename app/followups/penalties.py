"""The discipline penalty (扣罚) as one pure rule, shown the same way on every page.

The store policy: the first violation costs `base` yuan (50), every repeat within the repeat period
(the calendar month unless the admin chooses the week) doubles, one item never costs more than
`item_cap` (800) and a person never pays more than `monthly_cap` (2,000) in a calendar month.
A manager pays `manager_share` (50 %) of their team's total after those caps.

A violation is an overdue plan (过期未执行) or an expired opportunity (过期销售机会), dated by the
plan's due date or the opportunity's expected purchase date. `app.followups.queries.violation_days`
counts them per person and day; everything else here works on those counts, without Flask or SQL.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from app.core.money import yuan

DEFAULT_PENALTY = {
    "base": 50,
    "doubling": True,
    "manager_share": 0.5,
    "repeat_period": "month",
    "item_cap": 800,
    "monthly_cap": 2000,
}
REPEAT_PERIODS = ("month", "week")
CENT = Decimal("0.01")


def penalty_rules(stored: Mapping | None) -> dict:
    """Return the complete rule from a stored setting (older settings lack the caps and period)."""
    rules = {**DEFAULT_PENALTY, **(stored or {})}
    rules["base"] = max(0, int(rules["base"]))
    rules["doubling"] = bool(rules["doubling"])
    # A cap is always there: without one, doubling makes absurd fines (a missing or zero cap is the default).
    for cap in ("item_cap", "monthly_cap"):
        rules[cap] = int(rules[cap] or 0) if int(rules[cap] or 0) > 0 else DEFAULT_PENALTY[cap]
    rules["manager_share"] = min(Decimal(1), max(Decimal(0), Decimal(str(rules["manager_share"]))))
    if rules["repeat_period"] not in REPEAT_PERIODS:
        rules["repeat_period"] = "month"
    return rules


def multiplier(n: int, rules: Mapping) -> int:
    """Return how many times the base the n-th repeat (1-based) costs before the item cap."""
    return 2 ** (n - 1) if rules["doubling"] else 1


def item_amount(n: int, rules: Mapping) -> int:
    """Return the fine of the n-th repeat within a repeat period: base × 2^(n-1), at most the item cap."""
    base, cap = rules["base"], rules["item_cap"]
    if n < 1 or base == 0:
        return 0
    if not rules["doubling"]:
        return min(base, cap) if cap else base
    # Once the doubled amount passes the cap every further repeat costs the cap: no need to
    # compute 2^(n-1) for large n (that is where 38-digit fines came from).
    amount = base
    for _ in range(n - 1):
        amount *= 2
        if cap and amount >= cap:
            return cap
    return min(amount, cap) if cap else amount


def repeat_windows(day_counts: Mapping[date, int], rules: Mapping) -> list[int]:
    """Split one calendar month's violations per day into counts per repeat period (week or month)."""
    if rules["repeat_period"] != "week":
        return [sum(max(0, n) for n in day_counts.values())] if day_counts else []
    weeks: dict[tuple[int, int], int] = {}
    for day, n in day_counts.items():
        key = day.isocalendar()[:2]  # the ISO week, within this month only
        weeks[key] = weeks.get(key, 0) + max(0, n)
    return [weeks[k] for k in sorted(weeks)]


@dataclass(frozen=True)
class MonthPenalty:
    """One person's penalty for one calendar month."""

    month: date  # first day of the month
    violations: int
    before_cap: int  # sum of the items, each already within the item cap
    amount: int  # after the monthly cap
    last_repeat: int  # the number of the last violation within its repeat period
    last_item: int  # what that violation cost (within the item cap)

    @property
    def month_capped(self) -> bool:
        return self.amount < self.before_cap


def month_penalty(month: date, window_counts: Iterable[int], rules: Mapping) -> MonthPenalty:
    """Return a month's penalty from its violations per repeat period (each period starts again at the base)."""
    total = violations = last_repeat = last_item = 0
    for count in window_counts:
        count = max(0, int(count))
        if not count:
            continue
        violations += count
        # Items beyond the cap all cost the cap: sum the doubling part, then the capped rest.
        doubled = 0
        n = 0
        while n < count:
            n += 1
            item = item_amount(n, rules)
            doubled += item
            if rules["item_cap"] and item >= rules["item_cap"]:
                break
        total += doubled + (count - n) * item_amount(count, rules)
        last_repeat, last_item = count, item_amount(count, rules)
    cap = rules["monthly_cap"]
    amount = min(total, cap) if cap else total
    return MonthPenalty(month.replace(day=1), violations, total, amount, last_repeat, last_item)


@dataclass(frozen=True)
class Penalty:
    """A person's penalty over a range of days: the sum of its calendar months."""

    months: tuple[MonthPenalty, ...] = ()

    @property
    def violations(self) -> int:
        return sum(m.violations for m in self.months)

    @property
    def amount(self) -> int:
        return sum(m.amount for m in self.months)


def person_penalty(day_counts: Mapping[date, int], rules: Mapping) -> Penalty:
    """Return a person's penalty from their violations per day (any range of days)."""
    by_month: dict[date, dict[date, int]] = {}
    for day, n in day_counts.items():
        by_month.setdefault(day.replace(day=1), {})[day] = n
    return Penalty(
        tuple(
            month_penalty(m, repeat_windows(days, rules), rules)
            for m, days in sorted(by_month.items())
            if sum(days.values()) > 0
        )
    )


def consultant_amount(violations: int, rules: Mapping) -> int:
    """Return the fine for `violations` in one repeat period of one month (a shortcut for tests and texts)."""
    return month_penalty(date(2000, 1, 1), [violations], rules).amount


def manager_amount(team_amounts: Iterable[int], rules: Mapping) -> Decimal:
    """Return a manager's penalty: their share of the team's total after the caps, to the fen."""
    total = sum(int(a) for a in team_amounts)
    return (Decimal(total) * Decimal(str(rules["manager_share"]))).quantize(CENT, rounding=ROUND_HALF_UP)


def team_of(manager_id: int, manager_store_id: int | None, people: Iterable[Mapping]) -> list[Mapping]:
    """Return the consultants a manager answers for: theirs, or their store's when none is assigned."""
    return [
        p
        for p in people
        if p.get("manager_id") == manager_id
        or (p.get("manager_id") is None and p.get("store_id") == manager_store_id)
    ]


# ---- the rule's text next to the figure ------------------------------------------------------


def _percent(share) -> str:
    """50 for a share of 0.5 (a percentage as typed, without trailing zeros)."""
    text = f"{Decimal(str(share)) * 100:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _identity(text: str, **values) -> str:
    return text % values if values else text


def explain_month(m: MonthPenalty, rules: Mapping, gettext: Callable = _identity) -> str:
    """Return how a month's amount follows from the rule, e.g. "3 次：第 3 次 ×4 = 200 元，封顶 800 元；合计 350 元"."""
    _ = gettext
    if not m.violations:
        return _("No violations")
    parts = [_("%(n)s violations", n=m.violations)]
    n, cap = m.last_repeat, rules["item_cap"]
    raw = rules["base"] * multiplier(n, rules) if n <= 40 else None  # beyond 40 doublings: over any cap
    if not rules["doubling"]:
        parts.append(_("%(amount)s yuan each", amount=f"{m.last_item:,}"))
    elif raw is not None and (not cap or raw <= cap):
        step = _(
            "violation %(n)s ×%(times)s = %(amount)s yuan",
            n=n,
            times=f"{multiplier(n, rules):,}",
            amount=f"{raw:,}",
        )
        parts.append(step + (_(", capped at %(cap)s yuan", cap=f"{cap:,}") if cap else ""))
    else:
        parts.append(_("violation %(n)s: the cap of %(cap)s yuan", n=n, cap=f"{cap:,}"))
    if m.month_capped:
        parts.append(
            _(
                "total %(before)s yuan, monthly cap %(cap)s yuan: %(amount)s yuan",
                before=f"{m.before_cap:,}",
                cap=f"{rules['monthly_cap']:,}",
                amount=f"{m.amount:,}",
            )
        )
    else:
        parts.append(_("total %(amount)s yuan", amount=f"{m.amount:,}"))
    return _("; ").join(parts)


def explain(p: Penalty, rules: Mapping, gettext: Callable = _identity) -> str:
    """Return the rule's text for a penalty over one or more months."""
    if not p.months:
        return explain_month(MonthPenalty(date(2000, 1, 1), 0, 0, 0, 0, 0), rules, gettext)
    if len(p.months) == 1:
        return explain_month(p.months[0], rules, gettext)
    return " | ".join(f"{m.month:%Y-%m} {explain_month(m, rules, gettext)}" for m in p.months)


def explain_manager(amount: Decimal, team_total: int, rules: Mapping, gettext: Callable = _identity) -> str:
    """Return the text of a manager's penalty: their share of the team's total."""
    return gettext(
        "%(share)s%% of the team's %(total)s yuan = %(amount)s",
        share=_percent(rules["manager_share"]),
        total=f"{team_total:,}",
        amount=yuan(amount),
    )


def explain_policy(rules: Mapping, gettext: Callable = _identity) -> str:
    """Return the rule in one sentence (under the discipline table and the dashboard board)."""
    period = gettext("calendar month") if rules["repeat_period"] == "month" else gettext("week")
    return gettext(
        "Penalty: %(base)s yuan for the first overdue plan or expired opportunity, doubling with each "
        "repeat in the same %(period)s; at most %(item_cap)s yuan per item and %(monthly_cap)s yuan "
        "per person per month; a manager pays %(share)s%% of their team's total.",
        base=f"{rules['base']:,}",
        period=period,
        item_cap=f"{rules['item_cap']:,}",
        monthly_cap=f"{rules['monthly_cap']:,}",
        share=_percent(rules["manager_share"]),
    )
