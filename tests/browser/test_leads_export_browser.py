"""An export above the row cap in a real browser: the manager asks, a director approves, a worker
writes the file while the exports page polls its progress, and the manager downloads it once."""

import io
import re

import pytest
from openpyxl import load_workbook

from app.admin.models import Setting
from app.leads.models import ExportRequest


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "zh-CN", "accept_downloads": True}


@pytest.mark.browser
def test_manager_downloads_an_approved_export_written_by_the_worker(
    page, live_server, browser_login, login, factory, db, tmp_path, huey_consumer
):
    db.session.get(Setting, "export_row_cap").value = 2
    store = factory.store()
    manager = factory.user("manager", store=store, can_export=True)
    director = factory.user("director", can_export=True)
    for i in range(5):
        factory.lead(store=store, name=f"导出客户{i}")
    db.session.commit()

    browser_login(page, manager)
    page.goto(f"{live_server}/leads")
    page.locator("#export-link").click()  # above the cap: filed for a director
    page.wait_for_url(re.compile(r".*/leads/exports$"))
    req = db.session.query(ExportRequest).one()
    approve = login(director).post(f"/leads/exports/{req.id}/decide", data={"decision": "approve"})
    assert approve.status_code == 303  # queued: the worker writes the file

    page.goto(f"{live_server}/leads/exports")
    button = page.locator(f"#export-file-{req.id}").get_by_role("button", name="下载")
    button.wait_for(timeout=60_000)  # the progress is polled until the file is ready
    with page.expect_download() as info:
        button.click()
    path = tmp_path / "leads.xlsx"
    info.value.save_as(path)
    rows = list(load_workbook(io.BytesIO(path.read_bytes())).active.iter_rows(values_only=True))
    assert len(rows) == 6 and {r[1] for r in rows[1:]} == {f"导出客户{i}" for i in range(5)}
    page.goto(f"{live_server}/leads/exports")
    assert page.locator(f"#export-file-{req.id}").count() == 0  # used up
