"""GET /board/changes: 204 for nothing new in one query, the moved columns otherwise."""

import re

from tests.helpers_board import move, stage_id


def poll_url(html: str) -> str:
    return re.search(r'id="board-poll"[^>]*data-hx-get="([^"]+)"', html).group(1).replace("&amp;", "&")


def test_nothing_changed_is_204_with_one_query(login_as, factory, db, count_queries):
    manager = login_as("manager")
    factory.lead(owner=factory.user("consultant", store=manager.user.store))
    db.session.commit()
    url = poll_url(manager.get("/board").get_data(as_text=True))
    manager.htmx("GET", url)
    with count_queries() as counter:
        response = manager.htmx("GET", url)
    assert response.status_code == 204 and response.get_data() == b""
    token_queries = [s for s in counter.statements if "users" not in s.split("FROM", 1)[1][:40]]
    assert len(token_queries) == 1  # the session's user load is the only other statement


def test_a_move_by_someone_else_refreshes_the_affected_columns(login_as, factory, db):
    manager = login_as("manager")
    consultant = login_as("consultant", store=manager.user.store)
    lead = factory.lead(owner=consultant.user, stage="new")
    factory.lead(owner=consultant.user, stage="negotiation")
    db.session.commit()
    url = poll_url(manager.get("/board").get_data(as_text=True))
    assert move(consultant, lead, "contacted").status_code == 200
    response = manager.htmx("GET", url)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="col-{stage_id("new")}"' in html and f'id="col-{stage_id("contacted")}"' in html
    assert f'id="col-{stage_id("negotiation")}"' not in html  # untouched column stays
    assert 'data-hx-swap-oob="outerHTML"' in html and f'id="card-{lead.id}"' in html
    new_url = poll_url(html)
    assert new_url != url and manager.htmx("GET", new_url).status_code == 204


def test_a_new_lead_refreshes_the_board(login_as, factory, db):
    manager = login_as("manager")
    db.session.commit()
    url = poll_url(manager.get("/board").get_data(as_text=True))
    lead = factory.lead(owner=factory.user("consultant", store=manager.user.store))
    db.session.commit()
    html = manager.htmx("GET", url).get_data(as_text=True)
    assert f'id="card-{lead.id}"' in html


def test_a_garbage_token_refreshes_everything(login_as, factory, db):
    me = login_as("consultant")
    lead = factory.lead(owner=me.user)
    db.session.commit()
    response = me.htmx("GET", "/board/changes?since=garbage")
    assert response.status_code == 200 and f'id="card-{lead.id}"' in response.get_data(as_text=True)


def test_load_more_query_count_is_constant(login_as, factory, db, count_queries):
    me = login_as("consultant")
    for _ in range(3):
        factory.lead(owner=me.user)
    db.session.commit()
    url = f"/board/column/{stage_id('new')}?after=-.0"
    me.htmx("GET", url)
    with count_queries() as few:
        me.htmx("GET", url)
    for _ in range(60):
        factory.lead(owner=me.user)
    db.session.commit()
    with count_queries() as many:
        me.htmx("GET", url)
    assert few.count == many.count <= 5
