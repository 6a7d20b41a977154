"""An event's cover image: uploaded on the event form, kept in stored_files, served publicly for the
RSVP page header and its WeChat preview (og:image)."""

import io
import re

import pytest
from PIL import Image
from sqlalchemy import select

from app.core.errors import DomainError
from app.extensions import db
from app.files.models import StoredFile
from app.invitations import queries, services
from app.invitations.images import MAX_BYTES, SHARE_WIDTH
from app.invitations.models import Event
from tests.helpers_invite import make_event, make_invitation
from tests.helpers_platform import other_app


def picture(size=(1600, 900), fmt="PNG", color=(20, 140, 90)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt)
    return out.getvalue()


def image_rows(event_id: int) -> list[StoredFile]:
    return list(
        db.session.execute(
            select(StoredFile).where(StoredFile.owner_type == "event", StoredFile.owner_id == event_id)
        ).scalars()
    )


def path_of(row: StoredFile) -> str:
    return f"/r/events/{row.owner_id}/image/{row.id}/{row.filename}"


def form_data(event: Event, **extra) -> dict:
    return {
        "theme": event.theme,
        "type": "launch",
        "store_id": event.store_id,
        "starts_at": "2030-05-01T14:00",
        "ends_at": "2030-05-01T17:00",
        "place": "展厅",
        **extra,
    }


@pytest.fixture
def shop(factory):
    store = factory.store(name="望京店")
    manager = factory.user("manager", store)
    event = make_event(store, theme="秋季新车品鉴会")
    db.session.commit()
    return store, manager, event


# ---- service -----------------------------------------------------------------------------------


def test_a_valid_image_is_stored_re_encoded_and_replaced_then_removed(shop):
    _store, manager, event = shop
    data = {k: getattr(event, k) for k in services.EVENT_FIELDS}
    services.save_event(event, data, actor=manager, image=picture((2400, 1200)))
    db.session.commit()
    (row,) = image_rows(event.id)
    assert (row.role, row.content_type, row.size) == ("image", "image/jpeg", len(row.content))
    stored = Image.open(io.BytesIO(row.content))
    assert stored.format == "JPEG" and stored.size == (SHARE_WIDTH, 600)
    assert queries.event_image_args(event.id) == {
        "event_id": event.id,
        "file_id": row.id,
        "name": row.filename,
    }
    first = row

    services.save_event(event, data, actor=manager, image=picture(fmt="WEBP", color=(200, 0, 0)))
    db.session.commit()
    (row,) = image_rows(event.id)
    # A new address (SQLite may give the row the old id again; the name differs): caches do not matter.
    assert (row.id, row.filename) != (first.id, first.filename)
    assert queries.event_image(event.id, first.id, first.filename) is None

    services.save_event(event, data, actor=manager, remove_image=True)
    db.session.commit()
    assert image_rows(event.id) == [] and queries.event_image_args(event.id) is None


@pytest.mark.parametrize(
    ("content", "code"),
    [(b"%PDF-1.4 hello", "image_type"), (b"\xff\xd8\xff" + b"\0" * (MAX_BYTES + 1), "image_too_large")],
    ids=["not-an-image", "too-large"],
)
def test_a_refused_image_changes_nothing(shop, content, code):
    _store, manager, event = shop
    data = {k: getattr(event, k) for k in services.EVENT_FIELDS} | {"theme": "改过的主题"}
    with pytest.raises(DomainError) as refused:
        services.save_event(event, data, actor=manager, image=content)
    assert refused.value.code == code and refused.value.details["field"] == "image"
    db.session.rollback()
    assert db.session.get(Event, event.id).theme == "秋季新车品鉴会" and image_rows(event.id) == []


# ---- event form --------------------------------------------------------------------------------


