"""Report pages over HTTP: access, filters, Excel and PDF downloads, targets, query counts."""

import io
import subprocess
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.audit.models import AuditLog
from app.invitations.models import MonthlyTarget
from app.reports.catalog import REPORTS
from tests.helpers_reports import OCTOBER, build_world


@pytest.fixture
def world(factory, db):
    return build_world(factory, db)


@pytest.mark.parametrize(
    "url",
    [
        "/reports/",
        "/reports/funnel",
        "/reports/funnel/export.xlsx",
        "/reports/files/1",
        "/reports/files/1/download",
        "/reports/targets",
    ],
)
def test_anonymous_is_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def _generate_pdf(client, **form):
    """Ask for the monthly PDF (rendered by the task queue, at once in tests) and download it."""
    response = client.post("/reports/monthly", data=form)
    assert response.status_code == 303, response.status_code
    page = response.headers["Location"]
    assert "/reports/files/" in page
    return page, client.get(page + "/download")


def test_director_downloads_a_store_pdf_and_a_manager_only_their_own(world, login):
    director = login(world.director)
    _page, download = _generate_pdf(director, month="2026-10", store=world.store_b.id)
    assert download.status_code == 200 and download.data[:5] == b"%PDF-"
    assert login(world.manager).post("/reports/monthly", data={"month": "bad"}).status_code == 400


def test_clerk_and_admin_may_not_open_reports(login_as):
    assert login_as("clerk").get("/reports/").status_code == 403
    assert login_as("admin").get("/reports/funnel").status_code == 403


