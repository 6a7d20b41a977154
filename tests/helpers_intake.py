"""Helpers for intake tests: API keys and clients."""

from app.admin.reference import channel_by_code
from app.leads.apikeys import create_api_key


def make_api_key(db, store, channel: str = "website", name: str = "site"):
    """Create and commit an API key; return (row, raw key)."""
    key, raw = create_api_key(name, source_channel_id=channel_by_code(channel).id, store_id=store.id)
    db.session.commit()
    return key, raw


def bearer(raw: str, **extra) -> dict:
    return {"Authorization": f"Bearer {raw}", **extra}


HEADER = ["客户姓名", "手机号码", "性别", "渠道", "意向车型", "意向级别", "预计购车时间", "备注"]


def lead_row(
    name="张三",
    phone="13800138000",
    gender="男",
    channel="官网",
    model="凌云 400T 星领版",
    grade="H级",
    date="2026-12-01",
    notes="",
):
    return [name, phone, gender, channel, model, grade, date, notes]


def csv_bytes(rows, header=HEADER, encoding="utf-8-sig") -> bytes:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows, header=HEADER) -> bytes:
    import io

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, data: bytes, filename="leads.csv", store_id=None):
    """Upload a file; return the response."""
    import io

    form = {"file": (io.BytesIO(data), filename)}
    if store_id is not None:
        form["store_id"] = str(store_id)
    return client.post("/leads/import", data=form, content_type="multipart/form-data")


def run_import(client, data: bytes, filename="leads.csv", store_id=None, commit=True, **decisions):
    """Upload, accept the recognised mapping, and (optionally) commit; return the job id."""
    response = upload(client, data, filename, store_id)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    job_id = int(response.headers["Location"].rstrip("/").split("/")[-2])
    mapping_page = client.get(f"/leads/import/{job_id}/mapping").get_data(as_text=True)
    import re

    chosen = dict(
        re.findall(r'<select name="(col\d+)".*?<option value="([a-z_]*)" selected', mapping_page, re.S)
    )
    assert client.post(f"/leads/import/{job_id}/mapping", data=chosen).status_code == 303
    if commit:
        client.post(f"/leads/import/{job_id}/commit", data=decisions)
    return job_id
