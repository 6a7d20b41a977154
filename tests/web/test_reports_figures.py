"""Hand-computed figures for every report, scope, and agreement between reports."""

import pytest
from sqlalchemy import func, select

from app.reports import catalog
from app.reports.builders.comparison import build_comparison
from app.reports.builders.funnel import build_funnel
from app.reports.builders.kpis import kpi_values
from app.reports.builders.sources import build_sources
from app.reports.builders.trends import build_trends
from app.reports.filters import build_filter
from app.reports.tables import fmt
from app.web.permissions import scoped_leads
from tests.helpers_reports import build_world

ARGS = {"period": "month", "date": "2026-10-15"}


@pytest.fixture(autouse=True)
def _request(app):
    with app.test_request_context("/"):
        yield


@pytest.fixture
def world(factory, db):
    return build_world(factory, db)


def table_for(user, key, **extra):
    f = build_filter(user, {**ARGS, **extra})
    return catalog.BY_KEY[key].build(f)


def by_label(table):
    return {str(r["label"]): r for r in table.rows}


def funnel_counts(table):
    return [r["reached"] for r in table.rows]


def test_funnel_counts_leads_reaching_each_stage_for_the_manager(world):
    table = table_for(world.manager, "funnel")
    assert funnel_counts(table) == [4, 4, 3, 2, 1, 1, 1]
    rows = table.rows
    assert rows[2]["dropped"] == 1 and rows[2]["drop_rate"] == pytest.approx(0.25)
    assert rows[-1]["of_first"] == pytest.approx(0.25)
    assert "<svg" in table.charts[0][1] and "funnel" in table.charts[0][1].lower()


def test_funnel_of_the_group_adds_the_other_store(world):
    # L5 jumped from new straight to won: reaching a stage counts every step before it.
    assert funnel_counts(table_for(world.director, "funnel")) == [5, 5, 4, 3, 2, 2, 2]
    only_b = table_for(world.director, "funnel", store=str(world.store_b.id))
    assert funnel_counts(only_b) == [1, 1, 1, 1, 1, 1, 1]


def test_manager_cannot_widen_the_scope_to_another_store(world):
    assert funnel_counts(table_for(world.manager, "funnel", store=str(world.store_b.id))) == [
        4,
        4,
        3,
        2,
        1,
        1,
        1,
    ]
    stores = by_label(table_for(world.director, "comparison"))
    assert set(stores) == {"朝阳店", "海淀店"}
    mine = table_for(world.manager, "comparison")
    assert {r["label"] for r in mine.rows} <= {"顾问一", "顾问二"}


def test_consultant_sees_only_own_numbers(world):
    assert funnel_counts(table_for(world.c1, "funnel")) == [2, 2, 1, 1, 1, 1, 1]
    assert funnel_counts(table_for(world.c1, "funnel", consultant=str(world.c2.id))) == [2, 2, 1, 1, 1, 1, 1]
    followups = by_label(table_for(world.c2, "followups"))
    assert "顾问一" not in followups


def test_funnel_by_consultant_and_source(world):
    per = by_label(table_for(world.manager, "funnel", by="consultant"))
    assert per["顾问一"]["conversion"] == pytest.approx(0.5)
    assert per["顾问二"]["conversion"] == 0
    per_source = by_label(table_for(world.manager, "funnel", by="channel"))
    assert set(per_source) == {"展厅到店", "官网", "转介绍"}


def test_sources_share_visited_and_won(world):
    rows = by_label(table_for(world.manager, "sources"))
    walk_in = rows["展厅到店"]
    assert (walk_in["leads"], walk_in["visited"], walk_in["won"]) == (2, 1, 1)
    assert walk_in["won_rate"] == pytest.approx(0.5)
    assert rows["官网"]["leads"] == 1 and rows["官网"]["won_rate"] == 0
    assert "转介绍" not in rows  # L4 was created in September


def test_followup_efficiency(world):
    c1 = by_label(table_for(world.manager, "followups"))["顾问一"]
    assert (c1["followups"], c1["effective"], c1["leads"]) == (4, 3, 2)
    assert c1["effective_rate"] == pytest.approx(0.75)
    assert c1["per_lead"] == pytest.approx(2.0)
    assert c1["first_contact_hours"] == pytest.approx(3.0, abs=0.01)
    assert c1["cycle_days"] == pytest.approx(10.0, abs=0.01)


def test_discipline_counts_and_penalties(world):
    rows = table_for(world.manager, "discipline").rows
    c2 = next(r for r in rows if r["label"] == "顾问二")
    assert (c2["overdue"], c2["expired"], c2["no_plan"], c2["violations"]) == (1, 1, 1, 3)
    assert c2["penalty"] == 350
    manager_row = next(r for r in rows if str(r["label"]).startswith("经理甲"))
    assert manager_row["penalty"] == 175


def test_defeat_statistics_and_analysis(world):
    stats = by_label(table_for(world.manager, "defeats"))
    assert stats["价格因素"]["defeats"] == 1 and stats["价格因素"]["share"] == 1
    by_stage = table_for(world.manager, "defeats", by="stage")
    assert [str(c.label) for c in by_stage.columns][1] == "已联系"
    assert by_stage.rows[0]["k0"] == 1


def test_showroom_traffic_retention_and_sources(world):
    traffic = table_for(world.manager, "traffic")
    assert traffic.totals["visits"] == 3 and traffic.totals["first_visits"] == 2
    assert traffic.totals["retention"] == pytest.approx(0.5)
    day13 = by_label(traffic)["2026-10-13"]
    assert (day13["visits"], day13["test_drives"]) == (2, 1)
    assert len(traffic.rows) == 31  # empty days show as zero
    retention = by_label(table_for(world.manager, "retention", grain="week"))
    assert retention["10-12 – 10-18"]["retention"] == pytest.approx(0.5)
    sources = by_label(table_for(world.manager, "showroom_sources"))
    assert sources["展厅到店"]["retained"] == 1