@pytest.mark.parametrize("report", [r.key for r in REPORTS])
def test_every_report_renders_for_a_manager_with_chart_and_table(world, login, report):
    response = login(world.manager).get(f"/reports/{report}?{OCTOBER}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'class="report-table"' in html
    if report != "arrivals":
        assert "data:image/svg+xml;base64," in html


def test_consultant_is_refused_management_reports(world, login):
    client = login(world.c1)
    assert client.get("/reports/comparison").status_code == 403
    assert client.get("/reports/dcc").status_code == 403
    assert client.get("/reports/nope").status_code == 404
    assert client.post("/reports/monthly", data={"month": "2026-10"}).status_code == 403


def test_htmx_filter_change_returns_only_the_report_body(world, login):
    response = login(world.manager).htmx("GET", f"/reports/funnel?{OCTOBER}&by=consultant")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="report-body"')
    assert "顾问一" in html and "<nav" not in html


def test_manager_page_never_shows_another_store(world, login):
    html = (
        login(world.manager)
        .get(f"/reports/comparison?{OCTOBER}&store={world.store_b.id}")
        .get_data(as_text=True)
    )
    assert "顾问三" not in html and "海淀店" not in html


def test_excel_export_matches_the_report_and_is_audited(world, login, db):
    client = login(world.manager)
    response = client.get(f"/reports/funnel/export.xlsx?{OCTOBER}")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    ws = load_workbook(io.BytesIO(response.data)).active
    values = [row for row in ws.iter_rows(values_only=True)]
    header = values.index(next(r for r in values if r and r[0] == "阶段"))
    body = values[header + 1 : header + 8]
    assert [r[0] for r in body] == ["新线索", "已联系", "已邀约", "已到店", "试驾/方案", "报价谈判", "成交"]
    assert [r[1] for r in body] == [4, 4, 3, 2, 1, 1, 1]
    assert body[0][3] == "—"  # no step before the first
    log = db.session.execute(select(AuditLog).where(AuditLog.action == "report.export")).scalar_one()
    assert log.object_id == "funnel" and log.detail["rows"] == 7
    assert log.detail["filters"]["stores"] == [world.store_a.id]


def test_excel_export_of_invitations_keeps_the_dash_for_zero_denominators(world, login):
    response = login(world.manager).get(f"/reports/invitations/export.xlsx?{OCTOBER}")
    ws = load_workbook(io.BytesIO(response.data)).active
    rows = {r[0]: r for r in ws.iter_rows(values_only=True) if r and r[0]}
    assert rows["秋季试驾日"][1:8] == (3, 1, 2, 1, 0, 1, 1)
    assert rows["新车发布"][10] == "—"


def test_export_needs_the_export_permission(world, login, factory, db):
    marketing = factory.user("marketing", world.store_a, can_export=False)
    db.session.commit()
    assert login(marketing).get(f"/reports/funnel/export.xlsx?{OCTOBER}").status_code == 403
    assert login(world.c1).get(f"/reports/funnel/export.xlsx?{OCTOBER}").status_code == 403


def test_arrival_export_lists_every_arrival(world, login):
    response = login(world.manager).get(f"/reports/arrivals/export.xlsx?{OCTOBER}")
    ws = load_workbook(io.BytesIO(response.data)).active
    phones = [r[3] for r in ws.iter_rows(min_row=5, values_only=True) if r[0]]
    assert len(phones) == 3


@pytest.mark.parametrize("key", ["followups", "funnel", "daily", "activity"])
def test_query_count_does_not_grow_with_rows(world, login, factory, db, count_queries, key):
    client = login(world.manager)
    client.get(f"/reports/{key}?{OCTOBER}&by=consultant")
    with count_queries() as few:
        client.get(f"/reports/{key}?{OCTOBER}&by=consultant")
    for i in range(50):
        c = factory.user("consultant", world.store_a, display_name=f"新人{i}")
        lead = factory.lead(owner=c, store=world.store_a, created_at=datetime(2026, 10, 9, 4))
        from app.followups.models import FollowUp

        db.session.add(
            FollowUp(
                lead_id=lead.id,
                user_id=c.id,
                store_id=world.store_a.id,
                method="phone",
                result="reached",
                content="x",
                occurred_at=datetime(2026, 10, 9, 5),
                is_effective=True,
            )
        )
    db.session.commit()
    with count_queries() as many:
        html = client.get(f"/reports/{key}?{OCTOBER}&by=consultant").get_data(as_text=True)
    assert "新人49" in html
    assert many.count == few.count


def test_targets_page_saves_and_reports_show_progress(world, login, db):
    client = login(world.manager)
    assert client.get("/reports/targets?month=2026-10").status_code == 200
    response = client.post(
        "/reports/targets?month=2026-10",
        data={
            "store_id": world.store_a.id,
            "orders": "4",
            "new_leads": "10",
            "visits": "",
            "invitations": "",
            "test_drives": "",
        },
    )
    assert response.status_code == 303
    rows = db.session.execute(
        select(MonthlyTarget.metric, MonthlyTarget.value).where(MonthlyTarget.user_id.is_(None))
    ).all()
    assert sorted(rows) == [("new_leads", 10), ("orders", 4)]
    html = client.get(f"/reports/sources?{OCTOBER}").get_data(as_text=True)
    assert "目标完成进度" in html and "1 / 4" in html and "25.0%" in html and "3 / 10" in html
    bad = client.post("/reports/targets?month=2026-10", data={"store_id": world.store_a.id, "orders": "-3"})
    assert bad.status_code == 422
    other = client.post("/reports/targets?month=2026-10", data={"store_id": world.store_b.id, "orders": "1"})
    assert other.status_code == 404


def test_consultant_targets_and_month_to_date_progress(world, login, db):
    from app.reports.targets import month_to_date_progress, set_targets

    assert login(world.c1).get("/reports/targets").status_code == 403
    set_targets(
        world.manager, date(2026, 10, 1), world.store_a.id, world.c1.id, {"orders": 2, "new_leads": 4}
    )
    db.session.commit()
    items = {i["metric"]: i for i in month_to_date_progress(world.c1, date(2026, 10, 31))}
    assert items["orders"]["actual"] == 1 and items["orders"]["target"] == 2
    assert items["orders"]["progress"] == pytest.approx(0.5)
    assert items["new_leads"]["actual"] == 2
    assert items["orders"]["expected"] == pytest.approx(1.0)
    assert month_to_date_progress(world.c3, date(2026, 10, 31)) == []


def test_month_to_date_progress_reads_the_targets_once(world, db, count_queries):
    from app.reports.targets import month_to_date_progress, set_targets

    set_targets(world.manager, date(2026, 10, 1), world.store_a.id, world.c1.id, {"orders": 2})
    db.session.commit()
    with count_queries() as counter:
        items = month_to_date_progress(world.c1, date(2026, 10, 31))
    assert [i["metric"] for i in items] == ["orders"]
    assert sum("FROM monthly_targets" in s for s in counter.statements) == 1


def test_the_comparison_of_stores_reads_the_targets_once(world, login, db, count_queries):
    """The table's targets and the progress above it are the same rows: one read per page."""
    from app.reports.targets import set_targets

    set_targets(world.manager, date(2026, 10, 1), world.store_a.id, None, {"orders": 3})
    db.session.commit()
    client = login(world.director)
    url = "/reports/comparison?period=month&date=2026-10-15"
    client.get(url)
    with count_queries() as counter:
        html = client.get(url).get_data(as_text=True)
    assert sum("FROM monthly_targets" in s for s in counter.statements) == 1
    assert "朝阳店" in html


def test_monthly_pdf_has_chinese_headings_numbers_and_an_embedded_cjk_font(world, login, tmp_path):
    _page, response = _generate_pdf(login(world.manager), month="2026-10")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    path = tmp_path / "m.pdf"
    path.write_bytes(response.data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True).stdout
    for heading in (
        "月度经营报告",
        "核心指标",
        "转化漏斗",
        "线索来源",
        "展厅客流与留存",
        "各邀约计划结果",
        "顾问排名与纪律",
        "战败分析",
        "DCC 指标",
        "朝阳店",
    ):
        assert heading in text, heading
    assert "第 1 页 / 共" in text or "第1页/共" in text.replace(" ", "")
    funnel_line = next(
        line for line in text.splitlines() if line.strip().startswith("报价谈判") and "%" in line
    )
    assert funnel_line.split()[1] == "1"
    assert "顾问三" not in text
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    assert any(
        ("WenQuanYi" in line or "NotoSansCJK" in line) and " yes " in line for line in fonts.splitlines()
    )
    pages = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    count = int(next(line for line in pages.splitlines() if line.startswith("Pages:")).split()[1])
    assert 3 <= count <= 20


def test_group_pdf_from_the_command_line(world, app, tmp_path):
    out = tmp_path / "group.pdf"
    result = app.test_cli_runner().invoke(
        args=["reports", "monthly", "--month", "2026-10", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    assert "集团整体" in text and "门店排名" in text and "海淀店" in text
    bad = app.test_cli_runner().invoke(args=["reports", "monthly", "--month", "2026-13", "--out", str(out)])
    assert bad.exit_code != 0


def test_monthly_pdf_shows_its_five_charts_in_order(world, app):
    """The report's HTML holds the five charts in order, each a data-URI image with its title as
    the alternative text."""
    import base64
    import re

    from app.reports.pdf import GroupViewer, render_monthly_html

    for store_id in (world.store_a.id, None):
        html = render_monthly_html(GroupViewer(), date(2026, 10, 1), store_id)
        images = re.findall(
            r'<img class="chart-img" src="data:image/svg\+xml;base64,([^"]+)" alt="([^"]+)">', html
        )
        svgs = "".join(base64.b64decode(data).decode() for data, _alt in images)
        shown = re.findall(r'class="chart ([a-z]+)" role="img" aria-label="([^"]*)"', svgs)
        assert shown == [
            ("funnel", "转化漏斗"),
            ("pie", "各来源新线索"),
            ("bar", "展厅客流"),
            ("line", "留存率趋势"),
            ("pie", "战败原因"),
        ]
        assert [alt for _data, alt in images] == [title for _kind, title in shown]
        assert svgs.count("<svg ") == 5 and "<svg" not in html


def test_the_monthly_rankings_discipline_figures_are_the_discipline_reports(world, app):
    """`ranking_figures` (overdue plans, expired opportunities and penalty without counting every
    open lead) gives each consultant the figures of the discipline report's row, 0 when it has none."""
    from dataclasses import replace

    from app.reports.builders.discipline import build_discipline, ranking_figures
    from app.reports.filters import ReportFilter
    from app.reports.pdf import GroupViewer
    from app.reports.rules import Period

    october = Period("month", date(2026, 10, 1), date(2026, 10, 31))
    checked = set()
    for viewer, stores in (
        (GroupViewer(), None),
        (GroupViewer(), (world.store_a.id,)),
        (world.manager, None),
    ):
        f = ReportFilter(user=viewer, period=october, tz="Asia/Shanghai", store_ids=stores)
        table = build_discipline(f)
        figures, notes = ranking_figures(f)
        assert notes == list(table.notes)
        rows = {r["key"]: r for r in table.rows if r["open_leads"] is not None}
        for key in set(rows) | set(figures):
            for name in ("overdue", "expired", "penalty"):
                assert figures.get(key, {}).get(name, 0) == rows.get(key, {}).get(name, 0), (key, name)
                checked.add(name) if rows.get(key, {}).get(name) else None
    assert checked == {"overdue", "expired", "penalty"}  # the world has each figure
    assert ranking_figures(replace(f, user=world.c1)) is None


def test_monthly_email_goes_to_directors_once(world, app, db):
    from app.messaging.models import Message
    from app.reports.jobs import email_monthly_report

    world.director.email = "boss@example.com"
    db.session.commit()
    assert email_monthly_report(datetime(2026, 11, 2, 2))["skipped"]
    first = email_monthly_report(datetime(2026, 10, 31, 17))  # 1 November in Shanghai
    db.session.commit()
    assert first == {"sent": 1, "month": "2026-10"}
    assert email_monthly_report(datetime(2026, 10, 31, 18)) == {"skipped": "already sent"}
    message = db.session.execute(select(Message)).scalar_one()
    from app.files.models import StoredFile

    stored = db.session.get(StoredFile, message.attachment_file_id)  # in the database, not on one disk
    assert message.to_address == "boss@example.com" and message.attachment_path is None
    assert stored.filename == "monthly-2026-10.pdf" and stored.content[:5] == b"%PDF-"


def test_printable_view_hides_navigation_and_controls(world, login):
    html = login(world.director).get(f"/reports/discipline?{OCTOBER}&print=1").get_data(as_text=True)
    assert "print-view" in html and "reports.css" in html
    from pathlib import Path

    css = (Path(__file__).resolve().parents[2] / "static/css/reports.css").read_text(encoding="utf-8")
    assert "@media print" in css and ".print-view .topbar" in css
    assert "顾问二" in html and "175" in html


def _table_cells(html: str) -> tuple[list[list[str]], list[str]]:
    """The body rows and the totals row of the page's report table, as cell texts."""
    import re

    table = html[html.index('<table class="report-table">') :]
    table = table[: table.index("</table>")]
    body, _, foot = table.partition("<tfoot>")

    def cells(row: str) -> list[str]:
        return [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]

    rows = [cells(r) for r in re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>")[1], re.S)]
    return rows, (cells(foot) if foot else [])


def test_activity_pages_its_rows_with_the_export_totals(world, login, monkeypatch):
    """The activity page shows a page of day × consultant rows; the Excel export has every row,
    and the totals under each page are the export's totals over the whole period."""
    from app.reports.builders import activity
    from app.reports.tables import fmt

    monkeypatch.setattr(activity, "PAGE_SIZE", 2)
    client = login(world.manager)
    first = client.get(f"/reports/activity?{OCTOBER}").get_data(as_text=True)
    second = client.htmx("GET", f"/reports/activity?{OCTOBER}&page=2").get_data(as_text=True)
    assert second.lstrip().startswith('<section id="report-body"')
    rows1, totals1 = _table_cells(first)
    rows2, totals2 = _table_cells(second)
    assert len(rows1) == len(rows2) == 2 and not set(map(tuple, rows1)) & set(map(tuple, rows2))
    assert 'data-hx-get="/reports/activity?' in first and "page=2" in first
    assert "page=1" in second  # the previous page, from the second

    ws = load_workbook(io.BytesIO(client.get(f"/reports/activity/export.xlsx?{OCTOBER}&page=2").data)).active
    values = [r for r in ws.iter_rows(values_only=True) if r and r[0]]
    header = next(i for i, r in enumerate(values) if r[0] == "日")
    exported = values[header + 1 : -1]
    assert len(exported) > 4 and values[-1][0] == "合计"

    def shown(row):
        return [str(row[0]), str(row[1]), *[fmt(v, "int") for v in row[2:]]]

    assert [shown(r) for r in exported[:4]] == rows1 + rows2
    assert totals1 == totals2 == ["合计", "", *[fmt(v, "int") for v in values[-1][2:]]]
    assert f"共 {len(exported)} 行" in first


def test_activity_past_the_last_page_keeps_the_totals(world, login, monkeypatch):
    from app.reports.builders import activity
    from app.reports.filters import build_filter

    monkeypatch.setattr(activity, "PAGE_SIZE", 2)
    f = build_filter(world.manager, {"period": "month", "date": "2026-10-15"})
    whole = activity.build_activity(f)
    past = activity.build_activity(f, page=999)
    assert past.rows == [] and past.total_rows == len(whole.rows) and past.totals == whole.totals
    pages = [activity.build_activity(f, page=p).rows for p in range(1, len(whole.rows) // 2 + 2)]
    assert [r for page in pages for r in page] == whole.rows


def _consultant_field(html: str) -> str:
    start = html.index('id="f-consultant-field"')
    return html[start : html.index("</div>", start)]


def test_the_consultant_filter_offers_the_chosen_store_s_consultants(world, login):
    """A store's manager picks among the store's consultants. The group picks a store first: the
    consultant filter waits for it (no list of every consultant of the group), then offers that
    store's consultants; an htmx answer brings the field again out of band, since the store may
    have changed."""
    manager = login(world.manager)
    field = _consultant_field(manager.get(f"/reports/funnel?{OCTOBER}").get_data(as_text=True))
    assert "顾问一" in field and "顾问二" in field and "顾问三" not in field and "disabled" not in field

    director = login(world.director)
    html = director.get(f"/reports/funnel?{OCTOBER}").get_data(as_text=True)
    field = _consultant_field(html)
    assert "disabled" in field and "先选择门店" in field and field.count("<option") == 1

    url = f"/reports/funnel?{OCTOBER}&store={world.store_b.id}"
    field = _consultant_field(director.get(url).get_data(as_text=True))
    assert "顾问三" in field and "顾问一" not in field and "disabled" not in field and "swap-oob" not in field

    fragment = director.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="report-body"')
    field = _consultant_field(fragment)
    assert 'data-hx-swap-oob="true"' in field and "顾问三" in field
    assert 'id="f-consultant-field"' not in manager.get(
        f"/reports/funnel?{OCTOBER}", headers={"HX-Request": "true"}
    ).get_data(as_text=True)


@pytest.mark.parametrize("key", ["daily", "followups", "prospects", "discipline"])
def test_per_consultant_reports_page_their_rows_and_export_every_row(
    world, login, monkeypatch, factory, db, key
):
    """The group's per-consultant reports (daily work, follow-up efficiency, prospects,
    discipline) show a page of consultants at a time (a group has a thousand); the totals under
    every page and the Excel export cover all of them."""
    from app.reports import tables
    from app.reports.catalog import BY_KEY
    from app.reports.filters import build_filter

    monkeypatch.setattr(tables, "PAGE_SIZE", 1)
    for owner, store in ((world.c1, world.store_a), (world.c2, world.store_a), (world.c3, world.store_b)):
        factory.lead(owner=owner, store=store)  # open work today for each consultant
    db.session.commit()
    f = build_filter(world.director, {"period": "month", "date": "2026-10-15"})
    whole = BY_KEY[key].build(f)
    assert len(whole.rows) >= 3 and whole.total_rows is None
    pages = [BY_KEY[key].build(f, page=p) for p in range(1, len(whole.rows) + 2)]
    assert [r for t in pages for r in t.rows] == whole.rows and pages[-1].rows == []
    assert all(t.totals == whole.totals and t.total_rows == len(whole.rows) for t in pages)

    client = login(world.director)
    query = "period=month&date=2026-10-15"
    first = client.get(f"/reports/{key}?{query}").get_data(as_text=True)
    second = client.htmx("GET", f"/reports/{key}?{query}&page=2").get_data(as_text=True)
    rows1, totals1 = _table_cells(first)
    rows2, totals2 = _table_cells(second)
    assert len(rows1) == len(rows2) == 1 and rows1 != rows2 and totals1 == totals2
    assert f"共 {len(whole.rows)} 行" in first and "page=2" in first
    ws = load_workbook(io.BytesIO(client.get(f"/reports/{key}/export.xlsx?{query}&page=2").data)).active
    names = {r[0] for r in ws.iter_rows(values_only=True) if r and r[0]}
    assert {r["label"] for r in whole.rows} <= names
