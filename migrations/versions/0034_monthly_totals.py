"""monthly report aggregates per store × consultant × month (monthly_totals): daily_totals summed
per store-local calendar month, filled from daily_totals

Revision ID: 0034
Revises: 0033

The group's per-consultant reports over whole months (daily work and follow-up efficiency for a
month or a quarter) summed a row of daily_totals per consultant and day: 36,000 rows for a month
and 110,000 for a quarter at 1,000,000 leads (57–67 ms of SQL for a quarter). Per consultant and
month they are 1,200 and 3,600. Kept with daily_stats in the same transaction and rebuilt from it
(app/reports/aggregates.py); `day` holds the month's first day, as the daily tables' day keys.
"""

import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None

COUNTERS = (
    "new_leads", "new_visited", "new_won",
    "followups", "effective", "m_phone", "m_sms", "m_wechat", "m_email", "m_visit", "m_showroom", "followed_leads",
    "visits", "first_visits", "return_visits", "retained", "test_drives", "people",
    "invitations", "defeat_requests", "won",
    "new_contacted", "contact_micros", "won_cycle_leads", "cycle_micros", "stayed_visits", "stay_micros",
)
BIG_COUNTERS = ("contact_micros", "cycle_micros", "stay_micros")
KEYS = ("store_id", "day", "consultant_id")
TABLE = "monthly_totals"


def upgrade():
    op.create_table(
        TABLE,
        *[sa.Column(key, sa.Date() if key == "day" else sa.Integer(), nullable=False) for key in KEYS],
        *[
            sa.Column(name, sa.BigInteger() if name in BIG_COUNTERS else sa.Integer(), server_default="0", nullable=False)
            for name in COUNTERS
        ],
        sa.PrimaryKeyConstraint(*KEYS),
    )
    op.create_index(f"ix_{TABLE}_day", TABLE, ["day", "store_id"])
    if op.get_bind().dialect.name == "postgresql":
        month = "date_trunc('month', day)::date"
    else:
        month = "date(day, 'start of month')"
    columns = ", ".join(COUNTERS)
    sums = ", ".join(f"SUM({name})" for name in COUNTERS)
    op.execute(
        f"INSERT INTO {TABLE} (store_id, day, consultant_id, {columns}) "
        f"SELECT store_id, {month}, consultant_id, {sums} FROM daily_totals "
        f"GROUP BY store_id, {month}, consultant_id"
    )


def downgrade():
    op.drop_index(f"ix_{TABLE}_day", table_name=TABLE)
    op.drop_table(TABLE)
