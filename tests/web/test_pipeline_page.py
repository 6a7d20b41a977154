"""GET /board: scope per role, filters, card contents, column order, load more, query count."""

import re
from datetime import date, datetime, timedelta

from sqlalchemy import select, update

from app.admin.reference import channel_by_code, grade_by_code
from app.core.timeutil import local_today, utcnow
from app.leads.models import Lead
from tests.helpers_board import stage_id


def today():
    return local_today(utcnow())


def card_ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'id="card-(\d+)"', html)]


def column_html(html: str, code: str) -> str:
    start = html.index(f'data-stage="{code}"')
    end = html.find("</ul>", start)
    return html[start:end]


def test_anonymous_goes_to_login(client):
    response = client.get("/board")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def test_roles_without_the_board_get_403(login_as):
    for role in ("clerk", "marketing", "admin"):
        assert login_as(role).get("/board").status_code == 403
        assert login_as(role).get("/board/changes").status_code == 403


def test_consultant_sees_only_own_cards_without_phones(login_as, factory, db):
    me = login_as("consultant")
    other = factory.user("consultant")
    mine = factory.lead(owner=me.user, name="我的客户", phone="+8613812345678")
    theirs = factory.lead(owner=other, name="别人的客户")
    db.session.commit()
    html = me.get("/board").get_data(as_text=True)
    assert f'id="card-{mine.id}"' in html and f'id="card-{theirs.id}"' not in html
    assert "13812345678" not in html and "5678" not in html.split("card-")[1]
    assert "别人的客户" not in html


def test_card_shows_grade_model_dates_markers_and_owner_for_managers(login_as, factory, db):
    manager = login_as("manager")
    consultant = factory.user("consultant", store=manager.user.store, display_name="王顾问")
    d = today()
    lead = factory.lead(
        owner=consultant,
        grade="H",
        model_id=1,
        name="张三",
        expected_purchase_date=d - timedelta(days=2),
        next_plan_due=d - timedelta(days=1),
        last_effective_followup_at=datetime.combine(d - timedelta(days=4), datetime.min.time()),
    )
    db.session.commit()
    html = manager.get("/board").get_data(as_text=True)
    card = html[html.rindex("<li", 0, html.index(f'id="card-{lead.id}"')) :]
    card = card[: card.index("</li>")]
    assert 'aria-label="张三, H, ' in card and "is-overdue" in card and "is-expired" in card
    assert "badge-H" in card and "凌云" in card and "王顾问" in card
    assert "4" in card and (d - timedelta(days=1)).isoformat() in card
    consultant_client_html = manager.get("/board").get_data(as_text=True)
    assert "tag-overdue" in consultant_client_html


def test_consultant_cards_do_not_name_the_owner(login_as, factory, db):
    me = login_as("consultant", display_name="李顾问")
    factory.lead(owner=me.user)
    db.session.commit()
    html = me.get("/board").get_data(as_text=True)
    assert "李顾问" not in html.split('id="board"')[1]


def test_manager_owner_filter_and_store_scope(login_as, factory, db):
    manager = login_as("manager")
    a = factory.user("consultant", store=manager.user.store)
    b = factory.user("consultant", store=manager.user.store)
    elsewhere = factory.store()
    la, lb = factory.lead(owner=a), factory.lead(owner=b)
    lx = factory.lead(owner=factory.user("consultant", store=elsewhere))
    db.session.commit()
    html = manager.get("/board").get_data(as_text=True)
    assert set(card_ids(html)) == {la.id, lb.id}
    html = manager.get(f"/board?owner={a.id}").get_data(as_text=True)
    assert card_ids(html) == [la.id]
    assert lx.id not in card_ids(manager.get(f"/board?store={elsewhere.id}").get_data(as_text=True))


