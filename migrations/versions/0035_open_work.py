"""today's open work per store × owner × grade × month of the last effective follow-up
(open_work), filled from the leads

Revision ID: 0035
Revises: 0034

The discipline and prospects reports count each consultant's open leads (and, per grade, those
followed up effectively since the period began, and those without an open plan). For the group
that was every open lead: 640,000 at 1,000,000 leads, 280–340 ms of SQL on every load. Kept as
counts per store × owner × grade × store-local month of the last effective follow-up, the group's
are a few thousand rows. Kept current in the same transaction as the change and rebuilt from the
leads (app/reports/open_work.py).
"""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None

TABLE = "open_work"
KEYS = ("store_id", "owner_id", "grade_id", "followed_month")
NEVER_FOLLOWED = "1970-01-01"


def _local_day_sql():
    """The local-day SQL of migration 0031 (a store's zone rules on PostgreSQL, its zone's current
    UTC offset on SQLite), as app/reports/aggregates.py `local_day` computes it."""
    path = Path(__file__).with_name("0031_period_stats.py")
    spec = importlib.util.spec_from_file_location("migration_0031", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module._local_day


def upgrade():
    op.create_table(
        TABLE,
        *[sa.Column(key, sa.Date() if key == "followed_month" else sa.Integer(), nullable=False) for key in KEYS],
        sa.Column("open_leads", sa.Integer(), server_default="0", nullable=False),
        sa.Column("no_plan", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint(*KEYS),
    )
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    day = _local_day_sql()(bind, postgres)("l.last_effective_followup_at", "l.store_id")
    if postgres:
        month = f"COALESCE(date_trunc('month', {day})::date, DATE '{NEVER_FOLLOWED}')"
    else:
        month = f"COALESCE(date({day}, 'start of month'), '{NEVER_FOLLOWED}')"
    op.execute(
        f"INSERT INTO {TABLE} (store_id, owner_id, grade_id, followed_month, open_leads, no_plan) "
        f"SELECT l.store_id, l.owner_id, l.grade_id, {month}, COUNT(*), "
        "SUM(CASE WHEN l.next_plan_due IS NULL THEN 1 ELSE 0 END) "
        "FROM leads l JOIN pipeline_stages s ON s.id = l.stage_id "
        "WHERE s.kind = 'open' AND l.owner_id IS NOT NULL AND l.merged_into_id IS NULL "
        f"GROUP BY l.store_id, l.owner_id, l.grade_id, {month}"
    )
    if postgres:
        op.execute(f"ANALYZE {TABLE}")


def downgrade():
    op.drop_table(TABLE)
