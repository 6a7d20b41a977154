"""Lead import end to end: recognition, errors, encodings, duplicates, all-or-nothing, caps, result file."""

import csv
import io
import re
import zipfile
from datetime import datetime

import pytest
from sqlalchemy import func, select

from app.admin.reference import channel_by_code, grade_by_code
from app.leads.models import ImportJob, Lead, LeadTouch
from tests.helpers_intake import HEADER, csv_bytes, lead_row, run_import, upload, xlsx_bytes


@pytest.fixture
def store(factory, db):
    s = factory.store("BJ01")
    db.session.commit()
    return s


@pytest.fixture
def manager(login_as, store):
    return login_as("manager", store)


def _count(db, model=Lead):
    return db.session.execute(select(func.count()).select_from(model)).scalar()


def _job(db, job_id) -> ImportJob:
    db.session.expire_all()
    return db.session.get(ImportJob, job_id)


def _result_rows(client, job_id):
    body = client.get(f"/leads/import/{job_id}/result.csv").get_data().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_utf8_bom_csv_imports_leads_into_the_pool(manager, db, store):
    rows = [
        lead_row(),
        lead_row(name="李四", phone="139-0000-1111", gender="女", channel="展厅到店", grade="B"),
    ]
    job_id = run_import(manager, csv_bytes(rows))
    job = _job(db, job_id)
    assert job.status == "done" and job.ok_rows == 2 and job.error_rows == 0
    leads = {lead.name: lead for lead in db.session.execute(select(Lead)).scalars()}
    assert leads["张三"].phone == "+8613800138000" and leads["张三"].grade_id == grade_by_code("H").id
    assert leads["张三"].source_channel_id == channel_by_code("website").id and leads["张三"].owner_id is None
    assert leads["李四"].gender == "female" and leads["李四"].store_id == store.id
    assert _count(db, LeadTouch) == 2


def test_gbk_csv_with_full_width_digits_imports(manager, db):
    rows = [lead_row(phone="１３８００１３８０００", name="王五")]
    job_id = run_import(manager, csv_bytes(rows, encoding="gbk"))
    assert _job(db, job_id).ok_rows == 1
    assert db.session.execute(select(Lead.name)).scalar() == "王五"


def test_xlsx_with_float_phone_apostrophe_and_excel_dates(manager, db):
    rows = [
        lead_row(phone=13800138000.0, date=46100),
        lead_row(name="李四", phone="'13900001111", date=datetime(2026, 6, 1)),
    ]
    job_id = run_import(manager, xlsx_bytes(rows), filename="leads.xlsx")
    assert _job(db, job_id).ok_rows == 2
    phones = set(db.session.execute(select(Lead.phone)).scalars())
    assert phones == {"+8613800138000", "+8613900001111"}


def test_each_error_kind_is_reported_per_row_and_in_the_result_file(manager, db, factory, store):
    factory.lead(store=store, phone="+8613700000000")
    db.session.commit()
    rows = [
        lead_row(phone="12345"),  # bad phone
        lead_row(phone="13811110001", name=""),  # missing name
        lead_row(phone="13811110002", channel="飞鸽传书"),  # unknown channel
        lead_row(phone="13811110003", model="拖拉机"),  # unknown model
        lead_row(phone="13811110004", grade="Z"),  # unknown grade
        lead_row(phone="13811110005"),
        lead_row(phone="13811110005", name="重复"),  # duplicate inside the file
        lead_row(phone="13700000000", name="老客户"),  # duplicate of an existing customer
    ]
    job_id = run_import(manager, csv_bytes(rows), commit=False)
    page = manager.get(f"/leads/import/{job_id}").get_data(as_text=True)
    for code in (
        "bad_phone",
        "missing",
        "unknown_channel",
        "unknown_model",
        "unknown_grade",
        "duplicate_in_file",
    ):
        assert f'data-error="{code}"' in page, code
    assert 'name="dup_9"' in page  # the existing customer's row asks skip or update
    manager.post(f"/leads/import/{job_id}/commit", data={"default": "skip"})
    job = _job(db, job_id)
    assert job.ok_rows == 1 and job.error_rows == 7 and job.updated_rows == 0
    result = _result_rows(manager, job_id)
    assert result[0][:2] == ["row", "reason"] and result[0][2:] == HEADER
    assert sorted(int(r[0]) for r in result[1:]) == [2, 3, 4, 5, 6, 8, 9]
    assert all(r[1] for r in result[1:])


