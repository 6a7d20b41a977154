"""The monthly PDF as a queued task: progress polled by htmx, file kept in the database, download
only for the person who asked (within their store), a notification when it is ready."""

import pytest
from sqlalchemy import select

from app.files.models import GeneratedFile, StoredFile
from app.followups.models import Notification
from tests.helpers_platform import poll_generated_file
from tests.helpers_reports import build_world


@pytest.fixture
def world(factory, db):
    return build_world(factory, db)


def _request(client, **form):
    response = client.post("/reports/monthly", data=form)
    assert response.status_code == 303
    return response.headers["Location"]


def test_a_director_generates_a_store_report_downloads_it_and_is_notified(world, login, db):
    director = login(world.director)
    page_url = _request(director, month="2026-10", store=world.store_b.id)
    generated = db.session.execute(select(GeneratedFile)).scalar_one()
    assert generated.status == "done" and generated.progress == 100 and generated.store_id == world.store_b.id
    page = director.get(page_url).get_data(as_text=True)
    assert 'data-generated-status="done"' in page and f"/reports/files/{generated.id}/download" in page
    download = director.get(f"{page_url}/download")
    assert download.status_code == 200 and download.data[:5] == b"%PDF-"
    assert download.headers["Content-Disposition"].endswith(f"monthly-2026-10-{world.store_b.id}.pdf")
    stored = db.session.get(StoredFile, generated.file_id)
    assert stored.owner_type == "generated_file" and stored.size == len(download.data)
    note = db.session.execute(
        select(Notification).where(Notification.user_id == world.director.id)
    ).scalar_one()
    assert (
        note.kind == "report_ready"
        and note.endpoint == "reports.generated_file"
        and note.args == {"generated_id": generated.id}
        and "2026-10" in note.title
    )


def test_a_manager_gets_their_own_store_and_nobody_else_sees_the_file(world, login, login_as, db):
    manager = login(world.manager)
    page_url = _request(manager, month="2026-10", store=world.store_b.id)  # a store not theirs: ignored
    generated = db.session.execute(select(GeneratedFile)).scalar_one()
    assert generated.store_id == world.manager.store_id
    for other in (login(world.director), login_as("manager", world.store_a), login(world.c1)):
        assert other.get(page_url).status_code in (403, 404)
        assert other.get(f"{page_url}/download").status_code in (403, 404)
    assert manager.get(f"{page_url}/download").status_code == 200


def test_progress_is_visible_to_the_poll_while_the_task_runs(world, login, db, monkeypatch):
    from app.reports import generate

    seen = []

    def slow_pdf(user, month, store_id, progress):
        progress(40)
        seen.append(poller.htmx("GET", f"/reports/files/{generated_id}?poll=1").get_data(as_text=True))
        progress(80)
        seen.append(poller.htmx("GET", f"/reports/files/{generated_id}?poll=1").get_data(as_text=True))
        return b"%PDF-1.7 test"

    monkeypatch.setattr("app.reports.pdf.monthly_report_pdf", slow_pdf)
    monkeypatch.setattr(generate, "enqueue", lambda generated, locale=None: None)  # the worker is not up yet
    poller = login(world.manager)
    page_url = _request(poller, month="2026-10")
    generated_id = int(page_url.rsplit("/", 1)[1])
    waiting = poller.htmx("GET", f"{page_url}?poll=1").get_data(as_text=True)
    assert (
        "<html" not in waiting
        and 'data-hx-trigger="every 1s"' in waiting
        and 'data-generated-status="queued"' in waiting
    )

    # A worker (on any machine) picks the queued job up later, e.g. after the web server restarted.
    from app.tasks import render_monthly_report

    render_monthly_report(generated_id)
    assert 'value="40"' in seen[0] and "40%" in seen[0]
    assert 'value="80"' in seen[1] and "every 1s" in seen[1]
    done = poller.htmx("GET", f"{page_url}?poll=1").get_data(as_text=True)
    assert "every 1s" not in done and f"/reports/files/{generated_id}/download" in done
    assert poller.get(f"{page_url}/download").data == b"%PDF-1.7 test"
    render_monthly_report(generated_id)  # a second delivery of the task renders nothing again
    assert db.session.execute(select(StoredFile.id)).scalars().all() == [
        db.session.get(GeneratedFile, generated_id).file_id
    ]


def test_a_failed_render_says_so(world, login, db, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("font missing")

    monkeypatch.setattr("app.reports.pdf.monthly_report_pdf", broken)
    client = login(world.manager)
    page_url = _request(client, month="2026-10")
    generated = db.session.execute(select(GeneratedFile)).scalar_one()
    assert generated.status == "failed" and "font missing" in generated.error
    assert 'data-generated-status="failed"' in client.get(page_url).get_data(as_text=True)
    assert client.get(f"{page_url}/download").status_code == 404


def test_a_real_consumer_renders_the_report_while_the_page_polls(world, login, db, huey_consumer):
    client = login(world.director)
    page_url = _request(client, month="2026-10")
    statuses = poll_generated_file(client, f"{page_url}?poll=1")
    assert statuses[0] in ("queued", "running") and statuses[-1] == "done"
    assert client.get(f"{page_url}/download").data[:5] == b"%PDF-"
