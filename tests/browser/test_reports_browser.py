"""The reports hub in a real browser: filter change, charts visible, Excel and PDF downloads."""

import io
import re

import pytest
from openpyxl import load_workbook

from tests.helpers_reports import build_world


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "zh-CN", "accept_downloads": True}


@pytest.mark.browser
def test_manager_filters_a_report_and_downloads_excel_and_pdf(
    page, live_server, browser_login, factory, db, tmp_path, huey_consumer
):
    world = build_world(factory, db)
    browser_login(page, world.manager)
    page.goto(f"{live_server}/reports/")
    page.get_by_role("link", name="转化漏斗").click()
    page.wait_for_url(re.compile(r".*/reports/funnel.*"))
    page.fill("input[name=date]", "2026-10-15")
    page.select_option("select[name=period]", "month")
    page.select_option("select[name=by]", "consultant")
    page.wait_for_url(re.compile(r".*by=consultant.*"))
    body = page.locator("#report-body")
    body.get_by_text("顾问一").first.wait_for()
    assert "顾问二" in body.inner_text()
    chart = page.locator("#report-body img.chart-img").first
    chart.wait_for()
    assert page.evaluate("(img) => img.complete && img.naturalWidth > 0", chart.element_handle())

    with page.expect_download() as excel_info:
        page.get_by_role("link", name="下载 Excel").click()
    excel_path = tmp_path / "funnel.xlsx"
    excel_info.value.save_as(excel_path)
    ws = load_workbook(io.BytesIO(excel_path.read_bytes())).active
    names = [r[0] for r in ws.iter_rows(values_only=True)]
    assert "顾问一" in names and "顾问二" in names

    page.goto(f"{live_server}/reports/")
    page.fill("input[name=month]", "2026-10")
    page.get_by_role("button", name="生成 PDF").click()  # queued; a worker renders it
    page.wait_for_url(re.compile(r".*/reports/files/\d+$"))
    link = page.get_by_role("link", name="下载 PDF")
    link.wait_for(timeout=60_000)  # the progress block is polled until the file is ready
    with page.expect_download() as pdf_info:
        link.click()
    pdf_path = tmp_path / "monthly.pdf"
    pdf_info.value.save_as(pdf_path)
    assert pdf_path.read_bytes()[:5] == b"%PDF-"


@pytest.mark.browser
def test_activity_report_pages_in_place_with_the_same_totals(
    page, live_server, browser_login, factory, db, monkeypatch
):
    """The activity table shows a page of rows; "next page" swaps the report body (htmx), pushes
    the page into the address bar and keeps the totals of the whole period."""
    from app.reports.builders import activity

    monkeypatch.setattr(activity, "PAGE_SIZE", 2)
    world = build_world(factory, db)
    browser_login(page, world.manager)
    page.goto(f"{live_server}/reports/activity?period=month&date=2026-10-15")
    body = page.locator("#report-body")
    first_rows = body.locator("tbody tr").all_inner_texts()
    totals = body.locator("tfoot tr").inner_text()
    assert len(first_rows) == 2
    page.evaluate("() => { window.stayed = true; }")  # gone if the whole page were loaded again
    page.get_by_role("link", name="下一页").click()
    page.wait_for_url(re.compile(r".*page=2.*"))
    body.locator("a", has_text="上一页").wait_for()
    second_rows = body.locator("tbody tr").all_inner_texts()
    assert len(second_rows) == 2 and not set(first_rows) & set(second_rows)
    assert body.locator("tfoot tr").inner_text() == totals
    assert page.evaluate("() => window.stayed === true")


@pytest.mark.browser
def test_director_picks_a_store_then_one_of_its_consultants(page, live_server, browser_login, factory, db):
    """The group's consultant filter waits for a store; choosing one swaps the report and brings
    that store's consultants into the filter in the same answer; choosing one of them filters."""
    world = build_world(factory, db)
    browser_login(page, world.director)
    page.goto(f"{live_server}/reports/funnel?period=month&date=2026-10-15")
    consultant = page.locator("select[name=consultant]")
    assert consultant.is_disabled()
    assert "先选择门店" in page.locator("#f-consultant-field").inner_text()
    page.select_option("select[name=store]", label="海淀店")
    page.wait_for_url(re.compile(rf".*store={world.store_b.id}.*"))
    page.wait_for_function("() => !document.querySelector('select[name=consultant]').disabled")
    options = consultant.locator("option").all_inner_texts()
    assert "顾问三" in options and "顾问一" not in options
    page.select_option("select[name=consultant]", label="顾问三")
    page.wait_for_url(re.compile(rf".*consultant={world.c3.id}.*"))
    page.locator("#report-body").wait_for()
    assert consultant.input_value() == str(world.c3.id)
