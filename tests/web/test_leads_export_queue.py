"""Exports above the row cap, once approved, are written by a queued task into the database: the
exports page polls its progress, the requester is notified, downloads the file once, and a task cut
off with its worker is queued again and finishes once."""

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.admin.models import Setting
from app.audit.models import AuditLog
from app.core.timeutil import today_for, utcnow
from app.files import generated as generated_files
from app.files.models import GeneratedFile, StoredFile
from app.followups.models import Notification
from app.leads import exports
from app.leads.filters import LeadFilter
from app.leads.models import ExportRequest
from tests.helpers_platform import poll_generated_file


def _rows(content: bytes) -> list[list]:
    wb = load_workbook(io.BytesIO(content))
    return [list(r) for r in wb.active.iter_rows(values_only=True)]


@pytest.fixture
def world(factory, db):
    db.session.get(Setting, "export_row_cap").value = 3
    store, other = factory.store(), factory.store()
    consultant = factory.user("consultant", store=store)
    manager = factory.user("manager", store=store, can_export=True)
    director = factory.user("director", can_export=True)
    marketing = factory.user("marketing", store=store, can_export=True)  # sees masked phones
    for i in range(6):
        factory.lead(owner=consultant, grade="H" if i % 2 else "A", name=f"客户{i}")
    factory.lead(owner=marketing, grade="H", name="自己的")  # its owner sees this phone in full
    factory.lead(owner=factory.user("consultant", store=other), grade="H", name="外店")
    db.session.commit()
    return {"store": store, "manager": manager, "director": director, "marketing": marketing}


def _approved(db, user, filters) -> ExportRequest:
    req = ExportRequest(user_id=user.id, kind="leads", filters=filters, row_count=4, status="approved")
    db.session.add(req)
    db.session.flush()
    return req


def _stored_content(db, generated_id) -> bytes:
    db.session.expire_all()
    generated = db.session.get(GeneratedFile, generated_id)
    return db.session.get(StoredFile, generated.file_id).content


def test_the_task_writes_what_the_immediate_export_writes(world, db, monkeypatch):
    requester = world["marketing"]
    flt = LeadFilter.from_args({"grade": ["H"]})
    req = _approved(db, requester, flt.to_args())
    generated = exports.start_generation(req)
    db.session.commit()
    assert generated.kind == "lead_export" and generated.status == "queued"
    monkeypatch.setattr(exports, "CHUNK", 1)  # a progress report after every row
    seen = []
    real = generated_files.set_progress
    monkeypatch.setattr(
        generated_files,
        "set_progress",
        lambda generated_id, **values: seen.append(values.get("progress")) or real(generated_id, **values),
    )

    from app.tasks import write_lead_export

    write_lead_export(generated.id)
    db.session.expire_all()
    done = db.session.get(GeneratedFile, generated.id)
    assert done.status == "done" and done.progress == 100 and done.step == "done" and done.error is None
    assert seen == sorted(seen) and seen[-1] == 95 and len(seen) >= 4  # rows written, then saving

    immediate = io.BytesIO()
    count = exports.write_xlsx(requester, flt, today_for(requester), immediate)
    stored = db.session.get(StoredFile, done.file_id)
    assert (stored.owner_type, stored.owner_id, stored.role) == ("export_request", req.id, "export")
    assert stored.size == len(stored.content) and stored.filename.endswith(".xlsx")
    written = _rows(stored.content)
    assert written == _rows(immediate.getvalue()) and len(written) == count + 1 == 5
    phones = {r[1]: r[3] for r in written[1:]}
    assert "*" not in phones["自己的"] and all("*" in p for n, p in phones.items() if n != "自己的")
    assert db.session.get(ExportRequest, req.id).row_count == 4
    # A second delivery of the task writes nothing again.
    assert exports.generate_export(generated.id) == "skipped"
    assert db.session.execute(select(func.count()).select_from(StoredFile)).scalar_one() == 1


