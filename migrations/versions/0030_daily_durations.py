"""daily report aggregates count the hours to first contact, the days from lead to order and the
showroom stays: new_contacted / contact_micros on the lead's created day, won_cycle_leads /
cycle_micros on its won day, stayed_visits / stay_micros on the visit's day, in daily_stats and
its three rollups; filled here from the raw rows

Revision ID: 0030
Revises: 0029

The follow-ups report averaged the hours from assignment to first contact and the days from lead
to order over the leads created or won in the period, and the traffic report averaged the stay of
the period's visits: one pass over the raw rows per request (726 ms and 446 ms for the group's
last month at 1,000,000 leads). As summed counters next to their counts, each average is a sum of
days (app/reports/aggregates.py). Durations are exact microseconds (BIGINT: a store's day of leads
contacted weeks later is more than an INTEGER holds). The fill computes the same figures as
`flask reports rebuild-aggregates` for the new columns only, with one upsert per table.
"""

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

TABLES = {
    "daily_stats": ("store_id", "day", "consultant_id", "channel_id", "grade_id"),
    "daily_totals": ("store_id", "day", "consultant_id"),
    "daily_channels": ("store_id", "day", "channel_id"),
    "daily_stores": ("store_id", "day"),
}
COUNTS = ("new_contacted", "won_cycle_leads", "stayed_visits")
MICROS = ("contact_micros", "cycle_micros", "stay_micros")
NEW = ("new_contacted", "contact_micros", "won_cycle_leads", "cycle_micros", "stayed_visits", "stay_micros")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            for name in NEW:
                kind = sa.BigInteger() if name in MICROS else sa.Integer()
                batch.add_column(sa.Column(name, kind, server_default="0", nullable=False))
    _fill()


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            for name in reversed(NEW):
                batch.drop_column(name)


def _fill() -> None:
    """The new counters of daily_stats from the leads and visits (as app/reports/aggregates.py
    counts them), then each rollup as daily_stats summed over its keys."""
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    day = _day_sql(bind, postgres)
    micros = _micros_sql(postgres)

    def lead_keys(when: str) -> str:
        return (
            f"l.store_id AS store_id, COALESCE(l.owner_id, 0) AS consultant_id, {day(when)} AS day, "
            "COALESCE(l.source_channel_id, 0) AS channel_id, COALESCE(l.grade_id, 0) AS grade_id"
        )

    facts = f"""
        SELECT {lead_keys("l.created_at")},
               COUNT(*) AS new_contacted,
               SUM({micros("COALESCE(l.assigned_at, l.created_at)", "l.first_contacted_at")}) AS contact_micros,
               0 AS won_cycle_leads, 0 AS cycle_micros, 0 AS stayed_visits, 0 AS stay_micros
        FROM leads l JOIN stores s ON s.id = l.store_id
        WHERE l.merged_into_id IS NULL AND l.first_contacted_at IS NOT NULL
        GROUP BY 1, 2, 3, 4, 5
        UNION ALL
        SELECT {lead_keys("l.won_at")}, 0, 0, COUNT(*), SUM({micros("l.created_at", "l.won_at")}), 0, 0
        FROM leads l JOIN stores s ON s.id = l.store_id
        WHERE l.merged_into_id IS NULL AND l.won_at IS NOT NULL
        GROUP BY 1, 2, 3, 4, 5
        UNION ALL
        SELECT v.store_id, COALESCE(v.consultant_id, 0), {day("v.arrived_at")},
               COALESCE(v.source_channel_id, 0), COALESCE(l.grade_id, 0),
               0, 0, 0, 0, COUNT(*), SUM({micros("v.arrived_at", "v.left_at")})
        FROM showroom_visits v JOIN stores s ON s.id = v.store_id LEFT JOIN leads l ON l.id = v.lead_id
        WHERE v.left_at IS NOT NULL
        GROUP BY 1, 2, 3, 4, 5
    """
    sums = ", ".join(f"SUM({name})" for name in NEW)
    nonzero = " OR ".join(f"{name} <> 0" for name in COUNTS)
    updates = ", ".join(f"{name} = excluded.{name}" for name in NEW)
    for table, keys in TABLES.items():
        key_list = ", ".join(keys)
        source = f"({facts}) AS facts" if table == "daily_stats" else "daily_stats"
        op.execute(
            f"INSERT INTO {table} ({key_list}, {', '.join(NEW)}) "
            f"SELECT {key_list}, {sums} FROM {source} WHERE {nonzero} GROUP BY {key_list} "
            f"ON CONFLICT ({key_list}) DO UPDATE SET {updates}"
        )


def _day_sql(bind, postgres: bool):
    """SQL of the store-local date of a UTC timestamp column, the store's row aliased `s` (its
    zone's rules on PostgreSQL, its zone's current UTC offset on SQLite, as the aggregates)."""
    from app.core.timeutil import default_zone, utc_offset_minutes

    zone = f"COALESCE(NULLIF(s.timezone, ''), '{default_zone()}')"
    if postgres:
        return lambda column: f"CAST(timezone({zone}, timezone('UTC', {column})) AS DATE)"
    zones = {z or default_zone() for (z,) in bind.execute(sa.text("SELECT DISTINCT timezone FROM stores"))}
    whens = " ".join(f"WHEN '{z}' THEN '{utc_offset_minutes(z):+d} minutes'" for z in sorted(zones))
    offset = f"CASE {zone} {whens} ELSE '+0 minutes' END" if zones else "'+0 minutes'"
    return lambda column: f"date({column}, {offset})"


def _micros_sql(postgres: bool):
    """SQL of the exact microseconds from one timestamp to another (app/reports/aggregates.py)."""
    if postgres:
        return lambda start, end: f"CAST(EXTRACT(EPOCH FROM {end} - {start}) * 1000000 AS BIGINT)"

    def micros(column: str) -> str:
        return (
            f"(CAST(strftime('%s', {column}) AS INTEGER) * 1000000 + CAST(substr({column}, 21, 6) AS INTEGER))"
        )

    return lambda start, end: f"({micros(end)} - {micros(start)})"