def test_duplicate_update_changes_existing_lead_and_records_touch(manager, db, factory, store):
    old = factory.lead(store=store, phone="+8613700000000", grade="C", channel="walk_in")
    db.session.commit()
    rows = [lead_row(phone="13700000000", grade="H", notes="想要白色"), lead_row(phone="13700000001")]
    job_id = run_import(manager, csv_bytes(rows), commit=False)
    manager.post(f"/leads/import/{job_id}/commit", data={"default": "skip", "dup_2": "update"})
    job = _job(db, job_id)
    assert (job.ok_rows, job.updated_rows, job.error_rows) == (1, 1, 0)
    lead = db.session.get(Lead, old.id)
    assert lead.grade_id == grade_by_code("H").id and "想要白色" in lead.notes and lead.version == 2
    assert db.session.execute(select(LeadTouch).where(LeadTouch.lead_id == old.id)).scalar_one()


def test_duplicate_skip_leaves_existing_lead(manager, db, factory, store):
    old = factory.lead(store=store, phone="+8613700000000", grade="C")
    db.session.commit()
    job_id = run_import(manager, csv_bytes([lead_row(phone="13700000000", grade="H")]), default="skip")
    assert _job(db, job_id).error_rows == 1
    assert db.session.get(Lead, old.id).grade_id == grade_by_code("C").id


def test_customer_of_another_store_is_rejected_not_updated(manager, db, factory):
    other = factory.store("SH01")
    factory.lead(store=other, phone="+8613700000000", grade="C")
    db.session.commit()
    job_id = run_import(manager, csv_bytes([lead_row(phone="13700000000")]), default="update")
    job = _job(db, job_id)
    assert job.updated_rows == 0 and job.error_rows == 1