def test_the_exports_page_shows_progress_then_a_single_download(world, db, factory, login, monkeypatch):
    manager, director = login(world["manager"]), login(world["director"])
    filed = manager.post("/leads/export", data={"grade": "H"})
    assert filed.status_code == 303
    req = db.session.execute(select(ExportRequest)).scalar_one()
    assert req.status == "pending"
    # The worker is not up yet: approving only queues the file.
    monkeypatch.setattr(generated_files, "enqueue", lambda generated, locale=None: None)
    assert director.post(f"/leads/exports/{req.id}/decide", data={"decision": "approve"}).status_code == 303
    generated = db.session.execute(select(GeneratedFile)).scalar_one()
    assert generated.status == "queued" and generated.user_id == world["manager"].id

    page = manager.get("/leads/exports").get_data(as_text=True)
    assert f'id="export-file-{req.id}"' in page and 'data-generated-status="queued"' in page
    assert f'data-hx-get="/leads/exports/{req.id}/file"' in page and 'data-hx-trigger="every 1s"' in page
    assert f"/leads/exports/{req.id}/download" not in page
    assert manager.post(f"/leads/exports/{req.id}/download").status_code == 409  # not written yet
    assert manager.get(f"/leads/exports/{req.id}/file").status_code == 302  # a reload goes to the page

    seen = []
    monkeypatch.setattr(exports, "CHUNK", 2)
    real = exports.write_xlsx

    def polling_write(user, flt, today, fileobj, progress=None):
        def report(n):
            progress(n)
            seen.append(manager.htmx("GET", f"/leads/exports/{req.id}/file").get_data(as_text=True))

        return real(user, flt, today, fileobj, progress=report)

    monkeypatch.setattr(exports, "write_xlsx", polling_write)
    from app.tasks import write_lead_export

    write_lead_export(generated.id)  # a worker (on any machine) picks it up later
    assert seen and "<html" not in seen[0] and 'data-generated-status="running"' in seen[0]
    assert "every 1s" in seen[0] and 'value="47"' in seen[0] and "47%" in seen[0]
    done = manager.htmx("GET", f"/leads/exports/{req.id}/file").get_data(as_text=True)
    assert "every 1s" not in done and f'method="post" action="/leads/exports/{req.id}/download"' in done
    note = db.session.execute(
        select(Notification).where(
            Notification.user_id == world["manager"].id, Notification.kind == "export_ready"
        )
    ).scalar_one()
    assert note.endpoint == "leads.list_exports" and note.args is None

    # Nobody else reads it, not even the director who approved it.
    colleague = factory.user("manager", store=world["store"], can_export=True)
    db.session.commit()
    for client in (director, login(colleague)):
        assert client.htmx("GET", f"/leads/exports/{req.id}/file").status_code == 404
        assert client.post(f"/leads/exports/{req.id}/download").status_code == 404
        assert client.post(f"/leads/exports/{req.id}/prepare").status_code == 404

    # The monthly report's pages do not serve it either (only the exports page, once).
    assert manager.get(f"/reports/files/{generated.id}").status_code == 404
    assert manager.get(f"/reports/files/{generated.id}/download").status_code == 404
    download = manager.post(f"/leads/exports/{req.id}/download")
    assert download.status_code == 200 and download.mimetype.endswith("spreadsheetml.sheet")
    rows = _rows(download.data)
    assert len(rows) == 5 and {r[1] for r in rows[1:]} == {"客户1", "客户3", "客户5", "自己的"}
    assert manager.post(f"/leads/exports/{req.id}/download").status_code == 409  # single use
    db.session.expire_all()
    assert db.session.get(ExportRequest, req.id).status == "done"
    assert db.session.execute(select(func.count()).select_from(StoredFile)).scalar_one() == 0
    audit = db.session.execute(select(AuditLog).where(AuditLog.action == "lead.export")).scalar_one()
    assert audit.user_id == world["manager"].id and audit.detail == {"filters": {"grade": ["H"]}, "rows": 4}
    page = manager.get("/leads/exports").get_data(as_text=True)
    assert f'id="export-file-{req.id}"' not in page and "已下载" in page


def test_a_failed_file_can_be_written_again(world, db, login, monkeypatch):
    manager = login(world["manager"])
    req = _approved(db, world["manager"], {})
    generated = exports.start_generation(req)
    db.session.commit()
    file_id = generated.file_id

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(exports, "write_xlsx", broken)
    assert exports.generate_export(generated.id) == "failed"
    page = manager.get("/leads/exports").get_data(as_text=True)
    assert 'data-generated-status="failed"' in page and f"/leads/exports/{req.id}/prepare" in page
    assert manager.post(f"/leads/exports/{req.id}/download").status_code == 409
    monkeypatch.undo()
    assert manager.post(f"/leads/exports/{req.id}/prepare").status_code == 303
    db.session.expire_all()
    again = db.session.execute(select(GeneratedFile)).scalar_one()
    assert again.status == "done" and again.file_id == file_id
    assert manager.post(f"/leads/exports/{req.id}/download").status_code == 200


def test_a_requester_who_lost_the_export_right_gets_no_file(world, db):
    req = _approved(db, world["manager"], {})
    generated = exports.start_generation(req)
    world["manager"].can_export = False
    db.session.commit()
    assert exports.generate_export(generated.id) == "failed"
    db.session.expire_all()
    assert db.session.get(StoredFile, generated.file_id).size == 0


