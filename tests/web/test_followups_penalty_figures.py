"""One consultant, one month, one penalty: the dashboard, the discipline report, its .xlsx and the PDF agree."""

import io
import re
import subprocess
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from app.core.timeutil import local_today, utcnow
from app.followups.models import Plan, PlanStatus
from app.followups.plans import open_plan
from tests.helpers_reports import monthly_pdf


def _previous_month() -> date:
    return (local_today(utcnow()).replace(day=1) - timedelta(days=1)).replace(day=1)


@pytest.fixture
def month_of_violations(factory, db):
    """Last month (fully past whatever today is): 顾问甲 4 violations, 顾问乙 9, 顾问丙 none."""
    month = _previous_month()
    store = factory.store(name="朝阳店")
    manager = factory.user("manager", store, display_name="经理甲（经理）")
    people = {
        name: factory.user("consultant", store, display_name=name, manager_id=manager.id)
        for name in ("顾问甲", "顾问乙", "顾问丙")
    }
    created = datetime.combine(month, datetime.min.time()) + timedelta(hours=2)

    def violations(user, n):
        for i in range(n):
            lead = factory.lead(
                owner=user, created_at=created, expected_purchase_date=date.today() + timedelta(days=40)
            )
            if i == 0:  # an opportunity that expired in the month
                lead.expected_purchase_date = month + timedelta(days=19)
            else:  # a plan due in the month, never done
                open_plan(lead, month + timedelta(days=i), "回访", assignee_id=user.id)
        # a plan done on time is no violation
        lead = factory.lead(owner=user, created_at=created)
        db.session.add(
            Plan(
                lead_id=lead.id,
                assignee_id=user.id,
                store_id=store.id,
                kind="follow_up",
                due_date=month + timedelta(days=5),
                status=PlanStatus.DONE,
                done_at=created + timedelta(days=4),
            )
        )

    violations(people["顾问甲"], 4)
    violations(people["顾问乙"], 9)
    violations(people["顾问丙"], 0)
    db.session.commit()
    return month, manager, people


def _line(text: str, name: str) -> str:
    return next(line for line in text.splitlines() if name in line)


def test_the_same_penalty_on_the_dashboard_the_report_its_export_and_the_pdf(
    month_of_violations, login, tmp_path
):
    month, manager, people = month_of_violations
    last = (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    client = login(manager)
    # 4 violations: 50 + 100 + 200 + 400 = 750; 9 violations: capped at 2,000; the manager: half of 2,750
    expected = {"顾问甲": "¥750", "顾问乙": "¥2,000", "顾问丙": "¥0"}

    board = client.htmx("get", f"/discipline?from={month.isoformat()}&to={last.isoformat()}").get_data(
        as_text=True
    )
    for name, amount in expected.items():
        row = board[board.index(name) :]
        row = row[: row.index("</tr>")]
        assert f"<span data-penalty>{amount}</span>" in row, (name, row)
    assert "第 4 次 ×8 = 400 元，封顶 800 元；合计 750 元" in board
    assert "合计 4,750 元，每月封顶 2,000 元：2,000 元" in board
    assert "<span data-manager-penalty>¥1,375</span>" in board

    args = f"period=month&date={month.replace(day=15).isoformat()}"
    page = client.get(f"/reports/discipline?{args}").get_data(as_text=True)
    for name, amount in expected.items():
        row = page[page.index(f'<th scope="row">{name}</th>') :]
        row = row[: row.index("</tr>")]
        assert f'<td class="num">{amount}</td>' in row, (name, row)
    assert "经理甲（经理）" in page and "（经理）（经理）" not in page
    assert "¥1,375" in page

    sheet = load_workbook(io.BytesIO(client.get(f"/reports/discipline/export.xlsx?{args}").data)).active
    rows = list(sheet.iter_rows())
    header = next(i for i, r in enumerate(rows) if r[0].value == "销售顾问")
    column = [c.value for c in rows[header]].index("罚款")
    cells = {r[0].value: r[column] for r in rows[header + 1 :] if r[0].value}
    for name, amount in expected.items():
        assert cells[name].value == int(amount.strip("¥").replace(",", ""))
        assert cells[name].number_format == "¥#,##0"
    assert cells["经理甲（经理）"].value == 1375

    pdf = monthly_pdf(client, month=f"{month:%Y-%m}")
    path = tmp_path / "m.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True).stdout
    for name, amount in expected.items():
        assert re.search(rf"{re.escape(amount)}\s*$", _line(text, name)), _line(text, name)
    assert "每人每月封顶2,000元" in "".join(text.split())  # the rule under the figures (lines wrap)
