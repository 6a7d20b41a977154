"""Every figure reads the same wherever a manager sees it: the dashboard, the event and metrics
pages, the report page, the report's .xlsx and the monthly PDF (pdftotext).

One realistic October 2026 in two stores; the clock is frozen at 31 October 13:30 in Shanghai,
half an hour before the store's autumn event. The numbers are parsed from each surface, compared
with each other and with the values worked out from the seed below.
"""

import io
import re
import subprocess
from datetime import date, datetime
from decimal import Decimal

import pytest
from freezegun import freeze_time
from openpyxl import load_workbook

from app.admin.reference import stage_by_code
from app.followups.models import Plan, PlanStatus
from app.invitations.models import Campaign, Event, EventType, Invitation
from app.invitations.models import InvitationStatus as S
from app.invitations.rules import new_token
from app.leads.models import LeadOrder
from app.pipeline.stages import set_stage
from app.showroom.models import ShowroomVisit
from tests.helpers_reports import monthly_pdf

NOW = datetime(2026, 10, 31, 5, 30)  # 13:30 in Shanghai
MONTH = "period=month&date=2026-10-15"


def at(day: int, hour: int = 4) -> datetime:
    return datetime(2026, 10, day, hour, 0)


# ---- the seed and the figures it implies -------------------------------------------------------
#
# Event 秋季品鉴会 (store A, 31 Oct 14:00), campaign 十月邀约:
#   顾问甲 invited g1 g2 g3 g4: g1 g2 accepted and came, g3 accepted and did not come, g4 declined.
#   顾问乙 invited g5 g6 g7 g8: g5 never answered, g6 never answered but came, g7 accepted and came,
#   g8 accepted and did not come.  One walk-in.  g1 ordered on the event day.
#   → invited 8, accepted 5, responded 6, arrived 3, came without accepting 1, walk-ins 1, orders 1;
#     success 62.5%, feedback 75.0%, attendance 60.0%.
#   顾问甲: invited 4, accepted 3, responded 4, arrived 2 → 75.0%, 100.0%, 66.7%.
# Store B's event (2 invited, 1 accepted and came) must never leak into store A's figures.
EVENT = {
    "invited": 8,
    "accepted": 5,
    "responded": 6,
    "arrived": 3,
    "came_unanswered": 1,
    "walk_ins": 1,
    "orders": 1,
    "success": "62.5%",
    "feedback": "75.0%",
    "attendance": "60.0%",
}
CONSULTANT_A = {
    "invited": 4,
    "accepted": 3,
    "responded": 4,
    "arrived": 2,
    "success": "75.0%",
    "attendance": "66.7%",
}
# Showroom, store A, October: first visits with info on the 10th and 20th, first visits without
# info on the 10th and today (31st), a return visit with info on the 21st → 4 first, 2 retained
# → 50.0%.  Today alone: 1 first visit, 0 retained → 0.0%.  Store B: one first visit with info.
RETENTION = {"first_visits": 4, "retained": 2, "retention": "50.0%"}
# Discipline, store A, today (31 Oct): 顾问甲's plan due 25 Oct still open, 顾问乙's plan due 29 Oct
# still open, 顾问乙's plan due 20 Oct done → 2 overdue plans; 顾问乙's lead expected to buy on
# 20 Oct still open → 1 expired opportunity.
DISCIPLINE = {"overdue": 2, "expired": 1}


def _invitation(event, lead, inviter, status, *, campaign=None, responded=False, came=False, walk_in=False):
    return Invitation(
        event_id=event.id,
        lead_id=lead.id,
        store_id=event.store_id,
        inviter_id=inviter.id if inviter else None,
        campaign_id=campaign.id if campaign else None,
        status=status,
        headcount=1,
        token=new_token(),
        token_expires_at=datetime(2026, 11, 3),
        invited_at=None if walk_in else at(20),
        responded_at=at(22) if responded else None,
        checked_in_at=datetime(2026, 10, 31, 5, 10) if came else None,
        actual_headcount=1 if came else None,
        is_walk_in=walk_in,
    )