class WorkerKilled(BaseException):
    """The worker's process goes away in the middle of the file (nothing in the task catches it)."""


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # openpyxl left mid-sheet
def test_a_file_cut_off_with_its_worker_is_queued_again_and_written_once(world, db, monkeypatch):
    from app import tasks

    req = _approved(db, world["manager"], {})
    generated = exports.start_generation(req)
    db.session.commit()
    monkeypatch.setattr(exports, "CHUNK", 2)
    real = exports.write_xlsx

    def dying_write(user, flt, today, fileobj, progress=None):
        def report(n):
            progress(n)
            raise WorkerKilled

        return real(user, flt, today, fileobj, progress=report)

    monkeypatch.setattr(exports, "write_xlsx", dying_write)
    with pytest.raises(WorkerKilled):
        tasks.write_lead_export(generated.id)
    db.session.expire_all()
    cut = db.session.get(GeneratedFile, generated.id)
    assert cut.status == "running" and 5 < cut.progress < 95
    assert db.session.get(StoredFile, cut.file_id).size == 0  # nothing of it was kept
    db.session.commit()

    monkeypatch.setattr(exports, "write_xlsx", real)
    assert tasks.resume_interrupted_work() == 1  # what `flask worker` does before it consumes
    db.session.expire_all()
    done = db.session.get(GeneratedFile, generated.id)
    assert done.status == "done" and done.progress == 100
    assert len(_rows(_stored_content(db, generated.id))) == 8
    db.session.commit()
    assert tasks.resume_interrupted_work() == 0
    assert exports.generate_export(generated.id) == "skipped"
    notes = (
        db.session.execute(select(Notification).where(Notification.kind == "export_ready")).scalars().all()
    )
    assert len(notes) == 1


def test_the_periodic_job_resumes_or_fails_files_nobody_makes(world, db):
    """On PostgreSQL the row's lock tells that nobody makes it, so the periodic job queues it again;
    on SQLite only a starting worker may. After an hour a file still cut off fails."""
    req = _approved(db, world["manager"], {})
    generated = exports.start_generation(req)
    generated.status, generated.step, generated.progress = "running", "writing", 40
    db.session.commit()
    now = utcnow()
    result = generated_files.resume_interrupted(now + timedelta(minutes=2))
    db.session.expire_all()
    if db.engine.dialect.name == "postgresql":
        assert result == {"resumed": 1, "interrupted": 0}
        assert db.session.get(GeneratedFile, generated.id).status == "done"
        return
    assert result == {"resumed": 0, "interrupted": 0}
    assert db.session.get(GeneratedFile, generated.id).status == "running"
    db.session.commit()
    assert generated_files.resume_interrupted(now + timedelta(hours=2)) == {"resumed": 0, "interrupted": 1}
    db.session.expire_all()
    assert db.session.get(GeneratedFile, generated.id).status == "failed"


@pytest.mark.postgres_only
def test_a_file_being_made_is_not_queued_again(world, db):
    """A runner holds the row's advisory lock from its claim to its last commit."""
    from sqlalchemy import text

    req = _approved(db, world["manager"], {})
    generated = exports.start_generation(req)
    generated.status = "running"
    db.session.commit()
    with db.engine.connect() as runner:
        runner.execute(
            text("SELECT pg_advisory_lock(:lock, :id)"),
            {"lock": generated_files.FILE_LOCK, "id": generated.id},
        )
        assert generated_files.resume_interrupted(utcnow() + timedelta(minutes=5), starting=True) == {
            "resumed": 0,
            "interrupted": 0,
        }
        assert exports.generate_export(generated.id) == "skipped"
        runner.execute(
            text("SELECT pg_advisory_unlock(:lock, :id)"),
            {"lock": generated_files.FILE_LOCK, "id": generated.id},
        )
        runner.commit()
    db.session.expire_all()
    assert db.session.get(GeneratedFile, generated.id).status == "running"


def test_a_real_consumer_writes_the_export_while_the_page_polls(world, db, login, huey_consumer):
    manager, director = login(world["manager"]), login(world["director"])
    assert manager.post("/leads/export").status_code == 303
    req = db.session.execute(select(ExportRequest)).scalar_one()
    assert director.post(f"/leads/exports/{req.id}/decide", data={"decision": "approve"}).status_code == 303
    statuses = poll_generated_file(manager, f"/leads/exports/{req.id}/file")
    assert statuses[-1] == "done"
    download = manager.post(f"/leads/exports/{req.id}/download")
    assert download.status_code == 200 and len(_rows(download.data)) == 8