def _csrf(page) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def test_manager_uploads_replaces_and_removes_the_image_with_csrf(app, shop, login, monkeypatch):
    _store, manager, event = shop
    c = login(manager)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    page = c.get(f"/events/{event.id}/edit")
    html = page.get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html and 'type="file"' in html and "封面图片" in html
    upload = {"image": (io.BytesIO(picture()), "cover.png")}

    refused = c.post(f"/events/{event.id}/edit", data=form_data(event, **upload))
    assert refused.status_code == 400 and image_rows(event.id) == []

    token = _csrf(page)
    response = c.post(
        f"/events/{event.id}/edit",
        data=form_data(event, csrf_token=token, image=(io.BytesIO(picture()), "cover.png")),
    )
    assert response.status_code == 303
    (row,) = image_rows(event.id)
    image_path = path_of(row)
    assert image_path in c.get(f"/events/{event.id}").get_data(as_text=True)
    form_page = c.get(f"/events/{event.id}/edit").get_data(as_text=True)
    assert image_path in form_page and 'name="remove_image"' in form_page

    # Saving the form without a new file keeps the image.
    assert c.post(f"/events/{event.id}/edit", data=form_data(event, csrf_token=token)).status_code == 303
    assert [r.id for r in image_rows(event.id)] == [row.id]

    response = c.post(f"/events/{event.id}/edit", data=form_data(event, csrf_token=token, remove_image="y"))
    assert response.status_code == 303 and image_rows(event.id) == []
    page = c.get(f"/events/{event.id}").get_data(as_text=True)
    assert "img/event-default.png" in page and image_path not in page


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "cover.png", "请上传 JPEG、PNG 或 WebP 格式的图片。"),
        (picture(fmt="GIF"), "cover.jpg", "请上传 JPEG、PNG 或 WebP 格式的图片。"),
        (b"\xff\xd8\xff" + b"\0" * (MAX_BYTES + 1), "cover.jpg", "图片太大（最大 5 MB）。"),
    ],
    ids=["svg-named-png", "gif-named-jpg", "too-large"],
)
def test_a_bad_upload_is_explained_next_to_the_field(shop, login, content, filename, message):
    _store, manager, event = shop
    c = login(manager)
    response = c.post(
        f"/events/{event.id}/edit",
        data=form_data(event, theme="新主题", image=(io.BytesIO(content), filename)),
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'<p class="error" id="image-error">{message}</p>' in html
    assert 'aria-describedby="image-error"' in html
    db.session.expire_all()
    assert image_rows(event.id) == [] and db.session.get(Event, event.id).theme == "秋季新车品鉴会"


def test_the_message_is_in_english_for_english_users(shop, login):
    _store, manager, event = shop
    c = login(manager)
    c.post("/language", data={"locale": "en"})
    response = c.post(
        f"/events/{event.id}/edit", data=form_data(event, image=(io.BytesIO(b"GIF89a...."), "x.png"))
    )
    assert response.status_code == 422
    assert "Upload a JPEG, PNG or WebP image." in response.get_data(as_text=True)


def test_a_new_event_is_created_with_its_image(shop, login):
    store, manager, _event = shop
    c = login(manager)
    data = {
        "theme": "冬季试驾日",
        "type": "test_drive",
        "store_id": store.id,
        "starts_at": "2030-12-01T10:00",
        "ends_at": "2030-12-01T16:00",
        "image": (io.BytesIO(picture(fmt="JPEG")), "poster.jpg"),
    }
    assert c.post("/events/new", data=data).status_code == 303
    event = db.session.execute(select(Event).where(Event.theme == "冬季试驾日")).scalar_one()
    assert queries.event_image_args(event.id) is not None


def test_only_who_may_edit_the_event_changes_its_image(shop, factory, login_as):
    store, manager, event = shop
    data = {k: getattr(event, k) for k in services.EVENT_FIELDS}
    services.save_event(event, data, actor=manager, image=picture())
    db.session.commit()
    (row,) = image_rows(event.id)
    other_store = factory.store(name="亦庄店")
    attempts = {
        login_as("manager", other_store): 404,
        login_as("marketing", other_store): 404,
        login_as("consultant", store): 403,
        login_as("clerk", store): 403,
    }
    for c, status in attempts.items():
        upload = form_data(event, image=(io.BytesIO(picture(color=(0, 0, 0))), "x.png"))
        assert c.post(f"/events/{event.id}/edit", data=upload).status_code == status
        assert (
            c.post(f"/events/{event.id}/edit", data=form_data(event, remove_image="y")).status_code == status
        )
    assert [(r.id, r.content) for r in image_rows(event.id)] == [(row.id, row.content)]


# ---- public image and the RSVP page ------------------------------------------------------------


def _with_image(event, manager) -> StoredFile:
    data = {k: getattr(event, k) for k in services.EVENT_FIELDS}
    services.save_event(event, data, actor=manager, image=picture())
    db.session.commit()
    return image_rows(event.id)[0]


def test_the_public_image_is_served_cached_and_sniff_free(shop, client):
    _store, manager, event = shop
    row = _with_image(event, manager)
    response = client.get(path_of(row))
    assert response.status_code == 200
    assert response.get_data() == row.content
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Set-Cookie" not in response.headers
    etag = response.headers["ETag"]
    again = client.get(path_of(row), headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""


def test_the_public_image_answers_404_for_anything_else(shop, factory, client):
    store, manager, event = shop
    bare = make_event(store, theme="没有图片的活动")
    other = make_event(factory.store(name="别的店"), theme="别的活动")
    db.session.commit()
    row = _with_image(event, manager)
    other_row = _with_image(other, manager)
    report = StoredFile(
        owner_type="generated_file", owner_id=event.id, role="report", filename="r.pdf",
        content_type="application/pdf", size=4, content=b"%PDF",
    )  # fmt: skip
    db.session.add(report)
    db.session.commit()
    for event_id, file_id, name in [
        (bare.id, row.id, row.filename),  # an event without an image
        (999_999, row.id, row.filename),  # no such event
        (event.id, 999_999, row.filename),  # no such file
        (event.id, row.id, "event.jpg"),  # the right file under another name
        (event.id, other_row.id, other_row.filename),  # another event's image under this event's id
        (event.id, report.id, report.filename),  # a file that is not an event image
    ]:
        response = client.get(f"/r/events/{event_id}/image/{file_id}/{name}")
        assert response.status_code == 404, (event_id, file_id, name)
        assert b"%PDF" not in response.get_data()
    # A replaced image's old address is gone, even if its id were handed out again.
    services.save_event(
        event, {k: getattr(event, k) for k in services.EVENT_FIELDS}, actor=manager, image=picture(fmt="JPEG")
    )
    db.session.commit()
    assert client.get(path_of(row)).status_code == 404


def test_rsvp_page_previews_with_the_events_image_else_the_default(app, shop, factory, client):
    store, manager, event = shop
    lead = factory.lead(owner=factory.user("consultant", store), store=store, name="赵女士")
    invitation = make_invitation(event, lead)
    db.session.commit()
    base = app.config["PUBLIC_BASE_URL"].rstrip("/")

    html = client.get(f"/r/{invitation.token}").get_data(as_text=True)
    assert f'<meta property="og:image" content="{base}/static/img/event-default.png">' in html
    assert "rsvp-cover" not in html

    row = _with_image(event, manager)
    html = client.get(f"/r/{invitation.token}").get_data(as_text=True)
    image = base + path_of(row)
    assert f'<meta property="og:image" content="{image}">' in html
    assert f'<meta itemprop="image" content="{image}">' in html
    assert f'<img class="rsvp-cover" src="{path_of(row)}" alt="">' in html
    assert client.get(path_of(row)).status_code == 200


def test_event_page_query_count_does_not_depend_on_the_image(shop, login, count_queries):
    _store, manager, event = shop
    c = login(manager)
    c.get(f"/events/{event.id}")
    with count_queries() as without:
        c.get(f"/events/{event.id}")
    _with_image(event, manager)
    with count_queries() as with_image:
        page = c.get(f"/events/{event.id}")
    assert page.status_code == 200 and "/image/" in page.get_data(as_text=True)
    assert with_image.count == without.count


def test_guessing_image_addresses_is_rate_limited(shop, _tmpdir):
    _store, manager, event = shop
    row = _with_image(event, manager)
    with other_app(_tmpdir, RATELIMIT_ENABLED=True, PUBLIC_RATE_LIMIT="5 per minute") as application:
        client = application.test_client()
        codes = [client.get(f"/r/events/{event.id}/image/{n}/x.jpg").status_code for n in range(7)]
        assert codes == [404] * 5 + [429] * 2
        assert client.get(path_of(row)).status_code == 429
        # The RSVP pages keep their own count: a page view and its header image are not one budget.
        assert client.get(f"/r/{'A' * 26}").status_code == 404