def test_director_picks_a_store(login_as, factory, db):
    s1, s2 = factory.store(), factory.store()
    l1 = factory.lead(owner=factory.user("consultant", store=s1))
    l2 = factory.lead(owner=factory.user("consultant", store=s2))
    director = login_as("director")
    db.session.commit()
    assert card_ids(director.get(f"/board?store={s1.id}").get_data(as_text=True)) == [l1.id]
    html = director.get(f"/board?store={s2.id}").get_data(as_text=True)
    assert card_ids(html) == [l2.id] and 'name="store"' in html


def test_director_without_a_store_gets_the_first_active_one_from_one_read(
    login_as, factory, db, count_queries
):
    from app.accounts.models import Store

    closed, s1, s2 = factory.store(), factory.store(), factory.store()
    closed.active = False
    factory.lead(owner=factory.user("consultant", store=closed))
    l1 = factory.lead(owner=factory.user("consultant", store=s1))
    factory.lead(owner=factory.user("consultant", store=s2))
    director = login_as("director")
    db.session.commit()
    first = min(db.session.scalars(select(Store.id).where(Store.active.is_(True))))
    director.get("/board")
    with count_queries() as counter:
        html = director.get("/board").get_data(as_text=True)
    assert sum(1 for s in counter.statements if re.search(r"\bFROM stores\b", s)) == 1
    assert f'<option value="{first}" selected' in html
    if first == s1.id:
        assert card_ids(html) == [l1.id]


def test_filters(login_as, factory, db):
    me = login_as("consultant")
    d = today()
    hot = factory.lead(owner=me.user, grade="H", channel="website", model_id=2)
    overdue = factory.lead(owner=me.user, next_plan_due=d - timedelta(days=3))
    planned = factory.lead(owner=me.user, next_plan_due=d + timedelta(days=3))
    expired = factory.lead(owner=me.user, expected_purchase_date=d - timedelta(days=1), next_plan_due=d)
    old = factory.lead(owner=me.user, created_at=datetime(2025, 1, 5, 12), next_plan_due=d)
    db.session.commit()

    def ids(query):
        return set(card_ids(me.get("/board?" + query).get_data(as_text=True)))

    assert ids(f"grade={grade_by_code('H').id}") == {hot.id}
    assert ids(f"source={channel_by_code('website').id}") == {hot.id}
    assert ids("model=2") == {hot.id}
    assert ids("overdue=1") == {overdue.id}
    assert ids("noplan=1") == {hot.id}
    assert ids("expired=1") == {expired.id}
    assert ids("created_from=2025-01-01&created_to=2025-01-31") == {old.id}
    assert ids("created_from=2025-02-01") == {hot.id, overdue.id, planned.id, expired.id}
    assert ids("grade=abc&created_from=nonsense") == {hot.id, overdue.id, planned.id, expired.id, old.id}


def test_board_and_lead_list_agree_on_created_days_around_local_midnight(login_as, factory, db):
    me = login_as("consultant")

    def created(*utc):
        return factory.lead(owner=me.user, created_at=datetime(*utc)).id

    oct31_late = created(2026, 10, 31, 15, 59)  # 23:59 on 31 October in Shanghai
    nov1_early = created(2026, 10, 31, 17, 0)  # 01:00 on 1 November in Shanghai
    nov1_late = created(2026, 11, 1, 15, 30)  # 23:30 on 1 November in Shanghai
    created(2026, 11, 1, 16, 30)  # 00:30 on 2 November in Shanghai
    db.session.commit()

    def both(days):
        board = set(card_ids(me.get(f"/board?{days}").get_data(as_text=True)))
        listed = set(
            map(int, re.findall(r'data-lead-id="(\d+)"', me.get(f"/leads?{days}").get_data(as_text=True)))
        )
        assert board == listed
        return board

    assert both("created_from=2026-11-01&created_to=2026-11-01") == {nov1_early, nov1_late}
    assert both("created_to=2026-10-31") == {oct31_late}


