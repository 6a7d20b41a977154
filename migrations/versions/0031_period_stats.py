"""calendar-period report aggregates: period_stats (month or quarter × scope × store × consultant ×
channel × grade × reach) and its rollups period_totals, period_channels and period_stores; filled
from the leads, stage changes and follow-ups

Revision ID: 0031
Revises: 0030

The conversion funnel and the leads followed per consultant count distinct leads over a whole
month or quarter, which a sum of daily counts cannot give, so they read the raw rows: 586 ms for
the group's funnel of a month at 1,000,000 leads, 1.2 s for a quarter. The same figures per
calendar period are a few hundred rows. The SQL below is the rebuild's
(app/reports/periods.py `contributions`), written out: migrations do not import models.
"""

from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

COUNTERS = ("leads", "followed_leads")
HEAD = ("period_kind", "period_start", "scope_id", "store_id")
TABLES = {
    "period_stats": (*HEAD, "consultant_id", "channel_id", "grade_id", "reach"),
    "period_totals": (*HEAD, "consultant_id", "reach"),
    "period_channels": (*HEAD, "channel_id", "reach"),
    "period_stores": (*HEAD, "reach"),
}


def _column(key: str) -> sa.Column:
    kinds = {"period_kind": sa.String(length=1), "period_start": sa.Date()}
    return sa.Column(key, kinds.get(key, sa.Integer()), nullable=False)


def upgrade():
    for table, keys in TABLES.items():
        op.create_table(
            table,
            *[_column(key) for key in keys],
            *[sa.Column(name, sa.Integer(), server_default="0", nullable=False) for name in COUNTERS],
            sa.PrimaryKeyConstraint(*keys, name=f"pk_{table}"),
        )
    _fill()


def downgrade():
    for table in reversed(list(TABLES)):
        op.drop_table(table)


def _fill() -> None:
    """period_stats from the raw rows, then each rollup summed from it."""
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    if postgres:
        op.execute("SET LOCAL work_mem = '256MB'")
    new_order = (
        bind.execute(sa.text("SELECT sort_order FROM pipeline_stages WHERE code = 'new'")).scalar() or 0
    )
    local = _local_day(bind, postgres)

    def periods(facts: str, columns: str) -> str:
        if postgres:
            starts = {
                k: f"date_trunc('{unit}', day::timestamp)::date"
                for k, unit in (("M", "month"), ("Q", "quarter"))
            }
        else:
            starts = {
                "M": "date(day, 'start of month')",
                "Q": "date(day, 'start of month', '-' || ((CAST(strftime('%m', day) AS INTEGER) - 1) % 3) || ' months')",
            }
        return " UNION ALL ".join(
            f"SELECT {columns}, '{kind}' AS kind, {start} AS start FROM {facts}"
            for kind, start in starts.items()
        )

    keys = ", ".join(TABLES["period_stats"])
    op.execute(
        f"""
        INSERT INTO period_stats ({keys}, leads, followed_leads)
        WITH stage_facts AS (
            SELECT sc.lead_id, sc.store_id AS at, sc.created_at AS t, ps.sort_order AS reach
            FROM stage_changes sc JOIN pipeline_stages ps ON ps.id = sc.to_stage_id
            WHERE ps.kind <> 'lost'
            UNION ALL
            SELECT id, store_id, created_at, {int(new_order)} FROM leads WHERE merged_into_id IS NULL
        ),
        stage_days AS (SELECT lead_id, at, reach, {local("t", "at")} AS day FROM stage_facts),
        stage_periods AS ({periods("stage_days", "lead_id, at, reach")}),
        furthest AS (
            SELECT lead_id, at AS scope_id, kind, start, MAX(reach) AS reach
            FROM stage_periods GROUP BY lead_id, at, kind, start
            UNION ALL
            SELECT lead_id, 0, kind, start, MAX(reach) FROM stage_periods GROUP BY lead_id, kind, start
        ),
        followup_days AS (
            SELECT lead_id, store_id AS at, COALESCE(user_id, 0) AS author, {local("occurred_at", "store_id")} AS day
            FROM followups
        ),
        followup_periods AS ({periods("followup_days", "lead_id, at, author")}),
        period_rows AS (
            SELECT f.kind AS period_kind, f.start AS period_start, f.scope_id, l.store_id,
                   COALESCE(l.owner_id, 0) AS consultant_id, COALESCE(l.source_channel_id, 0) AS channel_id,
                   COALESCE(l.grade_id, 0) AS grade_id, f.reach, COUNT(*) AS leads, 0 AS followed_leads
            FROM furthest f JOIN leads l ON l.id = f.lead_id
            GROUP BY f.kind, f.start, f.scope_id, l.store_id, l.owner_id, l.source_channel_id, l.grade_id, f.reach
            UNION ALL
            SELECT kind, start, at, at, author, 0, 0, 0, 0, COUNT(DISTINCT lead_id)
            FROM followup_periods GROUP BY kind, start, at, author
            UNION ALL
            SELECT kind, start, 0, 0, author, 0, 0, 0, 0, COUNT(DISTINCT lead_id)
            FROM followup_periods GROUP BY kind, start, author
        )
        SELECT {keys}, SUM(leads), SUM(followed_leads) FROM period_rows GROUP BY {keys}
        """
    )
    for table, rollup_keys in TABLES.items():
        if table == "period_stats":
            continue
        columns = ", ".join(rollup_keys)
        op.execute(
            f"INSERT INTO {table} ({columns}, leads, followed_leads) "
            f"SELECT {columns}, SUM(leads), SUM(followed_leads) FROM period_stats GROUP BY {columns}"
        )
    if postgres:
        for table in TABLES:
            op.execute(f"ANALYZE {table}")


def _local_day(bind, postgres: bool):
    """SQL of a timestamp's local day in its store's zone, as app/reports/aggregates.py `local_day`
    computes it (zone rules on PostgreSQL, each zone's current UTC offset on SQLite)."""
    from app.core.timeutil import default_zone, utc_offset_minutes

    zones: dict[str, list[int]] = defaultdict(list)
    for store_id, zone in bind.execute(sa.text("SELECT id, timezone FROM stores")):
        zones[zone or default_zone()].append(store_id)
    items = sorted(zones.items(), key=lambda kv: -len(kv[1])) or [(default_zone(), [])]

    def one(column: str, zone: str) -> str:
        if postgres:
            quoted = zone.replace("'", "''")
            return f"(timezone('{quoted}', timezone('UTC', {column})))::date"
        return f"date({column}, '{utc_offset_minutes(zone):+d} minutes')"

    def local(column: str, store_column: str) -> str:
        if len(items) == 1:
            return one(column, items[0][0])
        whens = " ".join(
            f"WHEN {store_column} IN ({', '.join(map(str, ids))}) THEN {one(column, zone)}"
            for zone, ids in items[1:]
        )
        return f"CASE {whens} ELSE {one(column, items[0][0])} END"

    return local