def test_arrival_list_masks_phones_of_other_owners(world):
    table = table_for(world.manager, "arrivals", period="month")
    assert table.total_rows == 3
    phones = [r["phone"] for r in table.rows if r["phone"]]
    assert phones and all("****" in p for p in phones)
    own = table_for(world.c1, "arrivals", period="month")
    assert own.total_rows == 1 and "****" not in own.rows[0]["phone"]


def test_arrival_list_total_from_the_aggregates_equals_the_visits_counted(world, monkeypatch):
    from app.reports import queries_daily, queries_visits

    for user, extra in (
        (world.director, {}),
        (world.director, {"store": world.store_a.id}),
        (world.manager, {}),
        (world.c1, {}),
    ):
        f = build_filter(user, {**ARGS, **extra})
        assert queries_daily.usable(f)
        rows, total = queries_visits.arrival_list(f)
        with monkeypatch.context() as m:
            m.setattr(queries_daily, "usable", lambda _f: False)
            raw_rows, raw_total = queries_visits.arrival_list(f)
        assert total == raw_total and [r["id"] for r in rows] == [r["id"] for r in raw_rows]
    assert queries_visits.arrival_list(build_filter(world.director, ARGS))[1] == 3


def test_invitation_rates_and_zero_denominators(world):
    rows = by_label(table_for(world.manager, "invitations"))
    e = rows["秋季试驾日"]
    assert (e["invited"], e["accepted"], e["responded"], e["arrived"], e["walk_ins"], e["orders"]) == (
        3,
        1,
        2,
        1,
        1,
        1,
    )
    assert e["success_rate"] == pytest.approx(1 / 3)
    assert e["feedback_rate"] == pytest.approx(2 / 3)
    assert e["attendance_rate"] == 1
    launch = rows["新车发布"]
    assert launch["invited"] == 2 and launch["accepted"] == 0
    assert launch["success_rate"] == 0 and launch["attendance_rate"] is None
    assert fmt(launch["attendance_rate"], "pct") == "—"
    assert "空场活动" not in rows  # nobody invited: no row, and never a division by zero
    from app.reports.builders.invitations import invitation_row

    empty = invitation_row("x", {})
    assert (
        empty["success_rate"] is None and empty["feedback_rate"] is None and empty["attendance_rate"] is None
    )


def test_dcc_figures(world):
    row = by_label(table_for(world.manager, "dcc"))["DCC一"]
    assert (row["calls"], row["connected"], row["leads_reached"], row["appointments"], row["shows"]) == (
        2,
        1,
        1,
        1,
        1,
    )
    assert row["connect_rate"] == pytest.approx(0.5)
    assert row["show_rate"] == 1
    own = table_for(world.dcc, "dcc")
    assert [r["label"] for r in own.rows] == ["DCC一"]


def test_daily_work_and_activity(world):
    daily = by_label(table_for(world.manager, "daily", period="day", date="2026-10-13"))
    assert daily["顾问一"]["visits"] == 1 and daily["顾问二"]["visits"] == 1
    activity = table_for(world.manager, "activity", period="week", date="2026-10-07")
    c1 = [r for r in activity.rows if r["label"] == "顾问一"]
    assert [r["day"] for r in c1] == ["2026-10-05", "2026-10-10", "2026-10-11"]  # Monday 5th to Sunday 11th
    assert sum(r["m_phone"] for r in c1) == 3


def test_prospects_by_grade(world):
    c2 = by_label(table_for(world.manager, "prospects"))["顾问二"]
    assert c2["leads"] == 2 and c2["overdue"] == 1


def test_satisfaction_scores(world):
    c1 = by_label(table_for(world.manager, "satisfaction"))["顾问一"]
    assert (c1["sent"], c1["answered"]) == (2, 1)
    assert c1["avg_score"] == pytest.approx(4.0)
    assert c1["response_rate"] == pytest.approx(0.5)


def test_trends_compare_with_previous_period_and_last_year(world):
    table = table_for(world.manager, "trends", grain="month")
    october = by_label(table)["2026-10"]
    assert october["won"] == 1 and october["new_leads"] == 3
    kpis = {k["key"]: k for k in table.comparison}
    assert kpis["orders"]["current"] == 1 and kpis["orders"]["previous"] == 0
    assert kpis["orders"]["vs_previous"] is None  # nothing to compare with
    assert kpis["new_leads"]["previous"] == 1  # L4 in September
    assert kpis["new_leads"]["last_year"] == 0


def test_reports_agree_with_each_other_and_with_the_lead_list(world, db):
    for user in (world.manager, world.director, world.c1):
        f = build_filter(user, ARGS)
        won_funnel = build_funnel(f).rows[-1]["reached"]
        orders = kpi_values(f)["orders"]
        compare = build_comparison(f).totals["won"] if user.role != "consultant" else orders
        trend = by_label(build_trends(f))["10-12 – 10-18"]  # weekly buckets by default
        stmt = scoped_leads(user).where(
            scoped_leads(user).selected_columns[0].table.c.won_at >= f.utc_start,
            scoped_leads(user).selected_columns[0].table.c.won_at < f.utc_end,
        )
        listed = db.session.execute(select(func.count()).select_from(stmt.subquery())).scalar()
        assert won_funnel == orders == compare == listed, user.role
        assert trend is not None
    manager_f = build_filter(world.manager, ARGS)
    sources_total = build_sources(manager_f).totals["leads"]
    assert (
        sources_total == kpi_values(manager_f)["new_leads"] == build_funnel(manager_f).rows[0]["reached"] - 1
    )