def test_expired_and_no_plan_count_open_leads_only_like_the_lead_list(login_as, factory, db):
    manager = login_as("manager")
    consultant = login_as("consultant", store=manager.user.store)
    passed = today() - timedelta(days=1)
    for stage in ("contacted", "won", "lost"):
        factory.lead(owner=consultant.user, stage=stage, expected_purchase_date=passed, next_plan_due=None)
    db.session.commit()

    def count(html, code):
        return int(re.search(rf'id="col-{stage_id(code)}-h".*?board-count[^>]*>(\d+)<', html, re.S).group(1))

    for client in (manager, consultant):  # store-wide counts and one consultant's
        for query, list_query in (("expired=1", "expired=1"), ("noplan=1", "no_plan=1")):
            html = client.get("/board?" + query).get_data(as_text=True)
            assert [count(html, code) for code in ("contacted", "won", "lost")] == [1, 0, 0]
            listed = client.get("/leads?" + list_query).get_data(as_text=True)
            assert len(re.findall(r'data-lead-id="(\d+)"', listed)) == 1


def test_filter_change_is_an_htmx_swap_of_the_board(login_as, factory, db):
    me = login_as("consultant")
    factory.lead(owner=me.user)
    db.session.commit()
    response = me.htmx("GET", "/board?overdue=1")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith('<div id="board"')
    assert "overdue=1" in html  # the poller keeps the filters


def test_column_order_counts_and_load_more_pages(login_as, factory, db):
    me = login_as("consultant")
    d = today()
    leads = []
    for i in range(45):
        due = None if i % 3 == 0 else d + timedelta(days=i % 7)
        leads.append(factory.lead(owner=me.user, stage="contacted", next_plan_due=due))
    db.session.commit()
    expected = [
        lead.id
        for lead in sorted(leads, key=lambda x: (x.next_plan_due is None, x.next_plan_due or date.min, x.id))
    ]
    html = me.get("/board").get_data(as_text=True)
    col = column_html(html, "contacted")
    assert re.search(rf'id="col-{stage_id("contacted")}-h".*?board-count[^>]*>45<', html, re.S)
    seen = card_ids(col)
    assert seen == expected[:20]
    while True:
        more = re.search(r'data-hx-get="([^"]*/board/column/[^"]*)"', col)
        if not more:
            break
        col = me.htmx("GET", more.group(1).replace("&amp;", "&")).get_data(as_text=True)
        seen += card_ids(col)
    assert seen == expected


def test_load_more_without_javascript_is_a_page(login_as, factory, db):
    me = login_as("consultant")
    lead = factory.lead(owner=me.user)
    db.session.commit()
    response = me.get(f"/board/column/{stage_id('new')}?after=-.0")
    assert response.status_code == 200 and f'id="card-{lead.id}"' in response.get_data(as_text=True)
    assert me.get(f"/board/column/{stage_id('won')}").status_code == 404


def test_weighted_value_in_header(login_as, factory, db):
    me = login_as("consultant")
    factory.lead(owner=me.user, stage="negotiation", model_id=1)  # 159,900 at 70%
    db.session.commit()
    html = me.get("/board").get_data(as_text=True)
    assert "¥11.19 万" in html  # dealers read prices in 万
    me.post("/language", data={"locale": "en", "next": "/"})
    assert "¥111,930" in me.get("/board").get_data(as_text=True)


def _board_queries(client, count_queries) -> int:
    with count_queries() as counter:
        assert client.get("/board").status_code == 200
    return counter.count


def test_the_board_writes_one_move_menu_whatever_its_cards(login_as, factory, db):
    """Every card has a "move to…" button; the menu it opens (form, CSRF token, one button per
    active stage) is written once per board and carries the board's filters, also in the htmx swap."""
    me = login_as("consultant")
    for i in range(25):
        factory.lead(owner=me.user, name=f"客户{i}", stage=("new", "contacted", "invited")[i % 3])
    db.session.commit()
    html = me.get("/board?grade=").get_data(as_text=True)
    assert len(card_ids(html)) == 25 == html.count('class="btn btn-small bcard-move-open"')
    assert html.count('id="board-move-menu"') == 1 and html.count('name="lead_id"') == 1
    menu = html[html.index('<template id="board-move-menu">') : html.index("</template>")]
    stages = re.findall(r'name="stage" value="([a-z_]+)"', menu)
    assert stages == ["new", "contacted", "invited", "visited", "test_drive", "negotiation", "won", "lost"]
    assert 'name="csrf_token"' in menu and "移到…" in menu and "取消" in menu
    swapped = me.htmx("GET", "/board?overdue=1").get_data(as_text=True)
    assert swapped.count('id="board-move-menu"') == 1
    assert re.search(r'data-hx-post="/board/move\?[^"]*overdue=1', swapped)