@pytest.fixture
def month(factory, db):
    a = factory.store("A01", name="朝阳店")
    b = factory.store("B01", name="海淀店")
    manager = factory.user("manager", a, display_name="经理甲", can_export=True)
    jia = factory.user("consultant", a, display_name="顾问甲", manager_id=manager.id)
    yi = factory.user("consultant", a, display_name="顾问乙", manager_id=manager.id)
    bing = factory.user("consultant", b, display_name="顾问丙")
    clerk = factory.user("clerk", a, display_name="信息员")

    event = Event(
        store_id=a.id,
        theme="秋季品鉴会",
        type=EventType.LAUNCH,
        starts_at=datetime(2026, 10, 31, 6),
        ends_at=datetime(2026, 10, 31, 9),
        place="展厅",
        address="朝阳路1号",
    )
    other = Event(
        store_id=b.id,
        theme="海淀试驾日",
        type=EventType.LAUNCH,
        starts_at=at(18, 2),
        ends_at=at(18, 6),
        place="展厅",
        address="海淀路1号",
    )
    db.session.add_all([event, other])
    db.session.flush()
    campaign = Campaign(
        store_id=a.id,
        name="十月邀约",
        event_id=event.id,
        starts_on=date(2026, 10, 15),
        ends_on=date(2026, 10, 31),
    )
    db.session.add(campaign)
    db.session.flush()
    guests = {}
    for name, inviter, status, responded, came in [
        ("g1", jia, S.ACCEPTED, True, True),
        ("g2", jia, S.ACCEPTED, True, True),
        ("g3", jia, S.ACCEPTED, True, False),
        ("g4", jia, S.DECLINED, True, False),
        ("g5", yi, S.INVITED, False, False),
        ("g6", yi, S.INVITED, False, True),
        ("g7", yi, S.ACCEPTED, True, True),
        ("g8", yi, S.ACCEPTED, True, False),
    ]:
        lead = factory.lead(owner=inviter, store=a, created_at=at(12), name=f"客户{name}")
        guests[name] = lead
        db.session.add(
            _invitation(event, lead, inviter, status, campaign=campaign, responded=responded, came=came)
        )
    db.session.add(
        _invitation(
            event, factory.lead(store=a, owner=yi, created_at=NOW), None, S.ACCEPTED, came=True, walk_in=True
        )
    )
    for status, came in ((S.ACCEPTED, True), (S.INVITED, False)):
        db.session.add(
            _invitation(
                other,
                factory.lead(owner=bing, store=b, created_at=at(3)),
                bing,
                status,
                responded=status == S.ACCEPTED,
                came=came,
            )
        )
    db.session.add(
        LeadOrder(
            lead_id=guests["g1"].id,
            store_id=a.id,
            consultant_id=jia.id,
            brand="星途",
            series="凌云",
            model="凌云 400T",
            amount=Decimal("159900"),
            order_date=date(2026, 10, 31),
        )
    )
    set_stage(guests["g1"], "won", jia, now=NOW)

    # showroom
    db.session.add_all(
        [
            ShowroomVisit(
                store_id=a.id, consultant_id=jia.id, arrived_at=at(10), is_first_visit=True, left_contact=True
            ),
            ShowroomVisit(store_id=a.id, consultant_id=jia.id, arrived_at=at(10, 6), is_first_visit=True),
            ShowroomVisit(
                store_id=a.id, consultant_id=yi.id, arrived_at=at(20), is_first_visit=True, left_contact=True
            ),
            ShowroomVisit(
                store_id=a.id, consultant_id=yi.id, arrived_at=at(21), is_first_visit=False, left_contact=True
            ),
            ShowroomVisit(store_id=a.id, consultant_id=yi.id, arrived_at=at(31, 2), is_first_visit=True),
            ShowroomVisit(
                store_id=b.id,
                consultant_id=bing.id,
                arrived_at=at(11),
                is_first_visit=True,
                left_contact=True,
            ),
        ]
    )

    # discipline: late plans and an expired opportunity
    late_a = factory.lead(owner=jia, store=a, created_at=at(5))
    late_b = factory.lead(owner=yi, store=a, created_at=at(6), expected_purchase_date=date(2026, 10, 20))
    set_stage(late_b, "contacted", yi, now=at(7))
    db.session.add_all(
        [
            Plan(
                lead_id=late_a.id,
                assignee_id=jia.id,
                store_id=a.id,
                kind="follow_up",
                due_date=date(2026, 10, 25),
                status=PlanStatus.OPEN,
            ),
            Plan(
                lead_id=late_b.id,
                assignee_id=yi.id,
                store_id=a.id,
                kind="follow_up",
                due_date=date(2026, 10, 29),
                status=PlanStatus.OPEN,
            ),
            Plan(
                lead_id=late_b.id,
                assignee_id=yi.id,
                store_id=a.id,
                kind="follow_up",
                due_date=date(2026, 10, 20),
                status=PlanStatus.DONE,
                done_at=at(19),
            ),
        ]
    )
    late_a.next_plan_due, late_b.next_plan_due = date(2026, 10, 25), date(2026, 10, 29)
    assert stage_by_code("contacted")
    db.session.commit()
    return {
        "a": a,
        "b": b,
        "manager": manager,
        "clerk": clerk,
        "jia": jia,
        "yi": yi,
        "event": event,
        "campaign": campaign,
    }