def test_crash_mid_commit_leaves_database_unchanged(manager, db, monkeypatch):
    from app.leads.importing import commit as commit_module

    monkeypatch.setattr(commit_module, "CHUNK", 2)
    real_insert = commit_module._insert_leads
    calls = {"n": 0}

    def failing_insert(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return real_insert(*args, **kwargs)

    monkeypatch.setattr(commit_module, "_insert_leads", failing_insert)
    rows = [lead_row(phone=f"1381111000{i}") for i in range(6)]
    job_id = run_import(manager, csv_bytes(rows))
    assert calls["n"] == 2
    job = _job(db, job_id)
    assert job.status == "failed"
    assert _count(db) == 0 and _count(db, LeadTouch) == 0
    assert manager.get(f"/leads/import/{job_id}").status_code == 200


def test_missing_mandatory_column_is_refused_at_mapping(manager, db):
    response = upload(manager, csv_bytes([["张三", "13800138000"]], header=["姓名", "电话"]))
    job_id = int(response.headers["Location"].split("/")[-2])
    response = manager.post(f"/leads/import/{job_id}/mapping", data={"col0": "name", "col1": "phone"})
    assert response.status_code == 422
    assert _job(db, job_id).status == "uploaded"


def test_result_file_neutralises_formulas_and_offers_xlsx(manager, db):
    job_id = run_import(manager, csv_bytes([lead_row(name="=HYPERLINK(1)", phone="bad")]))
    result = _result_rows(manager, job_id)
    assert result[1][2] == "'=HYPERLINK(1)"
    response = manager.get(f"/leads/import/{job_id}/result.xlsx")
    assert response.status_code == 200 and response.data[:2] == b"PK"


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_macro_workbook_is_refused(manager, db):
    data = _zip(
        {
            "[Content_Types].xml": b"<Types>application/vnd.ms-excel.sheet.macroEnabled.main+xml</Types>",
            "xl/workbook.xml": b"<workbook/>",
            "xl/vbaProject.bin": b"\x00" * 100,
        }
    )
    response = upload(manager, data, filename="leads.xlsx")
    assert response.status_code == 422 and _count(db, ImportJob) == 0


def test_zip_bomb_is_refused_before_openpyxl(manager, db, monkeypatch):
    import openpyxl

    def boom(*a, **k):
        raise AssertionError("openpyxl must not open a bomb")

    monkeypatch.setattr(openpyxl, "load_workbook", boom)
    data = _zip(
        {
            "[Content_Types].xml": b"<Types/>",
            "xl/workbook.xml": b"<workbook/>",
            "xl/worksheets/sheet1.xml": b"\x00" * (3 * 1024 * 1024),
        }
    )
    response = upload(manager, data, filename="leads.xlsx")
    assert response.status_code == 422 and _count(db, ImportJob) == 0


def test_binary_file_with_csv_name_is_refused(manager, db):
    assert upload(manager, b"\x00\x01\x02binary" * 50, filename="leads.csv").status_code == 422


def test_row_cap(manager, db, monkeypatch):
    from app.leads.importing import parse

    monkeypatch.setattr(parse, "MAX_ROWS", 3)
    rows = [lead_row(phone=f"1381111000{i}") for i in range(5)]
    job_id = run_import(manager, csv_bytes(rows), commit=False)
    assert _job(db, job_id).status == "failed" and _count(db) == 0


def test_file_size_cap(app, manager):
    app.config["MAX_CONTENT_LENGTH"], old = 1000, app.config["MAX_CONTENT_LENGTH"]
    try:
        assert upload(manager, b"a" * 5000).status_code == 413
    finally:
        app.config["MAX_CONTENT_LENGTH"] = old


def test_uploads_are_stored_in_the_database_and_removed_after_import(app, manager, db):
    """Every app server and worker reads the upload from the database, never from one machine's disk."""
    from pathlib import Path

    from app.files.models import StoredFile

    def roles():
        return sorted(
            db.session.execute(
                select(StoredFile.role).where(
                    StoredFile.owner_type == "import_job", StoredFile.owner_id == job_id
                )
            ).scalars()
        )

    data = csv_bytes([lead_row(), lead_row(phone="123")])
    job_id = run_import(manager, data, commit=False)
    assert roles() == ["preview", "upload"]
    upload_row = db.session.execute(select(StoredFile).where(StoredFile.role == "upload")).scalar_one()
    assert upload_row.content == data and upload_row.owner_id == job_id
    assert not Path(_job(db, job_id).stored_path).is_absolute()
    assert not (Path(app.config["INSTANCE_DIR"]) / "imports").exists()
    manager.post(f"/leads/import/{job_id}/commit", data={"default": "skip"})
    assert roles() == ["result"]  # personal data no longer than needed: only the rejected rows stay
    rejected = manager.get(f"/leads/import/{job_id}/result.csv")
    assert rejected.status_code == 200 and "123" in rejected.get_data(as_text=True)


@pytest.mark.parametrize("role", ["consultant", "clerk", "dcc"])
def test_roles_without_import_right_are_forbidden(login_as, store, role):
    client = login_as(role, store)
    assert client.get("/leads/import").status_code == 403
    assert upload(client, csv_bytes([lead_row()])).status_code == 403


def test_other_users_job_is_404(manager, login_as, store, db):
    job_id = run_import(manager, csv_bytes([lead_row()]), commit=False)
    other = login_as("manager", store)
    assert other.get(f"/leads/import/{job_id}").status_code == 404
    assert other.post(f"/leads/import/{job_id}/commit").status_code == 404


def test_anonymous_goes_to_login(client):
    assert client.get("/leads/import").status_code == 302


def test_director_picks_the_store(login_as, db, store):
    director = login_as("director")
    job_id = run_import(director, csv_bytes([lead_row()]), store_id=store.id)
    assert _job(db, job_id).ok_rows == 1
    assert db.session.execute(select(Lead.store_id)).scalar() == store.id


def test_name_and_content_must_agree_and_xlsm_name_is_refused(manager, db):
    assert upload(manager, csv_bytes([lead_row()]), filename="leads.xlsx").status_code == 422
    assert upload(manager, xlsx_bytes([lead_row()]), filename="leads.csv").status_code == 422
    assert upload(manager, xlsx_bytes([lead_row()]), filename="leads.xlsm").status_code == 422
    assert upload(manager, csv_bytes([lead_row()]), filename="leads.exe").status_code == 422
    assert _count(db, ImportJob) == 0


def test_random_csv_content_never_causes_a_server_error(manager, db):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    cell = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(rows=st.lists(st.lists(cell, min_size=0, max_size=10), max_size=6), raw=st.binary(max_size=200))
    def check(rows, raw):
        for data in (csv_bytes(rows), raw):
            response = upload(manager, data)
            assert response.status_code in (303, 422)
            if response.status_code == 303:
                job_id = int(response.headers["Location"].split("/")[-2])
                mapped = {
                    f"col{i}": key
                    for i, key in enumerate(
                        ["name", "phone", "gender", "channel", "model", "grade", "expected_date"]
                    )
                }
                assert manager.post(f"/leads/import/{job_id}/mapping", data=mapped).status_code in (303, 422)
                assert manager.get(f"/leads/import/{job_id}").status_code == 200
                manager.post(f"/leads/import/{job_id}/commit", data={"default": "update"})
                assert manager.get(f"/leads/import/{job_id}").status_code == 200

    check()


def test_background_import_reports_progress_to_htmx_poll(app, manager, db, huey_consumer):
    """Analysis and commit run in a real consumer's worker threads; the page polls the job."""
    import time

    rows = [lead_row(phone=f"1381111{i:04d}", name=f"客户{i}") for i in range(300)]
    job_id = run_import(manager, csv_bytes(rows), commit=False)

    def wait_for(status):
        for _ in range(600):
            reached = _job(db, job_id).status == status
            response = manager.htmx("get", f"/leads/import/{job_id}?poll=1")
            assert response.status_code == 200 and "<html" not in response.get_data(as_text=True)
            if reached:
                return response.get_data(as_text=True)
            time.sleep(0.1)
        raise AssertionError(
            f"import did not reach {status}: {_job(db, job_id).status} {(_job(db, job_id).decisions or {}).get('failure')}"
        )

    page = wait_for("validated")
    assert "data-import-summary" in page and _job(db, job_id).processed_rows == 300
    manager.post(f"/leads/import/{job_id}/commit", data={"default": "skip"})
    assert "data-import-done" in wait_for("done")
    assert _count(db) == 300


def test_an_import_cut_off_by_a_restart_fails_with_a_message_and_can_run_again(manager, db, monkeypatch):
    """The step never ran and could not be queued again: the job would say "saving…" for ever. The
    periodic jobs mark it failed after a while (nothing was saved), and the user runs it again."""
    from datetime import timedelta

    from app.core.timeutil import utcnow
    from app.jobs import run_all
    from app.leads.importing import jobs as import_jobs
    from app.leads.importing import views as import_views

    monkeypatch.setattr(import_views, "start", lambda func, job_id, user_id: None)  # the task never ran
    monkeypatch.setattr(import_jobs, "resume_step", lambda job: None)  # nor ran again
    job_id = run_import(manager, csv_bytes([lead_row()]), commit=False)
    assert _job(db, job_id).status == "validating"
    now = utcnow()
    assert (
        run_all(now + timedelta(minutes=5), only="interrupted_imports")["interrupted_imports"]["interrupted"]
        == 0
    )
    assert _job(db, job_id).status == "validating"  # still within its time
    assert run_all(now + timedelta(minutes=31), only="interrupted_imports")["interrupted_imports"] == {
        "interrupted": 1,
        "resumed": 0,
    }
    job = _job(db, job_id)
    assert job.status == "failed" and _count(db) == 0
    page = manager.get(f"/leads/import/{job_id}").get_data(as_text=True)
    assert "导入被中断" in page and "没有保存任何数据" in page
    monkeypatch.undo()  # the next attempt runs
    run_import_again = manager.get(f"/leads/import/{job_id}/mapping")
    assert run_import_again.status_code == 200
    chosen = dict(
        re.findall(
            r'<select name="(col\d+)".*?<option value="([a-z_]*)" selected',
            run_import_again.get_data(as_text=True),
            re.S,
        )
    )
    mapped = manager.post(f"/leads/import/{job_id}/mapping", data=chosen)
    assert mapped.status_code == 303 and mapped.headers["Location"] == f"/leads/import/{job_id}"
    assert _job(db, job_id).status == "validated"
    manager.post(f"/leads/import/{job_id}/commit", data={})
    assert _job(db, job_id).status == "done" and _count(db) == 1


def _cut_off(monkeypatch):
    """The web request queued the step, but the worker that took it died before it committed."""
    from app.leads.importing import views as import_views

    monkeypatch.setattr(import_views, "start", lambda func, job_id, user_id: None)


def test_steps_cut_off_run_again_once_when_a_worker_starts(app, manager, db, monkeypatch):
    from app import tasks

    rows = [lead_row(phone=f"1382222{i:04d}", name=f"客户{i}") for i in range(5)]
    _cut_off(monkeypatch)
    job_id = run_import(manager, csv_bytes(rows), commit=False)
    assert _job(db, job_id).status == "validating"
    assert tasks.resume_interrupted_work() == 1  # what `flask worker` does before it consumes
    assert _job(db, job_id).status == "validated"
    manager.post(f"/leads/import/{job_id}/commit", data={"default": "skip"})
    assert _job(db, job_id).status == "committing" and _count(db) == 0
    assert tasks.resume_interrupted_work() == 1
    job = _job(db, job_id)
    assert job.status == "done" and job.ok_rows == 5 and _count(db) == 5
    assert tasks.resume_interrupted_work() == 0 and _count(db) == 5


def test_a_step_queued_twice_saves_once(manager, db, monkeypatch):
    """The same commit task delivered twice (or queued again while it was still queued): the second
    finds the job done and saves nothing; a late failure never marks a done job failed."""
    from app.leads.importing.jobs import _fail, run_commit

    job_id = run_import(manager, csv_bytes([lead_row(phone="13833330001"), lead_row(phone="13833330002")]))
    assert _job(db, job_id).status == "done" and _count(db) == 2
    run_commit(job_id, manager.user.id)
    _fail(job_id, "crash")
    assert _job(db, job_id).status == "done" and _count(db) == 2


def test_a_resumed_step_keeps_the_user_and_request_of_the_one_who_started_it(app, manager, db, monkeypatch):
    from app import tasks

    seen = {}
    _cut_off(monkeypatch)
    job_id = run_import(manager, csv_bytes([lead_row()]), commit=False)
    step = _job(db, job_id).decisions["step"]
    assert step["user_id"] == manager.user.id and step["request_id"]
    monkeypatch.setattr(tasks, "import_analysis", lambda *args, **kwargs: seen.update(args=args, **kwargs))
    assert tasks.resume_interrupted_work() == 1
    assert seen["args"] == (job_id, manager.user.id) and seen["request_id"] == step["request_id"]


@pytest.mark.postgres_only
def test_a_step_held_by_a_live_runner_is_neither_run_nor_queued_again(app, manager, db, monkeypatch):
    """PostgreSQL: while another worker holds the step (its advisory lock), the step is neither run
    by a second task nor queued again; once that worker's connection is gone, it is."""
    from datetime import timedelta

    from sqlalchemy import text

    from app import tasks
    from app.core.timeutil import utcnow
    from app.jobs import run_all
    from app.leads.importing.jobs import STEP_LOCK, run_commit

    _cut_off(monkeypatch)
    job_id = run_import(manager, csv_bytes([lead_row(phone="13844440001")]), commit=False)
    assert tasks.resume_interrupted_work() == 1
    manager.post(f"/leads/import/{job_id}/commit", data={"default": "skip"})
    other = db.engine.connect()  # the worker that is saving the import
    other.execute(text("SELECT pg_advisory_lock(:l, :j)"), {"l": STEP_LOCK, "j": job_id})
    try:
        run_commit(job_id, manager.user.id)
        assert _job(db, job_id).status == "committing" and _count(db) == 0
        assert tasks.resume_interrupted_work() == 0
        later = utcnow() + timedelta(minutes=2)
        assert run_all(later, only="interrupted_imports")["interrupted_imports"] == {
            "interrupted": 0,
            "resumed": 0,
        }
    finally:
        other.invalidate()  # that worker died: its connection closes and the server lets go of its lock
        other.close()
    assert run_all(later, only="interrupted_imports")["interrupted_imports"] == {
        "interrupted": 0,
        "resumed": 1,
    }
    assert _job(db, job_id).status == "done" and _count(db) == 1
