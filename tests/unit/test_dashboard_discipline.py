"""The discipline board's group view sums the consultants' rows per store."""

from decimal import Decimal

from app.dashboard.discipline import COUNTS, store_totals


def _row(store_id, penalty, **counts):
    return {"store_id": store_id, "penalty": penalty, **{k: counts.get(k, 0) for k in COUNTS}}


def test_a_store_sums_its_consultants_and_adds_its_managers_shares():
    rows = [
        _row(2, 750, overdue=3, expired=1, violations=4, effective=10),
        _row(2, 2000, overdue=8, expired=1, violations=9, no_plan=2),
        _row(1, 0, effective=5, breaches=1),
    ]
    managers = [{"store_id": 2, "amount": Decimal("1375.00")}, {"store_id": 9, "amount": Decimal("10")}]
    names = {1: "北京一店", 2: "上海二店", 3: "空店"}
    out = store_totals(rows, managers, names)
    assert [t["name"] for t in out] == ["北京一店", "上海二店"]  # the stores' order; none without consultants
    shanghai = out[1]
    assert shanghai["consultants"] == 2 and shanghai["overdue"] == 11 and shanghai["expired"] == 2
    assert shanghai["violations"] == 13 and shanghai["no_plan"] == 2 and shanghai["effective"] == 10
    assert shanghai["penalty"] == Decimal("4125.00") and shanghai["managers_penalty"] == Decimal("1375.00")
    beijing = out[0]
    assert beijing["penalty"] == 0 and beijing["managers_penalty"] == 0 and beijing["breaches"] == 1


def test_consultants_without_a_store_form_their_own_row():
    out = store_totals([_row(None, 50, violations=1)], [], {1: "北京一店"})
    assert out == [
        {
            "store_id": None,
            "name": "—",
            "consultants": 1,
            "penalty": Decimal(50),
            "managers_penalty": Decimal(0),
            **{k: (1 if k == "violations" else 0) for k in COUNTS},
        }
    ]