# ---- reading numbers off each surface -----------------------------------------------------------


def _clean(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def html_rows(html: str) -> dict[str, list[str]]:
    """Rows of the page's report table: first cell -> the other cells' text."""
    table = re.search(r'<table class="(?:report-table|data)">(.*?)</table>', html, re.S).group(1)
    table = re.sub(r"<thead>.*?</thead>", "", table, flags=re.S)
    rows = {}
    for tr in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        cells = [_clean(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, re.S)]
        if cells:
            rows[cells[0]] = cells[1:]
    return rows


def html_headers(html: str) -> list[str]:
    table = re.search(r'<table class="(?:report-table|data)">(.*?)</table>', html, re.S).group(1)
    return [
        _clean(c)
        for c in re.findall(
            r"<th[^>]*>(.*?)</th>", re.search(r"<thead>(.*?)</thead>", table, re.S).group(1), re.S
        )
    ]


def xlsx_rows(data: bytes) -> tuple[list[str], dict[str, list]]:
    ws = load_workbook(io.BytesIO(data)).active
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    header_index = next(
        i for i, r in enumerate(rows) if r and r[0] and i > 1 and all(c is not None for c in r[:3])
    )
    headers = [str(c) for c in rows[header_index]]
    return headers, {str(r[0]): r[1:] for r in rows[header_index + 1 :] if r and r[0] is not None}


def xlsx_text(value) -> str:
    """An .xlsx cell as the page prints it (rates are stored as fractions, — stays —)."""
    if isinstance(value, float) and value <= 1 and not value.is_integer():
        return f"{value * 100:.1f}%"
    return str(value)


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "monthly.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True).stdout


def pdf_section(text: str, heading: str, next_heading: str) -> str:
    start = text.index(heading)
    return text[start : text.index(next_heading, start)]


def pdf_row(section: str, label: str) -> list[str]:
    """The figures on the table line that starts with `label` (chart labels carry no figures)."""
    for line in section.splitlines():
        cells = line.split()
        if cells and cells[0] == label and len(cells) > 1 and re.match(r"^([0-9¥-]|—)", cells[1]):
            return cells[1:]
    raise AssertionError(f"no table line for {label!r} in:\n{section}")


def by_header(headers: list[str], values: list, wanted: list[str]) -> dict[str, str]:
    return {name: xlsx_text(values[headers.index(name) - 1]) for name in wanted}


# ---- the test -----------------------------------------------------------------------------------

INVITATION_COLUMNS = [
    "已邀约",
    "已接受",
    "已回复",
    "已到店",
    "未确认到场",
    "现场来宾",
    "邀约成功率",
    "反馈率",
    "到场率",
]
EVENT_EXPECTED = [
    str(EVENT[k]) for k in ("invited", "accepted", "responded", "arrived", "came_unanswered", "walk_ins")
] + [EVENT["success"], EVENT["feedback"], EVENT["attendance"]]


def test_invitation_figures_agree_everywhere(month, login, tmp_path):
    manager, event = month["manager"], month["event"]
    with freeze_time(NOW):
        client = login(manager)
        event_page = client.get(f"/events/{event.id}").get_data(as_text=True)
        metrics_page = client.get("/events/metrics?by=event").get_data(as_text=True)
        report_page = client.get(f"/reports/invitations?{MONTH}&by=event").get_data(as_text=True)
        report_xlsx = client.get(f"/reports/invitations/export.xlsx?{MONTH}&by=event").data
        pdf = pdf_text(monthly_pdf(client, month="2026-10"), tmp_path)
        by_consultant_page = client.get(f"/reports/invitations?{MONTH}&by=consultant").get_data(as_text=True)
        by_consultant_xlsx = client.get(f"/reports/invitations/export.xlsx?{MONTH}&by=consultant").data
        dashboard = login(month["jia"]).get("/").get_data(as_text=True)

    # the event page: tiles and the rates line
    tiles = dict(
        (label.split(" ")[0], num)
        for num, label in re.findall(
            r'<span class="tile-num">(\d+)</span><span class="tile-label">([^<]+)</span>', event_page
        )
    )
    rates = dict(re.findall(r"(邀约成功率|反馈率|到场率) ([0-9.]+%|—)", _clean(event_page)))
    event_surface = [
        tiles["已邀约"],
        tiles["已接受"],
        None,
        tiles["已到店"],
        tiles["未确认到场"],
        tiles["现场来宾"],
        rates["邀约成功率"],
        rates["反馈率"],
        rates["到场率"],
    ]
    orders_on_page = re.search(r"30 天内[^:：]*[:：]\s*(\d+)", _clean(event_page))
    assert orders_on_page and int(orders_on_page.group(1)) == EVENT["orders"], _clean(event_page)[:800]

    # the metrics page (by event)
    metrics = html_rows(metrics_page)["秋季品鉴会"]
    metric_headers = html_headers(metrics_page)[1:]
    metrics_surface = [
        metrics[metric_headers.index(h)] if h in metric_headers else None for h in INVITATION_COLUMNS
    ]

    # the report page and its .xlsx (by event)
    report_headers = html_headers(report_page)
    report_row = html_rows(report_page)["秋季品鉴会"]
    report_surface = [report_row[report_headers.index(h) - 1] for h in INVITATION_COLUMNS]
    xlsx_headers, xlsx = xlsx_rows(report_xlsx)
    xlsx_surface = [by_header(xlsx_headers, xlsx["秋季品鉴会"], [h])[h] for h in INVITATION_COLUMNS]

    # the monthly PDF: the campaign table's total row (the walk-in has no campaign)
    section = pdf_section(pdf, "各邀约计划结果", "顾问排名与纪律")
    pdf_total = pdf_row(section, "合计")
    pdf_surface = [pdf_total[report_headers[1:].index(h)] for h in INVITATION_COLUMNS]

    for name, surface in [
        ("event page", event_surface),
        ("metrics page", metrics_surface),
        ("report page", report_surface),
        ("report xlsx", xlsx_surface),
        ("PDF", pdf_surface),
    ]:
        for column, expected, got in zip(INVITATION_COLUMNS, EVENT_EXPECTED, surface, strict=True):
            if got is not None:
                assert got == expected, (name, column, got, expected)
    assert report_surface == xlsx_surface == pdf_surface
    assert event_surface[0] == metrics_surface[0] == report_surface[0] == xlsx_surface[0] == pdf_surface[0]
    assert (
        event_surface[6:] == metrics_surface[6:] == report_surface[6:] == xlsx_surface[6:] == pdf_surface[6:]
    )

    # the consultant: dashboard, report page and .xlsx by consultant
    dash = re.search(r"秋季品鉴会 · 已邀约 (\d+) 人 · 已接受 (\d+) 人", _clean(dashboard))
    assert dash, _clean(dashboard)[-600:]
    headers = html_headers(by_consultant_page)
    row = html_rows(by_consultant_page)["顾问甲"]
    page_values = {
        h: row[headers.index(h) - 1] for h in ("已邀约", "已接受", "已回复", "已到店", "邀约成功率", "到场率")
    }
    xh, xrows = xlsx_rows(by_consultant_xlsx)
    xlsx_values = by_header(xh, xrows["顾问甲"], list(page_values))
    assert page_values == xlsx_values
    assert (dash.group(1), dash.group(2)) == (page_values["已邀约"], page_values["已接受"])
    assert page_values == {
        "已邀约": str(CONSULTANT_A["invited"]),
        "已接受": str(CONSULTANT_A["accepted"]),
        "已回复": str(CONSULTANT_A["responded"]),
        "已到店": str(CONSULTANT_A["arrived"]),
        "邀约成功率": CONSULTANT_A["success"],
        "到场率": CONSULTANT_A["attendance"],
    }


def test_retention_agrees_everywhere(month, login, tmp_path):
    with freeze_time(NOW):
        client = login(month["manager"])
        page = client.get(f"/reports/retention?{MONTH}&grain=week").get_data(as_text=True)
        xlsx = client.get(f"/reports/retention/export.xlsx?{MONTH}&grain=week").data
        traffic = client.get(f"/reports/traffic?{MONTH}").get_data(as_text=True)
        pdf = pdf_text(monthly_pdf(client, month="2026-10"), tmp_path)
        today_report = client.get("/reports/traffic?period=day&date=2026-10-31").get_data(as_text=True)
        reception = login(month["clerk"]).get("/showroom/reception").get_data(as_text=True)

    wanted = ["首次到店", "留档（首次到店）", "留存率"]
    headers = html_headers(page)
    total = html_rows(page)["合计"]
    page_values = [total[headers.index(h) - 1] for h in wanted]
    xh, xrows = xlsx_rows(xlsx)
    xlsx_values = [by_header(xh, xrows["合计"], [h])[h] for h in wanted]
    th = html_headers(traffic)
    traffic_total = html_rows(traffic)["合计"]
    traffic_values = [traffic_total[th.index(h) - 1] for h in wanted]
    section = pdf_section(pdf, "展厅客流与留存", "各邀约计划结果")
    pdf_total = pdf_row(section, "合计")
    pdf_values = [pdf_total[th.index(h) - 1] for h in wanted]
    headline = pdf_section(pdf, "核心指标", "转化漏斗")
    pdf_headline = pdf_row(headline, "留存率")[0]
    expected = [str(RETENTION["first_visits"]), str(RETENTION["retained"]), RETENTION["retention"]]
    assert page_values == xlsx_values == traffic_values == pdf_values == expected
    assert pdf_headline == RETENTION["retention"]

    # today: the reception page and the day's report say the same
    stat = re.search(r'<dd data-stat="retention">([^<]+)</dd>', reception).group(1)
    day_total = html_rows(today_report)["合计"]
    dh = html_headers(today_report)
    assert stat == day_total[dh.index("留存率") - 1] == "0.0%"


def test_funnel_steps_agree_everywhere(month, login, tmp_path):
    with freeze_time(NOW):
        client = login(month["manager"])
        page = client.get(f"/reports/funnel?{MONTH}").get_data(as_text=True)
        xlsx = client.get(f"/reports/funnel/export.xlsx?{MONTH}").data
        pdf = pdf_text(monthly_pdf(client, month="2026-10"), tmp_path)
    rows = html_rows(page)
    headers = html_headers(page)
    xh, xrows = xlsx_rows(xlsx)
    section = pdf_section(pdf, "转化漏斗", "线索来源")
    steps = [label for label in rows if label != "合计"]
    assert len(steps) >= 5
    for step in steps:
        page_count = rows[step][0]
        assert str(xrows[step][0]) == page_count, step
        assert pdf_row(section, step)[0] == page_count, step
    # the first step counts every lead store A received in October (11 guests and 2 late leads + walk-in)
    assert rows[steps[0]][0] == "11"
    assert headers


def test_overdue_and_expired_agree_everywhere(month, login, tmp_path):
    with freeze_time(NOW):
        client = login(month["manager"])
        dashboard = client.get("/").get_data(as_text=True)
        page = client.get(f"/reports/discipline?{MONTH}").get_data(as_text=True)
        xlsx = client.get(f"/reports/discipline/export.xlsx?{MONTH}").data
        pdf = pdf_text(monthly_pdf(client, month="2026-10"), tmp_path)
    tile = dict(
        (label, num)
        for num, label in re.findall(
            r'<span class="tile-num"[^>]*>(\d+)</span><span class="tile-label">([^<]+)</span>', dashboard
        )
    )
    tiles = {"overdue": tile["过期未执行"], "expired": tile["过期销售机会"]}
    headers = html_headers(page)
    total = html_rows(page)["合计"]
    page_values = {
        k: total[headers.index(h) - 1] for k, h in (("overdue", "过期未执行"), ("expired", "过期销售机会"))
    }
    xh, xrows = xlsx_rows(xlsx)
    xlsx_values = {
        k: xlsx_text(xrows["合计"][xh.index(h) - 1])
        for k, h in (("overdue", "过期未执行"), ("expired", "过期销售机会"))
    }
    section = pdf_section(pdf, "顾问排名与纪律", "战败分析")
    pdf_values = {"overdue": 0, "expired": 0}
    for name in ("顾问甲", "顾问乙"):
        cells = pdf_row(section, name)
        pdf_values["overdue"] += int(cells[-3])
        pdf_values["expired"] += int(cells[-2])
    expected = {k: str(v) for k, v in DISCIPLINE.items()}
    assert tiles == page_values == xlsx_values == expected
    assert {k: str(v) for k, v in pdf_values.items()} == expected