def test_the_cards_statement_is_built_once_and_still_reads_what_changed(login_as, factory, db, monkeypatch):
    """The same board again reuses its built statement (no rebuild), and still shows a card added
    and a card moved since; other filters or another user build their own."""
    from app.pipeline import queries

    queries._card_statement.cache_clear()  # ids repeat between tests: start from no statements built
    me = login_as("consultant")
    lead = factory.lead(owner=me.user, name="甲客户", stage="new")
    db.session.commit()
    me.get("/board")
    built = []
    real_parts = queries._parts
    monkeypatch.setattr(queries, "_parts", lambda *a, **k: built.append(1) or real_parts(*a, **k))
    factory.lead(owner=me.user, name="乙客户", stage="new")
    db.session.execute(update(Lead).where(Lead.id == lead.id).values(stage_id=stage_id("contacted")))
    db.session.commit()
    html = me.get("/board").get_data(as_text=True)
    assert built == []
    assert "乙客户" in column_html(html, "new") and "甲客户" in column_html(html, "contacted")
    me.get("/board?grade=1")
    assert built, "other filters build their own statement"
    built.clear()
    other = login_as("consultant", me.user.store)
    assert "甲客户" not in other.get("/board").get_data(as_text=True)
    assert built, "another consultant's board is built for them"


def test_query_count_is_constant_for_1_and_60_cards(login_as, factory, db, count_queries):
    manager = login_as("manager")
    consultants = [factory.user("consultant", store=manager.user.store) for _ in range(3)]
    factory.lead(owner=consultants[0])
    db.session.commit()
    manager.get("/board")  # warm the reference caches
    one = _board_queries(manager, count_queries)
    d = today()
    stages = ["new", "contacted", "invited", "visited", "test_drive", "negotiation", "won", "lost"]
    for i in range(60):
        factory.lead(
            owner=consultants[i % 3],
            stage=stages[i % 8],
            grade="HABC"[i % 4],
            next_plan_due=d + timedelta(days=i % 5) if i % 2 else None,
            model_id=1 + i % 4,
        )
    db.session.commit()
    sixty = _board_queries(manager, count_queries)
    assert one == sixty and sixty <= 10


def test_consultant_query_count_is_constant(login_as, factory, db, count_queries):
    me = login_as("consultant")
    factory.lead(owner=me.user)
    db.session.commit()
    me.get("/board")
    one = _board_queries(me, count_queries)
    for i in range(60):
        factory.lead(owner=me.user, stage=["new", "contacted", "negotiation"][i % 3])
    db.session.commit()
    assert _board_queries(me, count_queries) == one <= 10


def test_merged_duplicates_are_not_cards(login_as, factory, db):
    me = login_as("consultant")
    survivor = factory.lead(owner=me.user)
    merged = factory.lead(owner=me.user, merged_into_id=survivor.id)
    db.session.commit()
    ids = card_ids(me.get("/board").get_data(as_text=True))
    assert survivor.id in ids and merged.id not in ids


def test_dcc_agent_sees_the_leads_assigned_to_them(login_as, factory, db):
    agent = login_as("dcc")
    mine = factory.lead(owner=factory.user("consultant"), dcc_agent_id=agent.user.id)
    other = factory.lead(owner=factory.user("consultant"))
    db.session.commit()
    ids = card_ids(agent.get("/board").get_data(as_text=True))
    assert mine.id in ids and other.id not in ids
